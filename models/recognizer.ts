// The one recognizer interface (image batch in, text + confidence out) and the contract every architecture
// implements for the shared training loop: a loss on a batch, and class probabilities per decoded position.
import * as tf from "@tensorflow/tfjs";
import type { GreyImage } from "../datasets/augment.ts";
import type { ForwardContext, ParameterStore } from "./nn.ts";
import { type InputShape, imagesToTensor } from "./preprocess.ts";
import type { Tokenizer } from "./tokenizer.ts";

export type ArchitectureName = "parseq" | "master";

export interface Recognition {
  text: string;
  /** Product of the per-character probabilities, end token included: 0..1. */
  confidence: number;
}

/** What `predict`, `evaluate` and `compare` use, whatever the architecture. */
export interface Recognizer {
  readonly input: InputShape;
  /** Any size: each image is fitted into the input keeping its aspect ratio, then padded. */
  recognize(images: readonly GreyImage[]): Promise<Recognition[]>;
}

/** A network the training loop can train: parameters, a loss, and decoding. */
export interface SequenceModel {
  readonly architecture: ArchitectureName;
  readonly tokenizer: Tokenizer;
  readonly input: InputShape;
  readonly params: ParameterStore;
  /**
   * Mean token loss of a batch (images [B, H, W, 1] scaled to ink 0..1, labels as text), with label smoothing;
   * `seed` makes the step's random choices (dropout, permutations) reproducible, so a resumed run repeats them.
   */
  loss(images: tf.Tensor4D, labels: readonly string[], options: LossOptions): tf.Scalar;
  /** Class probabilities [B, maxLength + 1, classes] (EOS + characters), decoded greedily. */
  decode(images: tf.Tensor4D): tf.Tensor3D;
  /** Settings that rebuild this network (saved in config.json). */
  describe(): Record<string, unknown>;
  /**
   * The residual blocks of this network that a shallower trained network may lack (`init_from` a model with
   * fewer layers): zeroing the output projections of a block's residual branches makes it add nothing, so the
   * deeper network starts out computing what the shallower one did.
   */
  identityBlocks?(): readonly IdentityBlock[];
  dispose(): void;
}

/** A residual block by its parameters' name prefix, and the parameters that, zeroed, make it the identity. */
export interface IdentityBlock {
  prefix: string;
  zero: readonly string[];
}

export interface LossOptions {
  labelSmoothing: number;
  ctx: ForwardContext;
  /** Seeds choices outside tfjs (parseq's permutations). */
  seed: number;
}

/**
 * Cross-entropy with label smoothing over the positions where `weights` is 1: logits [N, C], targets [N] int32,
 * weights [N]. Returns the weighted mean.
 */
export function smoothedCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  smoothing: number,
): tf.Scalar {
  const classes = logits.shape[1];
  const logp = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logp, tf.oneHot(targets, classes)), -1);
  const perToken =
    smoothing > 0
      ? tf.neg(tf.add(tf.mul(picked, 1 - smoothing), tf.mul(tf.mean(logp, -1), smoothing)))
      : tf.neg(picked);
  return tf.div(tf.sum(tf.mul(perToken, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
}

/**
 * The lines of a batch in greedy decoding: which still run, each step's logits for them, and retiring the lines
 * that produced EOS, so that later steps run on fewer rows. The lines of a batch end at different steps: on
 * 1,000 held-out lines of up to 16 characters, the rows still running add up to 66% of running all 64 lines of
 * each batch to its longest. Only part of a step's time grows with its rows (much is per-kernel overhead):
 * recognition measured 4-11% faster (noisy), not a third.
 */
export class GreedyLines {
  /** The batch rows (of the `lines` given) that the current rows are. */
  private running: number[];
  private ended: Uint8Array;
  private readonly steps: { logits: tf.Tensor2D; rows: number[] }[] = [];

  /**
   * `retireAt`: the fraction of the running rows that must have ended before they are retired (every retirement
   * gathers the decoder's per-row state).
   */
  constructor(
    readonly lines: number,
    private readonly eos: number,
    private readonly retireAt = 0.25,
  ) {
    this.running = Array.from({ length: lines }, (_, i) => i);
    this.ended = new Uint8Array(lines);
  }

  /** Rows the decoder runs now. */
  get rows(): number {
    return this.running.length;
  }

  /**
   * Records a step's logits [rows, classes] and returns its greedy tokens [rows] (int32), and whether every
   * running line has produced EOS.
   */
  step(logits: tf.Tensor2D): { token: tf.Tensor1D; done: boolean } {
    this.steps.push({ logits, rows: this.running });
    const token = tf.cast(tf.argMax(logits, -1), "int32") as tf.Tensor1D;
    const ids = token.dataSync();
    let done = true;
    for (let b = 0; b < this.ended.length; b++) {
      if (ids[b] === this.eos) this.ended[b] = 1;
      if (!this.ended[b]) done = false;
    }
    return { token, done };
  }

  /**
   * Once enough running lines have ended: the rows to keep (int32 [kept]), with which the decoder must gather
   * (tf.gather on axis 0) every tensor it holds per row. Undefined while too few have ended.
   */
  retire(): tf.Tensor1D | undefined {
    const keep: number[] = [];
    for (let b = 0; b < this.ended.length; b++) if (!this.ended[b]) keep.push(b);
    const retired = this.running.length - keep.length;
    if (retired === 0 || keep.length === 0 || retired < this.running.length * this.retireAt) return undefined;
    this.running = keep.map((b) => this.running[b] as number);
    this.ended = new Uint8Array(keep.length);
    return tf.tensor1d(keep, "int32");
  }

  /** Logits [lines, steps run, classes]: what each line decoded, and EOS with certainty once it was retired. */
  logits(classes: number): tf.Tensor3D {
    const produced = this.steps.length;
    const out = new Float32Array(this.lines * produced * classes);
    for (let i = 0; i < this.lines * produced; i++) out[i * classes + this.eos] = 1e4;
    this.steps.forEach(({ logits, rows }, t) => {
      const values = logits.dataSync() as Float32Array;
      for (const [r, line] of rows.entries())
        out.set(values.subarray(r * classes, (r + 1) * classes), (line * produced + t) * classes);
    });
    return tf.tensor3d(out, [this.lines, produced, classes]);
  }
}

/** Wraps a SequenceModel as a Recognizer, batching `batchSize` images per forward pass. */
export function asRecognizer(model: SequenceModel, batchSize = 64): Recognizer {
  return {
    input: model.input,
    async recognize(images) {
      const results: Recognition[] = [];
      for (let start = 0; start < images.length; start += batchSize) {
        const chunk = images.slice(start, start + batchSize);
        const probs = tf.tidy(() => {
          const x = imagesToTensor(chunk, model.input);
          return model.decode(x);
        });
        const [, positions, classes] = probs.shape;
        const values = (await probs.data()) as Float32Array;
        probs.dispose();
        for (let b = 0; b < chunk.length; b++)
          results.push(model.tokenizer.decodeProbabilities(values, positions, b * positions * classes));
      }
      return results;
    },
  };
}
