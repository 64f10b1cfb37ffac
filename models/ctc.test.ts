// The CTC loss against brute force (every path of a short sequence enumerated) and its gradient against finite
// differences; labels that cannot fit count for nothing.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { Random } from "../datasets/random.ts";
import { ctcForwardBackward, ctcGreedy, ctcLoss } from "./ctc.ts";

function logSoftmaxRows(x: Float32Array, steps: number, classes: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let t = 0; t < steps; t++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, x[t * classes + c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((x[t * classes + c] as number) - max);
    for (let c = 0; c < classes; c++)
      out[t * classes + c] = (x[t * classes + c] as number) - max - Math.log(sum);
  }
  return out;
}

/** −log Σ over every path of length T that collapses to `label`. */
function bruteForce(logProbs: Float32Array, steps: number, classes: number, label: number[], blank: number) {
  let total = 0;
  const path = new Array<number>(steps).fill(0);
  const visit = (t: number, logp: number) => {
    if (t === steps) {
      if (JSON.stringify(ctcGreedyPath(path, blank)) === JSON.stringify(label)) total += Math.exp(logp);
      return;
    }
    for (let c = 0; c < classes; c++) {
      path[t] = c;
      visit(t + 1, logp + (logProbs[t * classes + c] as number));
    }
  };
  visit(0, 0);
  return -Math.log(total);
}

function ctcGreedyPath(path: number[], blank: number): number[] {
  const out: number[] = [];
  let previous = -1;
  for (const c of path) {
    if (c !== previous && c !== blank) out.push(c);
    previous = c;
  }
  return out;
}

describe("ctc", () => {
  const steps = 5;
  const classes = 3;
  const rng = new Random(3);
  const logits = Float32Array.from({ length: steps * classes }, () => rng.next() * 4 - 2);
  const logProbs = logSoftmaxRows(logits, steps, classes);

  for (const label of [[1], [1, 2], [1, 1], [2, 1, 2], [1, 1, 2]]) {
    it(`matches brute force for label ${JSON.stringify(label)}`, () => {
      const { nll } = ctcForwardBackward(
        logProbs,
        [1, steps, classes],
        [Int32Array.from(label)],
        Float64Array.of(1),
        0,
      );
      expect(nll[0]).toBeCloseTo(bruteForce(logProbs, steps, classes, label, 0), 5);
    });
  }

  it("a label that needs more steps than there are is infeasible and gets no gradient", () => {
    const { nll, grad } = ctcForwardBackward(
      logProbs,
      [1, steps, classes],
      [Int32Array.of(1, 1, 1, 2)],
      Float64Array.of(1),
      0,
    );
    expect(nll[0]).toBe(Infinity);
    expect(grad.every((g) => g === 0)).toBe(true);
  });

  it("the gradient with respect to the logits matches finite differences", () => {
    const labels = [Int32Array.of(1, 2), Int32Array.of(2, 2)];
    const n = 2;
    const values = Float32Array.from({ length: n * steps * classes }, () => rng.next() * 2 - 1);
    const x = tf.tensor3d(values, [n, steps, classes]);
    const analytic = tf
      .grad((v: tf.Tensor) => ctcLoss(v as tf.Tensor3D, labels, 0))(x)
      .dataSync();
    const lossAt = (v: Float32Array) =>
      tf.tidy(() => ctcLoss(tf.tensor3d(v, [n, steps, classes]), labels, 0).dataSync()[0] as number);
    const h = 1e-2;
    for (const i of [0, 4, 7, 13, 16, 22, 29]) {
      const plus = Float32Array.from(values);
      const minus = Float32Array.from(values);
      plus[i] = (plus[i] as number) + h;
      minus[i] = (minus[i] as number) - h;
      const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h);
      expect(analytic[i], `logit ${i}`).toBeCloseTo(numeric, 3);
    }
    x.dispose();
  });

  it("training the logits on the loss makes greedy decoding read the label", () => {
    const label = Int32Array.of(1, 2, 2);
    const v = tf.variable(tf.zeros([1, 6, classes]));
    const optimizer = tf.train.adam(0.1);
    for (let i = 0; i < 100; i++) optimizer.minimize(() => ctcLoss(v as unknown as tf.Tensor3D, [label], 0));
    expect(ctcGreedy(v.dataSync() as Float32Array, 6, classes, 0)).toEqual([1, 2, 2]);
    v.dispose();
  });
});
