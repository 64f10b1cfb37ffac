// Checks every kernel the native backend replaces against the pure-JS cpu backend on random shapes, forward
// and gradient. Tolerance: max |native - cpu| <= 1e-4 * max(1, max |cpu|) (float32, different summation order).
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { batchNormTraining, gelu, layerNormWith } from "../nn.ts";
import {
  compareBackends,
  type HostTensor,
  randomHost,
  seededRandom,
  toTensor,
  valueAndGrads,
} from "./compare-backends.ts";
import { BATCH_NORM_KERNEL, GELU_KERNEL, LAYER_NORM_KERNEL } from "./fused-ops.ts";
import { NATIVE_BACKEND, registerNativeBackend } from "./native-backend.ts";
import { broadcastPlan } from "./native-kernels.ts";

const TOLERANCE = 1e-4;
const load = registerNativeBackend();
if (!load.addon) console.warn(`[models/backend] skipping native kernel tests: ${load.reason}`);
tf.enableProdMode();

const random = seededRandom(20260101);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

async function expectClose(f: () => tf.Tensor | tf.Tensor[], label: string): Promise<void> {
  const err = await compareBackends(NATIVE_BACKEND, "cpu", f);
  expect(err, label).toBeLessThanOrEqual(TOLERANCE);
}

describe("broadcastPlan", () => {
  it("collapses a trailing-axis broadcast into two strided dimensions", () => {
    expect(broadcastPlan([4, 5, 6], [6])).toEqual({
      shape: [1, 1, 20, 6],
      stridesA: [0, 0, 6, 1],
      stridesB: [0, 0, 0, 1],
      outShape: [4, 5, 6],
    });
  });
  it("gives up beyond four alternating dimensions (the cpu kernel then runs)", () => {
    expect(broadcastPlan([2, 1, 2, 1, 2], [1, 2, 1, 2, 1])).toBeUndefined();
  });
});

describe.skipIf(!load.addon)("native kernels match the cpu backend", () => {
  it("matMul: transposes, batch broadcasting, forward and gradients", async () => {
    for (let trial = 0; trial < 12; trial++) {
      const [m, n, k] = [int(1, 40), int(1, 40), int(1, 70)];
      const ta = random() < 0.5;
      const tb = random() < 0.5;
      const batch = pick([[], [3], [2, 3]]);
      const bBatch = random() < 0.3 ? batch.map(() => 1) : batch;
      const a = randomHost([...batch, ...(ta ? [k, m] : [m, k])], random);
      const b = randomHost([...bBatch, ...(tb ? [n, k] : [k, n])], random);
      const op = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb);
      await expectClose(() => valueAndGrads(op, [a, b], trial), `matMul ${a.shape} x ${b.shape} ${ta} ${tb}`);
    }
  });

  it("fused matMul: bias and every natively fused activation, with gradients", async () => {
    const activations = ["linear", "relu", "relu6", "leakyrelu", "sigmoid", "elu"] as const;
    for (const [i, activation] of activations.entries()) {
      const [m, n, k] = [int(1, 30), int(1, 30), int(1, 50)];
      const a = randomHost([m, k], random);
      const b = randomHost([k, n], random);
      const bias = randomHost([n], random);
      const op = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.fused.matMul({
          a: x as tf.Tensor2D,
          b: y as tf.Tensor2D,
          bias: z,
          activation,
          leakyreluAlpha: 0.1,
        });
      await expectClose(() => [op(toTensor(a), toTensor(b), toTensor(bias))], `fused ${activation}`);
      if (activation === "linear" || activation === "relu") {
        await expectClose(() => valueAndGrads(op, [a, b, bias], i), `fused grads ${activation}`);
      }
    }
  });

  it("conv2d: strides, padding, batch, forward and gradients (Conv2DBackpropInput/Filter)", async () => {
    for (let trial = 0; trial < 14; trial++) {
      const [kh, kw] = [int(1, 4), int(1, 4)];
      const x = randomHost([int(1, 3), int(kh, 12), int(kw, 12), int(1, 6)], random);
      const w = randomHost([kh, kw, x.shape[3] as number, int(1, 7)], random);
      const strides: [number, number] = [int(1, 3), int(1, 3)];
      const pad = pick(["same", "valid", int(0, 2)] as const);
      const op = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad);
      await expectClose(
        () => valueAndGrads(op, [x, w], trial),
        `conv ${x.shape} ${w.shape} s${strides} ${pad}`,
      );
    }
  });

  it("conv2d with dilation and explicit asymmetric padding (forward; tfjs has no dilated gradient)", async () => {
    for (let trial = 0; trial < 6; trial++) {
      const x = randomHost([int(1, 3), int(7, 14), int(7, 14), int(1, 5)], random);
      const w = randomHost([int(1, 3), int(1, 3), x.shape[3] as number, int(1, 6)], random);
      const dilations: [number, number] = [int(1, 3), int(1, 3)];
      await expectClose(
        () => tf.conv2d(toTensor(x) as tf.Tensor4D, toTensor(w) as tf.Tensor4D, 1, "same", "NHWC", dilations),
        `dilated ${dilations}`,
      );
    }
    const x = randomHost([2, 9, 8, 3], random);
    const w = randomHost([3, 2, 3, 4], random);
    const explicit = [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ] as tf.backend_util.ExplicitPadding;
    const op = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], explicit);
    await expectClose(() => valueAndGrads(op, [x, w], 99), "explicit padding");
  });

  it("fused conv2d with bias and relu, and a pointwise (1x1) conv, with gradients", async () => {
    const x = randomHost([2, 9, 11, 4], random);
    const w = randomHost([3, 3, 4, 5], random);
    const bias = randomHost([5], random);
    const fused = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.fused.conv2d({
        x: a as tf.Tensor4D,
        filter: b as tf.Tensor4D,
        strides: 1,
        pad: "same",
        bias: c,
        activation: "relu",
      });
    await expectClose(() => valueAndGrads(fused, [x, w, bias], 3), "fused conv relu");
    const p = randomHost([1, 1, 4, 6], random);
    const pointwise = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "valid");
    await expectClose(() => valueAndGrads(pointwise, [x, p], 4), "pointwise conv");
  });

  it("stride-1 convs over many cache tiles, 3x3 by Winograd: every padding, fused bias + activation, both gradients", async () => {
    // im2col tiles hold about 64K floats of columns, Winograd blocks 4096 / (c + oc) 2x2 tiles: these inputs
    // span many of either, split over the threads, with edges inside images, and odd output sizes. Stride 1
    // takes the flipped-filter path for the input gradient (Winograd again for 3x3).
    const activations = ["relu", "leakyrelu", "sigmoid", "elu"] as const;
    const kernels = [
      [3, 3],
      [3, 3],
      [3, 3],
      [3, 3],
      [1, 3],
      [5, 2],
      [2, 4],
    ] as const;
    for (const [trial, [kh, kw]] of kernels.entries()) {
      const x = randomHost([int(2, 4), int(12, 21), int(30, 51), int(8, 24)], random);
      const w = randomHost([kh, kw, x.shape[3] as number, int(8, 20)], random);
      const bias = randomHost([w.shape[3] as number], random);
      const pad = pick(["same", "valid", int(0, 3)] as const);
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad);
      await expectClose(() => valueAndGrads(conv, [x, w], trial), `tiled conv ${x.shape} ${w.shape} ${pad}`);
      const activation = pick(activations);
      await expectClose(
        () =>
          tf.fused.conv2d({
            x: toTensor(x) as tf.Tensor4D,
            filter: toTensor(w) as tf.Tensor4D,
            strides: 1,
            pad,
            bias: toTensor(bias),
            activation,
            leakyreluAlpha: 0.1,
          }),
        `tiled fused conv ${activation} ${x.shape} ${w.shape} ${pad}`,
      );
    }
  });

  it("3x3 filter gradient by Winograd: several blocks of tiles over the threads, odd output edges", async () => {
    // The filter gradient sums blocks of 32768 / (c + oc) 2x2 tiles (at least 32), one thread's blocks into its
    // own sums: 4,224 tiles make 3 blocks (the first thread sums two), 576 make 2, and odd output sizes leave
    // half-empty edge tiles.
    const cases = [
      { x: [4, 47, 87, 8], w: [3, 3, 8, 8], pad: "same" },
      { x: [2, 33, 37, 40], w: [3, 3, 40, 24], pad: "valid" },
    ] as const;
    for (const [trial, { x, w, pad }] of cases.entries()) {
      const inputs = [randomHost([...x], random), randomHost([...w], random)];
      const op = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad);
      await expectClose(() => valueAndGrads(op, inputs, 40 + trial), `filter gradient ${x} ${w} ${pad}`);
    }
  });

  it("conv2dTranspose (Conv2DBackpropInput called directly)", async () => {
    const dy = randomHost([2, 5, 6, 4], random);
    const w = randomHost([3, 3, 3, 4], random);
    await expectClose(
      () =>
        tf.conv2dTranspose(
          toTensor(dy) as tf.Tensor4D,
          toTensor(w) as tf.Tensor4D,
          [2, 10, 12, 3],
          2,
          "same",
        ),
      "conv2dTranspose",
    );
  });

  it("maxPool: windows, strides, padding, forward and gradient, ties go to the first maximum", async () => {
    for (let trial = 0; trial < 8; trial++) {
      const x = randomHost([int(1, 3), int(3, 12), int(3, 12), int(1, 5)], random);
      const size: [number, number] = [int(1, 3), int(1, 3)];
      const strides: [number, number] = [int(1, 3), int(1, 3)];
      const pad = pick(["same", "valid"] as const);
      const op = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, size, strides, pad);
      await expectClose(() => valueAndGrads(op, [x], trial), `maxPool ${x.shape} ${size} ${strides} ${pad}`);
    }
    const ties: HostTensor = { shape: [1, 4, 4, 2], values: new Float32Array(32).map((_, i) => i % 3) };
    await expectClose(
      () => valueAndGrads((a) => tf.maxPool(a as tf.Tensor4D, 2, 1, "valid"), [ties], 5),
      "ties",
    );
  });

  it("element-wise binary ops with broadcasting, forward and gradients", async () => {
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ["add", tf.add],
      ["sub", tf.sub],
      ["mul", tf.mul],
      ["div", (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
      ["maximum", tf.maximum],
      ["minimum", tf.minimum],
      ["squaredDifference", tf.squaredDifference],
      ["pow", (a, b) => tf.pow(tf.add(tf.abs(a), 0.5), tf.mul(b, 3))],
    ];
    const shapes: [number[], number[]][] = [
      [
        [5, 7],
        [5, 7],
      ],
      [[4, 5, 6], [6]],
      [
        [4, 5, 6],
        [4, 1, 1],
      ],
      [
        [3, 4, 5, 6],
        [3, 1, 5, 1],
      ],
      [
        [2, 3, 1, 5],
        [1, 3, 4, 1],
      ],
      [[6], []],
      [[], [2, 3]],
      [
        [2, 1, 3, 1, 4],
        [1, 5, 1, 6, 1],
      ],
    ];
    for (const [name, op] of ops) {
      for (const [sa, sb] of shapes) {
        const a = randomHost(sa, random);
        const b = randomHost(sb, random);
        // tfjs' Maximum, Minimum and SquaredDifference gradients do not reduce broadcast axes (on any
        // backend): forward only there.
        const gradients =
          !["maximum", "minimum", "squaredDifference"].includes(name) || sa.join() === sb.join();
        const f = gradients ? () => valueAndGrads(op, [a, b], 7) : () => op(toTensor(a), toTensor(b));
        await expectClose(f, `${name} ${sa} ${sb}`);
      }
    }
  });

  it("element-wise unary ops, forward and gradients", async () => {
    const positive = (f: (x: tf.Tensor) => tf.Tensor) => (x: tf.Tensor) => f(tf.add(tf.abs(x), 0.1));
    const ops: [string, (x: tf.Tensor) => tf.Tensor][] = [
      ["relu", tf.relu],
      ["exp", tf.exp],
      ["log", positive(tf.log)],
      ["sqrt", positive(tf.sqrt)],
      ["rsqrt", positive(tf.rsqrt)],
      ["tanh", (x) => tf.tanh(tf.mul(x, 4))],
      ["sigmoid", tf.sigmoid],
      ["neg", tf.neg],
      ["square", tf.square],
      ["step", (x) => tf.step(x, 0.3)],
      ["abs", tf.abs],
      ["erf", tf.erf],
      ["reciprocal", positive(tf.reciprocal)],
      ["floor (dropout masks)", (x) => tf.floor(tf.mul(x, 3))],
      ["ceil", (x) => tf.ceil(tf.mul(x, 3))],
    ];
    const x = randomHost([3, 40, 50], random);
    for (const [name, op] of ops) await expectClose(() => valueAndGrads(op, [x], 8), name);
  });

  it("reductions over contiguous and scattered axes, with keepDims, forward and gradients", async () => {
    const x = randomHost([3, 4, 5, 6], random);
    const axesList = [0, 3, -1, [1, 2], [0, 2], [0, 1, 3], [0, 1, 2, 3]];
    for (const axes of axesList) {
      for (const keep of [false, true]) {
        await expectClose(() => valueAndGrads((a) => tf.sum(a, axes, keep), [x], 9), `sum ${axes}`);
        await expectClose(() => valueAndGrads((a) => tf.mean(a, axes, keep), [x], 9), `mean ${axes}`);
        await expectClose(
          () => [tf.max(toTensor(x), axes, keep), tf.min(toTensor(x), axes, keep)],
          `max/min ${axes}`,
        );
      }
    }
  });

  it("softmax, transpose and gather, forward and gradients", async () => {
    const logits = randomHost([4, 7, 19], random);
    await expectClose(() => valueAndGrads((a) => tf.softmax(tf.mul(a, 5)), [logits], 10), "softmax");
    const x = randomHost([2, 3, 4, 5, 6], random);
    for (const perm of [
      [1, 0, 2, 3, 4],
      [0, 2, 1, 3, 4],
      [4, 3, 2, 1, 0],
      [0, 1, 2, 4, 3],
    ]) {
      await expectClose(() => valueAndGrads((a) => tf.transpose(a, perm), [x], 11), `transpose ${perm}`);
    }
    const table = randomHost([13, 8], random);
    const ids = tf.tensor1d([3, 0, 12, 3, 3, 7, 1], "int32");
    // The gradient of gather is UnsortedSegmentSum; repeated ids must accumulate.
    await expectClose(() => valueAndGrads((t) => tf.gather(t, ids), [table], 12), "gather");
    await expectClose(
      () => valueAndGrads((t) => tf.gather(t, tf.tensor1d([1, 0, 2], "int32"), 1), [table], 13),
      "gather axis 1",
    );
    ids.dispose();
  });

  it("tile and batch norm (per-channel statistics, as in conv nets), forward and gradients", async () => {
    const x = randomHost([2, 3, 4], random);
    for (const reps of [
      [1, 1, 1],
      [2, 1, 3],
      [1, 4, 1],
      [3, 2, 2],
    ]) {
      await expectClose(() => valueAndGrads((a) => tf.tile(a, reps), [x], 14), `tile ${reps}`);
    }
    const act = randomHost([2, 5, 6, 7], random);
    const stats = [0, 1, 2, 3].map(() => randomHost([7], random));
    const positive = (t: tf.Tensor) => tf.add(tf.abs(t), 0.5);
    const bn = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, sc: tf.Tensor) =>
      tf.batchNorm(a, m, positive(v), o, sc, 1e-3);
    await expectClose(() => valueAndGrads(bn, [act, ...stats], 15), "batchNorm");
    // Without scale, tfjs cannot take the gradient on any backend (it saves the missing input): forward only.
    const [m, v] = stats as [HostTensor, HostTensor];
    await expectClose(
      () => tf.batchNorm(toTensor(act), toTensor(m), positive(toTensor(v))),
      "batchNorm, no affine",
    );
  });

  it("exp, tanh and sigmoid (a vectorised polynomial exp) to float precision over the whole range", async () => {
    const previous = tf.getBackend();
    await tf.setBackend(NATIVE_BACKEND);
    const n = 20001;
    const xs = Float32Array.from({ length: n }, (_, i) => -86 + (174 * i) / (n - 1));
    const exp = (await tf.tidy(() => tf.exp(tf.tensor1d(xs))).data()) as Float32Array;
    const tanh = (await tf.tidy(() => tf.tanh(tf.tensor1d(xs))).data()) as Float32Array;
    const sigmoid = (await tf.tidy(() => tf.sigmoid(tf.tensor1d(xs))).data()) as Float32Array;
    let expError = 0;
    let tanhError = 0;
    let sigmoidError = 0;
    xs.forEach((x, i) => {
      const e = Math.exp(x);
      expError = Math.max(expError, Math.abs((exp[i] as number) - e) / e);
      tanhError = Math.max(tanhError, Math.abs((tanh[i] as number) - Math.tanh(x)));
      sigmoidError = Math.max(sigmoidError, Math.abs((sigmoid[i] as number) - 1 / (1 + Math.exp(-x))));
    });
    expect(expError).toBeLessThan(3e-7);
    expect(tanhError).toBeLessThan(1e-6);
    expect(sigmoidError).toBeLessThan(1e-6);
    const edges = await tf.tidy(() => tf.exp(tf.tensor1d([-1000, -90, 0, 89, 1000, Number.NaN]))).data();
    await tf.setBackend(previous);
    expect(Array.from(edges)).toEqual([
      0,
      0,
      1,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ]);
  });

  it("GELU: the fused native kernels against the composed ops of the cpu backend, forward and gradient", async () => {
    expect(tf.getKernel(GELU_KERNEL, NATIVE_BACKEND)).toBeDefined();
    for (const shape of [[7], [3, 5, 11], [2, 4, 8, 9]]) {
      // Wide inputs: the tanh saturates on both sides.
      const x = randomHost(shape, random);
      x.values.forEach((v, i) => {
        x.values[i] = v * 6;
      });
      await expectClose(() => valueAndGrads((a) => gelu(a), [x], 30), `gelu ${shape}`);
    }
  });

  it("layer norm: the fused native kernels against the composed ops of the cpu backend, with gradients", async () => {
    expect(tf.getKernel(LAYER_NORM_KERNEL, NATIVE_BACKEND)).toBeDefined();
    for (const shape of [[5], [3, 7], [2, 6, 33], [64, 1, 128]]) {
      const d = shape[shape.length - 1] as number;
      const x = randomHost(shape, random);
      const gamma = randomHost([d], random);
      const beta = randomHost([d], random);
      // A distinct epsilon per case: the op is cached per epsilon.
      const norm = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.mul(layerNormWith(a, g, b, 1e-5 * d), tf.add(a, 1.5));
      await expectClose(() => valueAndGrads(norm, [x, gamma, beta], 40), `layerNorm ${shape}`);
    }
  });

  it("training batch norm: the fused native kernels against the composed ops of the cpu backend", async () => {
    expect(tf.getKernel(BATCH_NORM_KERNEL, NATIVE_BACKEND)).toBeDefined();
    for (const shape of [
      [4, 5, 3, 6],
      [32, 16, 64, 32],
      [7, 1, 1, 9],
      [3, 10],
    ]) {
      const c = shape[shape.length - 1] as number;
      const x = randomHost(shape, random);
      x.values.forEach((v, i) => {
        x.values[i] = v * 3 + (i % c); // a per-channel offset, so that the mean matters
      });
      const gamma = randomHost([c], random);
      const beta = randomHost([c], random);
      const moments: tf.Tensor[] = [];
      const keep = (mean: tf.Tensor, variance: tf.Tensor) => moments.push(tf.keep(mean), tf.keep(variance));
      const norm = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.mul(batchNormTraining(a, g, b, keep), tf.add(a, 1.5));
      await expectClose(() => valueAndGrads(norm, [x, gamma, beta], 60), `batchNorm ${shape}`);
      // The running statistics' inputs: the batch's mean and biased variance.
      await expectClose(() => {
        moments.length = 0;
        batchNormTraining(toTensor(x), toTensor(gamma), toTensor(beta), keep);
        return moments;
      }, `batchNorm moments ${shape}`);
    }
  });

  it("strided slices and constant pads of every rank, forward and gradients (each the other's gradient)", async () => {
    for (let trial = 0; trial < 24; trial++) {
      const shape = Array.from({ length: int(1, 5) }, () => int(1, 7));
      const x = randomHost(shape, random);
      const begin = shape.map((d) => int(0, d - 1));
      const box = shape.map((d, i) => int(1, d - (begin[i] as number)));
      await expectClose(
        () => valueAndGrads((a) => tf.slice(a, begin, box), [x], 20 + trial),
        `slice ${shape} at ${begin} size ${box}`,
      );
      const paddings = shape.map(() => [int(0, 3), int(0, 3)] as [number, number]);
      const value = pick([0, 0, -2.5]);
      await expectClose(
        () => valueAndGrads((a) => tf.pad(a, paddings, value), [x], 50 + trial),
        `pad ${shape} by ${JSON.stringify(paddings)} with ${value}`,
      );
    }
    // The decoder's slice that took 150 ms in the cpu kernel: all but the last position of [B, T, classes].
    const logits = randomHost([16, 33, 161], random);
    await expectClose(() => tf.slice(toTensor(logits), [0, 0, 0], [16, 32, 161]), "slice of logits");
  });

  it("concat along every axis of 1 to 5 inputs of every rank, empty inputs included, forward and gradients", async () => {
    for (let trial = 0; trial < 24; trial++) {
      const shape = Array.from({ length: int(1, 5) }, () => int(1, 6));
      const axis = int(0, shape.length - 1);
      const xs = Array.from({ length: int(1, 5) }, () =>
        randomHost(
          shape.map((d, i) => (i === axis ? int(trial % 4 === 0 ? 0 : 1, 4) : d)),
          random,
        ),
      );
      const axisArg = random() < 0.5 ? axis : axis - shape.length; // negative axes count from the end
      const op = (...ts: tf.Tensor[]) => tf.concat(ts, axisArg);
      await expectClose(
        () => valueAndGrads(op, xs, 80 + trial),
        `concat of ${xs.map((x) => `[${x.shape}]`).join(" ")} on axis ${axis}`,
      );
    }
    // A decoder's key/value cache growing by one position.
    const cache = randomHost([64, 4, 9, 32], random);
    const step = randomHost([64, 4, 1, 32], random);
    await expectClose(() => tf.concat([toTensor(cache), toTensor(step)], 2), "key/value cache");
  });
});
