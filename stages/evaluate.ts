// Stage `evaluate`: runs every trained model on the test split and writes scores.json (DVC metrics), a Markdown
// comparison table (also printed), per-model predictions, and the HTML report; logs it all to the tracker.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import type { GreyImage } from "../datasets/augment.ts";
import { type DatasetSample, ShardReader } from "../datasets/shards.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { readSplit } from "../models/data.ts";
import { loadModelDirectory } from "../models/io.ts";
import { asRecognizer, type Recognition, type Recognizer } from "../models/recognizer.ts";
import { type CreateTrackerOptions, createTracker, type Tracker } from "../pipeline/tracking/tracker.ts";
import { ConfusionCounter } from "../report/alignment.ts";
import type { EvaluatedModelScores, EvaluationScores, PredictionRecord } from "../report/evaluation.ts";
import { FigureAccumulator, lineFigures, round, type TextClass, textClass } from "../report/figures.ts";
import { type ReportModel, renderReport } from "../report/html.ts";
import { comparisonTable } from "../report/markdown.ts";
import { trainingCurves } from "../report/runs.ts";
import { loadPipelineConfig, type PipelineConfig } from "./config.ts";

const USAGE = `usage: ocrflow stage evaluate <model dir>... [--split data/splits/test.jsonl] [--scores scores.json]
                              [--out data/eval] [--lock dvc.lock]
  writes --scores (the metrics file), and in --out: scores.md, predictions/<model>.jsonl, report.html`;

/** A model to evaluate: its recognizer and what scores.json says about it. */
export interface EvaluationModel {
  name: string;
  architecture: string;
  size: string;
  /** Relative to the repository root, posix. */
  dir: string;
  params: number;
  recognizer: Recognizer;
  /** The training run config.json names, if any (for the report's curves). */
  runId?: string;
  dispose?: () => void;
}

export interface EvaluateOptions {
  config: PipelineConfig;
  /** The split index, e.g. data/splits/test.jsonl. */
  split: string;
  models: EvaluationModel[];
  /** scores.json. */
  scores: string;
  /** Folder for scores.md, predictions/ and report.html. */
  out: string;
  /** dvc.lock, for the data's md5; missing = version unknown. */
  lock: string;
  /** The repository root: paths in scores.json are relative to it, runs_dir too. */
  root: string;
  backend: string;
  env?: NodeJS.ProcessEnv;
  trackerOptions?: CreateTrackerOptions;
  log?: (line: string) => void;
}

export interface EvaluateResult {
  scores: EvaluationScores;
  table: string;
  reportFile: string | null;
  tracker: Tracker;
}

const toPosix = (p: string) => p.split("\\").join("/");

/** md5 of every out in dvc.lock, by path: how a figure is traced to the exact data it was measured on. */
export function lockedOutputs(lockFile: string): Map<string, string> {
  const md5 = new Map<string, string>();
  if (!existsSync(lockFile)) return md5;
  const lock = parseYaml(readFileSync(lockFile, "utf8")) as {
    stages?: Record<string, { outs?: Array<{ path?: string; md5?: string }> }>;
  } | null;
  for (const stage of Object.values(lock?.stages ?? {})) {
    for (const out of stage.outs ?? []) if (out.path && out.md5) md5.set(toPosix(out.path), out.md5);
  }
  return md5;
}

/** Unique registry names: `parseq-tiny`, then the folder name when two models share architecture and size. */
export function modelName(
  architecture: string,
  size: string,
  dir: string,
  taken: ReadonlySet<string>,
): string {
  const clean = (s: string) => s.replace(/[^\w.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  let name = clean(`${architecture}-${size}`) || "model";
  if (taken.has(name)) name = clean(`${name}-${basename(dir)}`);
  for (let i = 2; taken.has(name); i++) name = `${clean(`${architecture}-${size}`)}-${i}`;
  return name;
}

/** Loads a model directory written by the train stage (models/io.ts). */
export function loadEvaluationModel(
  dir: string,
  root: string,
  batchSize: number,
  taken: ReadonlySet<string>,
): EvaluationModel {
  const { model, config } = loadModelDirectory(dir);
  const runId = (config.training as { run_id?: unknown } | undefined)?.run_id;
  return {
    name: modelName(config.architecture, config.size, dir, taken),
    architecture: config.architecture,
    size: config.size,
    dir: toPosix(relative(root, resolve(root, dir))) || ".",
    params: config.parameters,
    recognizer: asRecognizer(model, batchSize),
    ...(typeof runId === "string" ? { runId } : {}),
    dispose: () => model.dispose(),
  };
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

interface ModelRun {
  recognitions: Recognition[];
  /** Lines per second over the timed batches. */
  throughput: number;
}

/** Recognises the lines batch by batch; the first batch warms up (kernels, allocations) and is not timed. */
async function recognizeAll(
  recognizer: Recognizer,
  images: readonly GreyImage[],
  batchSize: number,
  timedBatches: number,
): Promise<ModelRun> {
  const recognitions: Recognition[] = [];
  let timedLines = 0;
  let timedMs = 0;
  let fallbackLines = 0;
  let fallbackMs = 0;
  for (let start = 0, batch = 0; start < images.length; start += batchSize, batch++) {
    const chunk = images.slice(start, start + batchSize);
    const t0 = performance.now();
    recognitions.push(...(await recognizer.recognize(chunk)));
    const ms = performance.now() - t0;
    if (batch === 0) {
      fallbackLines = chunk.length;
      fallbackMs = ms;
    } else if (batch <= timedBatches) {
      timedLines += chunk.length;
      timedMs += ms;
    }
  }
  // One batch only: its time, warm-up included, is all there is.
  if (timedLines === 0) [timedLines, timedMs] = [fallbackLines, fallbackMs];
  return { recognitions, throughput: timedMs > 0 ? round((timedLines * 1000) / timedMs) : 0 };
}

/** Evaluates the models on the split, writes every output, and logs to the tracker. */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const { config, root } = options;
  const settings = config.evaluate;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const samples = readSplit(options.split, settings.limit);
  if (samples.length === 0) throw new Error(`${options.split} has no lines to evaluate`);
  if (options.models.length === 0) throw new Error("no model to evaluate");

  const tracker = createTracker(config.tracking, options.env ?? process.env, {
    cwd: root,
    ...options.trackerOptions,
  });
  await tracker.start({ name: "evaluate", type: "testing", tags: ["evaluate"] });
  try {
    const reader = new ShardReader();
    const images = new Map<string, GreyImage>();
    let pixels: GreyImage[];
    try {
      pixels = samples.map((s) => reader.read({ ...s, shard: resolve(root, s.shard) }));
    } finally {
      reader.close();
    }
    for (const [i, s] of samples.entries()) images.set(s.name, pixels[i] as GreyImage);

    const locked = lockedOutputs(options.lock);
    const splitDir = toPosix(relative(root, resolve(root, dirname(options.split))));
    const md5: Record<string, string> = {};
    for (const folder of [splitDir, ...new Set(samples.map((s) => toPosix(dirname(s.shard))))]) {
      const digest = locked.get(folder);
      if (digest) md5[folder] = digest;
    }
    const dataset = {
      name: settings.dataset_name,
      version: (locked.get(splitDir) ?? "").replace(/\.dir$/, ""),
      size: samples.length,
      file: toPosix(relative(root, resolve(root, options.split))),
      md5,
    };
    tracker.logParams({ evaluate: { ...settings, split: dataset.file } });
    tracker.logDataset({ name: dataset.name, version: dataset.version || "unknown", size: dataset.size });

    const classes = samples.map((s) => textClass(s.text));
    const scoredModels: EvaluatedModelScores[] = [];
    const reportModels: ReportModel[] = [];
    for (const model of options.models) {
      log(`evaluate: ${model.name} (${model.dir}) on ${samples.length} lines`);
      const run = await recognizeAll(
        model.recognizer,
        pixels,
        settings.batch_size,
        settings.throughput_batches,
      );
      const overall = new FigureAccumulator(settings.partial_match_threshold);
      const byClass = new Map<TextClass, FigureAccumulator>();
      const byFont = new Map<string, FigureAccumulator>();
      const confusions = new ConfusionCounter();
      const predictions: PredictionRecord[] = samples.map((sample: DatasetSample, i) => {
        const recognition = run.recognitions[i] as Recognition;
        const figures = lineFigures(sample.text, recognition.text);
        overall.add(figures, recognition.confidence);
        const cls = classes[i] as TextClass;
        const group = (map: Map<string, FigureAccumulator>, key: string) => {
          let acc = map.get(key);
          if (!acc) {
            acc = new FigureAccumulator(settings.partial_match_threshold);
            map.set(key, acc);
          }
          acc.add(figures, recognition.confidence);
        };
        group(byClass as Map<string, FigureAccumulator>, cls);
        if (settings.per_font && sample.font) group(byFont, sample.font);
        confusions.add(sample.text, recognition.text);
        return {
          name: sample.name,
          text: sample.text,
          prediction: recognition.text,
          confidence: round(recognition.confidence),
          class: cls,
          ...(sample.font ? { font: sample.font } : {}),
          cer: figures.refChars > 0 ? round(figures.edits / figures.refChars) : figures.edits,
        };
      });
      const sorted = <T>(map: Map<string, T>) =>
        Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const scores: EvaluatedModelScores = {
        name: model.name,
        architecture: model.architecture,
        size: model.size,
        dir: model.dir,
        params: model.params,
        ...overall.figures(),
        throughput: run.throughput,
        by_class: sorted(new Map([...byClass].map(([k, v]) => [k, v.figures()]))),
        ...(settings.per_font
          ? { by_font: sorted(new Map([...byFont].map(([k, v]) => [k, v.figures()]))) }
          : {}),
      };
      scoredModels.push(scores);
      for (const key of [
        "exact_match",
        "caseless_exact_match",
        "partial_match",
        "char_accuracy_in_place",
        "cer",
        "wer",
        "throughput",
      ] as const)
        tracker.logScalar(key, model.name, 0, scores[key]);
      const curves = trainingCurves(resolve(root, config.tracking.runs_dir), model);
      reportModels.push({
        name: model.name,
        predictions,
        confusions: confusions.top(settings.confusions_top),
        ...(curves ? { curves } : {}),
      });
      log(
        `evaluate: ${model.name}: exact match ${scores.exact_match}, CER ${scores.cer}, ${scores.throughput} lines/s`,
      );
    }

    const scores: EvaluationScores = {
      split: basename(options.split).replace(/\.jsonl$/, ""),
      dataset,
      settings: {
        partial_match_threshold: settings.partial_match_threshold,
        batch_size: settings.batch_size,
        limit: settings.limit,
        backend: options.backend,
      },
      models: scoredModels,
    };
    const table = comparisonTable(scores);
    const out = resolve(root, options.out);
    const tmpOut = `${out}.tmp-${process.pid}`;
    rmSync(tmpOut, { recursive: true, force: true });
    mkdirSync(join(tmpOut, "predictions"), { recursive: true });
    writeFileSync(join(tmpOut, "scores.md"), `# Evaluation\n\n${table}`);
    for (const m of reportModels)
      writeFileSync(
        join(tmpOut, "predictions", `${m.name}.jsonl`),
        m.predictions.map((p) => `${JSON.stringify(p)}\n`).join(""),
      );
    let reportFile: string | null = null;
    if (config.tracking.report) {
      const html = await renderReport({
        title: `ocrflow evaluation: ${scoredModels.map((m) => m.name).join(", ")}`,
        generatedAt: new Date().toISOString(),
        scores,
        models: reportModels,
        gallerySize: settings.gallery_size,
        image: (name) => images.get(name),
      });
      writeFileSync(join(tmpOut, "report.html"), html);
      reportFile = join(out, "report.html");
    }
    rmSync(out, { recursive: true, force: true });
    renameSync(tmpOut, out);
    const scoresFile = resolve(root, options.scores);
    writeAtomic(scoresFile, `${JSON.stringify(scores, null, 2)}\n`);

    await tracker.logArtifact("scores.json", scoresFile);
    await tracker.logArtifact("scores.md", join(out, "scores.md"));
    if (reportFile) await tracker.logArtifact("report.html", reportFile);
    tracker.logText(table);
    await tracker.end({ status: "completed" });
    return { scores, table, reportFile, tracker };
  } catch (error) {
    await tracker.end({ status: "failed", reason: (error as Error).message });
    throw error;
  }
}

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      split: { type: "string", default: "data/splits/test.jsonl" },
      scores: { type: "string", default: "scores.json" },
      out: { type: "string", default: "data/eval" },
      lock: { type: "string", default: "dvc.lock" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = loadPipelineConfig({ env });
  const root = process.cwd();
  const backend = await chooseBackend({
    threads: config.train.threads,
    ...(config.train.backend === "auto" ? {} : { force: config.train.backend }),
  });
  const models: EvaluationModel[] = [];
  try {
    for (const dir of positionals) {
      if (!existsSync(join(dir, "model.json"))) {
        process.stderr.write(`evaluate: ${dir} is not a model directory (no model.json): train it first\n`);
        return 1;
      }
      models.push(
        loadEvaluationModel(dir, root, config.evaluate.batch_size, new Set(models.map((m) => m.name))),
      );
    }
    const result = await evaluate({
      config,
      split: values.split,
      models,
      scores: values.scores,
      out: values.out,
      lock: values.lock,
      root,
      backend: backend.id,
      env,
    });
    process.stdout.write(`${result.table}\n`);
    process.stdout.write(
      `evaluate: ${values.scores}, ${values.out}/scores.md${result.reportFile ? `, ${relative(root, result.reportFile)}` : ""}` +
        ` (run ${result.tracker.runId})\n`,
    );
    return 0;
  } finally {
    for (const m of models) m.dispose?.();
  }
}
