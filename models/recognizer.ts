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
  dispose(): void;
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
