// `ocrflow stage preview`: a PNG contact sheet of samples with their labels from a dataset folder or a split
// index (data/splits/train.jsonl), so a person can look at the data.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { contactSheet } from "../datasets/preview.ts";
import { Random } from "../datasets/random.ts";
import { type DatasetSample, readDataset, readSplitIndex, ShardReader } from "../datasets/shards.ts";

const USAGE =
  "usage: ocrflow stage preview <dataset folder | split .jsonl> [--count 48] [--random] [--out preview.png]";

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      count: { type: "string", default: "48" },
      random: { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      out: { type: "string", default: "preview.png" },
      help: { type: "boolean", default: false },
    },
  });
  const source = positionals[0];
  if (values.help || !source) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let samples: DatasetSample[] = source.endsWith(".jsonl") ? readSplitIndex(source) : readDataset(source);
  if (values.random) samples = new Random(Number(values.seed)).shuffle([...samples]);
  samples = samples.slice(0, Number(values.count));
  const reader = new ShardReader();
  const sheet = contactSheet(
    samples.map((s) => ({
      image: reader.read(s),
      text: s.text,
      note: [s.name, s.font].filter(Boolean).join(" · "),
    })),
  );
  reader.close();
  writeFileSync(values.out, sheet);
  process.stdout.write(`preview: ${samples.length} samples → ${values.out}\n`);
  return 0;
}
