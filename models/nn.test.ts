// The layers whose gradients nn.ts writes out by hand (layer norm, training batch norm, GELU) match tfjs autodiff
// of their plain formulas, in value and gradient; dropout masks are seeded and keep the expected fraction.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { chooseBackend } from "./backend/index.ts";
import {
  batchNorm,
  conv,
  convBatchNorm,
  defineBatchNorm,
  defineConv,
  defineLayerNorm,
  dropoutMask,
  gelu,
  layerNorm,
  ParameterStore,
  sinusoid,
  sinusoid2d,
} from "./nn.ts";

beforeAll(async () => {
  await chooseBackend({ log: () => {} });
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

/** Value and gradients (x and the given parameters) of sum(f(x) * w), for a fixed random w. */
function valueAndGrads(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, vars: tf.Variable[]) {
  const w = tf.randomNormal(x.shape, 0, 1, "float32", 11);
  const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx), w)))(x);
  const { grads } = vars.length
    ? tf.variableGrads(() => tf.sum(tf.mul(f(x), w)) as tf.Scalar, vars)
    : { grads: {} as tf.NamedTensorMap };
  return { y: f(x), gx, grads: vars.map((v) => grads[v.name] as tf.Tensor) };
}

describe("nn layers with written-out gradients", () => {
  it("layer norm equals the autodiff of its formula", () => {
    const p = new ParameterStore(1);
    defineLayerNorm(p, "ln", 16);
    p.get("ln.g").assign(tf.randomNormal([16], 1, 0.3, "float32", 2));
    p.get("ln.b").assign(tf.randomNormal([16], 0, 0.3, "float32", 3));
    const x = tf.randomNormal([3, 5, 16], 0.5, 2, "float32", 4);
    const reference = (xx: tf.Tensor) => {
      const { mean, variance } = tf.moments(xx, -1, true);
      const normed = tf.mul(tf.sub(xx, mean), tf.rsqrt(tf.add(variance, 1e-5)));
      return tf.add(tf.mul(normed, p.get("ln.g")), p.get("ln.b"));
    };
    const vars = [p.get("ln.g"), p.get("ln.b")];
    const a = valueAndGrads((xx) => layerNorm(p, "ln", xx), x, vars);
    const b = valueAndGrads(reference, x, vars);
    expect(maxDiff(a.y, b.y)).toBeLessThan(1e-5);
    expect(maxDiff(a.gx, b.gx)).toBeLessThan(1e-4);
    for (const [i, g] of a.grads.entries()) expect(maxDiff(g, b.grads[i] as tf.Tensor)).toBeLessThan(1e-4);
  });

  it("training batch norm equals the autodiff of its formula and moves the running statistics", () => {
    const p = new ParameterStore(1);
    defineBatchNorm(p, "bn", 8);
    p.get("bn.g").assign(tf.randomNormal([8], 1, 0.3, "float32", 2));
    p.get("bn.b").assign(tf.randomNormal([8], 0, 0.3, "float32", 3));
    const x = tf.randomNormal([4, 3, 5, 8], 1, 2, "float32", 4) as tf.Tensor4D;
    const reference = (xx: tf.Tensor) => {
      const { mean, variance } = tf.moments(xx, [0, 1, 2]);
      const scale = tf.mul(p.get("bn.g"), tf.rsqrt(tf.add(variance, 1e-5)));
      return tf.add(tf.mul(tf.sub(xx, mean), scale), p.get("bn.b"));
    };
    const vars = [p.get("bn.g"), p.get("bn.b")];
    const a = valueAndGrads((xx) => batchNorm(p, "bn", xx as tf.Tensor4D, { training: true }), x, vars);
    const b = valueAndGrads(reference, x, vars);
    expect(maxDiff(a.y, b.y)).toBeLessThan(1e-5);
    expect(maxDiff(a.gx, b.gx)).toBeLessThan(1e-4);
    for (const [i, g] of a.grads.entries()) expect(maxDiff(g, b.grads[i] as tf.Tensor)).toBeLessThan(1e-4);
    const mean = tf.mean(x, [0, 1, 2]);
    // Three forward passes above each moved the running mean by 0.1 of the way.
    const expected = tf.mul(mean, 1 - 0.9 ** 3);
    expect(maxDiff(p.get("bn.mean"), expected)).toBeLessThan(1e-5);
  });

  it("conv + batch norm (+ ReLU) folded into one fused conv in inference equals the three layers", () => {
    const p = new ParameterStore(5);
    defineConv(p, "c.conv", 3, 3, 4, 6);
    defineBatchNorm(p, "c.bn", 6);
    // Running statistics and affine parameters away from their initial 0 and 1.
    p.get("c.bn.mean").assign(tf.randomNormal([6], 0, 1, "float32", 1));
    p.get("c.bn.var").assign(tf.add(tf.abs(tf.randomNormal([6], 0, 1, "float32", 2)), 0.1));
    p.get("c.bn.g").assign(tf.randomNormal([6], 1, 0.5, "float32", 3));
    p.get("c.bn.b").assign(tf.randomNormal([6], 0, 1, "float32", 4));
    const x = tf.randomNormal([2, 8, 10, 4], 0, 1, "float32", 6) as tf.Tensor4D;
    const ctx = { training: false };
    for (const [stride, relu] of [
      [[1, 1], true],
      [[2, 2], false],
      [[2, 1], true],
    ] as const) {
      const layered = tf.tidy(() => {
        const y = batchNorm(p, "c.bn", conv(p, "c.conv", x, [...stride]), ctx);
        return relu ? tf.relu(y) : y;
      });
      const folded = convBatchNorm(p, "c.conv", "c.bn", x, ctx, { stride: [...stride], relu });
      expect(folded.shape).toEqual(layered.shape);
      expect(maxDiff(folded, layered), `stride ${stride} relu ${relu}`).toBeLessThan(1e-4);
    }
    p.dispose();
  });

  it("GELU equals the autodiff of its formula", () => {
    const x = tf.randomNormal([1000], 0, 3, "float32", 5);
    const reference = (xx: tf.Tensor) => {
      const inner = tf.mul(tf.add(xx, tf.mul(tf.mul(tf.mul(xx, xx), xx), 0.044715)), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(xx, 0.5), tf.add(tf.tanh(inner), 1));
    };
    const a = valueAndGrads(gelu, x, []);
    const b = valueAndGrads(reference, x, []);
    expect(maxDiff(a.y, b.y)).toBeLessThan(1e-5);
    expect(maxDiff(a.gx, b.gx)).toBeLessThan(1e-5);
  });

  it("dropout masks are seeded and drop about the rate", () => {
    const a = dropoutMask([100, 100], 0.1, 7).dataSync();
    const b = dropoutMask([100, 100], 0.1, 7).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    const dropped = a.filter((v) => v === 0).length / a.length;
    expect(dropped).toBeGreaterThan(0.09);
    expect(dropped).toBeLessThan(0.11);
    expect(a.find((v) => v !== 0)).toBeCloseTo(1 / 0.9, 6);
  });

  it("a 2D sinusoid codes the column in the first half of the channels and the row in the second", () => {
    const read = (t: tf.Tensor2D) => {
      const values = t.arraySync();
      t.dispose();
      return values;
    };
    const before = tf.memory().numTensors;
    const code = read(sinusoid2d(3, 5, 8));
    const cols = read(sinusoid(5, 4));
    const rows = read(sinusoid(3, 4));
    expect(tf.memory().numTensors).toBe(before);
    expect(code).toHaveLength(15);
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 5; c++) {
        const v = code[r * 5 + c] as number[];
        expect(v.slice(0, 4)).toEqual(cols[c]);
        expect(v.slice(4)).toEqual(rows[r]);
      }
    // Every token gets its own code.
    expect(new Set(code.map((v) => v.map((x) => x.toFixed(4)).join())).size).toBe(15);
  });
});
