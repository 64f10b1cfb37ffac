// GELU (tanh approximation), layer norm and training batch norm as one native kernel each way. Composed of tfjs
// kernels, GELU took 8 element-wise passes forward and 9 backward (about a sixth of PARSeq-tiny's encoder time on
// the native backend), and layer norm 9 kernels forward: in autoregressive decoding, where tensors are a few rows,
// the kernel count is the cost. Training batch norm took 7 passes forward and 8 backward over whole conv
// activations: master-tiny's training ran at half the speed.

import type { KernelFunc, MathBackendCPU, TensorInfo } from "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.ts";
import { alloc, f32 } from "./native-kernels.ts";

/** Inputs {x}; outputs [y, t], t the tanh term the gradient needs. */
export const GELU_KERNEL = "OcrflowGelu";
/** Inputs {dy, x, t}; output dx. */
export const GELU_GRAD_KERNEL = "OcrflowGeluGrad";

/** Inputs {x, gamma, beta}, attr epsilon; outputs [y, xhat, rstd] (rstd with a last axis of 1). */
export const LAYER_NORM_KERNEL = "OcrflowLayerNorm";
/** Inputs {dy, xhat, rstd, gamma}; outputs [dx, dgamma, dbeta]. */
export const LAYER_NORM_GRAD_KERNEL = "OcrflowLayerNormGrad";

/** Inputs {x, gamma, beta} (channels last), attr epsilon; outputs [y, xhat, mean, variance, rstd] ([C] each). */
export const BATCH_NORM_KERNEL = "OcrflowBatchNorm";
/** Inputs {dy, xhat, rstd, gamma}; outputs [dx, dgamma, dbeta]. */
export const BATCH_NORM_GRAD_KERNEL = "OcrflowBatchNormGrad";

export function fusedKernels(addon: NativeAddon, backendName: string): tf.KernelConfig[] {
  return [
    ...geluKernels(addon, backendName),
    ...layerNormKernels(addon, backendName),
    ...batchNormKernels(addon, backendName),
  ];
}

/** A fused norm's gradient kernel, (dy, xhat, rstd, gamma) -> [dx, dgamma, dbeta]: layer and batch norm alike. */
function normGrad(
  kernel: string,
): (dy: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, gamma: tf.Tensor) => [tf.Tensor, tf.Tensor, tf.Tensor] {
  return (dy, xhat, rstd, gamma) =>
    tf.engine().runKernel(kernel, { dy, xhat, rstd, gamma }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

function batchNormKernels(addon: NativeAddon, backendName: string): tf.KernelConfig[] {
  const forward = (({ inputs, backend, attrs }) => {
    const b = backend as MathBackendCPU;
    const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
    const channels = x.shape[x.shape.length - 1] as number;
    const n = tf.util.sizeFromShape(x.shape);
    const [y, xhat] = [alloc(b, n), alloc(b, n)];
    const [mean, variance, rstd] = [alloc(b, channels), alloc(b, channels), alloc(b, channels)];
    const epsilon = Number((attrs as { epsilon: number }).epsilon);
    const rows = channels > 0 ? n / channels : 0;
    addon.batchNormTrain(
      f32(b, x),
      f32(b, gamma),
      f32(b, beta),
      y,
      xhat,
      mean,
      variance,
      rstd,
      rows,
      channels,
      epsilon,
    );
    return [
      b.makeTensorInfo(x.shape, "float32", y),
      b.makeTensorInfo(x.shape, "float32", xhat),
      ...[mean, variance, rstd].map((v) => b.makeTensorInfo([channels], "float32", v)),
    ];
  }) as KernelFunc;
  const gradient = (({ inputs, backend }) => {
    const b = backend as MathBackendCPU;
    const { dy, xhat, rstd, gamma } = inputs as Record<"dy" | "xhat" | "rstd" | "gamma", TensorInfo>;
    const channels = xhat.shape[xhat.shape.length - 1] as number;
    const n = tf.util.sizeFromShape(xhat.shape);
    const [dx, dgamma, dbeta] = [alloc(b, n), alloc(b, channels), alloc(b, channels)];
    const rows = channels > 0 ? n / channels : 0;
    addon.batchNormTrainGrad(
      f32(b, dy),
      f32(b, xhat),
      f32(b, gamma),
      f32(b, rstd),
      dx,
      dgamma,
      dbeta,
      rows,
      channels,
    );
    return [
      b.makeTensorInfo(xhat.shape, "float32", dx),
      b.makeTensorInfo([channels], "float32", dgamma),
      b.makeTensorInfo([channels], "float32", dbeta),
    ];
  }) as KernelFunc;
  return [
    { kernelName: BATCH_NORM_KERNEL, backendName, kernelFunc: forward },
    { kernelName: BATCH_NORM_GRAD_KERNEL, backendName, kernelFunc: gradient },
  ];
}

/** Whether the active backend has the fused training batch norm (float32, gamma of the last axis). */
export function hasNativeBatchNorm(x: tf.Tensor, gamma: tf.Tensor): boolean {
  return (
    x.dtype === "float32" &&
    x.rank >= 2 &&
    gamma.rank === 1 &&
    gamma.shape[0] === x.shape[x.rank - 1] &&
    tf.getKernel(BATCH_NORM_KERNEL, tf.getBackend()) !== undefined
  );
}

/** [y, xhat, mean, variance, rstd] of the fused training batch norm. */
export function nativeBatchNorm(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BATCH_NORM_KERNEL, { x, gamma, beta }, { epsilon }) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** [dx, dgamma, dbeta] of the fused training batch norm's gradient (the inputs of layer norm's). */
export const nativeBatchNormGrad = normGrad(BATCH_NORM_GRAD_KERNEL);

function layerNormKernels(addon: NativeAddon, backendName: string): tf.KernelConfig[] {
  const forward = (({ inputs, backend, attrs }) => {
    const b = backend as MathBackendCPU;
    const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
    const d = x.shape[x.shape.length - 1] as number;
    const n = tf.util.sizeFromShape(x.shape);
    const rows = d > 0 ? n / d : 0;
    const y = alloc(b, n);
    const xhat = alloc(b, n);
    const rstd = alloc(b, rows);
    const epsilon = Number((attrs as { epsilon: number }).epsilon);
    if (n > 0) addon.layerNorm(f32(b, x), f32(b, gamma), f32(b, beta), y, xhat, rstd, rows, d, epsilon);
    return [
      b.makeTensorInfo(x.shape, "float32", y),
      b.makeTensorInfo(x.shape, "float32", xhat),
      b.makeTensorInfo([...x.shape.slice(0, -1), 1], "float32", rstd),
    ];
  }) as KernelFunc;
  const gradient = (({ inputs, backend }) => {
    const b = backend as MathBackendCPU;
    const { dy, xhat, rstd, gamma } = inputs as Record<"dy" | "xhat" | "rstd" | "gamma", TensorInfo>;
    const d = xhat.shape[xhat.shape.length - 1] as number;
    const n = tf.util.sizeFromShape(xhat.shape);
    const dx = alloc(b, n);
    const dgamma = alloc(b, d);
    const dbeta = alloc(b, d);
    if (n > 0)
      addon.layerNormGrad(f32(b, dy), f32(b, xhat), f32(b, rstd), f32(b, gamma), dx, dgamma, dbeta, n / d, d);
    else {
      dgamma.fill(0);
      dbeta.fill(0);
    }
    return [
      b.makeTensorInfo(xhat.shape, "float32", dx),
      b.makeTensorInfo([d], "float32", dgamma),
      b.makeTensorInfo([d], "float32", dbeta),
    ];
  }) as KernelFunc;
  return [
    { kernelName: LAYER_NORM_KERNEL, backendName, kernelFunc: forward },
    { kernelName: LAYER_NORM_GRAD_KERNEL, backendName, kernelFunc: gradient },
  ];
}

/** Whether the active backend has the fused layer norm (float32 inputs, gamma and beta of the last axis). */
export function hasNativeLayerNorm(x: tf.Tensor, gamma: tf.Tensor): boolean {
  return (
    x.dtype === "float32" &&
    x.rank >= 1 &&
    gamma.rank === 1 &&
    gamma.shape[0] === x.shape[x.rank - 1] &&
    tf.getKernel(LAYER_NORM_KERNEL, tf.getBackend()) !== undefined
  );
}

/** [y, xhat, rstd] of the fused forward kernel. */
export function nativeLayerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(LAYER_NORM_KERNEL, { x, gamma, beta }, { epsilon }) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** [dx, dgamma, dbeta] of the fused gradient kernel. */
export const nativeLayerNormGrad = normGrad(LAYER_NORM_GRAD_KERNEL);

function geluKernels(addon: NativeAddon, backendName: string): tf.KernelConfig[] {
  const forward = (({ inputs, backend }) => {
    const b = backend as MathBackendCPU;
    const x = inputs.x as TensorInfo;
    const n = tf.util.sizeFromShape(x.shape);
    const y = alloc(b, n);
    const t = alloc(b, n);
    if (n > 0) addon.gelu(f32(b, x), y, t, n);
    return [b.makeTensorInfo(x.shape, "float32", y), b.makeTensorInfo(x.shape, "float32", t)];
  }) as KernelFunc;
  const gradient = (({ inputs, backend }) => {
    const b = backend as MathBackendCPU;
    const { dy, x, t } = inputs as { dy: TensorInfo; x: TensorInfo; t: TensorInfo };
    const n = tf.util.sizeFromShape(x.shape);
    const dx = alloc(b, n);
    if (n > 0) addon.geluGrad(f32(b, dy), f32(b, x), f32(b, t), dx, n);
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
