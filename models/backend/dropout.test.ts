// Native dropout masks: the keep rate and scale tfjs' dropout has, the same mask for the same seed,
// gradients that flow through the mask, and tf.dropout itself on other backends.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { dropout } from "./dropout.ts";
import { NATIVE_BACKEND, registerNativeBackend } from "./native-backend.ts";

const load = registerNativeBackend();
if (!load.addon) console.warn(`[models/backend] skipping native dropout tests: ${load.reason}`);
tf.enableProdMode();

describe.skipIf(!load.addon)("native dropout", () => {
  it("keeps about 1 - rate of the elements, scaled by 1/(1 - rate), reproducibly for a seed", async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const x = tf.ones([64, 128, 32]);
    const masks = [42, 42, 43].map((seed) => dropout(x, 0.25, seed));
    const [a, b, c] = masks.map((m) => Array.from(m.dataSync())) as [number[], number[], number[]];
    const kept = a.filter((v) => v !== 0);
    expect(kept.length / a.length).toBeGreaterThan(0.74);
    expect(kept.length / a.length).toBeLessThan(0.76);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(a).toEqual(b);
    expect(c).not.toEqual(b);
    tf.dispose([x, ...masks]);
  });

  it("passes the gradient through the kept elements only, and leaks nothing", async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([8, 100]);
    const [y, dx] = tf.tidy(() => {
      const out = dropout(x, 0.5, 7);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.5, 7)))(x);
      return [out, grad];
    }) as [tf.Tensor, tf.Tensor];
    const ys = y.dataSync();
    const ds = dx.dataSync();
    for (let i = 0; i < ys.length; i++) expect(ds[i]).toBe(ys[i] === 0 ? 0 : 2);
    tf.dispose([x, y, dx]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("falls back to tf.dropout on the cpu backend", async () => {
    await tf.setBackend("cpu");
    const x = tf.ones([10, 10]);
    expect(Array.from(dropout(x, 0.3, 5).dataSync())).toEqual(
      Array.from(tf.dropout(x, 0.3, undefined, 5).dataSync()),
    );
  });
});
