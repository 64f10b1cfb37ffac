// The on-disk format of a dataset folder: shards of raw uint8 grey pixels (`shard-00000.bin`) with a JSONL
// index each (`shard-00000.jsonl`: name, offset, width, height, text, font), written atomically, read lazily.
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { GreyImage } from "./augment.ts";

/** One image of a shard, as its index line says. */
export interface ShardEntry {
  /** Unique within the dataset, e.g. `gen-000000017.png`: the image name in labels.csv and the doctr JSON. */
  name: string;
  /** Byte offset in the shard's .bin file. */
  offset: number;
  width: number;
  height: number;
  text: string;
  /** Face id for generated lines; absent for imported images. */
  font?: string;
}

/** An entry with the shard file it lives in (a path as given to readDataset). */
export interface DatasetSample extends ShardEntry {
  shard: string;
}

export function shardBaseName(index: number): string {
  return `shard-${String(index).padStart(5, "0")}`;
}

/** Writes `<dir>/shard-NNNNN.bin` and `.jsonl` through temporary names, index last. */
export function writeShard(
  dir: string,
  index: number,
  samples: Array<{ name: string; text: string; font?: string; image: GreyImage }>,
): ShardEntry[] {
  const base = join(dir, shardBaseName(index));
  const total = samples.reduce((n, s) => n + s.image.data.length, 0);
  const bytes = new Uint8Array(total);
  const entries: ShardEntry[] = [];
  let offset = 0;
  for (const s of samples) {
    bytes.set(s.image.data, offset);
    const entry: ShardEntry = {
      name: s.name,
      offset,
      width: s.image.width,
      height: s.image.height,
      text: s.text,
    };
    if (s.font !== undefined) entry.font = s.font;
    entries.push(entry);
    offset += s.image.data.length;
  }
  writeFileSync(`${base}.bin.tmp`, bytes);
  renameSync(`${base}.bin.tmp`, `${base}.bin`);
  writeFileSync(`${base}.jsonl.tmp`, entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
  renameSync(`${base}.jsonl.tmp`, `${base}.jsonl`);
  return entries;
}

export function readShardIndex(jsonlFile: string): ShardEntry[] {
  return readFileSync(jsonlFile, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ShardEntry);
}

/** Every sample of a dataset folder, shard by shard, in order. */
export function readDataset(dir: string): DatasetSample[] {
  if (!existsSync(dir)) throw new Error(`dataset folder ${dir} does not exist`);
  const samples: DatasetSample[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!/^shard-\d+\.jsonl$/.test(file)) continue;
    const shard = join(dir, file.replace(/\.jsonl$/, ".bin"));
    for (const entry of readShardIndex(join(dir, file))) samples.push({ ...entry, shard });
  }
  return samples;
}

/**
 * A split index written by the split stage (`data/splits/train.jsonl`): one DatasetSample a line, its `shard`
 * path relative to the folder the pipeline runs in (the repo root).
 */
export function readSplitIndex(jsonlFile: string): DatasetSample[] {
  return readFileSync(jsonlFile, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as DatasetSample);
}

/** Reads sample pixels, keeping shard files open between calls; close() when done. */
export class ShardReader {
  private readonly open = new Map<string, number>();

  read(sample: Pick<DatasetSample, "shard" | "offset" | "width" | "height">): GreyImage {
    let fd = this.open.get(sample.shard);
    if (fd === undefined) {
      fd = openSync(sample.shard, "r");
      this.open.set(sample.shard, fd);
    }
    const data = new Uint8Array(sample.width * sample.height);
    const n = readSync(fd, data, 0, data.length, sample.offset);
    if (n !== data.length) throw new Error(`${sample.shard}: short read at offset ${sample.offset}`);
    return { width: sample.width, height: sample.height, data };
  }

  close(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}
