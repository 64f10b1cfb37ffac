// The fused native Adam against tfjs' Adam: same weights and moments from the same gradients (tolerance
// 1e-6 relative over 3 steps), same saved-state names, and no tensor leaks.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { randomHost, relativeError, seededRandom, toTensor } from "./compare-backends.ts";
import { createAdam } from "./fused-adam.ts";
import { NATIVE_BACKEND, registerNativeBackend } from "./native-backend.ts";

const load = registerNativeBackend();
if (!load.addon) console.warn(`[models/backend] skipping fused Adam tests: ${load.reason}`);
tf.enableProdMode();

async function runAdam(optimizer: tf.AdamOptimizer, prefix: string) {
  const random = seededRandom(3);
  const shapes = [[7, 5], [300, 200], [11]];
  const vars = shapes.map((s, i) => {
    const initial = toTensor(randomHost(s, random));
    const v = tf.variable(initial, true, `${prefix}${i}`);
    initial.dispose();
    return v;
  });
  for (let step = 0; step < 3; step++) {
    const grads: Record<string, tf.Tensor> = {};
    for (const v of vars) grads[v.name] = toTensor(randomHost(v.shape, random));
    optimizer.applyGradients(grads as Parameters<tf.AdamOptimizer["applyGradients"]>[0]);
    tf.dispose(Object.values(grads));
  }
  const weights = await optimizer.getWeights();
  const host = [...vars, ...weights.slice(1).map((w) => w.tensor)].map((t) => ({
    shape: t.shape,
    values: Float32Array.from(t.dataSync()),
  }));
  const names = weights.map((w) => w.name.replace(prefix, ""));
  weights[0]?.tensor.dispose(); // the iteration count getWeights creates
  optimizer.dispose();
  tf.dispose(vars);
  return { host, names };
}

describe.skipIf(!load.addon)("fused Adam on the native backend", () => {
  it("matches tf.train.adam and leaks nothing", async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const before = tf.memory().numTensors;
    const fused = await runAdam(createAdam(0.01), "fused");
    expect(tf.memory().numTensors).toBe(before);
    const plain = await runAdam(tf.train.adam(0.01), "plain");
    expect(fused.names).toEqual(plain.names);
    for (const [i, t] of fused.host.entries()) {
      expect(relativeError(t, plain.host[i] as (typeof plain.host)[number])).toBeLessThan(1e-6);
    }
  });
});
