// Stage `split`: train/val/test by split.ratios, seeded and leak-free (one label text never in two splits),
// over one or more dataset folders; writes one JSONL index per split pointing into the shards, and stats.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { assertLabelInCharset, buildCharset, labelLength } from "../datasets/charset.ts";
import { readDataset } from "../datasets/shards.ts";
import { SPLIT_NAMES, splitByRatio } from "../datasets/split.ts";
import { countLabel, emptyStats, sortedStats } from "../datasets/stats.ts";
import { loadPipelineConfig } from "./config.ts";

const USAGE =
  "usage: ocrflow stage split <dataset folder>... [--out data/splits] [--stats data/stats/split.json]";

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: "data/splits" },
      stats: { type: "string", default: "data/stats/split.json" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = loadPipelineConfig();
  const charset = buildCharset(config.charset);
  const samples = positionals.flatMap((dir) => readDataset(dir));
  const names = new Set<string>();
  for (const s of samples) {
    if (names.has(s.name))
      throw new Error(`image name ${s.name} appears twice (${s.shard}): dataset names must be unique`);
    names.add(s.name);
    assertLabelInCharset(s.text, charset, `${s.shard} ${s.name}`);
    if (labelLength(s.text) > config.input.max_label_length) {
      throw new Error(
        `${s.shard} ${s.name}: label longer than input.max_label_length (${config.input.max_label_length})`,
      );
    }
  }
  const splits = splitByRatio(samples, config.split.ratios, config.split.seed);
  const tmp = `${values.out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const stats: Record<string, unknown> = { total: samples.length, sources: positionals };
  for (const name of SPLIT_NAMES) {
    const part = splits[name];
    writeFileSync(join(tmp, `${name}.jsonl`), part.map((s) => `${JSON.stringify(s)}\n`).join(""));
    const partStats = emptyStats();
    for (const s of part) countLabel(partStats, s.text, s.font);
    stats[name] = sortedStats(partStats);
  }
  rmSync(values.out, { recursive: true, force: true });
  renameSync(tmp, values.out);
  mkdirSync(dirname(values.stats), { recursive: true });
  writeFileSync(values.stats, `${JSON.stringify(stats, null, 2)}\n`);
  process.stdout.write(
    `split: ${SPLIT_NAMES.map((n) => `${n} ${splits[n].length}`).join(", ")} (of ${samples.length}) → ${values.out}\n`,
  );
  return 0;
}
