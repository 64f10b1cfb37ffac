// End-to-end runs of the engine on temporary repos with small shell stages: parallelism, skipping,
// selective re-runs, failure isolation, lock handling and recovery after kill -9.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { pipelineStatus, runPipeline } from "../pipeline/engine.ts";
import type { RunSummary } from "../pipeline/events.ts";
import { readLockFile } from "../pipeline/lockfile.ts";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(repoRoot, "bin", "ocrflow.js");

function makeRepo(dvcYaml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-e2e-"));
  writeFileSync(join(dir, "dvc.yaml"), dvcYaml);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function outcomes(summary: RunSummary): Record<string, string> {
  return Object.fromEntries(summary.stages.map((s) => [s.name, s.outcome]));
}

const CHAIN = `stages:
  gen:
    cmd: mkdir -p data && cp input.txt data/a.txt && echo two > data/b.txt
    deps: [input.txt]
    outs: [data]
  count:
    cmd: cat data/a.txt data/b.txt | wc -l > count.txt
    deps: [data]
    outs: [count.txt]
  other:
    cmd: cat other.txt > other.out
    deps: [other.txt]
    params: [seed]
    outs: [other.out]
  report:
    cmd: cat count.txt other.out > report.txt
    deps: [count.txt, other.out]
    metrics:
      - report.txt:
          cache: false
`;

describe("engine end to end", () => {
  it("runs stale stages, then a second run executes nothing", async () => {
    const dir = makeRepo(CHAIN, { "input.txt": "one\n", "other.txt": "x\n", "params.yaml": "seed: 1\n" });
    const first = await runPipeline({ root: dir, jobs: 2 });
    expect(first.ok).toBe(true);
    expect(outcomes(first)).toEqual({ gen: "ran", count: "ran", other: "ran", report: "ran" });
    expect(readFileSync(join(dir, "report.txt"), "utf8")).toBe("2\nx\n");
    const second = await runPipeline({ root: dir, jobs: 2 });
    expect(outcomes(second)).toEqual({
      gen: "up-to-date",
      count: "up-to-date",
      other: "up-to-date",
      report: "up-to-date",
    });
    const statuses = await pipelineStatus({ root: dir });
    expect(statuses.filter((s) => s.changed)).toEqual([]);
  });

  it("re-runs exactly the stages affected by a changed dependency or param", async () => {
    const dir = makeRepo(CHAIN, { "input.txt": "one\n", "other.txt": "x\n", "params.yaml": "seed: 1\n" });
    await runPipeline({ root: dir, jobs: 2 });
    writeFileSync(join(dir, "other.txt"), "y\n");
    const afterDep = await runPipeline({ root: dir, jobs: 2 });
    expect(outcomes(afterDep)).toEqual({
      gen: "up-to-date",
      count: "up-to-date",
      other: "ran",
      report: "ran",
    });
    writeFileSync(join(dir, "params.yaml"), "seed: 2\n");
    const status = await pipelineStatus({ root: dir });
    expect(status.find((s) => s.name === "other")?.reasons).toEqual([
      { kind: "param", file: "params.yaml", key: "seed", change: "modified" },
    ]);
    const afterParam = await runPipeline({ root: dir, jobs: 2 });
    expect(outcomes(afterParam)).toEqual({
      gen: "up-to-date",
      count: "up-to-date",
      other: "ran",
      report: "up-to-date",
    });
    // Same content re-created: report's deps hash the same, so it stays up to date (content, not mtime).
  });

  it("re-runs a stage whose output was deleted or whose command changed", async () => {
    const dir = makeRepo(CHAIN, { "input.txt": "one\n", "other.txt": "x\n", "params.yaml": "seed: 1\n" });
    await runPipeline({ root: dir, jobs: 2 });
    writeFileSync(join(dir, "count.txt"), "tampered\n");
    const r1 = await runPipeline({ root: dir, jobs: 1 });
    expect(outcomes(r1)).toMatchObject({ count: "ran", report: "up-to-date" });
    writeFileSync(
      join(dir, "dvc.yaml"),
      CHAIN.replace("cat other.txt > other.out", "cat other.txt other.txt > other.out"),
    );
    const r2 = await runPipeline({ root: dir, jobs: 1 });
    expect(outcomes(r2)).toMatchObject({ other: "ran", report: "ran", gen: "up-to-date" });
  });

  it("--dry runs nothing and lists the stale stages with everything downstream of them", async () => {
    const dir = makeRepo(CHAIN, { "input.txt": "one\n", "other.txt": "x\n", "params.yaml": "seed: 1\n" });
    await runPipeline({ root: dir, jobs: 2 });
    writeFileSync(join(dir, "input.txt"), "changed\n");
    const dry = await runPipeline({ root: dir, jobs: 2, dry: true });
    expect(outcomes(dry)).toEqual({
      gen: "would-run",
      count: "would-run",
      other: "up-to-date",
      report: "would-run",
    });
    expect(dry.stages.find((s) => s.name === "count")?.reasons).toEqual(["upstream stage 'gen' would run"]);
    expect(readFileSync(join(dir, "data", "a.txt"), "utf8")).toBe("one\n");
  });

  it("runs independent stages in parallel", async () => {
    const yaml = `stages:
  a: {cmd: "sleep 1 && echo a > a.txt", outs: [a.txt]}
  b: {cmd: "sleep 1 && echo b > b.txt", outs: [b.txt]}
  c: {cmd: "sleep 1 && echo c > c.txt", outs: [c.txt]}
`;
    const dir = makeRepo(yaml);
    const summary = await runPipeline({ root: dir, jobs: 3 });
    const spans = summary.stages.map((s) => [s.startedAt as number, s.endedAt as number]);
    const latestStart = Math.max(...spans.map((s) => s[0] as number));
    const earliestEnd = Math.min(...spans.map((s) => s[1] as number));
    expect(latestStart).toBeLessThan(earliestEnd);
    // And -j 1 really serializes them.
    const serial = await runPipeline({ root: dir, jobs: 1, force: true });
    const sorted = serial.stages
      .map((s) => [s.startedAt as number, s.endedAt as number])
      .sort((x, y) => (x[0] as number) - (y[0] as number));
    for (let i = 1; i < sorted.length; i++)
      expect((sorted[i] as number[])[0]).toBeGreaterThanOrEqual((sorted[i - 1] as number[])[1] as number);
  });

  it("a failing stage leaves its dependents unrun and its lock entry untouched; independent stages finish", async () => {
    const dir = makeRepo(CHAIN, { "input.txt": "one\n", "other.txt": "x\n", "params.yaml": "seed: 1\n" });
    await runPipeline({ root: dir, jobs: 2 });
    const before = readLockFile(join(dir, "dvc.lock")).lock.stages.get("count");
    writeFileSync(
      join(dir, "dvc.yaml"),
      CHAIN.replace("| wc -l > count.txt", "| wc -l > count.txt && exit 3"),
    );
    writeFileSync(join(dir, "other.txt"), "changed\n");
    const summary = await runPipeline({ root: dir, jobs: 2 });
    expect(summary.ok).toBe(false);
    expect(outcomes(summary)).toEqual({
      gen: "up-to-date",
      count: "failed",
      other: "ran",
      report: "blocked",
    });
    const failed = summary.stages.find((s) => s.name === "count");
    expect(failed?.error).toContain("exit code 3");
    expect(existsSync(failed?.logFile ?? "")).toBe(true);
    expect(readLockFile(join(dir, "dvc.lock")).lock.stages.get("count")).toEqual(before);
  });

  it("reports a missing dependency as a failure of that stage only", async () => {
    const dir = makeRepo(`stages:
  a: {cmd: "cat nowhere.txt > a.txt", deps: [nowhere.txt], outs: [a.txt]}
  b: {cmd: "echo b > b.txt", outs: [b.txt]}
`);
    const summary = await runPipeline({ root: dir, jobs: 2 });
    expect(outcomes(summary)).toEqual({ a: "failed", b: "ran" });
    expect(summary.stages[0]?.error).toContain("dependency 'nowhere.txt' does not exist");
  });

  it("checks dvc.yaml and params before running anything, listing every problem", async () => {
    const dir = makeRepo(`stages:
  a: {cmd: "echo \${nope}", outs: [x]}
  b: {cmd: "echo b", outs: [x]}
`);
    await expect(runPipeline({ root: dir })).rejects.toThrow(/Could not find 'nope'/);
    expect(existsSync(join(dir, "dvc.lock"))).toBe(false);
  });

  it("rejects a params file that breaks its JSON Schema before any stage runs, naming file:line and key", async () => {
    const schema = JSON.stringify({
      type: "object",
      additionalProperties: false,
      properties: { epochs: { type: "integer", minimum: 1 }, name: { type: "string" } },
    });
    const dir = makeRepo(
      "stages:\n  a:\n    cmd: echo ran > a.txt\n    params: [conf.yaml: [epochs]]\n    outs: [a.txt]\n",
      {
        "conf.schema.json": schema,
        "conf.yaml": "# yaml-language-server: $schema=./conf.schema.json\nepochs: 0\nnmae: x\n",
      },
    );
    const result = spawnSync(process.execPath, [cli, "run", "-C", dir], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("conf.yaml:2 epochs: must be >= 1");
    expect(result.stderr).toMatch(/conf.yaml:3 nmae: unknown key/);
    expect(existsSync(join(dir, "a.txt"))).toBe(false);
    // The same check applies to -S overrides.
    writeFileSync(join(dir, "conf.yaml"), "# yaml-language-server: $schema=./conf.schema.json\nepochs: 2\n");
    const bad = spawnSync(process.execPath, [cli, "run", "-C", dir, "-S", "conf.yaml:epochs=-1"], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("epochs");
    // An override of a file no stage reads (no file given: params.yaml, as in DVC) would be ignored: refused.
    const unread = spawnSync(process.execPath, [cli, "run", "-C", dir, "-S", "epochs=5"], {
      encoding: "utf8",
    });
    expect(unread.status).toBe(2);
    expect(unread.stderr).toContain("no stage of dvc.yaml reads params.yaml");
    expect(unread.stderr).toContain("-S conf.yaml:epochs=…");
    expect(existsSync(join(dir, "a.txt"))).toBe(false);
    const profile = spawnSync(process.execPath, [cli, "run", "-C", dir, "--profile", "smoke"], {
      encoding: "utf8",
    });
    expect(profile.status).toBe(2);
    expect(profile.stderr).toContain(
      "--profile (or -S pipeline.config.yaml:profile): no stage of dvc.yaml reads",
    );
    // `./conf.yaml` and an absolute path name the same file as dvc.yaml's `conf.yaml`: validated like it.
    for (const file of ["./conf.yaml", join(dir, "conf.yaml")]) {
      const same = spawnSync(process.execPath, [cli, "run", "-C", dir, "-S", `${file}:epochs=-1`], {
        encoding: "utf8",
      });
      expect(same.status, file).toBe(2);
      expect(same.stderr, file).toContain("epochs: must be >= 1");
    }
  });

  it("passes -S overrides to stages, records them in dvc.lock, and turns ::progress lines into progress events", async () => {
    const dir = makeRepo(
      `stages:
  a:
    cmd: "echo ::progress 1/2 images && node -e \\"console.log(process.env.OCRFLOW_SET_PARAMS)\\" > env.txt && echo ::progress 2/2 images"
    params: [lr]
    outs: [env.txt]
`,
      { "params.yaml": "lr: 0.1\n" },
    );
    const events: Array<{ type: string }> = [];
    const summary = await runPipeline({
      root: dir,
      overrides: { "params.yaml": { lr: 0.5 } },
      emit: (e) => events.push(e),
    });
    expect(summary.ok).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, "env.txt"), "utf8"))).toEqual({
      [join(dir, "params.yaml")]: { lr: 0.5 },
    });
    expect(readLockFile(join(dir, "dvc.lock")).lock.stages.get("a")?.params).toEqual({
      "params.yaml": { lr: 0.5 },
    });
    expect(events.filter((e) => e.type === "stage-progress")).toEqual([
      { type: "stage-progress", stage: "a", current: 1, total: 2, label: "images" },
      { type: "stage-progress", stage: "a", current: 2, total: 2, label: "images" },
    ]);
    expect(events.some((e) => e.type === "stage-output" && JSON.stringify(e).includes("::progress"))).toBe(
      false,
    );
    // Without the override the file's value differs from the lock: the stage is stale again.
    expect((await pipelineStatus({ root: dir }))[0]?.changed).toBe(true);
  });

  it("CLI: Ctrl-C stops running stages, exits 130 and records nothing for them", async () => {
    const dir = makeRepo(
      "stages:\n  slow:\n    cmd: echo started > started.txt && sleep 30 && echo x > out.txt\n    outs: [out.txt]\n",
    );
    const runner = spawn(process.execPath, [cli, "run", "-C", dir], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    runner.stdout.on("data", (d) => (output += d));
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(dir, "started.txt"))) {
      if (Date.now() > deadline) throw new Error("stage did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
    runner.kill("SIGINT");
    const code = await new Promise((r) => runner.once("exit", r));
    expect(code).toBe(130);
    expect(output).toMatch(/slow\s+INTERRUPTED/);
    expect(existsSync(join(dir, "dvc.lock"))).toBe(false);
    expect(existsSync(join(dir, ".dvc", "tmp", "ocrflow-run.lock"))).toBe(false);
  });

  it("CLI: a second concurrent run refuses the repo lock; kill -9 mid-run then a re-run gives correct outputs", async () => {
    // The delay is read from an undeclared file so that changing it does not by itself make the stage stale.
    const yaml = `stages:
  slow:
    cmd: "echo $$ > pid.txt && echo partial > out.txt && sleep $(cat delay.txt) && echo done > out.txt"
    outs: [out.txt]
`;
    const dir = makeRepo(yaml, { "delay.txt": "0" });
    expect(spawnSync(process.execPath, [cli, "run", "-C", dir], { encoding: "utf8" }).status).toBe(0);
    writeFileSync(join(dir, "delay.txt"), "30");
    writeFileSync(join(dir, "pid.txt"), "");
    const runner = spawn(process.execPath, [cli, "run", "-C", dir, "--force"], {
      detached: true,
      stdio: "ignore",
    });
    const deadline = Date.now() + 20_000;
    while (readFileSync(join(dir, "pid.txt"), "utf8").trim() === "" || !existsSync(join(dir, "out.txt"))) {
      if (Date.now() > deadline) throw new Error("stage did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = spawnSync(process.execPath, [cli, "run", "-C", dir], { encoding: "utf8" });
    expect(second.status).toBe(3);
    expect(second.stderr).toContain("holds the repo lock");
    // Crash: the runner and the stage's process group die at once, as on a power cut.
    const stagePid = Number(readFileSync(join(dir, "pid.txt"), "utf8"));
    process.kill(-(runner.pid as number), "SIGKILL");
    process.kill(-stagePid, "SIGKILL");
    await new Promise((r) => runner.once("exit", r));
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("partial\n");
    writeFileSync(join(dir, "delay.txt"), "0");
    const status = spawnSync(process.execPath, [cli, "status", "-C", dir, "--json"], { encoding: "utf8" });
    expect(JSON.parse(status.stdout)).toEqual({ slow: { changed: ["out modified: out.txt"], errors: [] } });
    const rerun = spawnSync(process.execPath, [cli, "run", "-C", dir, "--json"], { encoding: "utf8" });
    expect(rerun.status).toBe(0);
    expect(JSON.parse(rerun.stdout).stages[0].outcome).toBe("ran");
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("done\n");
  });
});
