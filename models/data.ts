// Training data for the loop: the split indexes (data/splits/*.jsonl, metadata only) in a seeded order per epoch,
// with pixels read from the shards batch by batch; and an in-memory source for tests and benchmarks.
import { readFileSync } from "node:fs";
import { Random } from "../datasets/random.ts";
import { type DatasetSample, ShardReader } from "../datasets/shards.ts";
import type { LabelledImage, TrainingData } from "./train.ts";

/** The order of `count` samples in `epoch`: a permutation fixed by (seed, epoch). */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const rng = new Random(seed, epoch + 1);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

function* batchesOf<T>(items: readonly T[], order: ArrayLike<number> | null, size: number, from: number) {
  const n = items.length;
  for (let start = from * size; start < n; start += size) {
    const end = Math.min(n, start + size);
    const batch: T[] = [];
    for (let i = start; i < end; i++) batch.push(items[order ? (order[i] as number) : i] as T);
    yield batch;
  }
}

/** A split file (`data/splits/train.jsonl`): one DatasetSample per line. */
export function readSplit(file: string, limit: number | null = null): DatasetSample[] {
  const samples: DatasetSample[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    samples.push(JSON.parse(line) as DatasetSample);
    if (limit !== null && samples.length >= limit) break;
  }
  return samples;
}

/** Streams pixels from the shards the split entries point into. */
export class ShardTrainingData implements TrainingData {
  private readonly reader = new ShardReader();

  constructor(
    private readonly train: readonly DatasetSample[],
    private readonly validation: readonly DatasetSample[],
    private readonly seed: number,
  ) {}

  get trainSize(): number {
    return this.train.length;
  }

  *trainBatches(epoch: number, batchSize: number, from: number): Iterable<LabelledImage[]> {
    const order = epochOrder(this.train.length, this.seed, epoch);
    for (const batch of batchesOf(this.train, order, batchSize, from)) yield batch.map((s) => this.load(s));
  }

  *validationBatches(batchSize: number): Iterable<LabelledImage[]> {
    for (const batch of batchesOf(this.validation, null, batchSize, 0)) yield batch.map((s) => this.load(s));
  }

  close(): void {
    this.reader.close();
  }

  private load(sample: DatasetSample): LabelledImage {
    return { image: this.reader.read(sample), text: sample.text };
  }
}

/** Samples already in memory (tests, synthetic benchmarks). */
export class InMemoryTrainingData implements TrainingData {
  constructor(
    private readonly train: readonly LabelledImage[],
    private readonly validation: readonly LabelledImage[],
    private readonly seed: number,
  ) {}

  get trainSize(): number {
    return this.train.length;
  }

  trainBatches(epoch: number, batchSize: number, from: number): Iterable<LabelledImage[]> {
    return batchesOf(this.train, epochOrder(this.train.length, this.seed, epoch), batchSize, from);
  }

  validationBatches(batchSize: number): Iterable<LabelledImage[]> {
    return batchesOf(this.validation, null, batchSize, 0);
  }
}
