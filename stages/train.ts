// Stage `train`: trains one architecture (`--model parseq|master`) on data/splits with the train section of
// pipeline.config.yaml, resuming a killed run from its checkpoint, and writes the model directory and metrics.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { buildCharset } from "../datasets/charset.ts";
import { progressPrinter } from "../datasets/progress.ts";
import {
  createModel,
  describeModel,
  type ModelDescription,
  type TrainSection,
} from "../models/architectures.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { describeCost, measureCost } from "../models/cost.ts";
import { readSplit, ShardTrainingData } from "../models/data.ts";
import { initialiseFromDirectory, saveModelDirectory } from "../models/io.ts";
import { type TrainingLog, type TrainSettings, train } from "../models/train.ts";
import { createTracker } from "../pipeline/tracking/tracker.ts";
import { loadPipelineConfig, type ModelName, modelSettings, type PipelineConfig } from "./config.ts";

const USAGE = `usage: ocrflow stage train --model parseq|master [--splits data/splits] [--out data/models/<model>]
       [--metrics data/metrics/train-<model>.json] [--checkpoints data/checkpoints/<model>] [--backend NAME]`;

/** The network `config` trains for `name`: its size's settings of the train section, at the configured input. */
export function configuredDescription(config: PipelineConfig, name: ModelName): ModelDescription {
  const input = {
    height: config.input.height,
    width: config.input.width,
    maxLength: config.input.max_label_length,
  };
  return describeModel(
    name,
    modelSettings(config, name).size,
    config.train as unknown as TrainSection,
    input,
  );
}

function md5File(file: string): string {
  return createHash("md5").update(readFileSync(file)).digest("hex");
}

/**
 * Identifies a training run for its checkpoints: a checkpoint of another fingerprint is ignored. How the model
 * decodes (decode, refine_iters) changes neither its weights nor its training, so it is left out.
 */
export function trainingFingerprint(run: {
  description: ModelDescription;
  settings: TrainSettings;
  chars: readonly string[];
  dataset: unknown;
  backend: string;
  init?: { dir: string; weights_md5: string; added_blocks?: string[] };
}): string {
  const {
    decode: _decode,
    refine_iters: _refine,
    ...trained
  } = run.description.settings as Record<string, unknown>;
  return createHash("md5")
    .update(JSON.stringify({ ...run, description: { ...run.description, settings: trained } }))
    .digest("hex");
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      splits: { type: "string", default: "data/splits" },
      out: { type: "string" },
      metrics: { type: "string" },
      checkpoints: { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || !values.model) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (values.model !== "parseq" && values.model !== "master") {
    process.stderr.write(`train: unknown model "${values.model}" (parseq or master)\n`);
    return 2;
  }
  const name: ModelName = values.model;
  const out = values.out ?? `data/models/${name}`;
  const metricsFile = values.metrics ?? `data/metrics/train-${name}.json`;
  const checkpointDir = values.checkpoints ?? `data/checkpoints/${name}`;
  const config = loadPipelineConfig();
  const t = config.train;
  const { size, lr, initFrom } = modelSettings(config, name);
  const backendName = values.backend ?? (t.backend === "auto" ? undefined : t.backend);
  const backend = await chooseBackend({ force: backendName, threads: t.threads });

  const chars = buildCharset(config.charset).chars;
  const description = configuredDescription(config, name);
  const input = description.input;
  const trainFile = join(values.splits, "train.jsonl");
  const valFile = join(values.splits, "val.jsonl");
  const trainSamples = readSplit(trainFile);
  const valSamples = readSplit(valFile, t.val_limit);
  if (trainSamples.length === 0) throw new Error(`${trainFile} is empty`);
  const dataset = {
    train: { file: trainFile, md5: md5File(trainFile), size: trainSamples.length },
    val: { file: valFile, md5: md5File(valFile), size: valSamples.length },
  };
  const settings: TrainSettings = {
    seed: t.seed,
    epochs: t.epochs,
    batch_size: t.batch_size,
    max_steps_per_epoch: t.max_steps_per_epoch,
    optimizer: { ...t.optimizer, lr },
    schedule: t.schedule,
    grad_clip_norm: t.grad_clip_norm,
    label_smoothing: t.label_smoothing,
    ...(t.reframe ? { reframe: t.reframe } : {}),
    early_stopping: t.early_stopping,
    checkpoint_every_steps: t.checkpoint_every_steps,
    log_every_steps: t.log_every_steps,
  };
  const model = createModel(description, chars, t.seed);
  let init: { dir: string; weights_md5: string; added_blocks?: string[] } | null = null;
  if (initFrom) {
    try {
      const loaded = initialiseFromDirectory(model, input, initFrom);
      init = {
        dir: initFrom,
        weights_md5: loaded.md5,
        ...(loaded.added.length > 0 ? { added_blocks: loaded.added } : {}),
      };
    } catch (error) {
      model.dispose();
      throw new Error(`pipeline.config.yaml train.${name}.init_from: ${(error as Error).message}`);
    }
    process.stderr.write(
      `[train ${name}] starting from the weights of ${initFrom}` +
        (init.added_blocks
          ? `; ${init.added_blocks.join(", ")} added as identity blocks (more layers)`
          : "") +
        "\n",
    );
  }
  const fingerprint = trainingFingerprint({
    description,
    settings,
    chars,
    dataset,
    backend: backend.id,
    ...(init ? { init } : {}),
  });

  const cost = await measureCost(model);
  process.stderr.write(`[ocrflow] ${name}-${size}: ${describeCost(cost)}\n`);

  const tracker = createTracker(config.tracking);
  await tracker.start({ name: `train ${name}`, type: "training", tags: [name, size] });
  tracker.logParams({
    model: {
      architecture: name,
      size,
      parameters: cost.parameters,
      backend: backend.id,
      init_from: initFrom,
    },
    train: flatten(settings),
    architecture: flatten(description.settings),
  });
  tracker.logDataset({
    name: "splits",
    version: dataset.train.md5,
    size: trainSamples.length,
    uri: trainFile,
  });
  const progress = progressPrinter(`train ${name}`, 1000);
  const log: TrainingLog = {
    scalar: (title, series, step, value) => tracker.logScalar(title, series, step, value),
    text: (line) => {
      process.stderr.write(`[train ${name}] ${line}\n`);
      tracker.logText(line);
    },
    progress: (current, total, label) => {
      progress(current, total);
      if (current % Math.max(1, t.log_every_steps) === 0)
        process.stderr.write(`[train ${name}] step ${current}/${total} ${label}\n`);
    },
  };
  const data = new ShardTrainingData(trainSamples, valSamples, t.seed);
  try {
    const result = await train({ model, data, settings, checkpointDir, fingerprint, log });
    if (result.status !== "completed") throw new Error("training was interrupted");
    const metrics = {
      architecture: name,
      size,
      backend: backend.id,
      best_epoch: result.best?.epoch ?? null,
      val_exact_match: result.best?.val_exact_match ?? null,
      val_cer: result.best?.val_cer ?? null,
      val_loss: result.best?.val_loss ?? null,
      epochs_run: result.history.length,
      stopped_early: result.stoppedEarly,
      steps: result.steps,
      train_seconds: Math.round(result.seconds),
      parameters: cost.parameters,
      inference_mflops_per_image: Math.round(cost.inferenceFlopsPerImage / 1e6),
      training_mflops_per_image: Math.round(cost.trainingFlopsPerImage / 1e6),
      history: result.history,
    };
    await saveModelDirectory(out, model, {
      description,
      training: {
        ...settings,
        backend: backend.id,
        command: `ocrflow stage train ${args.join(" ")}`,
        // Lets the report draw this model's own curves (runs/<run_id>/metrics.jsonl), not the newest run's.
        run_id: tracker.runId,
        profile: config.profile,
        init_from: init,
      },
      dataset,
      metrics,
    });
    mkdirSync(dirname(metricsFile), { recursive: true });
    const { history: _history, ...summary } = metrics;
    writeFileSync(metricsFile, `${JSON.stringify(summary, null, 2)}\n`);
    await tracker.logModel({
      name: `${name}-${size}`,
      path: out,
      framework: "tensorflowjs",
      iteration: result.steps,
    });
    await tracker.end({ status: "completed" });
    rmSync(checkpointDir, { recursive: true, force: true });
    process.stdout.write(
      `train ${name}: best epoch ${metrics.best_epoch}, val exact match ${metrics.val_exact_match?.toFixed(4)}, ` +
        `val CER ${metrics.val_cer?.toFixed(4)}, ${metrics.train_seconds} s → ${out}\n`,
    );
    return 0;
  } catch (error) {
    await tracker.end({ status: "failed", reason: (error as Error).message });
    throw error;
  } finally {
    data.close();
    model.dispose();
  }
}

/** One level of hyper-parameters for the tracker: nested keys joined with dots. */
function flatten(value: unknown, prefix = "", out: Record<string, string | number | boolean | null> = {}) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = Array.isArray(value) ? JSON.stringify(value) : (value as string | number | boolean | null);
  }
  return out;
}
