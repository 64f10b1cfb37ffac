// Stage `convert`: per split, the labels as doctr JSON ({"image name": "text"}) and/or `file,text` CSV, each
// checked to read back exactly; optionally every image as PNG. Writes stats.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { createCanvas, ImageData } from "@napi-rs/canvas";
import type { GreyImage } from "../datasets/augment.ts";
import { formatLabelsCsv, formatLabelsJson, parseLabelsCsv, parseLabelsJson } from "../datasets/labels.ts";
import { progressPrinter } from "../datasets/progress.ts";
import { readSplitIndex, ShardReader } from "../datasets/shards.ts";
import { SPLIT_NAMES } from "../datasets/split.ts";
import { loadPipelineConfig } from "./config.ts";

const USAGE =
  "usage: ocrflow stage convert [splits folder] [--out data/labels] [--stats data/stats/convert.json]";

export function greyToPng(image: GreyImage): Buffer {
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0; i < image.data.length; i++) {
    const v = image.data[i] as number;
    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  const canvas = createCanvas(image.width, image.height);
  canvas.getContext("2d").putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
  return canvas.toBuffer("image/png");
}

function sameLabels(
  a: Array<{ name: string; text: string }>,
  b: Array<{ name: string; text: string }>,
): boolean {
  return a.length === b.length && a.every((x, i) => x.name === b[i]?.name && x.text === b[i]?.text);
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: "data/labels" },
      stats: { type: "string", default: "data/stats/convert.json" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const splitsDir = positionals[0] ?? "data/splits";
  const config = loadPipelineConfig();
  const { formats, export_images: exportImages, json_indent: indent } = config.convert;
  const tmp = `${values.out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const stats: Record<string, unknown> = { formats, export_images: exportImages };
  const reader = new ShardReader();
  try {
    for (const split of SPLIT_NAMES) {
      const file = join(splitsDir, `${split}.jsonl`);
      if (!existsSync(file)) throw new Error(`${file} does not exist: run the split stage first`);
      const samples = readSplitIndex(file);
      const labels = samples.map((s) => ({ name: s.name, text: s.text }));
      if (formats.includes("json")) {
        const text = formatLabelsJson(labels, indent);
        if (!sameLabels(parseLabelsJson(text), labels))
          throw new Error(`${split}.json does not read back exactly`);
        writeFileSync(join(tmp, `${split}.json`), text);
      }
      if (formats.includes("csv")) {
        const text = formatLabelsCsv(labels);
        if (!sameLabels(parseLabelsCsv(text), labels))
          throw new Error(`${split}.csv does not read back exactly`);
        writeFileSync(join(tmp, `${split}.csv`), text);
      }
      if (exportImages) {
        const dir = join(tmp, "images", split);
        mkdirSync(dir, { recursive: true });
        const progress = progressPrinter(`${split} images`);
        samples.forEach((s, i) => {
          writeFileSync(join(dir, s.name), greyToPng(reader.read(s)));
          progress(i + 1, samples.length);
        });
      }
      stats[split] = { count: samples.length };
    }
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    reader.close();
  }
  rmSync(values.out, { recursive: true, force: true });
  renameSync(tmp, values.out);
  mkdirSync(dirname(values.stats), { recursive: true });
  writeFileSync(values.stats, `${JSON.stringify(stats, null, 2)}\n`);
  process.stdout.write(
    `convert: ${SPLIT_NAMES.map((n) => `${n} ${(stats[n] as { count: number }).count}`).join(", ")} as ${formats.join(", ")} → ${values.out}\n`,
  );
  return 0;
}
