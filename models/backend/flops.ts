// Counts the GEMM and convolution FLOPs of a piece of tfjs work from the engine's kernel profile, so any
// architecture's training step can be measured in GFLOP/s without hand-written formulas.
import * as tf from "@tensorflow/tfjs";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export interface ProfiledKernel {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
}

/**
 * FLOPs (2 per multiply-add) of one kernel, or 0 for the element-wise kind that is not counted.
 * Works from shapes alone: the profile carries no attributes, and none are needed.
 */
export function kernelFlops(kernel: ProfiledKernel): number {
  const [in0 = [], in1 = []] = kernel.inputShapes;
  const out = kernel.outputShapes[0] ?? [];
  switch (kernel.name) {
    case "BatchMatMul":
    case "_FusedMatMul": {
      // out [..., m, n]; a [..., m, k] or [..., k, m] (transposed): k is a's other inner dimension.
      const m = out[out.length - 2] as number;
      const ra = in0.length;
      const k = (in0[ra - 2] === m ? in0[ra - 1] : in0[ra - 2]) as number;
      return 2 * size(out) * k;
    }
    case "Conv2D":
    case "FusedConv2D": {
      // filter [kh, kw, cin, cout]: each output element costs kh*kw*cin multiply-adds.
      return 2 * size(out) * (size(in1) / (in1[3] ?? 1));
    }
    case "Conv2DBackpropInput": {
      // inputs dy, filter: the same products as the forward convolution.
      return 2 * size(in0) * (size(in1) / (in1[3] ?? 1));
    }
    case "Conv2DBackpropFilter": {
      // inputs x, dy; output the filter.
      return 2 * size(in1) * (size(out) / (out[3] ?? 1));
    }
    case "DepthwiseConv2dNative":
      return 2 * size(out) * (size(in1) / ((in1[2] ?? 1) * (in1[3] ?? 1)));
    default:
      return 0;
  }
}

export interface FlopCount {
  flops: number;
  /** FLOPs per kernel name, for reports. */
  byKernel: Record<string, number>;
  kernelCalls: number;
}

/** Runs `work` once under tf.profile and counts its FLOPs. */
export async function countFlops(work: () => void): Promise<FlopCount> {
  const info = await tf.profile(() => {
    work();
    return [];
  });
  const byKernel: Record<string, number> = {};
  let flops = 0;
  for (const k of info.kernels) {
    const f = kernelFlops({
      name: k.name,
      inputShapes: k.inputShapes.map((s) => s ?? []),
      outputShapes: k.outputShapes.map((s) => s ?? []),
    });
    if (f > 0) byKernel[k.name] = (byKernel[k.name] ?? 0) + f;
    flops += f;
  }
  return { flops, byKernel, kernelCalls: info.kernels.length };
}

/** Time inside kernels of a tf.profile run, per kernel name (and input shapes, with `byShape`), longest first. */
export function kernelTimes(
  kernels: readonly { name: string; kernelTimeMs: unknown; inputShapes: unknown }[],
  byShape: boolean,
): { totalMs: number; rows: { key: string; ms: number; count: number }[] } {
  const byKey = new Map<string, { key: string; ms: number; count: number }>();
  let totalMs = 0;
  for (const k of kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    const key = byShape ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const row = byKey.get(key) ?? { key, ms: 0, count: 0 };
    row.ms += ms;
    row.count++;
    totalMs += ms;
    byKey.set(key, row);
  }
  return { totalMs, rows: [...byKey.values()].sort((a, b) => b.ms - a.ms) };
}
