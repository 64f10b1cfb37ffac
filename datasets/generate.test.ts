// Generation is deterministic (same config + seed → byte-identical shards, whatever the process count), draws
// every label with a face covering it, stays inside the charset and never clips long labels.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPipelineConfig, type PipelineConfig } from "../stages/config.ts";
import { buildCharset } from "./charset.ts";
import { faceCoverage } from "./fonts.ts";
import { generateDataset } from "./generate.ts";
import { readDataset, ShardReader } from "./shards.ts";

function smallConfig(seed = 7): PipelineConfig {
  const config = loadPipelineConfig({ profile: "smoke", env: {} });
  config.generate.count = 160;
  config.generate.shard_size = 64;
  config.generate.lines_per_font = 16;
  config.generate.seed = seed;
  // Faces with and without ₽, from three styles; a short list keeps the coverage scan fast.
  config.generate.fonts.families = ["pt-sans", "open-sans", "jetbrains-mono", "pt-serif"];
  config.generate.fonts.weights = { min: 400, max: 700 };
  config.generate.fonts.exclude = []; // the default holds Open Sans and PT Serif out of training
  return config;
}

function filesOf(dir: string): Record<string, Buffer> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}

const tmp = () => mkdtempSync(join(tmpdir(), "ocrflow-generate-"));

describe("generateDataset", () => {
  it("writes byte-identical shards for the same config and seed, in one process or two", async () => {
    const a = join(tmp(), "gen");
    const b = join(tmp(), "gen");
    await generateDataset({ config: smallConfig(), outDir: a, workers: 1 });
    const result = await generateDataset({ config: smallConfig(), outDir: b, workers: 2 });
    expect(result.stats.workers).toBe(2);
    const filesA = filesOf(a);
    const filesB = filesOf(b);
    expect(Object.keys(filesA)).toEqual([
      "labels.csv",
      "shard-00000.bin",
      "shard-00000.jsonl",
      "shard-00001.bin",
      "shard-00001.jsonl",
      "shard-00002.bin",
      "shard-00002.jsonl",
    ]);
    for (const [name, bytes] of Object.entries(filesA))
      expect(bytes.equals(filesB[name] as Buffer), name).toBe(true);
  });

  it("gives different data for another seed", async () => {
    const a = join(tmp(), "gen");
    const b = join(tmp(), "gen");
    await generateDataset({ config: smallConfig(1), outDir: a, workers: 1 });
    await generateDataset({ config: smallConfig(2), outDir: b, workers: 1 });
    expect(readFileSync(join(a, "labels.csv"), "utf8")).not.toEqual(
      readFileSync(join(b, "labels.csv"), "utf8"),
    );
  });

  it("draws every label with a face that has all its glyphs, in the charset and length limits", async () => {
    const config = smallConfig(3);
    config.generate.text.char_balance = 1; // every line carries a uniformly drawn character, ₽ included
    const out = join(tmp(), "gen");
    const result = await generateDataset({ config, outDir: out, workers: 1 });
    const charset = buildCharset(config.charset);
    const coverage = new Map(result.faces.map((f) => [f.id, new Set(faceCoverage(f, charset).covered)]));
    const samples = readDataset(out);
    expect(samples).toHaveLength(160);
    const reader = new ShardReader();
    for (const s of samples) {
      const covered = coverage.get(s.font as string) as Set<string>;
      for (const c of s.text) {
        expect(charset.has(c), `${c} in ${s.text}`).toBe(true);
        expect(covered.has(c), `${s.font} lacks ${c} of ${s.text}`).toBe(true);
      }
      expect([...s.text].length).toBeLessThanOrEqual(config.input.max_label_length);
      expect(s.width).toBe(config.input.width);
      expect(s.height).toBe(config.input.height);
      const image = reader.read(s);
      expect(Math.min(...image.data), `${s.name} has ink`).toBeLessThan(Math.max(...image.data));
    }
    reader.close();
    // Faces without ₽ (Open Sans) still get lines, just none with ₽.
    expect(Object.keys(result.stats.fonts).some((id) => id.startsWith("open-sans"))).toBe(true);
    expect(result.stats.characters["₽"]).toBeGreaterThan(0);
  });

  it("generate.max_label_length caps the labels, and one shorter than min_label_length is refused", async () => {
    const config = smallConfig(4);
    config.generate.max_label_length = 8;
    const out = join(tmp(), "gen");
    await generateDataset({ config, outDir: out, workers: 1 });
    const lengths = readDataset(out).map((s) => [...s.text].length);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(8);
    config.generate.min_label_length = 9;
    await expect(generateDataset({ config, outDir: join(tmp(), "bad"), workers: 1 })).rejects.toThrow(
      /min_label_length 9 is longer than the longest label allowed \(8/,
    );
  });

  it("never clips a long label: ink stays off the right edge when augmentation is off", async () => {
    const config = smallConfig(4);
    config.generate.augment.probability = 0;
    config.generate.count = 64;
    config.generate.text.sources = {
      words_ru: 1,
      words_en: 0,
      phrases: 0,
      numbers: 0,
      amounts: 0,
      dates: 0,
      document_tokens: 0,
      emails: 0,
      phones: 0,
      random: 0,
    };
    config.generate.text.words_per_line = { min: 8, max: 8 };
    config.generate.min_label_length = 28;
    const out = join(tmp(), "gen");
    await generateDataset({ config, outDir: out, workers: 1 });
    const reader = new ShardReader();
    for (const s of readDataset(out)) {
      expect([...s.text].length).toBeGreaterThanOrEqual(28);
      const image = reader.read(s);
      const rightColumn = Array.from(
        { length: image.height },
        (_, y) => image.data[y * image.width + image.width - 1],
      );
      expect(Math.min(...(rightColumn as number[])), `${s.text} touches the right edge`).toBeGreaterThan(200);
    }
    reader.close();
  });
});
