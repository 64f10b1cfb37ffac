// Kernels of the `native` backend that replace the pure-JS cpu ones: GEMM and convolutions through
// OpenBLAS, and the memory-bound kernels a training step spends its time in, threaded in the addon.
import {
  backend_util,
  broadcast_util,
  type DataType,
  type KernelConfig,
  type KernelFunc,
  type MathBackendCPU,
  type NamedAttrMap,
  slice_util,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs";
import type { ConvGeometry, NativeAddon } from "./native-addon.ts";

type KernelArgs = Parameters<KernelFunc>[0];
type Attrs = Record<string, unknown>;

/** Builds a kernel that runs `impl`, or the cpu kernel when `impl` declines (returns undefined). */
type NativeImpl = (
  inputs: Record<string, TensorInfo | undefined>,
  backend: MathBackendCPU,
  attrs: Attrs,
) => TensorInfo | undefined;

export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId)?.values;
  // The cpu backend may keep a float32 tensor in another typed array (a cast from bool, for one).
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

function isF32(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === "float32");
}

function output(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, "float32" as DataType, values);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** An output array, from the native backend's pool when the backend has one (zeroed only on request). */
export function alloc(backend: MathBackendCPU, n: number, zero = false): Float32Array {
  const pooled = backend as Partial<{ alloc(n: number, zero?: boolean): Float32Array }>;
  return pooled.alloc ? pooled.alloc(n, zero) : new Float32Array(n);
}

function release(backend: MathBackendCPU, a: Float32Array): void {
  (backend as Partial<{ release(a: Float32Array): void }>).release?.(a);
}

/* ---------------------------------------------------------------------------------------------- */
/* GEMM                                                                                             */

const ACTIVATIONS: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  leakyrelu: 3,
  sigmoid: 4,
  elu: 5,
};

function matMul(
  addon: NativeAddon,
  backend: MathBackendCPU,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): { values: Float32Array; shape: number[] } | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = (transposeA ? a.shape[ra - 1] : a.shape[ra - 2]) as number;
  const k = (transposeA ? a.shape[ra - 2] : a.shape[ra - 1]) as number;
  const n = (transposeB ? b.shape[rb - 2] : b.shape[rb - 1]) as number;
  const batchShape = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = size(batchShape);
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  const shape = [...batchShape, m, n];
  const out = alloc(backend, batch * m * n, k === 0);
  if (out.length === 0) return { values: out, shape };
  if (k === 0) return { values: out, shape };
  const av = f32(backend, a);
  const bv = f32(backend, b);
  if (batchB === 1 && batchA === batch && batch > 1 && !transposeA) {
    // One tall product instead of many: [batch*m, k] x [k, n].
    addon.sgemm(0, transposeB ? 1 : 0, batch * m, n, k, av, bv, out, 1, 0, 0, 0, 0);
  } else {
    addon.sgemm(
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      m,
      n,
      k,
      av,
      bv,
      out,
      batch,
      batchA === 1 ? 0 : m * k,
      batchB === 1 ? 0 : k * n,
      m * n,
      0,
    );
  }
  return { values: out, shape };
}

function batchMatMulImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { a, b } = inputs;
    if (!a || !b || !isF32(a, b)) return undefined;
    const r = matMul(addon, backend, a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB));
    return r && output(backend, r.shape, r.values);
  };
}

function fusedMatMulImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { a, b, bias, preluActivationWeights } = inputs;
    const act = ACTIVATIONS[String(attrs.activation ?? "linear")];
    if (!a || !b || !isF32(a, b, bias) || preluActivationWeights || act === undefined) return undefined;
    const n = (attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1]) as number;
    if (bias && size(bias.shape) !== n) return undefined;
    const r = matMul(addon, backend, a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB));
    if (!r) return undefined;
    if (bias || act !== 0) {
      const biasValues = bias ? f32(backend, bias) : null;
      addon.biasActivation(
        r.values,
        r.values.length / n,
        n,
        biasValues,
        act,
        Number(attrs.leakyreluAlpha ?? 0.2),
      );
    }
    return output(backend, r.shape, r.values);
  };
}

/* ---------------------------------------------------------------------------------------------- */
/* Convolutions                                                                                     */

function geometry(info: backend_util.Conv2DInfo): ConvGeometry {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.outHeight,
    info.outWidth,
  ];
}

type Shape4 = [number, number, number, number];

function conv2dInfo(xShape: number[], filterShape: number[], attrs: Attrs, dilations: unknown) {
  return backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides as [number, number],
    dilations as [number, number],
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
}

function conv2dImpl(addon: NativeAddon, fused: boolean): NativeImpl {
  return (inputs, backend, attrs) => {
    const { x, filter, bias, preluActivationWeights } = inputs;
    if (!x || !filter || !isF32(x, filter, bias) || attrs.dataFormat === "NCHW") return undefined;
    const act = fused ? ACTIVATIONS[String(attrs.activation ?? "linear")] : 0;
    if (act === undefined || preluActivationWeights) return undefined;
    const info = conv2dInfo(x.shape, filter.shape, attrs, attrs.dilations ?? 1);
    if (bias && size(bias.shape) !== info.outChannels) return undefined;
    const out = alloc(backend, size(info.outShape));
    if (out.length > 0) {
      // Bias and activation are applied tile by tile inside the convolution, while each tile is in cache.
      addon.conv2d(
        ...geometry(info),
        f32(backend, x),
        f32(backend, filter),
        out,
        bias ? f32(backend, bias) : null,
        act,
        Number(attrs.leakyreluAlpha ?? 0.2),
      );
    }
    return output(backend, info.outShape, out);
  };
}

function conv2dBackpropInputImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { dy, filter } = inputs;
    if (!dy || !filter || !isF32(dy, filter) || attrs.dataFormat === "NCHW") return undefined;
    const info = conv2dInfo(attrs.inputShape as number[], filter.shape, attrs, 1);
    const dx = alloc(backend, size(info.inShape), true);
    if (dx.length > 0 && size(dy.shape) > 0) {
      addon.conv2dBackpropInput(...geometry(info), f32(backend, dy), f32(backend, filter), dx);
    }
    return output(backend, info.inShape, dx);
  };
}

function conv2dBackpropFilterImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { x, dy } = inputs;
    if (!x || !dy || !isF32(x, dy) || attrs.dataFormat === "NCHW") return undefined;
    const info = conv2dInfo(x.shape, attrs.filterShape as number[], attrs, 1);
    const dw = alloc(backend, size(info.filterShape), size(dy.shape) === 0);
    if (dw.length > 0 && size(dy.shape) > 0) {
      addon.conv2dBackpropFilter(...geometry(info), f32(backend, x), f32(backend, dy), dw);
    }
    return output(backend, info.filterShape, dw);
  };
}

function poolInfo(xShape: number[], attrs: Attrs) {
  return backend_util.computePool2DInfo(
    xShape as Shape4,
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
  );
}

function maxPoolImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { x } = inputs;
    if (!x || !isF32(x)) return undefined;
    const info = poolInfo(x.shape, attrs);
    const out = alloc(backend, size(info.outShape));
    if (out.length > 0) addon.maxPool(...geometry(info), f32(backend, x), out);
    return output(backend, info.outShape, out);
  };
}

function maxPoolGradImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { dy, input } = inputs;
    if (!dy || !input || !isF32(dy, input)) return undefined;
    const info = poolInfo(input.shape, attrs);
    const dx = alloc(backend, size(input.shape), true);
    if (dx.length > 0 && size(dy.shape) > 0) {
      addon.maxPoolGrad(...geometry(info), f32(backend, input), f32(backend, dy), dx);
    }
    return output(backend, input.shape, dx);
  };
}

/* ---------------------------------------------------------------------------------------------- */
/* Element-wise                                                                                     */

export interface BroadcastPlan {
  shape: number[];
  stridesA: number[];
  stridesB: number[];
  outShape: number[];
}

/** Collapses a broadcasting binary op into at most 4 strided dimensions (stride 0 = broadcast). */
export function broadcastPlan(aShape: number[], bShape: number[]): BroadcastPlan | undefined {
  const outShape = broadcast_util.assertAndGetBroadcastShape(aShape, bShape);
  const rank = outShape.length;
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const pa = pad(aShape);
  const pb = pad(bShape);
  const dims: { n: number; fa: boolean; fb: boolean }[] = [];
  for (let i = 0; i < rank; i++) {
    const n = outShape[i] as number;
    if (n === 1) continue;
    const fa = pa[i] === n;
    const fb = pb[i] === n;
    const last = dims[dims.length - 1];
    if (last && last.fa === fa && last.fb === fb) last.n *= n;
    else dims.push({ n, fa, fb });
  }
  if (dims.length > 4) return undefined;
  while (dims.length < 4) dims.unshift({ n: 1, fa: false, fb: false });
  const stridesA = [0, 0, 0, 0];
  const stridesB = [0, 0, 0, 0];
  let sa = 1;
  let sb = 1;
  for (let i = 3; i >= 0; i--) {
    const d = dims[i] as { n: number; fa: boolean; fb: boolean };
    if (d.fa) {
      stridesA[i] = sa;
      sa *= d.n;
    }
    if (d.fb) {
      stridesB[i] = sb;
      sb *= d.n;
    }
  }
  return { shape: dims.map((d) => d.n), stridesA, stridesB, outShape };
}

const BINARY_OPS: Record<string, number> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
  Pow: 7,
};

function binaryImpl(addon: NativeAddon, op: number): NativeImpl {
  return (inputs, backend) => {
    const { a, b } = inputs;
    if (!a || !b || !isF32(a, b)) return undefined;
    const plan = broadcastPlan(a.shape, b.shape);
    if (!plan) return undefined;
    const out = alloc(backend, size(plan.outShape));
    if (out.length > 0) {
      addon.binary(f32(backend, a), f32(backend, b), out, plan.shape, plan.stridesA, plan.stridesB, op);
    }
    return output(backend, plan.outShape, out);
  };
}

const UNARY_OPS: Record<string, number> = {
  Relu: 0,
  Exp: 1,
  Log: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Tanh: 5,
  Sigmoid: 6,
  Neg: 7,
  Square: 8,
  Step: 9,
  Abs: 10,
  Erf: 11,
  Reciprocal: 12,
  Floor: 13,
  Ceil: 14,
};

function unaryImpl(addon: NativeAddon, op: number): NativeImpl {
  return (inputs, backend, attrs) => {
    const { x } = inputs;
    if (!x || !isF32(x)) return undefined;
    const out = alloc(backend, size(x.shape));
    if (out.length > 0) addon.unary(f32(backend, x), out, out.length, op, Number(attrs.alpha ?? 0));
    return output(backend, x.shape, out);
  };
}

function softmaxImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { logits } = inputs;
    if (!logits || !isF32(logits)) return undefined;
    const rank = logits.shape.length;
    const dim = Number(attrs.dim ?? -1);
    if (dim !== -1 && dim !== rank - 1) return undefined;
    const cols = logits.shape[rank - 1] as number;
    const out = alloc(backend, size(logits.shape));
    if (out.length > 0) addon.softmaxRows(f32(backend, logits), out, out.length / cols, cols);
    return output(backend, logits.shape, out);
  };
}

function transposeValues(
  addon: NativeAddon,
  backend: MathBackendCPU,
  x: Float32Array,
  shape: number[],
  perm: number[],
): Float32Array {
  const out = alloc(backend, x.length);
  if (out.length > 0) addon.transpose(x, out, shape, perm);
  return out;
}

function transposeImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { x } = inputs;
    const perm = attrs.perm as number[];
    if (!x || !isF32(x) || x.shape.length > 8 || x.shape.length === 0) return undefined;
    const out = transposeValues(addon, backend, f32(backend, x), x.shape, perm);
    return output(
      backend,
      perm.map((p) => x.shape[p] as number),
      out,
    );
  };
}

const REDUCE_OPS: Record<string, number> = { Sum: 0, Max: 1, Min: 2, Mean: 3 };

function reduceImpl(addon: NativeAddon, op: number): NativeImpl {
  return (inputs, backend, attrs) => {
    const { x } = inputs;
    if (!x || !isF32(x) || x.shape.length > 8) return undefined;
    const axisAttr = (attrs.axis ?? attrs.reductionIndices) as number | number[];
    const shape = x.shape;
    const axes = util.parseAxisParam(axisAttr, shape).sort((p, q) => p - q);
    if (axes.length === 0 || size(shape) === 0) return undefined;
    const keptShape = shape.filter((_, i) => !axes.includes(i));
    const outShape = attrs.keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : keptShape;
    let values = f32(backend, x);
    let transposed: Float32Array | undefined;
    let outer: number;
    let mid: number;
    let inner: number;
    const contiguous = axes.every((a, i) => i === 0 || a === (axes[i - 1] as number) + 1);
    if (contiguous) {
      const first = axes[0] as number;
      const last = axes[axes.length - 1] as number;
      outer = size(shape.slice(0, first));
      mid = size(shape.slice(first, last + 1));
      inner = size(shape.slice(last + 1));
    } else {
      const perm = [...shape.keys()].filter((i) => !axes.includes(i)).concat(axes);
      values = transposeValues(addon, backend, values, shape, perm);
      transposed = values;
      outer = size(keptShape);
      mid = size(axes.map((a) => shape[a] as number));
      inner = 1;
    }
    const out = alloc(backend, outer * inner);
    addon.reduce(values, out, outer, mid, inner, op);
    if (transposed) release(backend, transposed);
    return output(backend, outShape, out);
  };
}

function tileImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { x } = inputs;
    const reps = attrs.reps as number[];
    if (!x || !isF32(x) || x.shape.length < 1 || x.shape.length > 8 || reps.length !== x.shape.length)
      return undefined;
    const outShape = x.shape.map((d, i) => d * (reps[i] as number));
    const out = alloc(backend, size(outShape));
    if (out.length > 0) addon.tile(f32(backend, x), out, x.shape, reps);
    return output(backend, outShape, out);
  };
}

/** Batch norm with per-channel (last axis) or scalar statistics, as y = x * mul[c] + add[c]. */
function batchNormImpl(addon: NativeAddon): NativeImpl {
  return (inputs, backend, attrs) => {
    const { x, mean, variance, offset, scale } = inputs;
    if (!x || !mean || !variance || !isF32(x, mean, variance, offset, scale) || x.shape.length === 0)
      return undefined;
    const cols = x.shape[x.shape.length - 1] as number;
    const perChannel = (t: TensorInfo | undefined) =>
      t === undefined || size(t.shape) === 1 || size(t.shape) === cols;
    if (![mean, variance, offset, scale].every(perChannel)) return undefined;
    const at = (t: TensorInfo | undefined, c: number, fallback: number) => {
      if (!t) return fallback;
      const v = f32(backend, t);
      return (v.length === 1 ? v[0] : v[c]) as number;
    };
    const eps = Number(attrs.varianceEpsilon ?? 0.001);
    const mul = new Float32Array(cols);
    const add = new Float32Array(cols);
    for (let c = 0; c < cols; c++) {
      const inv = (1 / Math.sqrt(at(variance, c, 1) + eps)) * at(scale, c, 1);
      mul[c] = inv;
      add[c] = at(offset, c, 0) - at(mean, c, 0) * inv;
    }
    const out = alloc(backend, size(x.shape));
    if (out.length > 0) addon.channelAffine(f32(backend, x), out, out.length / cols, cols, mul, add);
    return output(backend, x.shape, out);
  };
}

/* ---------------------------------------------------------------------------------------------- */
/* Embedding gradient                                                                               */

/** The gradient of `gather`: rows of x summed into their segments (the cpu kernel loops per segment). */
const unsortedSegmentSumImpl: NativeImpl = (inputs, backend, attrs) => {
  const { x, segmentIds } = inputs;
  if (!x || !segmentIds || !isF32(x) || segmentIds.dtype !== "int32") return undefined;
  const numSegments = Number(attrs.numSegments);
  const ids = backend.data.get(segmentIds.dataId)?.values as Int32Array;
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const row = size(rowShape);
  const xs = f32(backend, x);
  const out = alloc(backend, numSegments * row, true);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i] as number;
    if (s < 0 || s >= numSegments) continue;
    const src = i * row;
    const dst = s * row;
    for (let j = 0; j < row; j++) out[dst + j] = (out[dst + j] as number) + (xs[src + j] as number);
  }
  return output(backend, [numSegments, ...rowShape], out);
};

/** Row gather (embeddings): the cpu kernel indexes element by element through a TensorBuffer. */
const gatherImpl: NativeImpl = (inputs, backend, attrs) => {
  const { x, indices } = inputs;
  if (!x || !indices || !isF32(x) || indices.dtype !== "int32" || Number(attrs.batchDims ?? 0) !== 0) {
    return undefined;
  }
  const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
  const ids = backend.data.get(indices.dataId)?.values as Int32Array;
  const dim = x.shape[axis] as number;
  for (const i of ids) if (i < 0 || i >= dim) return undefined; // the cpu kernel reports the error
  const outer = size(x.shape.slice(0, axis));
  const inner = size(x.shape.slice(axis + 1));
  const xs = f32(backend, x);
  const out = alloc(backend, outer * ids.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < ids.length; j++) {
      const src = (o * dim + (ids[j] as number)) * inner;
      out.set(xs.subarray(src, src + inner), (o * ids.length + j) * inner);
    }
  }
  return output(backend, [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], out);
};

/* ---------------------------------------------------------------------------------------------- */
/* Slice and pad                                                                                    */

/**
 * Copies the box `box` of `src` (shape `srcShape`, box corner `srcBegin`) into `dst` (shape `dstShape`, corner
 * `dstBegin`), a contiguous run at a time: the trailing dimensions the box spans whole in both arrays merge
 * into one run. The cpu kernels move strided slices and pads element by element through index arithmetic,
 * 150 ms for one [64, 33, 161] slice.
 */
function copyBox(
  src: Float32Array,
  srcShape: readonly number[],
  srcBegin: readonly number[],
  dst: Float32Array,
  dstShape: readonly number[],
  dstBegin: readonly number[],
  box: readonly number[],
): void {
  const rank = box.length;
  if (rank === 0) {
    dst[0] = src[0] as number;
    return;
  }
  if (size(box) === 0) return;
  let j = rank - 1;
  let run = box[j] as number;
  while (j > 0 && box[j] === srcShape[j] && box[j] === dstShape[j]) {
    j--;
    run *= box[j] as number;
  }
  const srcStrides = util.computeStrides(srcShape as number[]);
  const dstStrides = util.computeStrides(dstShape as number[]);
  const stride = (strides: number[], k: number) => (k === rank - 1 ? 1 : (strides[k] as number));
  let srcBase = 0;
  let dstBase = 0;
  for (let k = 0; k < rank; k++) {
    srcBase += (srcBegin[k] as number) * stride(srcStrides, k);
    dstBase += (dstBegin[k] as number) * stride(dstStrides, k);
  }
  const rows = size(box.slice(0, j));
  for (let r = 0; r < rows; r++) {
    let rest = r;
    let s = srcBase;
    let d = dstBase;
    for (let k = j - 1; k >= 0; k--) {
      const extent = box[k] as number;
      const i = rest % extent;
      rest = (rest - i) / extent;
      s += i * stride(srcStrides, k);
      d += i * stride(dstStrides, k);
    }
    if (run >= 16) dst.set(src.subarray(s, s + run), d);
    else for (let e = 0; e < run; e++) dst[d + e] = src[s + e] as number;
  }
}

/** Strided slices (the contiguous ones stay with the cpu kernel, which returns a view). */
const sliceImpl: NativeImpl = (inputs, backend, attrs) => {
  const { x } = inputs;
  if (!x || !isF32(x) || x.shape.length === 0) return undefined;
  const [begin = [], box = []] = slice_util.parseSliceParams(
    x,
    attrs.begin as number[],
    attrs.size as number[],
  );
  slice_util.assertParamsValid(x, begin, box);
  if (slice_util.isSliceContinous(x.shape, begin, box)) return undefined;
  const out = alloc(backend, size(box));
  copyBox(f32(backend, x), x.shape, begin, out, box, new Array(box.length).fill(0), box);
  return output(backend, box, out);
};

/** Constant padding (the gradient of a slice). */
const padImpl: NativeImpl = (inputs, backend, attrs) => {
  const { x } = inputs;
  if (!x || !isF32(x) || x.shape.length === 0) return undefined;
  const paddings = attrs.paddings as [number, number][];
  const value = Number(attrs.constantValue ?? 0);
  const outShape = x.shape.map((d, i) => (paddings[i]?.[0] ?? 0) + d + (paddings[i]?.[1] ?? 0));
  const out = alloc(backend, size(outShape), value === 0);
  if (value !== 0) out.fill(value);
  copyBox(
    f32(backend, x),
    x.shape,
    new Array(x.shape.length).fill(0),
    out,
    outShape,
    paddings.map((p) => p[0]),
    x.shape,
  );
  return output(backend, outShape, out);
};

/**
 * Concatenation as one box copy per input. The cpu kernel reshapes to 2D and copies element by element: the
 * decoders' key/value caches grow by a concat every step, [64, 4, t, 32] + [64, 4, 1, 32].
 */
const concatImpl: NativeImpl = (inputs, backend, attrs) => {
  const xs = Object.values(inputs).filter((t): t is TensorInfo => t !== undefined);
  const first = xs[0];
  if (!first || xs.length < 2 || !isF32(...xs) || first.shape.length === 0) return undefined;
  const axis = util.parseAxisParam(attrs.axis as number, first.shape)[0] as number;
  const shapes = xs.map((t) => t.shape);
  backend_util.assertParamsConsistent(shapes, axis);
  const outShape = backend_util.computeOutShape(shapes, axis);
  const out = alloc(backend, size(outShape));
  const origin = new Array(outShape.length).fill(0);
  let offset = 0;
  for (const t of xs) {
    const begin = [...origin];
    begin[axis] = offset;
    copyBox(f32(backend, t), t.shape, origin, out, outShape, begin, t.shape);
    offset += t.shape[axis] as number;
  }
  return output(backend, outShape, out);
};

/* ---------------------------------------------------------------------------------------------- */

/** The kernels this backend replaces, by tfjs kernel name. */
export function nativeImpls(addon: NativeAddon): Record<string, NativeImpl> {
  const impls: Record<string, NativeImpl> = {
    BatchMatMul: batchMatMulImpl(addon),
    _FusedMatMul: fusedMatMulImpl(addon),
    Conv2D: conv2dImpl(addon, false),
    FusedConv2D: conv2dImpl(addon, true),
    Conv2DBackpropInput: conv2dBackpropInputImpl(addon),
    Conv2DBackpropFilter: conv2dBackpropFilterImpl(addon),
    MaxPool: maxPoolImpl(addon),
    MaxPoolGrad: maxPoolGradImpl(addon),
    Softmax: softmaxImpl(addon),
    Transpose: transposeImpl(addon),
    UnsortedSegmentSum: unsortedSegmentSumImpl,
    GatherV2: gatherImpl,
    Tile: tileImpl(addon),
    FusedBatchNorm: batchNormImpl(addon),
    Slice: sliceImpl,
    PadV2: padImpl,
    Concat: concatImpl,
  };
  for (const [name, op] of Object.entries(BINARY_OPS)) impls[name] = binaryImpl(addon, op);
  for (const [name, op] of Object.entries(UNARY_OPS)) impls[name] = unaryImpl(addon, op);
  for (const [name, op] of Object.entries(REDUCE_OPS)) impls[name] = reduceImpl(addon, op);
  return impls;
}

/** Wraps an implementation as a kernel of `backendName` that falls back to the cpu kernel. */
export function nativeKernel(
  name: string,
  backendName: string,
  impl: NativeImpl,
  fallback: KernelConfig | undefined,
): KernelConfig {
  const kernelFunc = ((args: KernelArgs) => {
    const backend = args.backend as MathBackendCPU;
    const result = impl(
      args.inputs as Record<string, TensorInfo | undefined>,
      backend,
      (args.attrs ?? {}) as NamedAttrMap as Attrs,
    );
    if (result) return result;
    if (!fallback) throw new Error(`native backend: ${name} is not supported for these inputs`);
    return fallback.kernelFunc(args);
  }) as KernelFunc;
  return { ...(fallback ?? {}), kernelName: name, backendName, kernelFunc };
}
