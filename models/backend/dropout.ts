// Dropout whose mask the native backend draws in C: tf.dropout draws its uniform randoms in JavaScript
// (not a kernel), about 35 ms for a [32,128,384] activation, which dominated small transformers' steps.

import type { KernelFunc, MathBackendCPU } from "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.ts";

export const DROPOUT_MASK_KERNEL = "OcrflowDropoutMask";

/** The kernel: no inputs; attrs shape, keepProb, seed; output 1/keepProb or 0 per element. */
export function dropoutMaskKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  const kernelFunc = (({ backend, attrs }) => {
    const b = backend as MathBackendCPU;
    const a = attrs as { shape: number[]; keepProb: number; seed: number };
    const n = a.shape.reduce((x, y) => x * y, 1);
    const pooled = b as Partial<{ alloc(n: number): Float32Array }>;
    const values = pooled.alloc ? pooled.alloc(n) : new Float32Array(n);
    if (n > 0) addon.dropoutMask(values, a.keepProb, a.seed);
    return b.makeTensorInfo(a.shape, "float32", values);
  }) as KernelFunc;
  return { kernelName: DROPOUT_MASK_KERNEL, backendName, kernelFunc };
}

/**
 * tf.dropout(x, rate, undefined, seed), with the mask drawn natively on the native backend. For a given seed
 * the mask is deterministic but differs from tfjs' own; other backends use tf.dropout unchanged.
 */
export function dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  if (
    !tf.getKernel(DROPOUT_MASK_KERNEL, tf.getBackend()) ||
    x.dtype !== "float32" ||
    rate <= 0 ||
    rate >= 1
  ) {
    return tf.dropout(x, rate, undefined, seed);
  }
  return tf.tidy(() => {
    const attrs = {
      shape: x.shape,
      keepProb: 1 - rate,
      seed: seed ?? Math.floor(Math.random() * 2 ** 31),
    };
    const mask = tf
      .engine()
      .runKernel(DROPOUT_MASK_KERNEL, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return tf.mul(x, mask);
  });
}
