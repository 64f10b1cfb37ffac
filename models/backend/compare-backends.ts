// Test support: runs the same tfjs computation on two backends from the same seeded inputs and measures
// how far the results drift apart, so replaced kernels can be checked against the pure-JS cpu backend.
import * as tf from "@tensorflow/tfjs";

/** A small seeded generator (mulberry32), so both backends see identical inputs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface HostTensor {
  shape: number[];
  values: Float32Array;
}

/** Uniform values in [-1, 1). */
export function randomHost(shape: number[], random: () => number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = random() * 2 - 1;
  return { shape, values };
}

export const toTensor = (h: HostTensor): tf.Tensor => tf.tensor(h.values, h.shape, "float32");

/** Runs `f` on `backend` and copies its outputs out (tidy-safe: copies are made after the tidy). */
export async function runOn(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<HostTensor[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const result = list.map((t) => ({
    shape: t.shape,
    values: Float32Array.from(t.dataSync() as Float32Array),
  }));
  tf.dispose(list);
  return result;
}

/** max |a - b| / max(1, max |b|): the error measure the kernel tests bound. */
export function relativeError(a: HostTensor, b: HostTensor): number {
  if (a.shape.join() !== b.shape.join()) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.values.length; i++) {
    const x = a.values[i] as number;
    const y = b.values[i] as number;
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.POSITIVE_INFINITY;
    if (Number.isNaN(y)) continue;
    diff = Math.max(diff, Math.abs(x - y));
    scale = Math.max(scale, Math.abs(y));
  }
  return diff / scale;
}

/** Runs `f` on both backends and returns the worst relative error over its outputs. */
export async function compareBackends(
  backend: string,
  reference: string,
  f: () => tf.Tensor | tf.Tensor[],
): Promise<number> {
  const a = await runOn(backend, f);
  const b = await runOn(reference, f);
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  return Math.max(...a.map((t, i) => relativeError(t, b[i] as HostTensor)));
}

/**
 * The value and the gradients of sum(op(inputs) * weights) for fixed random weights, so every output
 * element gets a different upstream gradient.
 */
export function valueAndGrads(
  op: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: HostTensor[],
  seed: number,
): tf.Tensor[] {
  const xs = inputs.map(toTensor);
  const y = op(...xs);
  const weights = toTensor(randomHost(y.shape, seededRandom(seed)));
  const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(op(...args), weights)))(xs);
  return [y, ...grads];
}
