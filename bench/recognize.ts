// Recognition benchmark: lines/s (batched, after one warm-up batch) and exact match / CER of model directories,
// either on a split file or on a held-out synthetic set rendered here with the font families that training left
// out (generate.fonts.exclude of the config and profile the models were trained with).
//   npx tsx bench/recognize.ts --model models/pretrained/parseq-tiny --model models/pretrained/master-tiny \
//     --heldout 1000 [--profile pretrained] [--batch 64] [--json] [--errors misread.jsonl] [--augment none|invert|...]
//   npx tsx bench/recognize.ts --model DIR --data data/splits/test.jsonl [--limit 512]
// --frame loose|tight recuts every line around its ink before recognition, seeded, as the line images users bring
// are framed (datasets/augment.ts, FRAMINGS and reframe). --augment renders the held-out lines clean (none) or with
// that one augmentation of generate.augment on every line and no other, to see what each costs.
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FRAMINGS, reframe } from "../datasets/augment.ts";
import { renderHeldOutSet } from "../datasets/heldout.ts";
import { Random } from "../datasets/random.ts";
import type { DatasetSample } from "../datasets/shards.ts";
import { ShardReader } from "../datasets/shards.ts";
import { comparisonKey } from "../documents/normalize.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { readSplit } from "../models/data.ts";
import { loadModelDirectory } from "../models/io.ts";
import { scoreTexts } from "../models/metrics.ts";
import { asRecognizer } from "../models/recognizer.ts";
import { type AugmentConfig, loadPipelineConfig } from "../stages/config.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", multiple: true },
    data: { type: "string" },
    heldout: { type: "string" },
    profile: { type: "string" },
    seed: { type: "string", default: "424242" },
    limit: { type: "string", default: "512" },
    batch: { type: "string", default: "64" },
    backend: { type: "string" },
    json: { type: "boolean", default: false },
    errors: { type: "string" },
    frame: { type: "string" },
    augment: { type: "string" },
  },
});
if (!values.model?.length) throw new Error("--model DIR is required (repeatable)");
if (values.augment !== undefined && values.heldout === undefined)
  throw new Error("--augment applies to the held-out set it renders: give --heldout N too");
const choice = await chooseBackend({ force: values.backend, log: () => {} });
const batch = Number(values.batch);

/** Sets `augment` to apply `name` to every line and nothing else; "none" turns augmentation off. */
function onlyAugmentation(augment: AugmentConfig, name: string): void {
  const entries = Object.entries(augment).filter(
    (entry): entry is [string, { probability: number }] => typeof entry[1] === "object" && entry[1] !== null,
  );
  if (name !== "none" && !entries.some(([key]) => key === name))
    throw new Error(`--augment ${name}: expected none or one of ${entries.map(([key]) => key).join(", ")}`);
  augment.probability = name === "none" ? 0 : 1;
  for (const [key, entry] of entries) entry.probability = key === name ? 1 : 0;
}

/** Renders the held-out set: the excluded families only, another seed than training's. */
async function heldOutSet(
  count: number,
): Promise<{ samples: DatasetSample[]; families: string[]; dir: string }> {
  const config = loadPipelineConfig({
    env: {},
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
  });
  if (values.augment !== undefined) onlyAugmentation(config.generate.augment, values.augment);
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-heldout-"));
  const held = await renderHeldOutSet(config, { count, seed: Number(values.seed), dir: join(dir, "set") });
  return { ...held, dir };
}

/** Writes every misread line as JSON lines (`{"model", "name", "font", "truth", "text", "confidence"}`) for error analysis. */
function writeErrors(
  file: string,
  model: string,
  truth: DatasetSample[],
  results: { text: string; confidence: number }[],
): void {
  const lines = results.flatMap((r, i) => {
    const sample = truth[i] as DatasetSample;
    return r.text === sample.text
      ? []
      : [
          JSON.stringify({
            model,
            name: sample.name,
            font: sample.font,
            truth: sample.text,
            text: r.text,
            confidence: r.confidence,
          }),
        ];
  });
  appendFileSync(file, lines.map((l) => `${l}\n`).join(""));
}

const lookalikeKey = (text: string) =>
  comparisonKey(text, { foldYo: false, ignoreCase: false, ignorePunctuation: false, foldLookalikes: true });

let cleanup: string | undefined;
let set = "split";
let samples: DatasetSample[];
if (values.heldout !== undefined) {
  const count = Number(values.heldout);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`--heldout ${values.heldout}: expected a line count >= 1`);
  const held = await heldOutSet(count);
  samples = held.samples;
  cleanup = held.dir;
  set = `held-out fonts (${held.families.join(", ")}), seed ${values.seed}`;
  if (values.augment !== undefined)
    set += `, augmentation: ${values.augment === "none" ? "none" : `${values.augment} only`}`;
} else {
  const file = values.data ?? "data/splits/test.jsonl";
  samples = readSplit(file, Number(values.limit));
  set = file;
}
const frame =
  values.frame !== undefined && Object.hasOwn(FRAMINGS, values.frame)
    ? FRAMINGS[values.frame as keyof typeof FRAMINGS]
    : undefined;
if (values.frame !== undefined && !frame)
  throw new Error(`--frame ${values.frame}: expected one of ${Object.keys(FRAMINGS).join(", ")}`);
const reader = new ShardReader();
const frameRng = new Random(Number(values.seed), 0x6672);
const images = samples.map((s) => {
  const image = reader.read(s);
  return frame ? reframe(image, frameRng, frame) : image;
});
reader.close();
if (values.frame !== undefined) set += `, framed ${values.frame}`;

try {
  for (const dir of values.model) {
    const { model, config } = loadModelDirectory(dir);
    const recognizer = asRecognizer(model, batch);
    await recognizer.recognize(images.slice(0, batch)); // warm-up
    const t0 = performance.now();
    const results = await recognizer.recognize(images);
    const seconds = (performance.now() - t0) / 1000;
    const scores = scoreTexts(
      results,
      samples.map((s) => s.text),
    );
    const report = {
      model: `${config.architecture}-${config.size}`,
      dir,
      set,
      backend: choice.id,
      // Which kernels ran (OpenBLAS names its set, e.g. Haswell or Cooperlake) and on how many threads.
      backend_detail: choice.detail,
      lines: images.length,
      batch,
      lines_per_second: Number((images.length / seconds).toFixed(1)),
      exact_match: Number(scores.exact_match.toFixed(4)),
      // Exact up to Cyrillic/Latin look-alikes (А/A, о/o…): what no reader of the image alone can tell apart.
      exact_match_lookalikes: Number(
        (
          results.filter((r, i) => lookalikeKey(r.text) === lookalikeKey((samples[i] as DatasetSample).text))
            .length / images.length
        ).toFixed(4),
      ),
      cer: Number(scores.cer.toFixed(4)),
    };
    if (values.errors !== undefined) writeErrors(values.errors, report.model, samples, results);
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else
      console.log(
        `${report.model} (${dir}) on ${set}: ${report.lines} lines, exact match ${report.exact_match} ` +
          `(${report.exact_match_lookalikes} up to look-alikes), CER ${report.cer}, ` +
          `${report.lines_per_second} lines/s (batch ${batch}, ${report.backend}: ${report.backend_detail})`,
      );
    model.dispose();
  }
} finally {
  if (cleanup) rmSync(cleanup, { recursive: true, force: true });
}
