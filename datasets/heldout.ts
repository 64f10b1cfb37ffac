// The held-out synthetic set: lines rendered only with the font families that training left out
// (generate.fonts.exclude), with another seed than training's, so accuracy on it measures generalisation to
// unseen faces. Used by bench/recognize.ts --heldout and by the tests of the shipped models.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PipelineConfig } from "../stages/config.ts";
import { generateDataset } from "./generate.ts";
import type { DatasetSample } from "./shards.ts";

export interface HeldOutSet {
  samples: DatasetSample[];
  /** The families the set is rendered with. */
  families: string[];
}

/**
 * Renders `count` lines into `dir` with the generate settings of `config` (a copy is changed, not `config`), but
 * only the families of generate.fonts.exclude. Throws when nothing was held out.
 */
export async function renderHeldOutSet(
  config: PipelineConfig,
  options: { count: number; seed: number; dir: string; workers?: number },
): Promise<HeldOutSet> {
  const held: PipelineConfig = structuredClone(config);
  const families = held.generate.fonts.exclude;
  if (families.length === 0)
    throw new Error("generate.fonts.exclude is empty: no font family was held out of training");
  held.generate.count = options.count;
  held.generate.seed = options.seed;
  held.generate.shard_size = Math.max(1, Math.ceil(options.count / 4));
  held.generate.lines_per_font = Math.min(held.generate.lines_per_font, 16);
  held.generate.preview = 0;
  held.generate.fonts.families = families;
  held.generate.fonts.exclude = [];
  await generateDataset({
    config: held,
    outDir: options.dir,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
  });
  const samples: DatasetSample[] = [];
  for (const file of readdirSync(options.dir)
    .filter((f) => /^shard-\d+\.jsonl$/.test(f))
    .sort()) {
    const shard = join(options.dir, file.replace(/\.jsonl$/, ".bin"));
    for (const line of readFileSync(join(options.dir, file), "utf8").split("\n"))
      if (line.trim()) samples.push({ ...(JSON.parse(line) as DatasetSample), shard });
  }
  return { samples, families };
}
