// ClearMLTracker against a protocol-checking fake server on 127.0.0.1: a whole run, retries, token expiry,
// an unreachable server, a server that goes away mid-run, and secrets that must never leak.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClearMLTracker, type ClearMLTrackerOptions, SPILL_FILE } from "./clearml.ts";
import { ClearMLSettings } from "./clearml-config.ts";
import { type FakeClearML, startFakeClearML } from "./fake-clearml-server.ts";

const ACCESS = "ACCESSKEY1234567890";
const SECRET = "s3cr3t-SECRET-value-0987654321";

let dir: string;
let server: FakeClearML;
let warnings: string[];
let infos: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "ocrflow-clearml-"));
  server = await startFakeClearML({ accessKey: ACCESS, secretKey: SECRET });
  warnings = [];
  infos = [];
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function settings(apiServer = server.url): ClearMLSettings {
  return new ClearMLSettings(
    apiServer,
    "http://web.example:8080",
    undefined,
    { accessKey: ACCESS, secretKey: SECRET },
    "environment",
  );
}

function tracker(extra: Partial<ClearMLTrackerOptions> = {}): ClearMLTracker {
  return new ClearMLTracker({
    settings: settings(),
    project: "ocrflow",
    tags: ["test"],
    runsDir: join(dir, "runs"),
    messages: { info: (l) => infos.push(l), warn: (l) => warnings.push(l) },
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 4 },
    flushIntervalMs: 60_000,
    batchSize: 10,
    requestTimeoutMs: 2_000,
    ...extra,
  });
}

function onlyTask() {
  const tasks = [...server.tasks.values()];
  expect(tasks).toHaveLength(1);
  return tasks[0] as NonNullable<(typeof tasks)[0]>;
}

function spillLines(t: ClearMLTracker): Array<{ endpoint: string; body: Record<string, unknown> }> {
  const path = join(t.runDir, SPILL_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { endpoint: string; body: Record<string, unknown> });
}

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((rel) => join(root, rel))
    .filter((p) => statSync(p).isFile());
}

describe("ClearMLTracker with a healthy server", () => {
  it("records a whole run: project, task, params, scalars in JSON-lines batches, logs, artifact, model, completion", async () => {
    const t = tracker();
    await t.start({ name: "train parseq", type: "training", tags: ["parseq"] });
    expect(t.webUrl).toMatch(/^http:\/\/web\.example:8080\/projects\/[0-9a-f]+\/experiments\/[0-9a-f]+$/);
    expect(infos).toEqual([`ClearML task: ${t.webUrl}`]);

    t.logParams({ train: { lr: 0.001, epochs: 3, amp: false, note: null }, General: { model: "parseq" } });
    for (let step = 0; step < 25; step++) t.logScalar("loss", "train", step, 1 / (step + 1));
    t.logScalar("loss", "train", 25, Number.NaN); // kept locally only: JSON cannot carry NaN
    t.logText("epoch 1 done");
    t.logText("disk almost full", "warning");
    t.logDataset({ name: "synthetic", version: "d41d8cd98f00b204e9800998ecf8427e", size: 512 });
    const scores = join(dir, "scores.json");
    writeFileSync(scores, '{"cer": 0.1}\n');
    const artifact = await t.logArtifact("scores", scores);
    const modelDir = join(dir, "model");
    mkdirSync(modelDir);
    writeFileSync(join(modelDir, "model.json"), "{}");
    writeFileSync(join(modelDir, "weights.bin"), Buffer.alloc(64, 7));
    await t.logModel({
      name: "parseq-small",
      path: modelDir,
      framework: "tensorflowjs",
      metadata: { cer: 0.1, charset: "cyrillic+latin" },
      iteration: 25,
    });
    const summary = await t.end({ status: "completed" });

    expect(server.violations).toEqual([]);
    expect(warnings).toEqual([]);
    expect(summary).toMatchObject({ status: "completed", unsent: 0, webUrl: t.webUrl });
    expect([...server.projects.values()].map((p) => p.name)).toEqual(["ocrflow"]);
    const task = onlyTask();
    expect(task).toMatchObject({ name: "train parseq", type: "training", status: "completed" });
    expect(task.tags.sort()).toEqual(["parseq", "test"]);
    expect(t.webUrl).toBe(`http://web.example:8080/projects/${task.project}/experiments/${task.id}`);
    expect(task.hyperparams.train?.lr).toMatchObject({ value: "0.001", type: "float" });
    expect(task.hyperparams.train?.epochs).toMatchObject({ value: "3", type: "int" });
    expect(task.hyperparams.General?.model?.value).toBe("parseq");
    expect(task.hyperparams.Dataset?.version?.value).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(task.artifacts.scores).toMatchObject({
      type: "custom",
      mode: "output",
      uri: artifact.uri,
      hash: artifact.sha256,
      content_size: artifact.size,
    });
    const model = server.models.get(task.outputModel ?? "");
    expect(model).toMatchObject({ name: "parseq-small", framework: "tensorflowjs", task: task.id });
    expect(model?.metadata.cer).toEqual({ key: "cer", type: "float", value: "0.1" });
    expect(task.lastIteration).toBe(25);

    const scalars = server.events.filter((e) => e.type === "training_stats_scalar");
    expect(scalars).toHaveLength(25);
    expect(scalars[3]).toMatchObject({
      task: task.id,
      metric: "loss",
      variant: "train",
      iter: 3,
      value: 0.25,
    });
    expect(server.events.filter((e) => e.type === "log").map((e) => [e.level, e.msg])).toEqual([
      ["info", "epoch 1 done"],
      ["warning", "disk almost full"],
    ]);
    const batches = server.calls.filter((c) => c.endpoint === "events.add_batch");
    expect(batches.every((c) => (c.body as unknown[]).length <= 10)).toBe(true);
    expect(server.calls.every((c) => c.version === "2.13" && c.method === "POST")).toBe(true);
    expect(server.calls.filter((c) => c.endpoint === "auth.login")).toHaveLength(1);

    // The local mirror has everything, NaN included.
    const run = JSON.parse(readFileSync(join(t.runDir, "run.json"), "utf8"));
    expect(run).toMatchObject({
      backend: "clearml",
      status: "completed",
      remote: { taskId: task.id, unsent: 0 },
    });
    expect(readFileSync(join(t.runDir, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(26);
    expect(existsSync(join(t.runDir, SPILL_FILE))).toBe(false);
  });

  it("finds an existing project by its exact name, regex characters included", async () => {
    server.projects.set("p1", { id: "p1", name: "ocr.flow (v2)" });
    server.projects.set("p2", { id: "p2", name: "ocrXflow (v2) old" });
    const t = tracker({ project: "ocr.flow (v2)" });
    await t.start({ name: "eval", type: "testing" });
    await t.end({ status: "completed" });
    expect(server.violations).toEqual([]);
    expect(server.projects.size).toBe(2);
    expect(onlyTask()).toMatchObject({ project: "p1", type: "testing", status: "completed" });
    const query = server.calls.find((c) => c.endpoint === "projects.get_all")?.body as { name: string };
    expect(query.name).toBe("^ocr\\.flow \\(v2\\)$");
  });

  it("marks a failed run failed, with its reason", async () => {
    const t = tracker();
    await t.start({ name: "train master", type: "training" });
    const summary = await t.end({ status: "failed", reason: "out of memory at step 12" });
    expect(summary.status).toBe("failed");
    expect(onlyTask()).toMatchObject({ status: "failed", statusReason: "out of memory at step 12" });
    const run = JSON.parse(readFileSync(join(t.runDir, "run.json"), "utf8"));
    expect(run).toMatchObject({ status: "failed", reason: "out of memory at step 12" });
  });

  it("sends queued events periodically, not only at the end", async () => {
    const t = tracker({ flushIntervalMs: 20 });
    await t.start({ name: "train", type: "training" });
    t.logScalar("loss", "train", 0, 1);
    t.logScalar("loss", "train", 1, 0.5);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.events).toHaveLength(2);
    await t.end({ status: "completed" });
    expect(server.violations).toEqual([]);
  });
});

describe("ClearMLTracker when the server errs", () => {
  it("retries 500s with backoff and loses nothing", async () => {
    const delays: number[] = [];
    const t = tracker({
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    await t.start({ name: "train", type: "training" });
    server.failNext("events.add_batch", 500, 3);
    for (let step = 0; step < 5; step++) t.logScalar("loss", "train", step, step);
    await t.end({ status: "completed" });
    expect(delays).toEqual([100, 200, 250]);
    expect(server.events).toHaveLength(5);
    expect(warnings).toEqual([]);
    expect(onlyTask().status).toBe("completed");
  });

  it("logs in again when the token expires, and repeats the call", async () => {
    const t = tracker();
    await t.start({ name: "train", type: "training" });
    server.expireTokens();
    t.logParams({ General: { seed: 1 } });
    t.logScalar("loss", "train", 0, 1);
    await t.end({ status: "completed" });
    expect(server.violations).toEqual([]);
    expect(server.calls.filter((c) => c.endpoint === "auth.login")).toHaveLength(2);
    expect(server.calls.filter((c) => c.status === 401).length).toBeGreaterThan(0);
    expect(onlyTask().hyperparams.General?.seed?.value).toBe("1");
    expect(server.events).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it("keeps a record the server refuses (4xx) in the spill file, warns once, and keeps sending the rest", async () => {
    const t = tracker();
    await t.start({ name: "train", type: "training" });
    server.failNext("tasks.add_or_update_artifacts", 400, 5, "Validation error");
    const file = join(dir, "a.txt");
    writeFileSync(file, "x");
    await t.logArtifact("a", file);
    await t.logArtifact("b", file);
    t.logScalar("loss", "train", 0, 1);
    const summary = await t.end({ status: "completed" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("Validation error");
    expect(spillLines(t).map((l) => l.endpoint)).toEqual([
      "tasks.add_or_update_artifacts",
      "tasks.add_or_update_artifacts",
    ]);
    expect(summary.unsent).toBe(2);
    expect(server.events).toHaveLength(1);
    expect(onlyTask().status).toBe("completed");
  });

  it("runs locally when the server is unreachable from the start: one warning, everything spilled", async () => {
    await server.close();
    const t = tracker();
    await t.start({ name: "train", type: "training" });
    t.logParams({ General: { lr: 0.1 } });
    for (let step = 0; step < 30; step++) t.logScalar("loss", "train", step, step);
    t.logText("hello");
    const summary = await t.end({ status: "completed" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ClearML server http:\/\/127\.0\.0\.1:\d+ is unavailable .*ECONNREFUSED/);
    expect(warnings[0]).toContain(SPILL_FILE);
    expect(t.webUrl).toBeUndefined();
    const spilled = spillLines(t);
    expect(spilled.filter((l) => l.endpoint === "events.add_batch")).toHaveLength(31);
    expect(spilled.map((l) => l.endpoint)).toContain("tasks.edit_hyper_params");
    expect(spilled.at(-1)?.endpoint).toBe("tasks.completed");
    expect(summary).toMatchObject({ status: "completed", unsent: spilled.length });
    const run = JSON.parse(readFileSync(join(t.runDir, "run.json"), "utf8"));
    expect(run).toMatchObject({
      status: "completed",
      remote: { unsent: spilled.length, spillFile: SPILL_FILE },
    });
    expect(readFileSync(join(t.runDir, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(30);
  });

  it("completes the run when the server goes away mid-run: sent + spilled = logged, exactly one warning", async () => {
    const t = tracker();
    await t.start({ name: "train", type: "training" });
    for (let step = 0; step < 20; step++) t.logScalar("loss", "train", step, step);
    await t.flush();
    expect(server.events).toHaveLength(20);
    await server.close();
    for (let step = 20; step < 50; step++) t.logScalar("loss", "train", step, step);
    t.logText("still training");
    t.logParams({ General: { late: true } });
    const summary = await t.end({ status: "completed" });
    expect(summary.status).toBe("completed");
    expect(warnings).toHaveLength(1);
    const spilled = spillLines(t);
    const spilledScalars = spilled.filter((l) => l.body.type === "training_stats_scalar");
    expect(server.events.length + spilledScalars.length).toBe(50);
    expect(spilledScalars.map((l) => l.body.iter)).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
    expect(spilled.map((l) => l.endpoint)).toEqual(
      expect.arrayContaining(["tasks.edit_hyper_params", "tasks.completed"]),
    );
    expect(readFileSync(join(t.runDir, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(50);
    expect(JSON.parse(readFileSync(join(t.runDir, "run.json"), "utf8")).status).toBe("completed");
  });

  it("moves events beyond the bounded queue to the spill file while the server is slow", async () => {
    const t = tracker({ batchSize: 5, maxQueue: 8 });
    await t.start({ name: "train", type: "training" });
    // Logging is synchronous: the first batch of 5 is in flight while the other 15 arrive, 8 fit in the queue.
    for (let step = 0; step < 20; step++) t.logScalar("loss", "train", step, step);
    await t.end({ status: "completed" });
    const spilled = spillLines(t).filter((l) => l.endpoint === "events.add_batch");
    expect(spilled.map((l) => l.body.iter)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(server.events.map((e) => e.iter)).toEqual([0, 1, 2, 3, 4, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("more than 8 events waiting");
  });
});

describe("ClearML secrets", () => {
  it("never appear in messages, error texts, run files or the spill file", async () => {
    const t = tracker({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    await t.start({ name: "train", type: "training" });
    const token = (server.calls.find((c) => c.endpoint === "tasks.create")?.authorization ?? "").slice(7);
    expect(token.length).toBeGreaterThan(10);
    // A careless server echoing credentials in its error text must not get them into our output.
    server.failNext("*", 500, 10, `boom ${SECRET} ${ACCESS} Bearer ${token}`);
    t.logParams({ General: { a: 1 } });
    t.logScalar("loss", "train", 0, 1);
    await t.end({ status: "completed" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("<redacted>");
    const texts = [...warnings, ...infos, ...filesUnder(t.runDir).map((p) => readFileSync(p, "utf8"))];
    for (const text of texts) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(ACCESS);
      expect(text).not.toContain(token);
    }
    const s = settings();
    for (const shown of [inspect(s), JSON.stringify(s), String(Object.entries(s))]) {
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain(ACCESS);
    }
  });

  it("does not leak the keys when the credentials are wrong", async () => {
    const t = new ClearMLTracker({
      settings: new ClearMLSettings(
        server.url,
        server.url,
        undefined,
        { accessKey: "WRONGKEY1", secretKey: SECRET },
        "x",
      ),
      project: "ocrflow",
      tags: [],
      runsDir: join(dir, "runs"),
      messages: { info: (l) => infos.push(l), warn: (l) => warnings.push(l) },
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    });
    await t.start({ name: "train", type: "training" });
    t.logScalar("loss", "train", 0, 1);
    await t.end({ status: "completed" });
    expect(server.calls.filter((c) => c.endpoint === "auth.login")).toHaveLength(1); // 401 is not retried
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("auth.login: HTTP 401");
    for (const text of [...warnings, ...filesUnder(t.runDir).map((p) => readFileSync(p, "utf8"))]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain("WRONGKEY1");
    }
  });
});
