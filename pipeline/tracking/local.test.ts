// LocalTracker's runs/<id>/ layout: params.json, metrics.jsonl, log.txt, artifacts/, models/, run.json.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashPath, LocalTracker, newRunId } from "./local.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ocrflow-local-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("newRunId", () => {
  it("sorts by start time and differs between runs started in the same millisecond", () => {
    const a = newRunId(Date.UTC(2026, 4, 20, 13, 45, 1, 123));
    expect(a).toMatch(/^20260520-134501-123-[0-9a-f]{6}$/);
    expect(newRunId(Date.UTC(2026, 4, 20, 13, 45, 1, 124)) > a).toBe(true);
    expect(newRunId(Date.UTC(2027, 0, 1)) > a).toBe(true);
    expect(newRunId(0)).not.toBe(newRunId(0));
  });
});

describe("LocalTracker", () => {
  it("writes the documented runs/<id>/ layout", async () => {
    let clock = Date.UTC(2026, 4, 20, 12, 0, 0);
    const t = new LocalTracker({
      runsDir: join(dir, "runs"),
      project: "ocrflow",
      tags: ["smoke"],
      now: () => clock,
    });
    await t.start({ name: "train parseq", type: "training", tags: ["parseq", "smoke"] });
    expect(t.runDir).toBe(join(dir, "runs", t.runId));
    expect(readJson(join(t.runDir, "run.json"))).toMatchObject({
      status: "running",
      tags: ["smoke", "parseq"],
    });

    t.logParams({ train: { lr: 0.001, epochs: 2 } });
    t.logParams({ train: { epochs: 3 }, General: { model: "parseq" } });
    t.logScalar("loss", "train", 0, 2.5);
    t.logScalar("cer", "val", 1, Number.POSITIVE_INFINITY);
    t.logText("first line\nsecond line");
    t.logText("careful", "warning");
    t.logDataset({ name: "synthetic", version: "abc123", size: 512, bytes: 4096 });
    const source = join(dir, "scores.json");
    writeFileSync(source, '{"cer":0.1}');
    const artifact = await t.logArtifact("scores", source);
    writeFileSync(source, '{"cer":0.05}');
    await t.logArtifact("scores", source); // same name: replaced
    const modelDir = join(dir, "model");
    mkdirSync(join(modelDir, "sub"), { recursive: true });
    writeFileSync(join(modelDir, "model.json"), "{}");
    writeFileSync(join(modelDir, "sub", "w.bin"), Buffer.alloc(10));
    const model = await t.logModel({
      name: "parseq small",
      path: modelDir,
      framework: "tensorflowjs",
      metadata: { cer: 0.05 },
    });
    clock += 90_000;
    const summary = await t.end({ status: "completed" });

    expect(readdirSync(t.runDir).sort()).toEqual(
      ["artifacts", "log.txt", "metrics.jsonl", "models", "params.json", "run.json"].sort(),
    );
    expect(readJson(join(t.runDir, "params.json"))).toEqual({
      train: { lr: 0.001, epochs: 3 },
      General: { model: "parseq" },
    });
    const metrics = readFileSync(join(t.runDir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(metrics).toEqual([
      { title: "loss", series: "train", step: 0, value: 2.5, time: clock - 90_000 },
      { title: "cer", series: "val", step: 1, value: null, nonFinite: "Infinity", time: clock - 90_000 },
    ]);
    const log = readFileSync(join(t.runDir, "log.txt"), "utf8").trim().split("\n");
    expect(log).toEqual([
      "2026-05-20T12:00:00.000Z INFO    first line",
      "2026-05-20T12:00:00.000Z INFO    second line",
      "2026-05-20T12:00:00.000Z WARNING careful",
    ]);
    expect(artifact).toMatchObject({ name: "scores", file: "artifacts/scores.json", size: 11 });
    expect(readFileSync(join(t.runDir, "artifacts", "scores.json"), "utf8")).toBe('{"cer":0.05}');
    expect(model).toMatchObject({ file: "models/parseq_small", size: 12, framework: "tensorflowjs" });
    expect(model.sha256).toBe(hashPath(modelDir).sha256);
    expect(readFileSync(join(t.runDir, "models", "parseq_small", "sub", "w.bin")).length).toBe(10);

    const run = readJson(join(t.runDir, "run.json"));
    expect(run).toMatchObject({
      id: t.runId,
      project: "ocrflow",
      name: "train parseq",
      type: "training",
      backend: "local",
      status: "completed",
      startedAt: "2026-05-20T12:00:00.000Z",
      endedAt: "2026-05-20T12:01:30.000Z",
      durationMs: 90_000,
      dataset: { name: "synthetic", version: "abc123", size: 512, bytes: 4096 },
    });
    expect(run.artifacts).toHaveLength(1);
    expect(run.artifacts[0].size).toBe(12);
    expect(run.models).toHaveLength(1);
    expect(summary).toMatchObject({ id: t.runId, status: "completed", durationMs: 90_000, unsent: 0 });
    // Atomic rewrites leave no temporary files behind.
    expect(readdirSync(t.runDir).some((n) => n.endsWith(".tmp"))).toBe(false);
  });

  it("records a failure and its reason", async () => {
    const t = new LocalTracker({ runsDir: dir, project: "p" });
    await t.start({ name: "eval", type: "testing" });
    const summary = await t.end({ status: "failed", reason: "no test split" });
    expect(summary).toMatchObject({ status: "failed", reason: "no test split" });
    expect(readJson(join(t.runDir, "run.json"))).toMatchObject({ status: "failed", reason: "no test split" });
  });

  it("refuses to log before start", () => {
    const t = new LocalTracker({ runsDir: dir, project: "p" });
    expect(() => t.logScalar("a", "b", 0, 1)).toThrow(/call start\(\) before logging/);
  });

  it("hashes a directory by its sorted manifest, independent of where it lies", () => {
    for (const name of ["a", "b"]) {
      mkdirSync(join(dir, name, "z"), { recursive: true });
      writeFileSync(join(dir, name, "z", "1"), "one");
      writeFileSync(join(dir, name, "y"), "two");
    }
    expect(hashPath(join(dir, "a"))).toEqual(hashPath(join(dir, "b")));
    expect(hashPath(join(dir, "a")).size).toBe(6);
  });
});
