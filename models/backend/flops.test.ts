// The FLOP counter used by `bench train`: per-kernel formulas from shapes alone, and a profiled count.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { countFlops, kernelFlops } from "./flops.ts";

describe("kernelFlops", () => {
  it("counts 2*m*n*k for matmuls, whichever operand is transposed", () => {
    const out = [[3, 4, 5]];
    expect(
      kernelFlops({
        name: "BatchMatMul",
        inputShapes: [
          [3, 4, 7],
          [3, 7, 5],
        ],
        outputShapes: out,
      }),
    ).toBe(2 * 3 * 4 * 5 * 7);
    expect(
      kernelFlops({
        name: "BatchMatMul",
        inputShapes: [
          [3, 7, 4],
          [3, 5, 7],
        ],
        outputShapes: out,
      }),
    ).toBe(2 * 3 * 4 * 5 * 7);
  });

  it("counts a convolution and both of its gradients alike", () => {
    const x = [2, 8, 8, 3];
    const w = [3, 3, 3, 16];
    const y = [2, 8, 8, 16];
    const forward = 2 * 2 * 8 * 8 * 16 * (3 * 3 * 3);
    expect(kernelFlops({ name: "Conv2D", inputShapes: [x, w], outputShapes: [y] })).toBe(forward);
    expect(kernelFlops({ name: "Conv2DBackpropInput", inputShapes: [y, w], outputShapes: [x] })).toBe(
      forward,
    );
    expect(kernelFlops({ name: "Conv2DBackpropFilter", inputShapes: [x, y], outputShapes: [w] })).toBe(
      forward,
    );
    expect(kernelFlops({ name: "Add", inputShapes: [y, y], outputShapes: [y] })).toBe(0);
  });
});

describe("countFlops", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("sums the GEMM FLOPs of everything run under the profiler", async () => {
    const a = tf.ones([8, 16]);
    const b = tf.ones([16, 4]);
    const count = await countFlops(() => {
      tf.dispose([tf.matMul(a, b), tf.relu(a)]);
    });
    expect(count.flops).toBe(2 * 8 * 4 * 16);
    expect(count.byKernel).toEqual({ BatchMatMul: 2 * 8 * 4 * 16 });
    tf.dispose([a, b]);
  });
});
