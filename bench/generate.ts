// Benchmark: synthetic lines generated per second with the full profile's augmentation, in separate
// processes; prints each run and the median. Usage: npx tsx bench/generate.ts [lines=10000] [workers=2] [runs=3]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCharset } from "../datasets/charset.ts";
import { usableFaces } from "../datasets/fonts.ts";
import { generateDataset } from "../datasets/generate.ts";
import { loadPipelineConfig } from "../stages/config.ts";

const [lines = 10000, workers = 2, runs = 3] = process.argv.slice(2).map(Number);
const config = loadPipelineConfig({ env: {} });
config.generate.count = lines;
config.generate.shard_size = Math.min(config.generate.shard_size, Math.ceil(lines / (workers * 4)));
const scanStart = performance.now();
const { faces } = usableFaces(config.generate.fonts, buildCharset(config.charset));
console.log(
  `font coverage scan: ${faces.length} faces in ${((performance.now() - scanStart) / 1000).toFixed(1)} s (once per run)`,
);
const rates: number[] = [];
for (let run = 0; run < runs; run++) {
  config.generate.seed = 1000 + run;
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-bench-generate-"));
  const result = await generateDataset({ config, outDir: join(dir, "out"), workers, faces });
  rates.push(result.stats.lines_per_second);
  console.log(
    `run ${run + 1}: ${lines} lines, ${workers} processes, ${result.stats.seconds} s, ${result.stats.lines_per_second} lines/s`,
  );
  rmSync(dir, { recursive: true, force: true });
}
const sorted = [...rates].sort((a, b) => a - b);
console.log(
  `median: ${sorted[Math.floor(sorted.length / 2)]} lines/s (augmentation probability ${config.generate.augment.probability})`,
);
