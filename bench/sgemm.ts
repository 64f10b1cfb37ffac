// Benchmark: OpenBLAS sgemm through the native addon, on the shapes the recognizers multiply, with the kernel
// set OpenBLAS chose (or OPENBLAS_CORETYPE pinned) printed beside the figures. Compare the two on one machine:
//   npx tsx bench/sgemm.ts [--threads 1] [--repeats 5]
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE npx tsx bench/sgemm.ts --threads 1
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    threads: { type: "string" },
    repeats: { type: "string", default: "5" },
  },
});
// Read by the addon when it loads: set before importing it.
if (values.threads !== undefined) process.env.OCRFLOW_THREADS = values.threads;
const { describeNativeAddon, loadNativeAddon } = await import("../models/backend/native-addon.ts");
const load = loadNativeAddon();
if (!load.addon) throw new Error(`native addon unavailable (npm run build:native): ${load.reason}`);
const addon = load.addon;

/** m x k times k x n: what each is in the models. */
const SHAPES: Array<{ name: string; m: number; n: number; k: number }> = [
  { name: "parseq-tiny encoder MLP, batch 64 (8192x128 . 128x384)", m: 8192, n: 384, k: 128 },
  { name: "im2col-shaped (32768x1152 . 1152x128)", m: 32768, n: 128, k: 1152 },
  { name: "square n=1024", m: 1024, n: 1024, k: 1024 },
];

const repeats = Number(values.repeats);
console.log(`${describeNativeAddon(addon)}, OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? "(unset)"}`);
for (const { name, m, n, k } of SHAPES) {
  const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(m * n);
  const run = () => addon.sgemm(0, 0, m, n, k, a, b, c, 1, 0, 0, 0, 0);
  run();
  // Enough calls per timing for ~0.1 s at 100 GFLOP/s; best of `repeats`, as the machine may be shared.
  const calls = Math.max(1, Math.round(1e10 / (2 * m * n * k)));
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) run();
    best = Math.min(best, (performance.now() - t0) / calls);
  }
  console.log(`${name}: ${((2 * m * n * k) / best / 1e6).toFixed(1)} GFLOP/s (${best.toFixed(2)} ms)`);
}
