// The one training loop for every architecture: streamed batches in a seeded order, AdamW with warm-up + decay
// and clipping, label smoothing, validation each epoch, the best checkpoint by the chosen metric, early stopping,
// and checkpoints that let a killed run continue to the same result. Metrics go to a TrainingLog (the tracker).
import { rmSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type GreyImage, type ReframeSettings, reframe } from "../datasets/augment.ts";
import { Random } from "../datasets/random.ts";
import { loadCheckpoint, saveCheckpoint } from "./io.ts";
import { type RecognitionScores, ScoreAccumulator } from "./metrics.ts";
import { SeedSequence } from "./nn.ts";
import { AdamW, learningRate, type OptimizerSettings, type ScheduleSettings } from "./optimizer.ts";
import { imagesToTensor } from "./preprocess.ts";
import { asRecognizer, type SequenceModel } from "./recognizer.ts";

export interface LabelledImage {
  image: GreyImage;
  text: string;
}

/** Where batches come from; pixels are read per batch, never the whole set at once. */
export interface TrainingData {
  trainSize: number;
  /**
   * The batches of one epoch in an order fixed by (seed, epoch), from batch `from` on (a resumed run skips
   * the batches it already trained on).
   */
  trainBatches(epoch: number, batchSize: number, from: number): Iterable<LabelledImage[]>;
  /** The validation batches, the same every epoch. */
  validationBatches(batchSize: number): Iterable<LabelledImage[]>;
}

/** Where the loop reports: the stage adapts it to the tracker and the engine's progress protocol. */
export interface TrainingLog {
  scalar(title: string, series: string, step: number, value: number): void;
  text(line: string): void;
  progress(current: number, total: number, label: string): void;
}

export const silentLog: TrainingLog = { scalar() {}, text() {}, progress() {} };

export type StoppingMetric = "val_exact_match" | "val_cer" | "val_loss";

/** The train section's loop settings (pipeline.config.yaml), with the model's learning rate resolved. */
export interface TrainSettings {
  seed: number;
  epochs: number;
  batch_size: number;
  max_steps_per_epoch: number | null;
  optimizer: OptimizerSettings;
  schedule: ScheduleSettings;
  grad_clip_norm: number;
  label_smoothing: number;
  /** Random margins around each training line's ink (datasets/augment.ts, reframe); absent = off. */
  reframe?: { probability: number } & ReframeSettings;
  early_stopping: { metric: StoppingMetric; patience: number; min_delta: number };
  checkpoint_every_steps: number;
  log_every_steps: number;
}

export interface EpochRecord {
  epoch: number;
  steps: number;
  train_loss: number;
  /**
   * The parts of train_loss when it has an auxiliary CTC term (train_loss = train_ce + ctc_weight × train_ctc):
   * train_ce is what val_loss measures.
   */
  train_ce?: number;
  train_ctc?: number;
  val_loss: number;
  val_exact_match: number;
  val_cer: number;
  lr: number;
  seconds: number;
  images_per_second: number;
}

/** What a checkpoint's state.json holds. */
export interface LoopState {
  fingerprint: string;
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  optimizerStep: number;
  history: EpochRecord[];
  best: EpochRecord | null;
  badEpochs: number;
  stoppedEarly: boolean;
  /** Training seconds spent before this checkpoint (a resumed run adds to it). */
  seconds: number;
  /** Running sums of the current epoch's loss. */
  epochLossSum: number;
  epochImages: number;
  /** Running sums of the loss parts and the images they cover (absent in checkpoints of older versions). */
  epochPartSums?: Record<string, number>;
  epochPartImages?: number;
}

export interface TrainOptions {
  model: SequenceModel;
  data: TrainingData;
  settings: TrainSettings;
  /** Latest checkpoint in `<dir>/latest`, best weights in `<dir>/best`. */
  checkpointDir: string;
  /** Identifies the run (config + data): a checkpoint with another fingerprint is ignored and replaced. */
  fingerprint: string;
  log?: TrainingLog;
  /** Stops (as a kill would, without a final checkpoint) after this many global steps: for resume tests. */
  interruptAfterSteps?: number;
  /** Validation batches size; defaults to the training batch size. */
  validationBatchSize?: number;
}

export interface TrainResult {
  status: "completed" | "interrupted";
  resumedFrom: number | null;
  steps: number;
  history: EpochRecord[];
  best: EpochRecord | null;
  stoppedEarly: boolean;
  seconds: number;
}

export function stepsPerEpoch(
  settings: Pick<TrainSettings, "batch_size" | "max_steps_per_epoch">,
  trainSize: number,
): number {
  const full = Math.ceil(trainSize / settings.batch_size);
  return Math.max(1, settings.max_steps_per_epoch ? Math.min(full, settings.max_steps_per_epoch) : full);
}

/** Higher is better for the returned score. */
function score(record: EpochRecord, metric: StoppingMetric): number {
  return metric === "val_exact_match" ? record.val_exact_match : -record[metric];
}

/**
 * The reframe augmentation over a batch, its random choices fixed by the step's seed (a resumed run draws the
 * same ones).
 */
export function reframeBatch(
  images: GreyImage[],
  settings: TrainSettings["reframe"],
  stepSeed: number,
): GreyImage[] {
  if (!settings || settings.probability <= 0) return images;
  const rng = new Random(stepSeed, 0x72656672);
  return images.map((image) => (rng.chance(settings.probability) ? reframe(image, rng, settings) : image));
}

function mixSeed(seed: number, step: number): number {
  let z = (seed * 0x9e3779b1 + step * 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  return (z ^ (z >>> 13)) >>> 0;
}

export async function evaluateModel(
  model: SequenceModel,
  batches: Iterable<LabelledImage[]>,
  labelSmoothing = 0,
): Promise<RecognitionScores & { loss: number }> {
  const acc = new ScoreAccumulator();
  const recognizer = asRecognizer(model, Number.POSITIVE_INFINITY);
  let lossSum = 0;
  let lossCount = 0;
  for (const batch of batches) {
    const results = await recognizer.recognize(batch.map((b) => b.image));
    results.forEach((r, i) => {
      acc.add(r.text, (batch[i] as LabelledImage).text, r.confidence);
    });
    const loss = tf.tidy(() =>
      model.loss(
        imagesToTensor(
          batch.map((b) => b.image),
          model.input,
        ),
        batch.map((b) => b.text),
        { labelSmoothing, ctx: { training: false }, seed: 0 },
      ),
    );
    lossSum += (loss.dataSync()[0] as number) * batch.length;
    lossCount += batch.length;
    loss.dispose();
  }
  return { ...acc.scores(), loss: lossCount ? lossSum / lossCount : 0 };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, data, settings } = options;
  const log = options.log ?? silentLog;
  const perEpoch = stepsPerEpoch(settings, data.trainSize);
  const totalSteps = perEpoch * settings.epochs;
  const optimizer = new AdamW(model.params, settings.optimizer, settings.grad_clip_norm);
  const latestDir = join(options.checkpointDir, "latest");
  const bestDir = join(options.checkpointDir, "best");
  let state: LoopState = {
    fingerprint: options.fingerprint,
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    optimizerStep: 0,
    history: [],
    best: null,
    badEpochs: 0,
    stoppedEarly: false,
    seconds: 0,
    epochLossSum: 0,
    epochImages: 0,
  };
  let resumedFrom: number | null = null;
  const saved = loadCheckpoint<LoopState>(latestDir);
  if (saved && saved.state.fingerprint === options.fingerprint) {
    model.params.assign(saved.tensors);
    optimizer.restore(saved.tensors, saved.state.optimizerStep);
    state = saved.state;
    resumedFrom = state.globalStep;
    log.text(`resuming from step ${state.globalStep} (epoch ${state.epoch + 1}, batch ${state.stepInEpoch})`);
  } else if (saved) {
    log.text("ignoring a checkpoint of another configuration or dataset");
    rmSync(options.checkpointDir, { recursive: true, force: true });
  }
  if (saved) for (const t of Object.values(saved.tensors)) t.dispose();

  const checkpoint = async () => {
    const tensors = new Map<string, tf.Tensor>([...model.params.named(), ...optimizer.named()]);
    await saveCheckpoint(latestDir, tensors, { ...state, optimizerStep: optimizer.step });
  };
  const trainable = model.params.trainable();
  let sessionStart = performance.now();
  const elapsed = () => state.seconds + (performance.now() - sessionStart) / 1000;
  let stepsThisSession = 0;

  try {
    while (state.epoch < settings.epochs && !state.stoppedEarly) {
      const epochStart = performance.now();
      const epochStartStep = state.stepInEpoch;
      let lr = 0;
      for (const batch of data.trainBatches(state.epoch, settings.batch_size, state.stepInEpoch)) {
        if (state.stepInEpoch >= perEpoch) break;
        if (options.interruptAfterSteps !== undefined && state.globalStep >= options.interruptAfterSteps) {
          return {
            status: "interrupted",
            resumedFrom,
            steps: state.globalStep,
            history: state.history,
            best: state.best,
            stoppedEarly: false,
            seconds: elapsed(),
          };
        }
        lr = learningRate(state.globalStep, totalSteps, settings.optimizer.lr, settings.schedule);
        const stepSeed = mixSeed(settings.seed, state.globalStep);
        const images = imagesToTensor(
          reframeBatch(
            batch.map((b) => b.image),
            settings.reframe,
            stepSeed,
          ),
          model.input,
        );
        const texts = batch.map((b) => b.text);
        const lossParts = new Map<string, tf.Scalar>();
        const { value, grads } = tf.variableGrads(
          () =>
            model.loss(images, texts, {
              labelSmoothing: settings.label_smoothing,
              ctx: { training: true, seeds: new SeedSequence(stepSeed), lossParts },
              seed: stepSeed,
            }),
          trainable,
        );
        const gradNorm = optimizer.apply(grads, lr);
        const loss = value.dataSync()[0] as number;
        value.dispose();
        const parts: Record<string, number> = {};
        for (const [name, t] of lossParts) {
          parts[name] = t.dataSync()[0] as number;
          t.dispose();
        }
        images.dispose();
        for (const g of Object.values(grads)) g.dispose();
        if (!Number.isFinite(loss))
          throw new Error(`loss is ${loss} at step ${state.globalStep}: lower the learning rate`);
        state.globalStep++;
        state.stepInEpoch++;
        stepsThisSession++;
        state.epochLossSum += loss * batch.length;
        state.epochImages += batch.length;
        state.epochPartSums ??= {};
        const sums = state.epochPartSums;
        for (const [name, v] of Object.entries(parts)) sums[name] = (sums[name] ?? 0) + v * batch.length;
        if (Object.keys(parts).length > 0)
          state.epochPartImages = (state.epochPartImages ?? 0) + batch.length;
        const every = Math.max(1, settings.log_every_steps);
        if (state.globalStep % every === 0 || state.stepInEpoch === perEpoch) {
          const seconds = (performance.now() - epochStart) / 1000;
          const rate = ((state.stepInEpoch - epochStartStep) * settings.batch_size) / Math.max(seconds, 1e-9);
          const eta = ((totalSteps - state.globalStep) * settings.batch_size) / Math.max(rate, 1e-9);
          log.scalar("loss", "train", state.globalStep, loss);
          for (const [name, v] of Object.entries(parts))
            log.scalar("loss", `train_${name}`, state.globalStep, v);
          log.scalar("lr", "train", state.globalStep, lr);
          log.scalar("grad_norm", "train", state.globalStep, gradNorm);
          log.scalar("speed", "images_per_second", state.globalStep, rate);
          log.progress(
            state.globalStep,
            totalSteps,
            `epoch ${state.epoch + 1}/${settings.epochs} loss ${loss.toFixed(3)} ${rate.toFixed(1)} img/s ETA ${formatSeconds(eta)}`,
          );
        }
        if (settings.checkpoint_every_steps > 0 && state.globalStep % settings.checkpoint_every_steps === 0) {
          state.seconds = elapsed();
          sessionStart = performance.now();
          await checkpoint();
        }
      }
      // Validation, best checkpoint, early stopping.
      const val = await evaluateModel(
        model,
        data.validationBatches(options.validationBatchSize ?? settings.batch_size),
        settings.label_smoothing,
      );
      const epochSeconds = (performance.now() - epochStart) / 1000;
      const record: EpochRecord = {
        epoch: state.epoch + 1,
        steps: state.globalStep,
        train_loss: state.epochImages ? state.epochLossSum / state.epochImages : 0,
        ...Object.fromEntries(
          Object.entries(state.epochPartSums ?? {}).map(([name, sum]) => [
            `train_${name}`,
            sum / Math.max(1, state.epochPartImages ?? 0),
          ]),
        ),
        val_loss: val.loss,
        val_exact_match: val.exact_match,
        val_cer: val.cer,
        lr,
        seconds: epochSeconds,
        images_per_second:
          ((state.stepInEpoch - epochStartStep) * settings.batch_size) / Math.max(epochSeconds, 1e-9),
      };
      state.history.push(record);
      for (const key of ["train_loss", "val_loss", "val_exact_match", "val_cer"] as const)
        log.scalar(key.replace(/_.*/, ""), key, record.epoch, record[key]);
      const metric = settings.early_stopping.metric;
      const improved =
        !state.best || score(record, metric) > score(state.best, metric) + settings.early_stopping.min_delta;
      // A tie on the metric (exact match stuck at 0 early on) keeps the epoch with the lower validation loss as
      // the best weights, without resetting the early-stopping count: otherwise epoch 1 stays "best" for ever.
      const tie =
        !improved &&
        state.best !== null &&
        score(record, metric) === score(state.best, metric) &&
        record.val_loss < state.best.val_loss;
      if (improved || tie) {
        state.best = record;
        await saveCheckpoint(bestDir, model.params.named(), { epoch: record.epoch });
      }
      if (improved) state.badEpochs = 0;
      else state.badEpochs++;
      log.text(
        `epoch ${record.epoch}: train loss ${record.train_loss.toFixed(4)}` +
          `${record.train_ce !== undefined ? ` (cross-entropy ${record.train_ce.toFixed(4)}, CTC ${record.train_ctc?.toFixed(4)})` : ""}` +
          `, val loss ${record.val_loss.toFixed(4)}, ` +
          `val exact match ${record.val_exact_match.toFixed(4)}, val CER ${record.val_cer.toFixed(4)}` +
          `${improved ? " (best)" : tie ? " (best: same metric, lower val loss)" : ""}, ${record.images_per_second.toFixed(1)} img/s`,
      );
      state.epoch++;
      state.stepInEpoch = 0;
      state.epochLossSum = 0;
      state.epochImages = 0;
      state.epochPartSums = {};
      state.epochPartImages = 0;
      if (settings.early_stopping.patience > 0 && state.badEpochs >= settings.early_stopping.patience) {
        state.stoppedEarly = true;
        log.text(`early stop: no ${metric} improvement for ${state.badEpochs} epochs`);
      }
      state.seconds = elapsed();
      sessionStart = performance.now();
      await checkpoint();
    }
    // The best weights are the result.
    const best = loadCheckpoint<{ epoch: number }>(bestDir);
    if (best) {
      model.params.assign(best.tensors);
      for (const t of Object.values(best.tensors)) t.dispose();
    }
    return {
      status: "completed",
      resumedFrom,
      steps: state.globalStep,
      history: state.history,
      best: state.best,
      stoppedEarly: state.stoppedEarly,
      seconds: elapsed(),
    };
  } finally {
    optimizer.dispose();
    void stepsThisSession;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(sec).padStart(2, "0")}s`;
}
