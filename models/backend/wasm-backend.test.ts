// Checks the kernels ocrflow adds to the wasm backend against the pure-JS cpu backend on random shapes.
// Tolerance: max |wasm - cpu| <= 1e-4 * max(1, max |cpu|).
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { compareBackends, randomHost, seededRandom, toTensor, valueAndGrads } from "./compare-backends.ts";
import { registerWasmBackend, WASM_BACKEND } from "./wasm-backend.ts";

const TOLERANCE = 1e-4;
const wasm = await registerWasmBackend();
if (!wasm.ok) console.warn(`[models/backend] skipping wasm kernel tests: ${wasm.reason}`);
tf.enableProdMode();

const random = seededRandom(42);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

describe.skipIf(!wasm.ok)("wasm training kernels match the cpu backend", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("Conv2DBackpropFilter (conv gradients): strides, padding, batch", async () => {
    for (let trial = 0; trial < 12; trial++) {
      const [kh, kw] = [int(1, 4), int(1, 4)];
      const x = randomHost([int(1, 3), int(kh, 12), int(kw, 12), int(1, 5)], random);
      const w = randomHost([kh, kw, x.shape[3] as number, int(1, 6)], random);
      // Square strides and named padding only: wasm's own forward Conv2D (upstream, not ours) returns wrong
      // values for unequal strides with "same" padding and crashes on numeric padding with kh != kw.
      const stride = int(1, 3);
      const strides: [number, number] = [stride, stride];
      const pad = pick(["same", "valid"] as const);
      const op = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad);
      const err = await compareBackends(WASM_BACKEND, "cpu", () => valueAndGrads(op, [x, w], trial));
      expect(err, `conv ${x.shape} ${w.shape} s${strides} ${pad}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("Conv2DBackpropInput at stride 1 (rerouted through a forward conv), called directly", async () => {
    for (const [pad, kh, kw] of [
      ["same", 3, 3],
      ["valid", 3, 2],
      ["same", 1, 4],
      ["valid", 1, 1],
    ] as const) {
      const w = randomHost([kh, kw, 3, 5], random);
      const outH = pad === "same" ? 9 : 9 - kh + 1;
      const outW = pad === "same" ? 8 : 8 - kw + 1;
      const dy = randomHost([2, outH, outW, 5], random);
      const err = await compareBackends(WASM_BACKEND, "cpu", () =>
        tf.conv2dTranspose(toTensor(dy) as tf.Tensor4D, toTensor(w) as tf.Tensor4D, [2, 9, 8, 3], 1, pad),
      );
      expect(err, `${pad} ${kh}x${kw}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("UnsortedSegmentSum (gather gradient) with repeated ids", async () => {
    const table = randomHost([11, 6], random);
    const ids = [4, 0, 10, 4, 4, 2];
    const err = await compareBackends(WASM_BACKEND, "cpu", () =>
      valueAndGrads((t) => tf.gather(t, tf.tensor1d(ids, "int32")), [table], 3),
    );
    expect(err).toBeLessThanOrEqual(TOLERANCE);
  });

  it("matMul with transpose flags (rerouted through explicit transposes), forward and gradients", async () => {
    for (let trial = 0; trial < 8; trial++) {
      const [m, n, k] = [int(1, 30), int(1, 30), int(1, 40)];
      const ta = random() < 0.5;
      const tb = random() < 0.5;
      const batch = pick([[], [2], [2, 3]]);
      const a = randomHost([...batch, ...(ta ? [k, m] : [m, k])], random);
      const b = randomHost([...batch, ...(tb ? [n, k] : [k, n])], random);
      const op = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb);
      const err = await compareBackends(WASM_BACKEND, "cpu", () => valueAndGrads(op, [a, b], trial));
      expect(err, `matMul ${a.shape} ${b.shape} ${ta} ${tb}`).toBeLessThanOrEqual(TOLERANCE);
    }
    // Unpatched wasm 4.22 gets this one wrong (transposeB with a bias): the explicit transpose fixes it.
    const bias = randomHost([5], random);
    const a = randomHost([4, 3], random);
    const b = randomHost([5, 3], random);
    const err = await compareBackends(WASM_BACKEND, "cpu", () =>
      tf.fused.matMul({
        a: toTensor(a) as tf.Tensor2D,
        b: toTensor(b) as tf.Tensor2D,
        transposeB: true,
        bias: toTensor(bias),
        activation: "relu",
      }),
    );
    expect(err).toBeLessThanOrEqual(TOLERANCE);
  });
});
