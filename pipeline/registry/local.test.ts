// LocalRegistry: each publication is a complete, separate copy (v1, v2…) with scores.json and a model card,
// recorded in versions.json; a failed publication leaves no version behind.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalRegistry } from "./local.ts";
import { modelScores, tempDir, writeModelDir } from "./model-fixture.ts";
import { parseScoresFile } from "./scores.ts";

const evaluation = { split: "test", dataset: { name: "ocrflow-synthetic-ru-en", size: 2000 } };
const fixedNow = () => new Date("2026-01-02T03:04:05.000Z");

describe("LocalRegistry", () => {
  it("publishes numbered copies that stay as they were when a later version comes", async () => {
    const root = tempDir();
    const registry = new LocalRegistry(join(root, "registry"), { license: "mit", now: fixedNow });
    const model = modelScores();
    expect(await registry.latest(model)).toBeNull();

    const dir1 = writeModelDir(join(root, "m1"), 1);
    const v1 = await registry.publish({ model, evaluation, dir: dir1, note: "trained at abc" });
    expect(v1.publication).toMatchObject({
      name: "parseq-tiny",
      version: 1,
      published_at: "2026-01-02T03:04:05.000Z",
    });
    expect(v1.location).toBe(join(root, "registry", "parseq-tiny", "v1"));

    const dir2 = writeModelDir(join(root, "m2"), 2);
    const better = modelScores({ exact_match: 0.95 });
    const v2 = await registry.publish({ model: better, evaluation, dir: dir2 });
    expect(v2.publication.version).toBe(2);
    expect(v2.publication.digest).not.toBe(v1.publication.digest);

    // v1 still holds the first model's weights, v2 the second's.
    const weights = (v: string) =>
      readFileSync(join(root, "registry", "parseq-tiny", v, "group1-shard1of1.bin"));
    expect(weights("v1").equals(readFileSync(join(dir1, "group1-shard1of1.bin")))).toBe(true);
    expect(weights("v2").equals(readFileSync(join(dir2, "group1-shard1of1.bin")))).toBe(true);
    expect(readdirSync(join(root, "registry", "parseq-tiny", "v2")).sort()).toEqual([
      "README.md",
      "charset.json",
      "config.json",
      "group1-shard1of1.bin",
      "model.json",
      "scores.json",
    ]);

    // Each copy's scores.json is the evaluation format with this one model and its publication.
    const scores = parseScoresFile(readFileSync(join(v2.location, "scores.json"), "utf8"));
    expect(scores.models).toEqual([better]);
    expect(scores.publication).toEqual(v2.publication);
    expect(scores.dataset?.name).toBe("ocrflow-synthetic-ru-en");
    expect(readFileSync(join(v2.location, "README.md"), "utf8")).toMatch(/^---\n[\s\S]*model-index:/);

    const latest = await registry.latest(model);
    expect(latest?.publication.version).toBe(2);
    expect(latest?.scores.exact_match).toBe(0.95);
    const versions = registry.versions(model);
    expect(versions.map((v) => v.publication.version)).toEqual([1, 2]);
    expect(versions[0]?.note).toBe("trained at abc");
  });

  it("replaces a README.md or scores.json shipped in the model directory with its own", async () => {
    const root = tempDir();
    const dir = writeModelDir(join(root, "m"), 3);
    writeFileSync(join(dir, "README.md"), "stale card");
    writeFileSync(join(dir, "scores.json"), "{}");
    const registry = new LocalRegistry(join(root, "registry"), { license: "apache-2.0" });
    const published = await registry.publish({ model: modelScores(), evaluation, dir });
    expect(readFileSync(join(published.location, "README.md"), "utf8")).toContain("license: apache-2.0");
    expect(
      parseScoresFile(readFileSync(join(published.location, "scores.json"), "utf8")).models,
    ).toHaveLength(1);
  });

  it("leaves no version and no temporary folder when the directory is no model", async () => {
    const root = tempDir();
    const dir = writeModelDir(join(root, "m"), 4);
    const registry = new LocalRegistry(join(root, "registry"), { license: "mit" });
    await registry.publish({ model: modelScores(), evaluation, dir });
    const empty = join(root, "empty");
    writeModelDir(empty, 5);
    rmSync(join(empty, "model.json"));
    await expect(registry.publish({ model: modelScores(), evaluation, dir: empty })).rejects.toThrow(
      /no model\.json/,
    );
    expect(readdirSync(join(root, "registry", "parseq-tiny")).sort()).toEqual(["v1", "versions.json"]);
    expect(existsSync(join(root, "registry", "parseq-tiny", "v2"))).toBe(false);
  });
});
