// Tests for params-file loading: every schema problem with its line and key, profiles, and `-S` overrides.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  applyParamOverrides,
  deepMerge,
  findSchemaModeline,
  groupParamOverrides,
  loadParams,
  PARAM_OVERRIDES_ENV,
  parseDottedKey,
  parseParamOverride,
  readParamOverridesFromEnv,
  validateParamsFile,
} from "./config.ts";
import { formatProblem, ProblemsError } from "./errors.ts";

const fixtures = "pipeline/fixtures/config";
const example = `${fixtures}/example.yaml`;

function lines(problems: ReturnType<typeof validateParamsFile>): string[] {
  return problems.map(formatProblem);
}

describe("validateParamsFile", () => {
  it("accepts a valid file, finding its schema through the yaml-language-server modeline", () => {
    expect(validateParamsFile(example)).toEqual([]);
    const loaded = loadParams(example);
    expect(loaded.schemaPath).toMatch(/example\.schema\.json$/);
    expect(loaded.profile).toBe("base");
  });

  it("reports every mistake at once, each with its line, key and what was expected", () => {
    const problems = validateParamsFile(`${fixtures}/mistakes.yaml`);
    expect(problems.every((p) => p.kind === "schema")).toBe(true);
    expect(problems.map((p) => [p.location?.line, p.location?.key])).toEqual([
      [8, "profiles.small.server.prot"],
      [10, "server.port"],
      [11, "server.mode"],
      [12, "server.tags[1]"],
      [13, "server.limits.rate"],
      [14, "server.colour"],
      [15, "mix"],
    ]);
    expect(lines(problems)).toEqual([
      `${fixtures}/mistakes.yaml:8 profiles.small.server.prot: unknown key \`prot\`, did you mean \`port\`? (expected one of the keys port, mode, tags, limits)`,
      `${fixtures}/mistakes.yaml:10 server.port: must be <= 65535, got 70000 (expected an integer between 1 and 65535)`,
      `${fixtures}/mistakes.yaml:11 server.mode: "turbo" is not allowed (expected one of "fast", "safe")`,
      `${fixtures}/mistakes.yaml:12 server.tags[1]: must be a string, not 3 (expected a string)`,
      `${fixtures}/mistakes.yaml:13 server.limits.rate: required key \`rate\` is missing (expected a number between 0 and 1)`,
      `${fixtures}/mistakes.yaml:14 server.colour: unknown key \`colour\` (expected one of the keys port, mode, tags, limits)`,
      `${fixtures}/mistakes.yaml:15 mix: a + b = 1.1, must add up to 1 (expected values that add up to 1)`,
    ]);
  });

  it("loadParams throws one ProblemsError carrying all the problems", () => {
    let caught: unknown;
    try {
      loadParams(`${fixtures}/mistakes.yaml`);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProblemsError);
    expect((caught as ProblemsError).problems).toHaveLength(7);
    expect((caught as ProblemsError).message.split("\n")).toHaveLength(7);
  });

  it("gives a YAML syntax error its line", () => {
    const problems = validateParamsFile(`${fixtures}/syntax-error.yaml`);
    expect(problems).toEqual([
      {
        kind: "syntax",
        message: "Map keys must be unique",
        location: { file: `${fixtures}/syntax-error.yaml`, line: 5 },
      },
    ]);
  });

  it("reports a schema file that does not exist", () => {
    const [problem] = validateParamsFile(`${fixtures}/missing-schema.yaml`);
    expect(problem?.kind).toBe("missing-file");
    expect(problem?.message).toContain("./missing.schema.json");
  });

  it("names the file as the caller wants it shown", () => {
    const [problem] = validateParamsFile(`${fixtures}/mistakes.yaml`, { displayName: "mistakes.yaml" });
    expect(problem?.location?.file).toBe("mistakes.yaml");
  });

  it("checks nothing when the file names no schema", () => {
    const dir = mkdtempSync(join(tmpdir(), "ocrflow-config-"));
    writeFileSync(join(dir, "params.yaml"), "lr: 0.1\n");
    expect(loadParams(join(dir, "params.yaml"))).toMatchObject({ schemaPath: undefined, value: { lr: 0.1 } });
  });
});

describe("profiles", () => {
  it("deep-merges the active profile over the file and drops `profiles` from the value", () => {
    const loaded = loadParams(example, { profile: "small" });
    expect(loaded.profile).toBe("small");
    expect(loaded.value).toEqual({
      profile: "small",
      server: { port: 8081, mode: "fast", tags: ["small"], limits: { rate: 0.5 } },
      mix: { a: 0.25, b: 0.75 },
    });
    expect((loaded.raw as { profile: string }).profile).toBe("small");
  });

  it("validates the merged result and points at the profile entry that broke it", () => {
    expect(lines(validateParamsFile(example, { profile: "lopsided" }))).toEqual([
      `${example}:11 profiles.lopsided.mix: a + b = 1.25, must add up to 1 (after applying profile \`lopsided\`) (expected values that add up to 1)`,
    ]);
  });

  it("rejects an unknown profile, listing the known ones", () => {
    expect(lines(validateParamsFile(example, { profile: "huge" }))).toEqual([
      `${example}:3 profile: unknown profile "huge" (set by override profile="huge") (expected a key of \`profiles\`: "base", "small", "lopsided")`,
    ]);
  });
});

describe("overrides", () => {
  it("sets dotted keys on a copy, creating mappings and reaching into lists", () => {
    const original = { a: { b: 1 }, list: [1, 2, 3] };
    const result = applyParamOverrides(original, { "a.b": 2, "a.c.d": "x", "list[1]": 20, "list.2": 30 });
    expect(result).toEqual({ a: { b: 2, c: { d: "x" } }, list: [1, 20, 30] });
    expect(original).toEqual({ a: { b: 1 }, list: [1, 2, 3] });
    expect(parseDottedKey("a.b[2].c")).toEqual(["a", "b", 2, "c"]);
  });

  it("are validated like the file, and a bad one is blamed on the override", () => {
    const problems = validateParamsFile(example, { overrides: { "server.port": 0, "server.speed": 3 } });
    expect(lines(problems)).toEqual([
      `${example}:13 server.speed: unknown key \`speed\` (set by override server.speed=3) (expected one of the keys port, mode, tags, limits)`,
      `${example}:14 server.port: must be >= 1, got 0 (set by override server.port=0) (expected an integer between 1 and 65535)`,
    ]);
  });

  it("beat the profile, and `profile=` selects one", () => {
    const loaded = loadParams(example, { overrides: { profile: "small", "server.port": 9000 } });
    expect(loaded.value).toMatchObject({ profile: "small", server: { port: 9000, tags: ["small"] } });
    expect(loaded.raw).toMatchObject({ server: { port: 9000 } });
  });

  it("parse `-S [file:]key=value` arguments with YAML values", () => {
    expect(parseParamOverride("train.epochs=3", "params.yaml")).toEqual({
      file: "params.yaml",
      key: "train.epochs",
      value: 3,
    });
    expect(parseParamOverride("pipeline.config.yaml:train.models=[parseq]", "params.yaml")).toEqual({
      file: "pipeline.config.yaml",
      key: "train.models",
      value: ["parseq"],
    });
    expect(parseParamOverride("a.flag=true", "p.yaml").value).toBe(true);
    expect(parseParamOverride("a.name=hello world", "p.yaml").value).toBe("hello world");
    expect(() => parseParamOverride("no-equals-sign", "p.yaml")).toThrow(ProblemsError);
  });

  it("travel to stages as JSON in OCRFLOW_SET_PARAMS, matched by file path", () => {
    const byFile = groupParamOverrides([
      parseParamOverride("pipeline.config.yaml:profile=smoke", "params.yaml"),
      parseParamOverride("train.epochs=2", "pipeline.config.yaml"),
      parseParamOverride("lr=0.1", "params.yaml"),
    ]);
    const env = { [PARAM_OVERRIDES_ENV]: JSON.stringify(byFile) };
    expect(readParamOverridesFromEnv("pipeline.config.yaml", env)).toEqual({
      profile: "smoke",
      "train.epochs": 2,
    });
    expect(readParamOverridesFromEnv("./pipeline.config.yaml", env)).toEqual({
      profile: "smoke",
      "train.epochs": 2,
    });
    expect(readParamOverridesFromEnv("params.yaml", env)).toEqual({ lr: 0.1 });
    expect(readParamOverridesFromEnv("other.yaml", env)).toEqual({});
    expect(readParamOverridesFromEnv("params.yaml", {})).toEqual({});
    expect(() => readParamOverridesFromEnv("params.yaml", { [PARAM_OVERRIDES_ENV]: "{nope" })).toThrow(
      ProblemsError,
    );
  });
});

describe("helpers", () => {
  it("deepMerge merges mappings and replaces lists and scalars", () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
      e: 2,
    });
  });

  it("findSchemaModeline reads only the leading comments", () => {
    expect(findSchemaModeline("# yaml-language-server: $schema=./s.json\na: 1\n")).toBe("./s.json");
    expect(findSchemaModeline("# title\n\n#  yaml-language-server:  $schema=../x.json\n")).toBe("../x.json");
    expect(findSchemaModeline("a: 1\n# yaml-language-server: $schema=./s.json\n")).toBeUndefined();
  });
});
