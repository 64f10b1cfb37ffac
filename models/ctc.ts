// Connectionist temporal classification (Graves et al., 2006) as an auxiliary training loss: a linear head over
// the encoder's columns is trained to emit the label left to right. It teaches the encoder where each character
// is long before an attention decoder finds the alignment on its own (joint CTC-attention, Kim et al., 2017),
// which is what makes the small recognizers start reading within an hour on 2 CPU cores. Inference does not use it.
//
// The forward-backward recursions run in JavaScript on the log-probabilities (B·T·(2L+1) cells: microseconds per
// batch here), and the gradient with respect to the logits is the closed form softmax − posterior occupancy.
import * as tf from "@tensorflow/tfjs";
import { defineLinear, type ForwardContext, linear, type ParameterStore } from "./nn.ts";
import type { Tokenizer } from "./tokenizer.ts";

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

export interface CtcResult {
  /** −log p(label | x) per sample; Infinity where the label cannot fit in T steps. */
  nll: Float64Array;
  /** d(Σ_b weight_b · nll_b) / d logits, [B, T, C]. */
  grad: Float32Array;
}

/** Whether `label` can be emitted in `steps` frames: one per character, plus a blank between repeated ones. */
function ctcFits(label: Int32Array, steps: number): boolean {
  let repeats = 0;
  for (let i = 1; i < label.length; i++) if (label[i] === label[i - 1]) repeats++;
  return label.length + repeats <= steps;
}

/**
 * CTC negative log-likelihoods of `labels` (class ids, no blanks) under `logProbs` [B, T, C] (log-softmax), and
 * the gradient of Σ weight_b · nll_b with respect to the logits. Samples whose label cannot fit get no gradient.
 */
export function ctcForwardBackward(
  logProbs: Float32Array,
  shape: [number, number, number],
  labels: readonly Int32Array[],
  weights: Float64Array,
  blank: number,
): CtcResult {
  const [n, steps, classes] = shape;
  const nll = new Float64Array(n);
  const grad = new Float32Array(n * steps * classes);
  for (let b = 0; b < n; b++) {
    const label = labels[b] as Int32Array;
    const base = b * steps * classes;
    const lp = (t: number, c: number) => logProbs[base + t * classes + c] as number;
    if (!ctcFits(label, steps)) {
      nll[b] = Infinity;
      continue;
    }
    const states = 2 * label.length + 1;
    const symbol = (s: number) => (s % 2 === 0 ? blank : (label[(s - 1) / 2] as number));
    // May state s be reached from s − 2 (skipping a blank)? Only between different labels.
    const canSkip = (s: number) => s >= 2 && s % 2 === 1 && symbol(s) !== symbol(s - 2);
    const alpha = new Float64Array(steps * states).fill(-Infinity);
    const beta = new Float64Array(steps * states).fill(-Infinity);
    alpha[0] = lp(0, blank);
    if (states > 1) alpha[1] = lp(0, symbol(1));
    for (let t = 1; t < steps; t++) {
      for (let s = 0; s < states; s++) {
        let a = alpha[(t - 1) * states + s] as number;
        if (s >= 1) a = logAdd(a, alpha[(t - 1) * states + s - 1] as number);
        if (canSkip(s)) a = logAdd(a, alpha[(t - 1) * states + s - 2] as number);
        alpha[t * states + s] = a === -Infinity ? a : a + lp(t, symbol(s));
      }
    }
    const last = (steps - 1) * states;
    beta[last + states - 1] = lp(steps - 1, symbol(states - 1));
    if (states > 1) beta[last + states - 2] = lp(steps - 1, symbol(states - 2));
    for (let t = steps - 2; t >= 0; t--) {
      for (let s = 0; s < states; s++) {
        let v = beta[(t + 1) * states + s] as number;
        if (s + 1 < states) v = logAdd(v, beta[(t + 1) * states + s + 1] as number);
        if (s + 2 < states && canSkip(s + 2)) v = logAdd(v, beta[(t + 1) * states + s + 2] as number);
        beta[t * states + s] = v === -Infinity ? v : v + lp(t, symbol(s));
      }
    }
    let logLikelihood = alpha[last + states - 1] as number;
    if (states > 1) logLikelihood = logAdd(logLikelihood, alpha[last + states - 2] as number);
    nll[b] = -logLikelihood;
    if (!Number.isFinite(logLikelihood)) {
      nll[b] = Infinity;
      continue;
    }
    const w = weights[b] as number;
    const occupancy = new Float64Array(classes).fill(-Infinity);
    for (let t = 0; t < steps; t++) {
      occupancy.fill(-Infinity);
      // alpha·beta counts lp(t, s) twice: subtract it once.
      for (let s = 0; s < states; s++) {
        const c = symbol(s);
        if (alpha[t * states + s] === -Infinity || beta[t * states + s] === -Infinity) continue;
        const ab = (alpha[t * states + s] as number) + (beta[t * states + s] as number) - lp(t, c);
        occupancy[c] = logAdd(occupancy[c] as number, ab);
      }
      for (let c = 0; c < classes; c++) {
        const p = Math.exp(lp(t, c));
        const gamma = Math.exp((occupancy[c] as number) - logLikelihood);
        grad[base + t * classes + c] = w * (p - gamma);
      }
    }
  }
  return { nll, grad };
}

/**
 * Mean CTC loss per label character over the batch: logits [B, T, C] (unnormalised), `labels` class ids without
 * blanks. Samples whose label does not fit in T steps are left out. Differentiable with respect to the logits.
 */
export function ctcLoss(logits: tf.Tensor3D, labels: readonly Int32Array[], blank: number): tf.Scalar {
  const [n, steps, classes] = logits.shape;
  const fits = labels.map((l) => l.length > 0 && ctcFits(l, steps));
  const counted = fits.filter(Boolean).length;
  if (counted === 0) return tf.mul(tf.sum(logits), 0) as tf.Scalar;
  // Each sample's NLL divided by its length (a per-character figure, like the decoder's cross-entropy).
  const weights = Float64Array.from(labels, (l, b) => (fits[b] ? 1 / (counted * l.length) : 0));
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const logProbs = tf.tidy(() => tf.logSoftmax(x));
    const result = ctcForwardBackward(
      logProbs.dataSync() as Float32Array,
      [n, steps, classes],
      labels,
      weights,
      blank,
    );
    logProbs.dispose();
    let total = 0;
    // A sample whose likelihood underflowed has no gradient (ctcForwardBackward): leave it out of the value too.
    for (let b = 0; b < n; b++)
      if (weights[b] && Number.isFinite(result.nll[b]))
        total += (weights[b] as number) * (result.nll[b] as number);
    const gradient = tf.tensor3d(result.grad, [n, steps, classes]);
    save([gradient]);
    return {
      value: tf.scalar(total),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0] as tf.Tensor),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits) as tf.Scalar;
}

/** Greedy CTC decoding of log-probabilities [T, C] at `offset`: best class per step, repeats merged, blanks dropped. */
export function ctcGreedy(
  values: Float32Array,
  steps: number,
  classes: number,
  blank: number,
  offset = 0,
): number[] {
  const out: number[] = [];
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((values[offset + t * classes + c] as number) > (values[offset + t * classes + best] as number))
        best = c;
    if (best !== previous && best !== blank) out.push(best);
    previous = best;
  }
  return out;
}

/**
 * The auxiliary CTC loss of an encoder: features [B, rows * cols, D] (row-major grid) are averaged over the rows
 * into one feature per column, the linear head `name` scores them (class 0, the decoder's EOS, is the blank),
 * and the loss is CTC of the labels over the columns.
 */
export function columnCtcLoss(
  p: ParameterStore,
  name: string,
  features: tf.Tensor3D,
  grid: { rows: number; cols: number },
  labels: readonly string[],
  tokenizer: Tokenizer,
): tf.Scalar {
  const [n, , d] = features.shape;
  const columns = tf.mean(tf.reshape(features, [n, grid.rows, grid.cols, d]), 1);
  const logits = tf.reshape(linear(p, name, tf.reshape(columns, [n * grid.cols, d])), [
    n,
    grid.cols,
    tokenizer.classes,
  ]) as tf.Tensor3D;
  return ctcLoss(
    logits,
    labels.map((l) => Int32Array.from(tokenizer.encodeText(l))),
    tokenizer.eos,
  );
}

/** The linear head of the auxiliary CTC loss over `dim`-wide encoder features; none when `weight` is 0 or absent. */
export function defineColumnCtc(p: ParameterStore, dim: number, tokenizer: Tokenizer, weight?: number): void {
  if (weight) defineLinear(p, "ctc", dim, tokenizer.classes);
}

/**
 * `loss` plus `weight` × the auxiliary CTC loss of the encoder `features` (columnCtcLoss with the head of
 * defineColumnCtc) while training; `loss` alone at inference or when `weight` is 0 or absent. The two parts go
 * to `ctx.lossParts` as `ce` and `ctc` when it is given.
 */
export function withColumnCtc(
  loss: tf.Scalar,
  weight: number | undefined,
  ctx: ForwardContext,
  p: ParameterStore,
  features: tf.Tensor3D,
  grid: { rows: number; cols: number },
  labels: readonly string[],
  tokenizer: Tokenizer,
): tf.Scalar {
  if (!weight || !ctx.training) return loss;
  const aux = columnCtcLoss(p, "ctc", features, grid, labels, tokenizer);
  ctx.lossParts?.set("ce", tf.keep(loss));
  ctx.lossParts?.set("ctc", tf.keep(aux));
  return tf.add(loss, tf.mul(aux, weight)) as tf.Scalar;
}
