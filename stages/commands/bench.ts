// `ocrflow bench train`: times whole training steps of a registered architecture on the chosen tfjs backend
// and prints images/s, GFLOP/s (from the step's counted FLOPs) and the backend, as text or JSON.
import { type Command, InvalidArgumentError } from "commander";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number >= 0");
  return n;
}

/** The machine's measured single-precision GEMM ceiling (docs/MACHINE.md), for the "% of ceiling" column. */
export const GEMM_CEILING_GFLOPS = 150;

interface BenchTrainOptions {
  arch: string;
  batch: number;
  steps: number;
  warmup: number;
  backend?: string;
  json?: boolean;
  ceiling: number;
}

/** The recognizers in models/ register themselves with the benchmark when their module loads. */
async function registerRealArchitectures(): Promise<void> {
  try {
    await import("../../models/architectures.ts");
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
  }
}

export function registerBenchCommand(program: Command): void {
  const bench = program.command("bench").description("benchmarks that print figures");
  bench
    .command("train")
    .description("time training steps (forward, backward, Adam) of an architecture on a tfjs backend")
    .option(
      "--arch <name>",
      "registered architecture (see models/backend/bench-architectures.ts)",
      "synthetic",
    )
    .option("--batch <n>", "images per step", positiveInt, 32)
    .option("--steps <n>", "timed steps (the median is reported)", positiveInt, 10)
    .option("--warmup <n>", "untimed steps first", nonNegativeInt, 1)
    .option(
      "--backend <name>",
      "force a backend: tensorflow-gpu, tensorflow, native, wasm, cpu (else OCRFLOW_BACKEND or the best)",
    )
    .option("--ceiling <gflops>", "GEMM ceiling to report a percentage of", Number, GEMM_CEILING_GFLOPS)
    .option("--json", "print one JSON object on stdout")
    .action(async (options: BenchTrainOptions) => {
      const { benchArchitectureNames, benchTrainSteps, chooseBackend } = await import(
        "../../models/backend/index.ts"
      );
      await registerRealArchitectures();
      if (!benchArchitectureNames().includes(options.arch)) {
        process.stderr.write(
          `ocrflow bench train: unknown architecture "${options.arch}"; registered: ${benchArchitectureNames().join(", ")}\n`,
        );
        process.exitCode = 2;
        return;
      }
      const choice = await chooseBackend({ force: options.backend });
      const result = await benchTrainSteps({
        arch: options.arch,
        batch: options.batch,
        steps: options.steps,
        warmup: options.warmup,
        onStep: options.json
          ? undefined
          : (i, ms, loss) =>
              process.stderr.write(
                `step ${i + 1}/${options.steps}: ${ms.toFixed(0)} ms, loss ${loss.toFixed(4)}\n`,
              ),
      });
      const report = {
        ...result,
        backendId: choice.id,
        backendDetail: choice.detail,
        ceilingGflops: options.ceiling,
        percentOfCeiling: (100 * result.gflopsPerSecond) / options.ceiling,
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        process.stdout.write(
          `${report.arch} on ${report.backendId}: ${report.imagesPerSecond.toFixed(2)} images/s, ` +
            `${report.gflopsPerSecond.toFixed(1)} GFLOP/s (${report.percentOfCeiling.toFixed(0)}% of ${options.ceiling}), ` +
            `median step ${report.medianStepMs.toFixed(0)} ms at batch ${report.batch}, ` +
            `${(report.flopsPerStep / 1e9).toFixed(2)} GFLOP/step, ${(report.parameters / 1e6).toFixed(2)}M parameters; ` +
            `${report.cpuMsPerStep.toFixed(0)} CPU-ms per step (${report.gflopsPerCpuSecond.toFixed(1)} GFLOP per CPU-second)\n`,
        );
      }
    });
}
