// Stage `generate`: renders generate.count synthetic text lines into data/generated (shards, labels.csv,
// preview.png) and writes its stats (counts, characters, fonts, speed) as a metrics file.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { generateDataset } from "../datasets/generate.ts";
import { contactSheet } from "../datasets/preview.ts";
import { progressPrinter } from "../datasets/progress.ts";
import { readDataset, ShardReader } from "../datasets/shards.ts";
import { loadPipelineConfig } from "./config.ts";

const USAGE =
  "usage: ocrflow stage generate [--out data/generated] [--stats data/stats/generate.json] [--workers N]";

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string", default: "data/generated" },
      stats: { type: "string", default: "data/stats/generate.json" },
      workers: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadPipelineConfig();
  const result = await generateDataset({
    config,
    outDir: values.out,
    ...(values.workers !== undefined ? { workers: Number(values.workers) } : {}),
    onProgress: progressPrinter("lines"),
  });
  const skipped = new Map<string, { faces: string[]; missing: string }>();
  for (const r of result.rejectedFaces) {
    const family = r.id.replace(/-\d{3}-(normal|italic)$/, "");
    const entry = skipped.get(family) ?? { faces: [], missing: r.missing };
    entry.faces.push(r.id.slice(family.length + 1));
    skipped.set(family, entry);
  }
  for (const [family, { faces, missing }] of skipped) {
    process.stderr.write(`generate: skipped ${family} (${faces.join(", ")}): no glyph for ${missing}\n`);
  }
  if (config.generate.preview > 0) {
    const samples = readDataset(values.out).slice(0, config.generate.preview);
    const reader = new ShardReader();
    const sheet = contactSheet(
      samples.map((s) => ({ image: reader.read(s), text: s.text, note: s.font ?? "" })),
    );
    reader.close();
    writeFileSync(join(values.out, "preview.png"), sheet);
  }
  const stats = {
    ...result.stats,
    faces_available: result.faces.length,
    faces_used: Object.keys(result.stats.fonts).length,
    faces_skipped: result.rejectedFaces.length,
  };
  mkdirSync(dirname(values.stats), { recursive: true });
  writeFileSync(values.stats, `${JSON.stringify(stats, null, 2)}\n`);
  process.stdout.write(
    `generate: ${stats.count} lines in ${stats.shards} shards with ${stats.faces_used} of ${stats.faces_available} faces, ` +
      `${stats.workers} processes, ${stats.lines_per_second} lines/s → ${values.out}\n`,
  );
  return 0;
}
