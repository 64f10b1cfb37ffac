// GELU (tanh approximation) as one native kernel each way: composed of tfjs kernels, the forward pass took 8
// element-wise passes and the gradient 9, about a sixth of PARSeq-tiny's encoder time on the native backend.

import type { KernelFunc, MathBackendCPU, TensorInfo } from "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.ts";

/** Inputs {x}; outputs [y, t], t the tanh term the gradient needs. */
export const GELU_KERNEL = "OcrflowGelu";
/** Inputs {dy, x, t}; output dx. */
export const GELU_GRAD_KERNEL = "OcrflowGeluGrad";

function values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

function alloc(backend: MathBackendCPU, n: number): Float32Array {
  const pooled = backend as Partial<{ alloc(n: number): Float32Array }>;
  return pooled.alloc ? pooled.alloc(n) : new Float32Array(n);
}

export function geluKernels(addon: NativeAddon, backendName: string): tf.KernelConfig[] {
  const forward = (({ inputs, backend }) => {
    const b = backend as MathBackendCPU;
    const x = inputs.x as TensorInfo;
    const n = tf.util.sizeFromShape(x.shape);
    const y = alloc(b, n);
    const t = alloc(b, n);
    if (n > 0) addon.gelu(values(b, x), y, t, n);
    return [b.makeTensorInfo(x.shape, "float32", y), b.makeTensorInfo(x.shape, "float32", t)];
  }) as KernelFunc;
  const gradient = (({ inputs, backend }) => {
    const b = backend as MathBackendCPU;
    const { dy, x, t } = inputs as { dy: TensorInfo; x: TensorInfo; t: TensorInfo };
    const n = tf.util.sizeFromShape(x.shape);
    const dx = alloc(b, n);
    if (n > 0) addon.geluGrad(values(b, dy), values(b, x), values(b, t), dx, n);
    return b.makeTensorInfo(x.shape, "float32", dx);
  }) as KernelFunc;
  return [
    { kernelName: GELU_KERNEL, backendName, kernelFunc: forward },
    { kernelName: GELU_GRAD_KERNEL, backendName, kernelFunc: gradient },
  ];
}

/** Whether the active backend has the fused kernels (float32 inputs only). */
export function hasNativeGelu(x: tf.Tensor): boolean {
  return x.dtype === "float32" && tf.getKernel(GELU_KERNEL, tf.getBackend()) !== undefined;
}

/** [y, t] of the fused forward kernel. */
export function nativeGelu(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(GELU_KERNEL, { x }) as unknown as [tf.Tensor, tf.Tensor];
}

/** dx of the fused gradient kernel. */
export function nativeGeluGrad(dy: tf.Tensor, x: tf.Tensor, t: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x, t }) as tf.Tensor;
}
