// Profiles recognition of a model directory on the first lines of a split: kernels of one batch by time and count,
// after a warm-up batch.
// Run: npx tsx bench/profile-recognize.ts --model models/pretrained/master-tiny [--data data/splits/test.jsonl]
//        [--batch 64] [--shapes] [--top 30]
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { ShardReader } from "../datasets/shards.ts";
import { chooseBackend, kernelTimes } from "../models/backend/index.ts";
import { readSplit } from "../models/data.ts";
import { loadModelDirectory } from "../models/io.ts";
import { asRecognizer } from "../models/recognizer.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    data: { type: "string", default: "data/splits/test.jsonl" },
    batch: { type: "string", default: "64" },
    shapes: { type: "boolean", default: false },
    top: { type: "string", default: "30" },
  },
});
if (!values.model) throw new Error("--model DIR is required");
await chooseBackend({ log: () => {} });
const batch = Number(values.batch);
const { model, config } = loadModelDirectory(values.model);
const recognizer = asRecognizer(model, batch);
const samples = readSplit(values.data, batch);
if (samples.length === 0) throw new Error(`${values.data}: no lines to recognize`);
const reader = new ShardReader();
const images = samples.map((s) => reader.read(s));
reader.close();
await recognizer.recognize(images); // warm-up
const t0 = performance.now();
await recognizer.recognize(images);
const wall = performance.now() - t0;
const profile = await tf.profile(async () => {
  await recognizer.recognize(images);
});
const { totalMs, rows } = kernelTimes(profile.kernels, values.shapes);
console.log(
  `${config.architecture}-${config.size}, batch ${batch} on ${tf.getBackend()}: ${wall.toFixed(0)} ms ` +
    `(${((batch * 1000) / wall).toFixed(0)} lines/s); profiled: ${profile.kernels.length} kernels, ` +
    `${totalMs.toFixed(0)} ms inside kernels`,
);
for (const { key, ms, count } of rows.slice(0, Number(values.top)))
  console.log(`  ${key.padEnd(70)} ${ms.toFixed(1).padStart(8)} ms ${String(count).padStart(6)}x`);
model.dispose();
