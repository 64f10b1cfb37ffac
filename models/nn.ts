// Building blocks shared by the recognizers, in raw tfjs ops so they run on every backend: a named parameter
// store with seeded initialisation, linear, layer/batch norm, GELU, multi-head attention, dropout, embeddings.
import * as tf from "@tensorflow/tfjs";
import {
  hasNativeBatchNorm,
  hasNativeGelu,
  hasNativeLayerNorm,
  nativeBatchNorm,
  nativeBatchNormGrad,
  nativeGelu,
  nativeGeluGrad,
  nativeLayerNorm,
  nativeLayerNormGrad,
} from "./backend/fused-ops.ts";

/** Variable names must be unique in the tfjs engine, across models too. */
let stores = 0;

/** Seeded randomness for one forward pass: dropout masks draw successive seeds from it. */
export class SeedSequence {
  private next: number;
  constructor(seed: number) {
    this.next = (seed >>> 0) % 2147483647;
  }
  take(): number {
    this.next = (this.next * 48271) % 2147483647;
    return this.next;
  }
}

/** What a forward pass needs to know about the mode it runs in. */
export interface ForwardContext {
  training: boolean;
  /** Seeds dropout (training only). */
  seeds?: SeedSequence;
  /**
   * Receives the parts of a composite loss (`ce`, `ctc`), kept out of the caller's tidy: the caller reads and
   * disposes of them.
   */
  lossParts?: Map<string, tf.Scalar>;
}

/**
 * The named tensors of one model: trainable parameters (with or without weight decay) and buffers (batch-norm
 * running statistics). Names are stable ("enc.0.attn.q.w") and are what the model directory stores.
 */
export class ParameterStore {
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();
  /** Parameters AdamW decays: weight matrices and conv filters, not biases, norms, embeddings. */
  readonly decayed = new Set<string>();
  private readonly prefix = `ocrflow${stores++}`;
  private seed: number;

  constructor(seed: number) {
    this.seed = seed;
  }

  /** A normal(0, std) parameter, truncated at 2 std as timm/parseq initialise. */
  normal(name: string, shape: number[], std: number, decay = false): tf.Variable {
    return this.add(name, tf.truncatedNormal(shape, 0, std, "float32", this.seed++), decay);
  }

  /** A parameter with the given initial value (taken over: the store disposes of it). */
  initialised(name: string, initial: tf.Tensor, decay = false): tf.Variable {
    return this.add(name, initial, decay);
  }

  constant(name: string, shape: number[], value: number): tf.Variable {
    return this.add(name, tf.fill(shape, value), false);
  }

  buffer(name: string, shape: number[], value: number): tf.Variable {
    const initial = tf.fill(shape, value);
    const v = tf.variable(initial, false, `${this.prefix}.${name}`);
    initial.dispose();
    this.buffers.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.params.get(name) ?? this.buffers.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  trainable(): tf.Variable[] {
    return [...this.params.values()];
  }

  /** Parameters and buffers by name, for saving. */
  named(): Map<string, tf.Variable> {
    return new Map([...this.params, ...this.buffers]);
  }

  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** The tfjs variable name of a stored name (gradients come keyed by it). */
  variableName(name: string): string {
    return `${this.prefix}.${name}`;
  }

  /** Replaces every value from `tensors` (by stored name); throws on a missing or mis-shaped one. */
  assign(tensors: Record<string, tf.Tensor>): void {
    for (const [name, v] of this.named()) {
      const t = tensors[name];
      if (!t) throw new Error(`weights lack ${name}`);
      if (t.shape.join("x") !== v.shape.join("x"))
        throw new Error(`weights ${name}: shape ${t.shape} instead of ${v.shape}`);
      v.assign(t);
    }
  }

  dispose(): void {
    for (const v of this.named().values()) v.dispose();
  }

  private add(name: string, initial: tf.Tensor, decay: boolean): tf.Variable {
    if (this.params.has(name)) throw new Error(`parameter ${name} defined twice`);
    const v = tf.variable(initial, true, `${this.prefix}.${name}`);
    initial.dispose();
    this.params.set(name, v);
    if (decay) this.decayed.add(name);
    return v;
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Layers: each `define*` creates parameters, the matching function applies them.                  */

export function defineLinear(p: ParameterStore, name: string, cin: number, cout: number, std = 0.02): void {
  p.normal(`${name}.w`, [cin, cout], std, true);
  p.constant(`${name}.b`, [cout], 0);
}

/** x [..., cin] → [..., cout]. */
export function linear(p: ParameterStore, name: string, x: tf.Tensor): tf.Tensor {
  const w = p.get(`${name}.w`) as tf.Tensor2D;
  const shape = x.shape;
  const cin = shape[shape.length - 1] as number;
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, cin]);
  const y = tf.fused.matMul({ a: flat as tf.Tensor2D, b: w, bias: p.get(`${name}.b`) as tf.Tensor1D });
  return x.rank === 2 ? y : tf.reshape(y, [...shape.slice(0, -1), w.shape[1]]);
}

export function defineLayerNorm(p: ParameterStore, name: string, dim: number): void {
  p.constant(`${name}.g`, [dim], 1);
  p.constant(`${name}.b`, [dim], 0);
}

export function layerNorm(p: ParameterStore, name: string, x: tf.Tensor, epsilon = 1e-5): tf.Tensor {
  return layerNormWith(x, p.get(`${name}.g`), p.get(`${name}.b`), epsilon);
}

/** Layer norm over the last axis with explicit scale and shift. */
export function layerNormWith(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon = 1e-5): tf.Tensor {
  return layerNormOp(epsilon)(x, gamma, beta);
}

type NormOp = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

/** tf.customGrad for a function of several tensors and the save function (its typings take one signature). */
function customOp(f: unknown): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as Parameters<typeof tf.customGrad>[0]) as unknown as (
    ...inputs: tf.Tensor[]
  ) => tf.Tensor;
}
const layerNormOps = new Map<number, NormOp>();

/**
 * Layer norm over the last axis with its gradient written out (tf.customGrad): autodiff through tf.moments ran
 * about 25 kernels per norm, and tfjs' Mean gradient fills a ones array of the input's size in JavaScript.
 */
function layerNormOp(epsilon: number): NormOp {
  let op = layerNormOps.get(epsilon);
  if (!op) {
    const composed = composedLayerNorm(epsilon);
    const fused = fusedLayerNorm(epsilon);
    op = (x, gamma, beta) =>
      hasNativeLayerNorm(x, gamma) ? fused(x, gamma, beta) : composed(x, gamma, beta);
    layerNormOps.set(epsilon, op);
  }
  return op;
}

/**
 * A norm op of native kernels (models/backend/fused-ops.ts): `forward` gives [y, xhat, rstd], `gradient` takes
 * (dy, xhat, rstd, gamma) and gives [dx, dgamma, dbeta].
 */
function nativeNormOp(
  forward: (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => [tf.Tensor, tf.Tensor, tf.Tensor],
  gradient: (dy: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, gamma: tf.Tensor) => tf.Tensor[],
): NormOp {
  return customOp((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, xhat, rstd] = forward(x, gamma, beta);
    save([xhat, rstd, gamma]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return gradient(dy, xh, r, g);
      },
    };
  }) as unknown as NormOp;
}

/** The same layer norm and gradient as one native kernel each. */
function fusedLayerNorm(epsilon: number): NormOp {
  return nativeNormOp((x, gamma, beta) => nativeLayerNorm(x, gamma, beta, epsilon), nativeLayerNormGrad);
}

function composedLayerNorm(epsilon: number): NormOp {
  return customOp((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const xc = tf.sub(x, tf.mean(x, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), epsilon));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const d = g.shape[0] as number;
        const dxhat = tf.mul(dy, g);
        const dx = tf.mul(
          tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true))),
          r,
        );
        const dgamma = tf.sum(tf.reshape(tf.mul(dy, xh), [-1, d]), 0);
        const dbeta = tf.sum(tf.reshape(dy, [-1, d]), 0);
        return [dx, dgamma, dbeta];
      },
    };
  }) as unknown as NormOp;
}

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * GELU, tanh approximation; x*x*x rather than pow (slow on wasm). The gradient is written out (tf.customGrad):
 * 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2), with t the saved tanh.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return hasNativeGelu(x) ? fusedGelu(x) : composedGelu(x);
}

/** The same GELU and gradient as one native kernel each (models/backend/fused-ops.ts). */
const fusedGelu = customOp((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const [y, t] = nativeGelu(x);
  save([x, t]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ts] = saved as [tf.Tensor, tf.Tensor];
      return [nativeGeluGrad(dy, xs, ts)];
    },
  };
}) as unknown as (x: tf.Tensor) => tf.Tensor;

const composedGelu = customOp((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), GELU_C);
  const t = tf.tanh(inner);
  save([x, t]);
  return {
    value: tf.mul(tf.mul(x, 0.5), tf.add(t, 1)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ts] = saved as [tf.Tensor, tf.Tensor];
      const slope = tf.mul(tf.add(tf.mul(tf.square(xs), 3 * 0.044715), 1), 0.5 * GELU_C);
      const local = tf.add(tf.mul(tf.add(ts, 1), 0.5), tf.mul(tf.mul(xs, tf.sub(1, tf.square(ts))), slope));
      return [tf.mul(dy, local)];
    },
  };
}) as unknown as (x: tf.Tensor) => tf.Tensor;

/**
 * Inverted dropout with a mask drawn in JavaScript (mulberry32, seeded from the context): tf.dropout draws from
 * tfjs' seedrandom generator, which cost about 100 ms per PARSeq-tiny step, and runs four kernels for the mask.
 */
export function dropout(x: tf.Tensor, rate: number, ctx: ForwardContext): tf.Tensor {
  if (!ctx.training || rate <= 0) return x;
  if (rate >= 1) return tf.zerosLike(x);
  const seed = ctx.seeds?.take() ?? Math.floor(Math.random() * 2147483647);
  return tf.mul(x, dropoutMask(x.shape, rate, seed));
}

/** Keep-mask of `shape`: 0 with probability `rate`, else 1 / (1 - rate). */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  const threshold = Math.floor(rate * 4294967296);
  let state = seed | 0;
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    mask[i] = (t ^ (t >>> 14)) >>> 0 < threshold ? 0 : keep;
  }
  return tf.tensor(mask, shape);
}

export function defineMlp(p: ParameterStore, name: string, dim: number, hidden: number): void {
  defineLinear(p, `${name}.fc1`, dim, hidden);
  defineLinear(p, `${name}.fc2`, hidden, dim);
}

export function mlp(
  p: ParameterStore,
  name: string,
  x: tf.Tensor,
  rate: number,
  ctx: ForwardContext,
): tf.Tensor {
  const h = dropout(gelu(linear(p, `${name}.fc1`, x)), rate, ctx);
  return linear(p, `${name}.fc2`, h);
}

export function defineAttention(p: ParameterStore, name: string, dim: number): void {
  for (const part of ["q", "k", "v", "o"]) defineLinear(p, `${name}.${part}`, dim, dim);
}

/** Keys and values of one attention, split into heads [B, heads, S, dh]: computed once, reused across queries. */
export interface KeyValue {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [n, len, d] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [n, len, heads, d / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

export function projectKeyValue(
  p: ParameterStore,
  name: string,
  keyValue: tf.Tensor3D,
  heads: number,
): KeyValue {
  return {
    k: splitHeads(linear(p, `${name}.k`, keyValue), heads),
    v: splitHeads(linear(p, `${name}.v`, keyValue), heads),
  };
}

/**
 * Multi-head attention: query [B, T, D] over keyValue [B, S, D] (or its projected heads). `mask` is additive and
 * broadcasts to [B, heads, T, S] (use [T, S] for a shared mask, [B, 1, 1, S] for key padding).
 */
export function attention(
  p: ParameterStore,
  name: string,
  query: tf.Tensor3D,
  keyValue: tf.Tensor3D | KeyValue,
  heads: number,
  mask: tf.Tensor | undefined,
  rate: number,
  ctx: ForwardContext,
): tf.Tensor3D {
  const [n, t, d] = query.shape;
  const dh = d / heads;
  const q = splitHeads(tf.mul(linear(p, `${name}.q`, query), 1 / Math.sqrt(dh)), heads);
  const { k, v } = "k" in keyValue ? keyValue : projectKeyValue(p, name, keyValue, heads);
  let scores = tf.matMul(q, k, false, true);
  if (mask) scores = tf.add(scores, mask);
  const weights = dropout(tf.softmax(scores), rate, ctx);
  const attended = tf.matMul(weights as tf.Tensor4D, v);
  const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [n, t, d]);
  return linear(p, `${name}.o`, merged) as tf.Tensor3D;
}

/** Embedding lookup as a one-hot product: its gradient is a matmul on every backend (no UnsortedSegmentSum). */
export function embed(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const oneHot = tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, table.shape[0]);
  const out = tf.matMul(oneHot, table);
  return tf.reshape(out, [...ids.shape, table.shape[1]]);
}

/* ---------------------------------------------------------------------------------------------- */
/* Convolutions with batch norm (MASTER's backbone).                                               */

export function defineConv(
  p: ParameterStore,
  name: string,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
): void {
  p.normal(`${name}.w`, [kh, kw, cin, cout], Math.sqrt(2 / (kh * kw * cout)), true);
}

export function conv(
  p: ParameterStore,
  name: string,
  x: tf.Tensor4D,
  stride: [number, number] = [1, 1],
): tf.Tensor4D {
  return tf.conv2d(x, p.get(`${name}.w`) as tf.Tensor4D, stride, "same");
}

/**
 * conv followed by batchNorm (and ReLU when `relu`). In inference the norm is folded into the filter and a bias,
 * so the three run as one fused conv kernel instead of four passes over the activation.
 */
export function convBatchNorm(
  p: ParameterStore,
  convName: string,
  normName: string,
  x: tf.Tensor4D,
  ctx: ForwardContext,
  options: { stride?: [number, number]; relu?: boolean } = {},
): tf.Tensor4D {
  const stride = options.stride ?? [1, 1];
  if (ctx.training) {
    const y = batchNorm(p, normName, conv(p, convName, x, stride), ctx);
    return options.relu ? (tf.relu(y) as tf.Tensor4D) : y;
  }
  const scale = tf.mul(p.get(`${normName}.g`), tf.rsqrt(tf.add(p.get(`${normName}.var`), 1e-5)));
  return tf.fused.conv2d({
    x,
    filter: tf.mul(p.get(`${convName}.w`), scale) as tf.Tensor4D,
    strides: stride,
    pad: "same",
    bias: tf.sub(p.get(`${normName}.b`), tf.mul(p.get(`${normName}.mean`), scale)),
    activation: options.relu ? "relu" : "linear",
  });
}

export function defineBatchNorm(p: ParameterStore, name: string, channels: number): void {
  p.constant(`${name}.g`, [channels], 1);
  p.constant(`${name}.b`, [channels], 0);
  p.buffer(`${name}.mean`, [channels], 0);
  p.buffer(`${name}.var`, [channels], 1);
}

/**
 * Batch norm over [B, H, W, C]. In training it normalises with the batch's moments and moves the running
 * statistics (momentum 0.1, as PyTorch); in inference it uses the running statistics.
 */
export function batchNorm(p: ParameterStore, name: string, x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
  const gamma = p.get(`${name}.g`);
  const beta = p.get(`${name}.b`);
  const runningMean = p.get(`${name}.mean`);
  const runningVar = p.get(`${name}.var`);
  if (ctx.training) {
    const update = (mean: tf.Tensor, variance: tf.Tensor) =>
      tf.tidy(() => {
        runningMean.assign(tf.add(tf.mul(runningMean, 0.9), tf.mul(mean, 0.1)));
        runningVar.assign(tf.add(tf.mul(runningVar, 0.9), tf.mul(variance, 0.1)));
      });
    return batchNormTraining(x, gamma, beta, update) as tf.Tensor4D;
  }
  // Broadcasts [C] statistics instead of tfjs' batchNorm, whose gradient tiles them to the activation's size.
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(runningVar, 1e-5)));
  return tf.add(tf.mul(tf.sub(x, runningMean), scale), beta) as tf.Tensor4D;
}

/**
 * Training-mode batch norm of x [..., C] over all axes but the last, with the batch's moments (biased variance),
 * which `update` receives; one native kernel each way where the backend has them.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  update: (mean: tf.Tensor, variance: tf.Tensor) => void,
): tf.Tensor {
  const op = hasNativeBatchNorm(x, gamma) ? fusedBatchNormTrainingOp : batchNormTrainingOp;
  return op(update)(x, gamma, beta);
}

/** batchNormTrainingOp as one native kernel each way (7 kernels forward and 8 backward composed). */
function fusedBatchNormTrainingOp(update: (mean: tf.Tensor, variance: tf.Tensor) => void): NormOp {
  return nativeNormOp((x, gamma, beta) => {
    const [y, xhat, mean, variance, rstd] = nativeBatchNorm(x, gamma, beta, 1e-5);
    update(mean, variance);
    return [y, xhat, rstd];
  }, nativeBatchNormGrad);
}

/**
 * Training-mode batch norm with the batch's moments over [B, H, W] and its gradient written out
 * (tf.customGrad): autodiff through tf.moments fills a ones array of the activation's size in JavaScript per
 * Mean gradient and runs three times the kernels. `update` receives the moments (running statistics).
 */
function batchNormTrainingOp(update: (mean: tf.Tensor, variance: tf.Tensor) => void): NormOp {
  return customOp((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const mean = tf.mean(x, axes);
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), axes);
    update(mean, variance);
    const rstd = tf.rsqrt(tf.add(variance, 1e-5));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const count = xh.size / (g.shape[0] as number);
        const dbeta = tf.sum(dy, axes);
        const dgamma = tf.sum(tf.mul(dy, xh), axes);
        // dx = g * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)), means over all axes but the last.
        const dx = tf.mul(
          tf.sub(tf.sub(dy, tf.div(dbeta, count)), tf.mul(xh, tf.div(dgamma, count))),
          tf.mul(g, r),
        );
        return [dx, dgamma, dbeta];
      },
    };
  }) as unknown as NormOp;
}

/** Sinusoidal position encodings [length, dim] (MASTER's decoder and 2-D feature map). */
export function sinusoid(length: number, dim: number): tf.Tensor2D {
  const values = new Float32Array(length * dim);
  for (let pos = 0; pos < length; pos++) {
    for (let i = 0; i < dim; i += 2) {
      const angle = pos / 10000 ** (i / dim);
      values[pos * dim + i] = Math.sin(angle);
      if (i + 1 < dim) values[pos * dim + i + 1] = Math.cos(angle);
    }
  }
  return tf.tensor2d(values, [length, dim]);
}

/**
 * A 2D sinusoidal position code [rows * cols, dim], row-major: the first half of the channels codes the column, the
 * second half the row (each as `sinusoid` does for one axis).
 */
export function sinusoid2d(rows: number, cols: number, dim: number): tf.Tensor2D {
  const half = Math.floor(dim / 2);
  const read = (t: tf.Tensor2D) => {
    const values = t.dataSync() as Float32Array;
    t.dispose();
    return values;
  };
  const col = read(sinusoid(cols, half));
  const row = read(sinusoid(rows, dim - half));
  const values = new Float32Array(rows * cols * dim);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const at = (r * cols + c) * dim;
      values.set(col.subarray(c * half, (c + 1) * half), at);
      values.set(row.subarray(r * (dim - half), (r + 1) * (dim - half)), at + half);
    }
  return tf.tensor2d(values, [rows * cols, dim]);
}

/** Additive causal mask [T, T]: position i sees 0..i. */
export function causalMask(length: number): tf.Tensor2D {
  const values = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) values[i * length + j] = -1e9;
  return tf.tensor2d(values, [length, length]);
}
