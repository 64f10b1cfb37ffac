// Public surface of the tfjs backend layer: choosing the backend, the benchmark architectures and runner.
export {
  type BenchArchitecture,
  type BenchModel,
  benchArchitecture,
  benchArchitectureNames,
  registerBenchArchitecture,
} from "./bench-architectures.ts";
export { dropout } from "./dropout.ts";
export { countFlops, kernelFlops, kernelTimes } from "./flops.ts";
export { createAdam, FusedAdamOptimizer } from "./fused-adam.ts";
export { NATIVE_BACKEND, registerNativeBackend } from "./native-backend.ts";
export {
  BACKEND_ENV,
  BACKEND_ORDER,
  type BackendChoice,
  type BackendId,
  chooseBackend,
  describeChoice,
  parseBackendId,
} from "./select.ts";
export { benchTrainSteps, median, type TrainBenchOptions, type TrainBenchResult } from "./train-bench.ts";
export { registerWasmBackend, WASM_BACKEND } from "./wasm-backend.ts";
