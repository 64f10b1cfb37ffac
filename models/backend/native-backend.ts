// Registers the `native` tfjs backend: the pure-JS cpu backend's data store and light kernels, with the
// heavy kernels (GEMM, convolutions, element-wise, reductions) replaced by the OpenBLAS addon.
import * as tf from "@tensorflow/tfjs";
import { DROPOUT_MASK_KERNEL, dropoutMaskKernel } from "./dropout.ts";
import { adamKernel } from "./fused-adam.ts";
import { fusedKernels } from "./fused-ops.ts";
import { type AddonLoad, loadNativeAddon } from "./native-addon.ts";
import { nativeImpls, nativeKernel } from "./native-kernels.ts";

export const NATIVE_BACKEND = "native";

/** Kernel names served by the addon (the rest are the cpu backend's own). */
export let nativeKernelNames: readonly string[] = [];

type DataId = object;

/** At most this many floats wait in the pool (1 GB). */
const POOL_CAPACITY = 256 * 1024 * 1024;

/**
 * The cpu backend plus a pool of output arrays. Every kernel output used to be a fresh ArrayBuffer: at batch 32
 * that is gigabytes per step, paid in page faults, zero-filling and about 100 ms of garbage collection.
 * An array goes back to the pool only when it is certain nobody else sees it: this backend allocated it, exactly
 * one data entry ever held it (no views, no second owner), no caller read it (readSync hands out the array
 * itself), and that entry was disposed.
 */
export class NativeBackendCPU extends tf.MathBackendCPU {
  private readonly pool = new Map<number, Float32Array[]>();
  private pooled = 0;
  /** buffer -> the array this backend allocated on it, to recognise views and second owners. */
  private readonly allocated = new WeakMap<ArrayBufferLike, Float32Array>();
  /** Allocated, not yet stored in any data entry. */
  private readonly fresh = new WeakSet<Float32Array>();
  /** Stored in exactly one data entry and never handed out: recyclable when that entry goes. */
  private readonly owned = new WeakSet<Float32Array>();
  readonly pooling = process.env.OCRFLOW_NATIVE_POOL !== "0";

  /** An output array of n floats, from the pool when possible; zeroed only on request. */
  alloc(n: number, zero = false): Float32Array {
    const reused = this.pooling ? this.pool.get(n)?.pop() : undefined;
    if (reused) {
      this.pooled -= n;
      if (zero) reused.fill(0);
      this.fresh.add(reused);
      return reused;
    }
    const a = new Float32Array(n);
    if (this.pooling) {
      this.allocated.set(a.buffer, a);
      this.fresh.add(a);
    }
    return a;
  }

  /** Returns a temporary from alloc() that never became a tensor. */
  release(a: Float32Array): void {
    if (this.fresh.has(a)) {
      this.fresh.delete(a);
      this.recycle(a);
    }
  }

  private recycle(a: Float32Array): void {
    if (this.pooled + a.length > POOL_CAPACITY) return;
    let list = this.pool.get(a.length);
    if (!list) {
      list = [];
      this.pool.set(a.length, list);
    }
    list.push(a);
    this.pooled += a.length;
  }

  private claim(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const mine = this.allocated.get(values.buffer);
    if (!mine) return;
    if (values === mine && this.fresh.has(mine)) {
      this.fresh.delete(mine);
      this.owned.add(mine);
    } else {
      this.owned.delete(mine); // a view or a second owner: never recycle it
      this.fresh.delete(mine);
    }
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): DataId {
    this.claim(values);
    return super.write(values, shape, dtype);
  }

  override move(
    dataId: DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    this.claim(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const values = this.data.get(dataId)?.values;
    if (values instanceof Float32Array) this.owned.delete(values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const released = super.disposeData(dataId, force);
    if (released && values instanceof Float32Array && this.owned.has(values) && !this.data.has(dataId)) {
      this.owned.delete(values);
      this.recycle(values);
    }
    return released;
  }
}

/** Registers the backend once; returns why not when the addon is unavailable. */
export function registerNativeBackend(): AddonLoad {
  const load = loadNativeAddon();
  if (!load.addon || tf.findBackendFactory(NATIVE_BACKEND)) return load;
  const addon = load.addon;
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackendCPU(), 0);
  const cpuKernels = new Map(tf.getKernelsForBackend("cpu").map((k) => [k.kernelName, k]));
  const impls = nativeImpls(addon);
  for (const [name, config] of cpuKernels) {
    if (!(name in impls)) tf.registerKernel({ ...config, backendName: NATIVE_BACKEND });
  }
  for (const [name, impl] of Object.entries(impls)) {
    tf.registerKernel(nativeKernel(name, NATIVE_BACKEND, impl, cpuKernels.get(name)));
  }
  tf.registerKernel(adamKernel(addon, NATIVE_BACKEND));
  tf.registerKernel(dropoutMaskKernel(addon, NATIVE_BACKEND));
  const fused = fusedKernels(addon, NATIVE_BACKEND);
  for (const kernel of fused) tf.registerKernel(kernel);
  nativeKernelNames = [
    ...Object.keys(impls),
    "OcrflowAdam",
    DROPOUT_MASK_KERNEL,
    ...fused.map((k) => k.kernelName),
  ];
  return load;
}
