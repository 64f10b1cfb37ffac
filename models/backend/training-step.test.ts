// Whole training steps of a small synthetic recognizer: the native and wasm backends agree with the cpu
// backend on the loss and every gradient (tolerance 1e-3 relative), and Adam steps leak no tensors.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { type HostTensor, relativeError } from "./compare-backends.ts";
import { NATIVE_BACKEND, registerNativeBackend } from "./native-backend.ts";
import { type SyntheticConfig, SyntheticRecognizer } from "./synthetic-model.ts";
import { registerWasmBackend, WASM_BACKEND } from "./wasm-backend.ts";

const TINY: Partial<SyntheticConfig> = {
  height: 16,
  width: 32,
  dModel: 32,
  heads: 2,
  ffn: 64,
  layers: 2,
  vocab: 23,
  maxLength: 7,
  channels: [4, 8, 8, 12],
};
const TOLERANCE = 1e-3;

const load = registerNativeBackend();
if (!load.addon) console.warn(`[models/backend] skipping native training-step tests: ${load.reason}`);
const wasm = await registerWasmBackend();
if (!wasm.ok) console.warn(`[models/backend] skipping wasm training-step tests: ${wasm.reason}`);
tf.enableProdMode();

interface StepsResult {
  losses: number[];
  tensorCounts: number[];
}

async function trainSteps(backend: string, steps: number, batch = 3): Promise<StepsResult> {
  await tf.setBackend(backend);
  const model = new SyntheticRecognizer(TINY, 11);
  const optimizer = tf.train.adam(1e-2);
  const inputs = model.makeBatch(batch, 5);
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(() => model.loss(inputs), true, model.variables) as tf.Scalar;
    losses.push(loss.dataSync()[0] as number);
    loss.dispose();
    tensorCounts.push(tf.memory().numTensors);
  }
  tf.dispose(inputs);
  optimizer.dispose();
  model.dispose();
  return { losses, tensorCounts };
}

/** The loss and the gradient of every variable for one batch, copied out of tfjs. */
async function lossAndGradients(backend: string): Promise<HostTensor[]> {
  await tf.setBackend(backend);
  const model = new SyntheticRecognizer(TINY, 11);
  const inputs = model.makeBatch(3, 5);
  const { value, grads } = tf.variableGrads(() => model.loss(inputs), model.variables);
  const out = [value, ...model.variables.map((v) => grads[v.name] as tf.Tensor)].map((t) => ({
    shape: t.shape,
    values: Float32Array.from(t.dataSync()),
  }));
  tf.dispose([value, ...Object.values(grads), ...inputs]);
  model.dispose();
  return out;
}

function worstError(a: HostTensor[], b: HostTensor[]): number {
  return Math.max(...a.map((t, i) => relativeError(t, b[i] as HostTensor)));
}

describe("synthetic recognizer training steps", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("has about 1.6M parameters at its default size", () => {
    const model = new SyntheticRecognizer();
    expect(model.parameterCount()).toBeGreaterThan(1.5e6);
    expect(model.parameterCount()).toBeLessThan(1.7e6);
    model.dispose();
  });

  it.skipIf(!load.addon)("native: same loss and gradients as cpu", async () => {
    const reference = await lossAndGradients("cpu");
    expect(worstError(await lossAndGradients(NATIVE_BACKEND), reference)).toBeLessThan(TOLERANCE);
  });

  it.skipIf(!wasm.ok)("wasm (with ocrflow's kernels): same loss and gradients as cpu", async () => {
    const reference = await lossAndGradients("cpu");
    expect(worstError(await lossAndGradients(WASM_BACKEND), reference)).toBeLessThan(TOLERANCE);
  });

  it.skipIf(!load.addon)("native: tf.memory().numTensors is stable across training steps", async () => {
    const before = tf.memory().numTensors;
    const { tensorCounts, losses } = await trainSteps(NATIVE_BACKEND, 4);
    expect(losses[3]).toBeLessThan(losses[0] as number); // and it learns the fixed batch
    // Adam creates its two slots per variable during the first step; after that nothing may accumulate.
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(!wasm.ok)("wasm: tf.memory().numTensors is stable across training steps", async () => {
    const before = tf.memory().numTensors;
    const { tensorCounts } = await trainSteps(WASM_BACKEND, 4);
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
