// Test fixture: a small tfjs-style model directory (model.json, a binary weight shard, charset.json,
// config.json) and its scores.json entry, written to a temporary folder.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelScores, ScoresFile } from "./scores.ts";

export function tempDir(prefix = "ocrflow-registry-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a model directory whose weights depend on `seed`, so different seeds give different digests. */
export function writeModelDir(dir: string, seed = 1): string {
  mkdirSync(dir, { recursive: true });
  const weights = Buffer.alloc(4096);
  for (let i = 0; i < weights.length; i++)
    weights[i] = (i * 31 + seed * 97) % 251 === 0 ? 0 : (i * seed) & 0xff;
  weights[0] = 0; // binary for sure
  writeFileSync(
    join(dir, "model.json"),
    JSON.stringify({
      format: "layers-model",
      weightsManifest: [
        { paths: ["group1-shard1of1.bin"], weights: [{ name: "w", shape: [1024], dtype: "float32" }] },
      ],
    }),
  );
  writeFileSync(join(dir, "group1-shard1of1.bin"), weights);
  writeFileSync(join(dir, "charset.json"), JSON.stringify({ characters: "абвгдABCD0123" }));
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({ architecture: "parseq", input: { height: 32, width: 128 } }),
  );
  return dir;
}

export function modelScores(overrides: Partial<ModelScores> = {}): ModelScores {
  return {
    name: "parseq-tiny",
    architecture: "parseq",
    size: "tiny",
    dir: "trained/parseq-tiny",
    exact_match: 0.93,
    cer: 0.012,
    params: 1_370_000,
    wer: 0.05,
    throughput: 412.5,
    ...overrides,
  };
}

export function scoresFile(models: ModelScores[]): ScoresFile {
  return {
    split: "test",
    dataset: { name: "ocrflow-synthetic-ru-en", version: "0123456789abcdef0123456789abcdef", size: 2000 },
    models,
  };
}
