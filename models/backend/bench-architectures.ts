// The registry of architectures `ocrflow bench train --arch <name>` can time; real recognizers add
// themselves with registerBenchArchitecture, next to the built-in synthetic conv+transformer.
import type * as tf from "@tensorflow/tfjs";
import { SyntheticRecognizer } from "./synthetic-model.ts";

/** What the benchmark needs from a model: its variables, a batch of its inputs, and a scalar loss. */
export interface BenchModel {
  readonly variables: tf.Variable[];
  /** Random inputs and labels for one batch; the caller disposes them. */
  makeBatch(batch: number): tf.Tensor[];
  loss(batch: tf.Tensor[]): tf.Scalar;
  parameterCount(): number;
  dispose(): void;
}

export interface BenchArchitecture {
  name: string;
  description: string;
  create(): BenchModel;
}

const registry = new Map<string, BenchArchitecture>();

export function registerBenchArchitecture(arch: BenchArchitecture): void {
  registry.set(arch.name, arch);
}

export function benchArchitecture(name: string): BenchArchitecture {
  const arch = registry.get(name);
  if (!arch)
    throw new Error(`unknown architecture "${name}"; registered: ${benchArchitectureNames().join(", ")}`);
  return arch;
}

export function benchArchitectureNames(): string[] {
  return [...registry.keys()].sort();
}

registerBenchArchitecture({
  name: "synthetic",
  description: "conv backbone + 2-layer transformer decoder, about 1.6M parameters, 32x128 grey input",
  create: () => new SyntheticRecognizer(),
});
