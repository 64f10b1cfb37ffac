// Registers the `native` tfjs backend: the pure-JS cpu backend's data store and light kernels, with the
// heavy kernels (GEMM, convolutions, element-wise, reductions) replaced by the OpenBLAS addon.
import * as tf from "@tensorflow/tfjs";
import { adamKernel } from "./fused-adam.ts";
import { type AddonLoad, loadNativeAddon } from "./native-addon.ts";
import { nativeImpls, nativeKernel } from "./native-kernels.ts";

export const NATIVE_BACKEND = "native";

/** Kernel names served by the addon (the rest are the cpu backend's own). */
export let nativeKernelNames: readonly string[] = [];

/** Registers the backend once; returns why not when the addon is unavailable. */
export function registerNativeBackend(): AddonLoad {
  const load = loadNativeAddon();
  if (!load.addon || tf.findBackendFactory(NATIVE_BACKEND)) return load;
  const addon = load.addon;
  tf.registerBackend(NATIVE_BACKEND, () => new tf.MathBackendCPU(), 0);
  const cpuKernels = new Map(tf.getKernelsForBackend("cpu").map((k) => [k.kernelName, k]));
  const impls = nativeImpls(addon);
  for (const [name, config] of cpuKernels) {
    if (!(name in impls)) tf.registerKernel({ ...config, backendName: NATIVE_BACKEND });
  }
  for (const [name, impl] of Object.entries(impls)) {
    tf.registerKernel(nativeKernel(name, NATIVE_BACKEND, impl, cpuKernels.get(name)));
  }
  tf.registerKernel(adamKernel(addon, NATIVE_BACKEND));
  nativeKernelNames = [...Object.keys(impls), "OcrflowAdam"];
  return load;
}
