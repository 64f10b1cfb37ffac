// The WebAssembly backend with the training kernels tfjs-backend-wasm 4.22 lacks (Conv2DBackpropFilter,
// UnsortedSegmentSum) and fast paths for transposed matmuls and stride-1 input gradients, from its own kernels.

import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs";

export const WASM_BACKEND = "wasm";

/** The subset of BackendWasm these kernels use. */
interface WasmBackendLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): tf.backend_util.TypedArray;
  disposeData(dataId: object, force?: boolean): boolean;
}

type Attrs = Record<string, unknown>;

function wasmKernel(name: string): KernelFunc {
  const k = tf.getKernel(name, WASM_BACKEND);
  if (!k) throw new Error(`wasm backend has no ${name} kernel`);
  return k.kernelFunc;
}

/** Runs one wasm kernel directly (not through the engine, so profiles do not count it twice). */
function run(
  backend: WasmBackendLike,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: Attrs,
): TensorInfo {
  return wasmKernel(name)({
    inputs,
    backend: backend as never,
    attrs: attrs as tf.NamedAttrMap,
  }) as TensorInfo;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * dW[ky,kx,ci,co] = sum over n,oy,ox of xPadded[n, oy*s+ky, ox*s+kx, ci] * dy[n,oy,ox,co]: a forward conv
 * whose image is xPadded transposed to [ci, H, W, n], whose filter is dy transposed to [oh, ow, n, co],
 * with the stride as dilation.
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (a.dataFormat === "NCHW") throw new Error("wasm Conv2DBackpropFilter: NCHW is not supported");
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => {
    temps.push(t);
    return t;
  };
  try {
    const p = info.padInfo;
    let xp = x;
    if (p.top || p.bottom || p.left || p.right) {
      xp = keep(
        run(
          b,
          "PadV2",
          { x },
          {
            paddings: [
              [0, 0],
              [p.top, p.bottom],
              [p.left, p.right],
              [0, 0],
            ],
            constantValue: 0,
          },
        ),
      );
    }
    const image = keep(run(b, "Transpose", { x: xp }, { perm: [3, 1, 2, 0] }));
    const filter = keep(run(b, "Transpose", { x: dy }, { perm: [1, 2, 0, 3] }));
    let r = keep(
      run(
        b,
        "Conv2D",
        { x: image, filter },
        {
          strides: [1, 1],
          pad: "valid",
          dataFormat: "NHWC",
          dilations: [info.strideHeight, info.strideWidth],
        },
      ),
    );
    if (r.shape[1] !== info.filterHeight || r.shape[2] !== info.filterWidth) {
      r = keep(
        run(
          b,
          "Slice",
          { x: r },
          {
            begin: [0, 0, 0, 0],
            size: [info.inChannels, info.filterHeight, info.filterWidth, info.outChannels],
          },
        ),
      );
    }
    return run(b, "Transpose", { x: r }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) b.disposeData(t.dataId);
  }
};

/**
 * wasm's Conv2DBackpropInput runs at about a tenth of its forward Conv2D. For stride 1 the input gradient is a
 * forward conv of dy, padded by (filter - 1 - padding), with the filter flipped and its channels swapped.
 * Other strides keep the original kernel.
 */
function conv2DBackpropInputViaForward(original: KernelConfig): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const b = backend as unknown as WasmBackendLike;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    if (a.dataFormat === "NCHW" || info.strideHeight !== 1 || info.strideWidth !== 1) {
      return original.kernelFunc(args);
    }
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => {
      temps.push(t);
      return t;
    };
    try {
      const top = info.filterHeight - 1 - info.padInfo.top;
      const left = info.filterWidth - 1 - info.padInfo.left;
      const bottom = info.inHeight + info.filterHeight - 1 - info.outHeight - top;
      const right = info.inWidth + info.filterWidth - 1 - info.outWidth - left;
      if (top < 0 || left < 0 || bottom < 0 || right < 0) return original.kernelFunc(args);
      const padded = keep(
        run(
          b,
          "PadV2",
          { x: dy },
          {
            paddings: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            constantValue: 0,
          },
        ),
      );
      const flipped = keep(run(b, "Reverse", { x: filter }, { dims: [0, 1] }));
      const swapped = keep(run(b, "Transpose", { x: flipped }, { perm: [0, 1, 3, 2] }));
      return run(
        b,
        "Conv2D",
        { x: padded, filter: swapped },
        {
          strides: [1, 1],
          pad: "valid",
          dataFormat: "NHWC",
          dilations: [1, 1],
        },
      );
    } finally {
      for (const t of temps) b.disposeData(t.dataId);
    }
  };
}

/** The gradient of gather: rows summed into their segments, in JS over the wasm heap. */
const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = Number((attrs as Attrs).numSegments);
  const xs = b.readSync(x.dataId) as Float32Array;
  const ids = b.readSync(segmentIds.dataId) as Int32Array;
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const row = size(rowShape);
  const out = b.makeOutput([numSegments, ...rowShape], x.dtype);
  const heap = b.typedArrayFromHeap(out) as Float32Array;
  heap.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i] as number;
    if (s < 0 || s >= numSegments) continue;
    for (let j = 0; j < row; j++)
      heap[s * row + j] = (heap[s * row + j] as number) + (xs[i * row + j] as number);
  }
  return out;
};

/** wasm's matmul with transpose flags runs 15-30x slower than without: transpose explicitly instead. */
function transposingMatMul(original: KernelConfig): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmBackendLike;
    const a = attrs as unknown as tf.BatchMatMulAttrs;
    if (!a.transposeA && !a.transposeB) return original.kernelFunc({ inputs, backend, attrs });
    const temps: TensorInfo[] = [];
    const flip = (t: TensorInfo): TensorInfo => {
      const perm = [...t.shape.keys()];
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
      const out = run(b, "Transpose", { x: t }, { perm });
      temps.push(out);
      return out;
    };
    try {
      const ins = { ...inputs } as Record<string, TensorInfo>;
      if (a.transposeA) ins.a = flip(ins.a as TensorInfo);
      if (a.transposeB) ins.b = flip(ins.b as TensorInfo);
      return original.kernelFunc({
        inputs: ins,
        backend,
        attrs: { ...(attrs as Attrs), transposeA: false, transposeB: false } as tf.NamedAttrMap,
      });
    } finally {
      for (const t of temps) b.disposeData(t.dataId);
    }
  };
}

let registered: Promise<{ ok: true } | { ok: false; reason: string }> | undefined;

/** Imports tfjs-backend-wasm (which registers "wasm") and adds the kernels above, once. */
export function registerWasmBackend(): Promise<{ ok: true } | { ok: false; reason: string }> {
  registered ??= (async () => {
    try {
      await import("@tensorflow/tfjs-backend-wasm");
    } catch (error) {
      return {
        ok: false as const,
        reason: `@tensorflow/tfjs-backend-wasm failed to load: ${(error as Error).message}`,
      };
    }
    const own = (name: string, kernelFunc: KernelFunc) => {
      if (tf.getKernel(name, WASM_BACKEND)) tf.unregisterKernel(name, WASM_BACKEND);
      tf.registerKernel({ kernelName: name, backendName: WASM_BACKEND, kernelFunc });
    };
    if (!tf.getKernel("Conv2DBackpropFilter", WASM_BACKEND))
      own("Conv2DBackpropFilter", conv2DBackpropFilter);
    if (!tf.getKernel("UnsortedSegmentSum", WASM_BACKEND)) own("UnsortedSegmentSum", unsortedSegmentSum);
    const backpropInput = tf.getKernel("Conv2DBackpropInput", WASM_BACKEND);
    if (backpropInput) {
      tf.unregisterKernel("Conv2DBackpropInput", WASM_BACKEND);
      tf.registerKernel({ ...backpropInput, kernelFunc: conv2DBackpropInputViaForward(backpropInput) });
    }
    for (const name of ["BatchMatMul", "_FusedMatMul"]) {
      const original = tf.getKernel(name, WASM_BACKEND);
      if (!original) continue;
      tf.unregisterKernel(name, WASM_BACKEND);
      tf.registerKernel({ ...original, kernelFunc: transposingMatMul(original) });
    }
    return { ok: true as const };
  })();
  return registered;
}
