// Benchmark: synthetic lines generated per second (wall clock and per CPU second) with the full profile's
// augmentation in separate processes; prints each run and the medians.
// Usage: npx tsx bench/generate.ts [lines=20000] [workers=2] [runs=3] [--dist[=DIR]]
//   --dist: run the compiled JavaScript in DIR (default dist/, from `npm run build`) instead of the sources.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

type Generate = typeof import("../datasets/generate.ts");
type Fonts = typeof import("../datasets/fonts.ts");
type Charset = typeof import("../datasets/charset.ts");
type Config = typeof import("../stages/config.ts");

const distFlag = process.argv.find((a) => a === "--dist" || a.startsWith("--dist="));
const compiled = distFlag !== undefined;
const distDir = distFlag?.includes("=") ? resolve(distFlag.slice("--dist=".length)) : resolve("dist");
const [lines = 20000, workers = 2, runs = 3] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith("--"))
  .map(Number);
// From dist/, the forked workers run compiled JavaScript too (no tsx transform in the loop).
const load = async <T>(module: string): Promise<T> =>
  (await import(compiled ? pathToFileURL(join(distDir, `${module}.js`)).href : `../${module}.ts`)) as T;
const { generateDataset } = await load<Generate>("datasets/generate");
const { usableFaces } = await load<Fonts>("datasets/fonts");
const { buildCharset } = await load<Charset>("datasets/charset");
const { loadPipelineConfig } = await load<Config>("stages/config");

const config = loadPipelineConfig({ env: {} });
config.generate.count = lines;
config.generate.shard_size = Math.min(config.generate.shard_size, Math.ceil(lines / (workers * 4)));
const scanStart = performance.now();
const { faces } = usableFaces(config.generate.fonts, buildCharset(config.charset));
console.log(
  `${compiled ? distDir : "sources (tsx)"}: ${faces.length} faces, coverage scan ${((performance.now() - scanStart) / 1000).toFixed(1)} s (not timed below)`,
);
const wall: number[] = [];
const perCpu: number[] = [];
for (let run = 0; run < runs; run++) {
  config.generate.seed = 1000 + run;
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-bench-generate-"));
  const { stats } = await generateDataset({ config, outDir: join(dir, "out"), workers, faces });
  wall.push(stats.lines_per_second);
  perCpu.push(stats.lines_per_cpu_second);
  console.log(
    `run ${run + 1}: ${lines} lines, ${workers} processes, ${stats.seconds} s, ${stats.lines_per_second} lines/s, ` +
      `${stats.lines_per_cpu_second} lines per CPU second`,
  );
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `median: ${median(wall)} lines/s on ${workers} processes; ${median(perCpu)} lines per CPU second ` +
    `(≈ ${(median(perCpu) ?? 0) * workers} lines/s on ${workers} idle cores); augmentation probability ${config.generate.augment.probability}`,
);
