// Tests for the shipped pipeline.config.yaml and its typed loader: both profiles valid, overrides, bad values.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PARAM_OVERRIDES_ENV, validateParamsFile } from "../pipeline/config.ts";
import { formatProblem, ProblemsError } from "../pipeline/errors.ts";
import { loadPipelineConfig, modelSettings, PIPELINE_CONFIG_FILE, type PipelineSections } from "./config.ts";

const shipped = readFileSync(PIPELINE_CONFIG_FILE, "utf8");
const schemaPath = resolve("pipeline.config.schema.json");

/** Writes a variant of the shipped config elsewhere, still pointing at the repo's schema. */
function variant(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-pipeline-config-"));
  const file = join(dir, "pipeline.config.yaml");
  const text = edit(shipped).replace("$schema=./pipeline.config.schema.json", `$schema=${schemaPath}`);
  writeFileSync(file, text);
  return file;
}

/** 1-based line of the first line of `text` matching `pattern`. */
function lineMatching(text: string, pattern: RegExp): number {
  return text.split("\n").findIndex((line) => pattern.test(line)) + 1;
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemsError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

describe("the shipped pipeline.config.yaml", () => {
  it("points editors at the schema on its first line", () => {
    expect(shipped.split("\n")[0]).toBe("# yaml-language-server: $schema=./pipeline.config.schema.json");
  });

  it("is valid under every profile it defines", () => {
    for (const profile of ["full", "smoke"]) {
      expect(validateParamsFile(PIPELINE_CONFIG_FILE, { profile }).map(formatProblem)).toEqual([]);
    }
  });

  it("runs the full profile by default with the documented input shape", () => {
    const config = loadPipelineConfig({ env: {} });
    expect(config.profile).toBe("full");
    expect(config.input).toEqual({ height: 32, width: 128, max_label_length: 32 });
    expect(config.split.ratios.train + config.split.ratios.val + config.split.ratios.test).toBeCloseTo(1, 9);
    expect(config).not.toHaveProperty("profiles");
  });

  it("has a CI-sized smoke profile that keeps everything else", () => {
    const full = loadPipelineConfig({ env: {} });
    const smoke = loadPipelineConfig({ profile: "smoke", env: {} });
    expect(smoke.profile).toBe("smoke");
    expect(smoke.train.epochs).toBe(1);
    expect(smoke.generate.count).toBeLessThanOrEqual(1000);
    expect(smoke.train.optimizer).toEqual(full.train.optimizer);
    expect(smoke.split).toEqual(full.split);
  });

  it("declares in the schema exactly the sections the TypeScript types have", () => {
    const sections: Record<keyof PipelineSections, true> = {
      charset: true,
      input: true,
      pull: true,
      generate: true,
      import: true,
      split: true,
      convert: true,
      train: true,
      evaluate: true,
      publish: true,
      tracking: true,
      registry: true,
    };
    const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(
      ["profile", "profiles", ...Object.keys(sections)].sort(),
    );
  });
});

describe("loadPipelineConfig", () => {
  it("applies OCRFLOW_SET_PARAMS: `profile=smoke` selects the profile and explicit keys beat it", () => {
    const env = {
      [PARAM_OVERRIDES_ENV]: JSON.stringify({
        "pipeline.config.yaml": { profile: "smoke", "train.epochs": 2, "train.parseq.size": "base" },
        "params.yaml": { "train.epochs": 99 },
      }),
    };
    const config = loadPipelineConfig({ env });
    expect(config.profile).toBe("smoke");
    expect(config.train.epochs).toBe(2);
    expect(config.train.batch_size).toBe(16);
    expect(modelSettings(config, "parseq")).toMatchObject({ size: "base", architecture: { embed_dim: 384 } });
  });

  it("lets the profile option win over the environment", () => {
    const env = { [PARAM_OVERRIDES_ENV]: JSON.stringify({ "pipeline.config.yaml": { profile: "smoke" } }) };
    expect(loadPipelineConfig({ env, profile: "full" }).profile).toBe("full");
  });

  it("falls back to train.optimizer.lr for a model without its own", () => {
    const config = loadPipelineConfig({ env: {}, overrides: { "train.parseq.lr": null } });
    expect(config.train.optimizer.lr).toBe(0.0007);
    expect(modelSettings(config, "parseq").lr).toBe(config.train.optimizer.lr);
    expect(modelSettings(config, "master")).toMatchObject({ size: "tiny", lr: 0.001 });
    expect(modelSettings(config, "master").architecture.encoder.gc.heads).toBe(1);
  });

  it("rejects split ratios that do not add up to 1, from the file or an override", () => {
    const file = variant((text) => text.replace(/^ {4}val: 0\.1$/m, "    val: 0.15"));
    const line = lineMatching(readFileSync(file, "utf8"), /^ {2}ratios:/);
    expect(problemsOf(() => loadPipelineConfig({ file, env: {} }))).toEqual([
      `${file}:${line} split.ratios: train + val + test = 1.05, must add up to 1 (expected values that add up to 1)`,
    ]);
    expect(
      problemsOf(() => loadPipelineConfig({ env: {}, overrides: { "split.ratios.train": 0.7 } })),
    ).toEqual([
      `pipeline.config.yaml:${lineMatching(shipped, /^ {2}ratios:/)} split.ratios: train + val + test = 0.9, must add up to 1 (set by override split.ratios.train=0.7) (expected values that add up to 1)`,
    ]);
  });

  it("lists every mistake with its line: unknown key, bad enum, out of range, wrong type", () => {
    const file = variant((text) =>
      text
        .replace(/^ {2}epochs: 30$/m, "  epoch: 30")
        .replace(/^ {4}size: tiny # tiny \(2/m, "    size: small # tiny (2")
        .replace(/^ {2}backend: auto # auto \(ClearML/m, "  backend: mlflow # auto (ClearML")
        .replace(/^ {2}gallery_size: 48/m, "  gallery_size: -1"),
    );
    const text = readFileSync(file, "utf8");
    const at = (pattern: RegExp) => `${file}:${lineMatching(text, pattern)}`;
    expect(problemsOf(() => loadPipelineConfig({ file, env: {} }))).toEqual([
      `${at(/^train:/)} train.epochs: required key \`epochs\` is missing (expected an integer between 1 and 10000)`,
      `${at(/^ {2}epoch: 30/)} train.epoch: unknown key \`epoch\`, did you mean \`epochs\`? (expected one of the keys ${"models, backend, threads, seed, epochs, batch_size, max_steps_per_epoch, val_limit, shuffle_buffer, optimizer, schedule, grad_clip_norm, label_smoothing, reframe, early_stopping, checkpoint_every_steps, log_every_steps, parseq, master"})`,
      `${at(/^ {4}size: small/)} train.parseq.size: "small" is not allowed (expected one of "tiny", "base")`,
      `${at(/^ {2}gallery_size: -1/)} evaluate.gallery_size: must be >= 0, got -1 (expected an integer between 0 and 10000)`,
      `${at(/^ {2}backend: mlflow/)} tracking.backend: "mlflow" is not allowed (expected one of "auto", "local", "clearml")`,
    ]);
  });

  it("rejects a profile that does not exist", () => {
    expect(problemsOf(() => loadPipelineConfig({ profile: "tiny", env: {} }))).toEqual([
      `pipeline.config.yaml:${lineMatching(shipped, /^profile:/)} profile: unknown profile "tiny" (set by override profile="tiny") (expected a key of \`profiles\`: "smoke", "pretrained", "full")`,
    ]);
  });

  it("rejects a bad value inside a profile at the profile's line", () => {
    const file = variant((text) => text.replace(/^ {6}epochs: 1$/m, "      epochs: one"));
    const line = lineMatching(readFileSync(file, "utf8"), /^ {6}epochs: one/);
    expect(problemsOf(() => loadPipelineConfig({ file, env: {} }))).toEqual([
      `${file}:${line} profiles.smoke.train.epochs: must be an integer, not "one" (expected an integer between 1 and 10000)`,
    ]);
  });
});
