// The evaluate stage end to end on two tiny untrained models and a generated test split: scores.json that the
// publish stage accepts, with every figure and breakdown, the Markdown table, predictions, the HTML report
// with curves from the tracker's runs/, and the evaluation logged as a testing run.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeShard } from "../datasets/shards.ts";
import { createModel, type ModelDescription } from "../models/architectures.ts";
import { saveModelDirectory } from "../models/io.ts";
import type { Recognition, Recognizer } from "../models/recognizer.ts";
import { parseScoresFile } from "../pipeline/registry/scores.ts";
import { LocalTracker } from "../pipeline/tracking/local.ts";
import type { EvaluationScores } from "../report/evaluation.ts";
import { loadPipelineConfig, type PipelineConfig } from "./config.ts";
import { type EvaluateResult, evaluate, loadEvaluationModel, lockedOutputs, modelName } from "./evaluate.ts";

const CHARS = [..."абвabc12 "];
const INPUT = { height: 16, width: 32, maxLength: 6 };
const TINY: ModelDescription = {
  architecture: "master",
  size: "mini",
  input: INPUT,
  settings: {
    encoder: { channels: [4, 4, 8, 8], blocks: [1, 1, 1, 1], gc: { ratio: 0.25, heads: 1 } },
    d_model: 16,
    decoder: { depth: 1, heads: 2, ff_dim: 16 },
    dropout: 0,
  },
};
const LINES = [
  { text: "абв", font: "pt-sans-400-normal" },
  { text: "abc", font: "pt-sans-400-normal" },
  { text: "12", font: "roboto-700-italic" },
  { text: "аb 1", font: "roboto-700-italic" },
  { text: "ба", font: "pt-sans-400-normal" },
  { text: "cab", font: "roboto-700-italic" },
];

/** A recognizer that reads every line right except the listed ones (by index), which it misreads. */
function scriptedRecognizer(texts: string[], wrong: Map<number, string>): Recognizer {
  let seen = 0;
  return {
    input: INPUT,
    async recognize(images) {
      return images.map((): Recognition => {
        const i = seen++;
        return { text: wrong.get(i) ?? (texts[i] as string), confidence: wrong.has(i) ? 0.4 : 0.9 };
      });
    },
  };
}

let root: string;
let config: PipelineConfig;

beforeAll(async () => {
  await tf.setBackend("cpu");
  root = mkdtempSync(join(tmpdir(), "ocrflow-evaluate-"));
  const images = LINES.map((line, i) => ({
    name: `gen-${i}.png`,
    text: line.text,
    font: line.font,
    image: {
      width: 40,
      height: 16,
      data: Uint8Array.from({ length: 640 }, (_, p) => (p * 7 + i * 31) % 256),
    },
  }));
  mkdirSync(join(root, "data/generated"), { recursive: true });
  const entries = writeShard(join(root, "data/generated"), 0, images);
  mkdirSync(join(root, "data/splits"), { recursive: true });
  writeFileSync(
    join(root, "data/splits/test.jsonl"),
    entries.map((e) => `${JSON.stringify({ ...e, shard: "data/generated/shard-00000.bin" })}\n`).join(""),
  );
  writeFileSync(
    join(root, "dvc.lock"),
    [
      "schema: '2.0'",
      "stages:",
      "  split:",
      "    cmd: split",
      "    outs:",
      "    - path: data/splits",
      "      hash: md5",
      "      md5: 0123456789abcdef0123456789abcdef.dir",
      "  generate:",
      "    cmd: generate",
      "    outs:",
      "    - path: data/generated",
      "      hash: md5",
      "      md5: fedcba9876543210fedcba9876543210.dir",
      "",
    ].join("\n"),
  );
  // A finished training run of the first model, as the train stage logs it.
  const trainRun = new LocalTracker({ runsDir: join(root, "runs"), project: "ocrflow" });
  await trainRun.start({ name: "train master", type: "training" });
  for (const epoch of [1, 2, 3]) {
    trainRun.logScalar("train", "train_loss", epoch, 3 / epoch);
    trainRun.logScalar("val", "val_exact_match", epoch, epoch / 10);
  }
  await trainRun.end({ status: "completed" });

  const base = loadPipelineConfig({ profile: "smoke", env: {} });
  config = {
    ...base,
    evaluate: { ...base.evaluate, batch_size: 4, limit: null, gallery_size: 4, throughput_batches: 1 },
    tracking: { ...base.tracking, backend: "local", runs_dir: "runs", report: true },
  };
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("evaluate stage helpers", () => {
  it("reads every out's md5 from dvc.lock", () => {
    const md5 = lockedOutputs(join(root, "dvc.lock"));
    expect(md5.get("data/splits")).toBe("0123456789abcdef0123456789abcdef.dir");
    expect(lockedOutputs(join(root, "missing.lock")).size).toBe(0);
  });

  it("names models by architecture and size, and keeps names unique", () => {
    expect(modelName("parseq", "tiny", "models/a", new Set())).toBe("parseq-tiny");
    expect(modelName("parseq", "tiny", "models/out b", new Set(["parseq-tiny"]))).toBe("parseq-tiny-out-b");
  });
});

describe("evaluate", () => {
  let result: EvaluateResult;
  let written: EvaluationScores;

  beforeAll(async () => {
    const texts = LINES.map((l) => l.text);
    const modelDir = join(root, "models/out/master");
    const model = createModel(TINY, CHARS, 5);
    await saveModelDirectory(modelDir, model, { description: TINY });
    model.dispose();
    const real = loadEvaluationModel(modelDir, root, 4, new Set());
    result = await evaluate({
      config,
      split: join(root, "data/splits/test.jsonl"),
      models: [
        real,
        {
          name: "scripted",
          architecture: "parseq",
          size: "tiny",
          dir: "models/scripted",
          params: 1234,
          // Line 1 "abc" read as "ABC" (caseless match), line 3 "аb 1" as "аb 7" (partial, 1 word wrong).
          recognizer: scriptedRecognizer(
            texts,
            new Map([
              [1, "ABC"],
              [3, "аb 7"],
            ]),
          ),
        },
      ],
      scores: "scores.json",
      out: "data/eval",
      lock: join(root, "dvc.lock"),
      root,
      backend: "cpu",
      env: {},
      log: () => {},
    });
    real.dispose?.();
    written = JSON.parse(readFileSync(join(root, "scores.json"), "utf8")) as EvaluationScores;
  });

  it("writes a scores.json the publish stage accepts, with the dataset's size and dvc.lock version", () => {
    const parsed = parseScoresFile(readFileSync(join(root, "scores.json"), "utf8"));
    expect(parsed.models.map((m) => m.name)).toEqual(["master-mini", "scripted"]);
    expect(written.split).toBe("test");
    expect(written.dataset).toEqual({
      name: "ocrflow-synthetic-ru-en",
      version: "0123456789abcdef0123456789abcdef",
      size: 6,
      file: "data/splits/test.jsonl",
      md5: {
        "data/splits": "0123456789abcdef0123456789abcdef.dir",
        "data/generated": "fedcba9876543210fedcba9876543210.dir",
      },
    });
    const master = written.models[0];
    expect(master).toMatchObject({ architecture: "master", size: "mini", dir: "models/out/master" });
    expect(master?.params).toBeGreaterThan(100);
    expect(master?.throughput).toBeGreaterThan(0);
  });

  it("computes every figure, per text class and per font", () => {
    const m = written.models[1];
    expect(m).toMatchObject({
      count: 6,
      exact_match: round(4 / 6),
      caseless_exact_match: round(5 / 6),
      partial_match: round(5 / 6),
      cer: round(4 / 17),
      wer: round(2 / 7),
      char_accuracy_in_place: round(13 / 17),
    });
    expect(Object.keys(m?.by_class ?? {}).sort()).toEqual(["cyrillic", "digits", "latin", "mixed"]);
    expect(m?.by_class.latin).toMatchObject({ count: 2, exact_match: 0.5 });
    expect(m?.by_class.mixed).toMatchObject({ count: 1, exact_match: 0, partial_match: 1 });
    expect(m?.by_font?.["roboto-700-italic"]).toMatchObject({ count: 3, exact_match: round(2 / 3) });
  });

  it("prints and writes a Markdown comparison table", () => {
    expect(result.table).toContain("| model | architecture | size | params | exact match |");
    expect(result.table).toMatch(/\| scripted \| parseq \| tiny \| 1234 \| 66\.67% \| 83\.33% \|/);
    expect(readFileSync(join(root, "data/eval/scores.md"), "utf8")).toContain(result.table);
  });

  it("writes one prediction per test line and model", () => {
    const lines = readFileSync(join(root, "data/eval/predictions/scripted.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      name: "gen-1.png",
      text: "abc",
      prediction: "ABC",
      class: "latin",
      cer: 1,
    });
    expect(existsSync(join(root, "data/eval/predictions/master-mini.jsonl"))).toBe(true);
  });

  it("renders the report with charts, the training curves of the model that has a run, confusions and images", () => {
    const html = readFileSync(join(root, "data/eval/report.html"), "utf8");
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(4); // 2 score charts + 2 curves
    expect(html).toContain("val_exact_match");
    expect(html).toContain("No training run found in the tracker's runs folder for: scripted");
    expect(html).toContain("data:image/png;base64,");
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(html.match(/<figure class="line">/g)).toHaveLength(4);
  });

  it("logs the evaluation as a testing run with its figures and artifacts", () => {
    const runDir = result.tracker.runDir;
    const run = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(run).toMatchObject({ name: "evaluate", type: "testing", status: "completed" });
    expect(run.dataset).toMatchObject({ version: "0123456789abcdef0123456789abcdef", size: 6 });
    expect(readdirSync(join(runDir, "artifacts")).sort()).toEqual([
      "report.html",
      "scores.json",
      "scores.md",
    ]);
    const metrics = readFileSync(join(runDir, "metrics.jsonl"), "utf8");
    expect(metrics).toContain('"title":"exact_match","series":"scripted"');
  });
});

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
