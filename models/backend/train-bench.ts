// Times whole training steps (forward, backward, Adam) of a registered architecture on the current tfjs
// backend and reports images/s and GFLOP/s, with FLOPs counted from one profiled step.
import * as tf from "@tensorflow/tfjs";
import { benchArchitecture } from "./bench-architectures.ts";
import { countFlops } from "./flops.ts";
import { createAdam } from "./fused-adam.ts";

export interface TrainBenchOptions {
  arch: string;
  batch: number;
  steps: number;
  /** Untimed steps first: Adam creates its slots and the addon its buffers on the first step. */
  warmup?: number;
  learningRate?: number;
  /** Called after each timed step. */
  onStep?: (step: number, ms: number, loss: number) => void;
}

export interface TrainBenchResult {
  arch: string;
  backend: string;
  batch: number;
  steps: number;
  parameters: number;
  /** GEMM/convolution FLOPs of one training step (forward + backward), counted on this backend. */
  flopsPerStep: number;
  flopsByKernel: Record<string, number>;
  stepMs: number[];
  medianStepMs: number;
  imagesPerSecond: number;
  gflopsPerSecond: number;
  finalLoss: number;
  /**
   * CPU time of the whole process (all threads) per timed step, and FLOPs per CPU-second: unlike wall time
   * these barely move when other jobs share the cores. With the machine to ourselves, wall time per step
   * approaches cpuMsPerStep / threads.
   */
  cpuMsPerStep: number;
  gflopsPerCpuSecond: number;
  /** Live tensors after the first and the last timed step (equal when nothing leaks). */
  tensorsAfterFirstStep: number;
  tensorsAfterLastStep: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function benchTrainSteps(options: TrainBenchOptions): Promise<TrainBenchResult> {
  const { batch, steps } = options;
  const model = benchArchitecture(options.arch).create();
  const optimizer = createAdam(options.learningRate ?? 1e-3);
  const inputs = model.makeBatch(batch);
  const step = (): number => {
    const loss = optimizer.minimize(() => model.loss(inputs), true, model.variables) as tf.Scalar;
    const value = loss.dataSync()[0] as number;
    loss.dispose();
    return value;
  };
  try {
    for (let i = 0; i < (options.warmup ?? 1); i++) step();
    const counted = await countFlops(() => {
      step();
    });
    const stepMs: number[] = [];
    let finalLoss = Number.NaN;
    let tensorsAfterFirstStep = 0;
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      finalLoss = step();
      const ms = performance.now() - t0;
      stepMs.push(ms);
      if (i === 0) tensorsAfterFirstStep = tf.memory().numTensors;
      options.onStep?.(i, ms, finalLoss);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
    const medianStepMs = median(stepMs);
    return {
      arch: options.arch,
      backend: tf.getBackend(),
      batch,
      steps,
      parameters: model.parameterCount(),
      flopsPerStep: counted.flops,
      flopsByKernel: counted.byKernel,
      stepMs,
      medianStepMs,
      imagesPerSecond: (batch * 1000) / medianStepMs,
      gflopsPerSecond: counted.flops / medianStepMs / 1e6,
      finalLoss,
      cpuMsPerStep,
      gflopsPerCpuSecond: counted.flops / cpuMsPerStep / 1e6,
      tensorsAfterFirstStep,
      tensorsAfterLastStep: tf.memory().numTensors,
    };
  } finally {
    for (const t of inputs) t.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
