// Stage `import`: brings an external labelled dataset (folder + CSV/TSV/JSON labels, or Hugging Face parquet on
// disk) into data/imported in the shard format; every bad row is reported with its row number.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { buildCharset } from "../datasets/charset.ts";
import { importDataset } from "../datasets/import.ts";
import { progressPrinter } from "../datasets/progress.ts";
import { loadPipelineConfig } from "./config.ts";

const USAGE =
  "usage: ocrflow stage import [source folder or parquet] [--out data/imported] [--stats data/stats/import.json] [--prefix imp]";

/** Rows listed one by one on stderr; the rest only counted. */
const LISTED_ISSUES = 50;

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: "data/imported" },
      stats: { type: "string", default: "data/stats/import.json" },
      prefix: { type: "string", default: "imp" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(values.prefix)) {
    process.stderr.write(
      `import: --prefix must be letters, digits, _ or - (got ${JSON.stringify(values.prefix)})\n`,
    );
    return 2;
  }
  const config = loadPipelineConfig();
  const source = positionals[0] ?? config.import.source;
  if (!source) {
    process.stderr.write("import: no source (give one, or set import.source in pipeline.config.yaml)\n");
    return 2;
  }
  const result = await importDataset({
    settings: config.import,
    input: config.input,
    charset: buildCharset(config.charset),
    source,
    outDir: values.out,
    namePrefix: values.prefix,
    shardSize: config.generate.shard_size,
    onProgress: progressPrinter("rows"),
  });
  for (const issue of result.issues.slice(0, LISTED_ISSUES)) {
    process.stderr.write(`import: row ${issue.row}: ${issue.kind}: ${issue.message}\n`);
  }
  if (result.issues.length > LISTED_ISSUES) {
    process.stderr.write(`import: … and ${result.issues.length - LISTED_ISSUES} more rows skipped\n`);
  }
  mkdirSync(dirname(values.stats), { recursive: true });
  writeFileSync(
    values.stats,
    `${JSON.stringify({ ...result.stats, skipped: result.issues.length }, null, 2)}\n`,
  );
  process.stdout.write(
    `import: ${result.imported} images, ${result.issues.length} rows skipped → ${values.out}\n`,
  );
  return 0;
}
