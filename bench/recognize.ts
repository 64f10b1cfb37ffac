// Recognition benchmark: lines/s (batched, after one warm-up batch) and exact match / CER of a model directory on
// a split file, e.g. a held-out set rendered with fonts excluded from training.
//   npx tsx bench/recognize.ts --model models/pretrained/parseq-tiny --data data/splits/test.jsonl [--limit 512] [--batch 64]
import { parseArgs } from "node:util";
import { ShardReader } from "../datasets/shards.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { readSplit } from "../models/data.ts";
import { loadModelDirectory } from "../models/io.ts";
import { ScoreAccumulator } from "../models/metrics.ts";
import { asRecognizer } from "../models/recognizer.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    data: { type: "string", default: "data/splits/test.jsonl" },
    limit: { type: "string", default: "512" },
    batch: { type: "string", default: "64" },
    backend: { type: "string" },
  },
});
if (!values.model) throw new Error("--model DIR is required");
const choice = await chooseBackend({ force: values.backend });
const { model, config } = loadModelDirectory(values.model);
const batch = Number(values.batch);
const samples = readSplit(values.data, Number(values.limit));
const reader = new ShardReader();
const images = samples.map((s) => reader.read(s));
reader.close();
const recognizer = asRecognizer(model, batch);
await recognizer.recognize(images.slice(0, batch)); // warm-up
const t0 = performance.now();
const results = await recognizer.recognize(images);
const seconds = (performance.now() - t0) / 1000;
const acc = new ScoreAccumulator();
results.forEach((r, i) => {
  acc.add(r.text, samples[i]?.text ?? "", r.confidence);
});
const scores = acc.scores();
const report = {
  model: `${config.architecture}-${config.size}`,
  backend: choice.id,
  lines: images.length,
  batch,
  lines_per_second: Number((images.length / seconds).toFixed(1)),
  exact_match: Number(scores.exact_match.toFixed(4)),
  cer: Number(scores.cer.toFixed(4)),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
model.dispose();
