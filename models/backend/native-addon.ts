// Loads the optional OpenBLAS addon (build/Release/ocrflow_blas.node, built by scripts/build-native.mjs)
// and describes its functions; a missing or broken build yields a reason instead of an exception.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The addon's functions. All arrays are Float32Array views; outputs are written in place. */
export interface NativeAddon {
  /** Row-major C[b] = op(A[b]) op(B[b]) + beta C[b]; a stride of 0 broadcasts one operand over the batch. */
  sgemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
    beta: number,
  ): void;
  /** geometry: n, h, w, c, kh, kw, oc, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW. */
  /** x, filter, y, then bias (or null), activation (as in biasActivation) and its alpha. */
  conv2d(
    ...args: [...ConvGeometry, Float32Array, Float32Array, Float32Array, Float32Array | null, number, number]
  ): void;
  /** dx must be zero-filled. */
  conv2dBackpropInput(...args: [...ConvGeometry, Float32Array, Float32Array, Float32Array]): void;
  conv2dBackpropFilter(...args: [...ConvGeometry, Float32Array, Float32Array, Float32Array]): void;
  /** The geometry's kh, kw are the window and oc equals c. */
  maxPool(...args: [...ConvGeometry, Float32Array, Float32Array]): void;
  /** dx must be zero-filled. */
  maxPoolGrad(...args: [...ConvGeometry, Float32Array, Float32Array, Float32Array]): void;
  biasActivation(
    y: Float32Array,
    rows: number,
    cols: number,
    bias: Float32Array | null,
    act: number,
    alpha: number,
  ): void;
  softmaxRows(x: Float32Array, y: Float32Array, rows: number, cols: number): void;
  reduce(x: Float32Array, y: Float32Array, outer: number, mid: number, inner: number, op: number): void;
  binary(
    a: Float32Array,
    b: Float32Array,
    y: Float32Array,
    shape: number[],
    stridesA: number[],
    stridesB: number[],
    op: number,
  ): void;
  unary(x: Float32Array, y: Float32Array, n: number, op: number, alpha: number): void;
  transpose(x: Float32Array, y: Float32Array, shape: number[], perm: number[]): void;
  /** Fused Adam step into new arrays; corrections = [1 - beta1^t, 1 - beta2^t]. */
  adam(
    value: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    outValue: Float32Array,
    outM: Float32Array,
    outV: Float32Array,
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    corrections: [number, number],
  ): void;
  tile(x: Float32Array, y: Float32Array, shape: number[], reps: number[]): void;
  /** y[r, c] = x[r, c] * mul[c] + add[c]. */
  channelAffine(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    cols: number,
    mul: Float32Array,
    add: Float32Array,
  ): void;
  /** GELU (tanh approximation) of n elements; t, when given, receives the tanh term for the gradient. */
  gelu(x: Float32Array, y: Float32Array, t: Float32Array | null, n: number): void;
  /** The GELU gradient from the saved input and tanh term. */
  geluGrad(dy: Float32Array, x: Float32Array, t: Float32Array, dx: Float32Array, n: number): void;
  /** Layer norm over rows of d; xhat and rstd, when given, receive what the gradient needs. */
  layerNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    xhat: Float32Array | null,
    rstd: Float32Array | null,
    rows: number,
    d: number,
    epsilon: number,
  ): void;
  layerNormGrad(
    dy: Float32Array,
    xhat: Float32Array,
    rstd: Float32Array,
    gamma: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    rows: number,
    d: number,
  ): void;
  /** Training batch norm over the rows of x [rows, C] with the batch's moments (biased variance). */
  batchNormTrain(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    xhat: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    rstd: Float32Array,
    rows: number,
    channels: number,
    epsilon: number,
  ): void;
  batchNormTrainGrad(
    dy: Float32Array,
    xhat: Float32Array,
    gamma: Float32Array,
    rstd: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    rows: number,
    channels: number,
  ): void;
  /** y[i] = 1/keepProb with probability keepProb, else 0; the same mask for the same seed. */
  dropoutMask(y: Float32Array, keepProb: number, seed: number): void;
  setThreads(n: number): void;
  getThreads(): number;
  /** Element-wise loops below n elements run on one thread. */
  setParallelMin(n: number): void;
  config(): string;
}

export type ConvGeometry = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

export type AddonLoad = { addon: NativeAddon; path: string } | { addon: undefined; reason: string };

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
let cached: AddonLoad | undefined;

/** Where the addon is looked for: OCRFLOW_NATIVE_ADDON, then the node-gyp output of this checkout. */
export function addonCandidates(): string[] {
  const list: string[] = [];
  if (process.env.OCRFLOW_NATIVE_ADDON) list.push(process.env.OCRFLOW_NATIVE_ADDON);
  list.push(join(repoRoot, "build", "Release", "ocrflow_blas.node"));
  // From dist/models/backend when running the compiled CLI.
  list.push(join(repoRoot, "..", "build", "Release", "ocrflow_blas.node"));
  return list;
}

/** OpenBLAS's build and kernel set (e.g. "OpenBLAS 0.3.21 USE_OPENMP Cooperlake") and the addon's threads. */
export function describeNativeAddon(addon: NativeAddon): string {
  const build = addon.config().replace(/ (NO_LAPACKE|DYNAMIC_ARCH|NO_AFFINITY|MAX_THREADS=\d+)/g, "");
  return `${build}, ${addon.getThreads()} threads`;
}

/** Loads the addon once. Threads default to every core (OCRFLOW_THREADS overrides). */
export function loadNativeAddon(): AddonLoad {
  if (cached) return cached;
  if (process.env.OCRFLOW_DISABLE_NATIVE === "1") {
    cached = { addon: undefined, reason: "disabled by OCRFLOW_DISABLE_NATIVE=1" };
    return cached;
  }
  const path = addonCandidates().find((p) => existsSync(p));
  if (!path) {
    cached = {
      addon: undefined,
      reason: "build/Release/ocrflow_blas.node not found (run `npm run build:native`)",
    };
    return cached;
  }
  // OpenMP threads that spin after each parallel region steal the core OpenBLAS needs next; unless the
  // user chose otherwise, let them spin briefly and then sleep. Read by libgomp when the addon loads.
  if (!process.env.GOMP_SPINCOUNT) process.env.OMP_WAIT_POLICY ??= "PASSIVE";
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    const threads = Number(process.env.OCRFLOW_THREADS);
    if (Number.isInteger(threads) && threads > 0) addon.setThreads(threads);
    cached = { addon, path };
  } catch (error) {
    cached = { addon: undefined, reason: `${path} failed to load: ${(error as Error).message}` };
  }
  return cached;
}
