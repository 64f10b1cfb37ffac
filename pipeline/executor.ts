// Runs the selected stages of the graph with up to N in parallel, each as its own shell process. A stage
// runs when its upstream stages are done; a failure blocks its dependents while independent stages finish.
// dvc.lock is updated only after a stage succeeds and its outputs are hashed.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { StageDef, StageName } from "./dvcyaml.ts";
import type { EventSink, RunSummary, StageResult } from "./events.ts";
import { parseProgressLine } from "./events.ts";
import { repoPath, type StageGraph } from "./graph.ts";
import { type LockEntry, type LockedPath, type LockFile, updateLockFile } from "./lockfile.ts";
import { PARAM_OVERRIDES_ENV, type ParamOverrides, type ParamsReader } from "./params.ts";
import { describeReason, type Hasher, lockCmd, stageStatus } from "./status.ts";

/** What the executor needs from the repository besides the graph: hashing, the cache, paths. */
export interface Workspace {
  root: string;
  lockPath: string;
  logDir: string;
  hasher: Hasher;
  /** Forgets memoized hashes at, under or above a path a stage has just written. */
  invalidate(repoRelative: string): void;
  /** Hashes a stage's path and, for cached outputs, stores it in the DVC cache. */
  record(repoRelative: string, toCache: boolean): Promise<LockedPath | undefined>;
  /** Persists caches (the state cache) after the run. */
  flush(): Promise<void>;
}

export interface RunOptions {
  jobs: number;
  force: boolean;
  dry: boolean;
  overrides: ParamOverrides;
  /** Extra environment for stage processes. */
  env?: NodeJS.ProcessEnv;
  /** Aborts the run: running stages are killed and reported as interrupted. */
  signal?: AbortSignal;
}

interface Running {
  child: ChildProcess;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Runs one shell command in its own process group, teeing lines to the log and to events. */
function runCommand(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  log: NodeJS.WritableStream,
  stage: string,
  emit: EventSink,
  running: Running,
): Promise<number | string> {
  return new Promise((resolve) => {
    const child = spawn(command, {
      cwd,
      env,
      shell: "/bin/sh",
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.child = child;
    let pending = 2;
    let exit: number | string | undefined;
    const finish = () => {
      if (pending === 0 && exit !== undefined) resolve(exit);
    };
    for (const stream of ["stdout", "stderr"] as const) {
      const source = child[stream];
      if (!source) {
        pending--;
        continue;
      }
      const lines = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on("line", (line) => {
        const progress = stream === "stdout" ? parseProgressLine(line) : undefined;
        if (progress) {
          emit({ type: "stage-progress", stage, ...progress });
          return;
        }
        log.write(`${line}\n`);
        emit({ type: "stage-output", stage, stream, line });
      });
      lines.on("close", () => {
        pending--;
        finish();
      });
    }
    child.on("error", (error) => {
      exit = `cannot start: ${error.message}`;
      pending = 0;
      finish();
    });
    child.on("close", (code, signal) => {
      exit = code ?? `killed by ${signal}`;
      finish();
    });
  });
}

export async function executeGraph(
  graph: StageGraph,
  selected: StageName[],
  lock: LockFile,
  params: ParamsReader,
  workspace: Workspace,
  options: RunOptions,
  emit: EventSink,
): Promise<RunSummary> {
  const startedAt = Date.now();
  const jobs = Math.max(1, options.jobs);
  const selectedSet = new Set(selected);
  const results = new Map<StageName, StageResult>();
  const waiting = new Set(selected);
  const active = new Map<StageName, Running>();
  const stageOrder = graph.order as string[];
  emit({ type: "run-start", stages: selected, jobs });
  mkdirSync(workspace.logDir, { recursive: true });

  const onAbort = () => {
    for (const running of active.values()) {
      killGroup(running.child, "SIGTERM");
      setTimeout(() => killGroup(running.child, "SIGKILL"), 5000).unref();
    }
  };
  options.signal?.addEventListener("abort", onAbort);

  const finish = (result: StageResult) => {
    results.set(result.name as StageName, result);
    emit({ type: "stage-end", result });
  };

  const runStage = async (stage: StageDef): Promise<void> => {
    const name = stage.name;
    const began = Date.now();
    if (stage.frozen && !options.force) {
      finish({ name, outcome: "frozen", reasons: [] });
      return;
    }
    const missing = graph.missingDeps.get(name) ?? [];
    const status = await stageStatus(stage, lock.stages.get(name), params, workspace.hasher, {
      stopAtFirst: true,
    });
    const errors = [
      ...status.errors,
      ...missing.map((m) => `dependency '${m}' does not exist and no stage produces it`),
    ];
    if (errors.length > 0) {
      finish({ name, outcome: "failed", reasons: [], error: errors.join("; ") });
      return;
    }
    const reasons = options.force ? ["forced"] : status.reasons.map(describeReason);
    // In a dry run nothing upstream really changes, so a stage below one that would run would run too.
    const wouldRunUp = options.dry
      ? [...(graph.upstream.get(name) ?? [])].filter((u) => results.get(u)?.outcome === "would-run")
      : [];
    if (wouldRunUp.length > 0 && !status.changed && !options.force) {
      finish({
        name,
        outcome: "would-run",
        reasons: wouldRunUp.map((u) => `upstream stage '${u}' would run`),
      });
      return;
    }
    if (!options.force && !status.changed) {
      finish({ name, outcome: "up-to-date", reasons: [] });
      return;
    }
    if (options.dry) {
      finish({ name, outcome: "would-run", reasons });
      return;
    }
    const logFile = join(workspace.logDir, `${name.replaceAll("/", "_")}.log`);
    emit({ type: "stage-start", stage: name, reasons, logFile, command: stage.cmd.join(" && ") });
    // Outputs go before the command runs, so a crash can never leave old outputs next to a new lock.
    for (const out of stage.outs) {
      if (!out.persist)
        rmSync(join(workspace.root, repoPath(stage, out.path)), { recursive: true, force: true });
    }
    const log = createWriteStream(logFile);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      OCRFLOW_STAGE: name,
      // Keys are absolute so a stage finds its overrides whatever its wdir.
      [PARAM_OVERRIDES_ENV]: JSON.stringify(
        Object.fromEntries(
          Object.entries(options.overrides).map(([file, o]) => [join(workspace.root, file), o]),
        ),
      ),
    };
    const running: Running = { child: undefined as unknown as ChildProcess };
    active.set(name, running);
    let failure: string | undefined;
    try {
      for (const command of stage.cmd) {
        if (options.signal?.aborted) {
          failure = "interrupted";
          break;
        }
        log.write(`$ ${command}\n`);
        const exit = await runCommand(
          command,
          join(workspace.root, stage.wdir),
          env,
          log,
          name,
          emit,
          running,
        );
        if (exit !== 0) {
          failure = options.signal?.aborted
            ? "interrupted"
            : typeof exit === "number"
              ? `exit code ${exit}`
              : exit;
          break;
        }
      }
    } finally {
      active.delete(name);
      await new Promise<void>((resolve) => log.end(resolve));
    }
    const base = {
      name,
      reasons,
      logFile,
      startedAt: began,
      endedAt: Date.now(),
      durationMs: Date.now() - began,
    };
    if (failure) {
      finish({
        ...base,
        outcome: failure === "interrupted" ? "interrupted" : "failed",
        error: `'${stage.cmd.join(" && ")}' failed: ${failure}`,
      });
      return;
    }
    if (options.signal?.aborted) {
      finish({ ...base, outcome: "interrupted", error: "interrupted" });
      return;
    }
    for (const out of stage.outs) workspace.invalidate(repoPath(stage, out.path));
    const deps: LockedPath[] = [];
    const outs: LockedPath[] = [];
    const problems: string[] = [];
    for (const dep of stage.deps) {
      const locked = await workspace.record(repoPath(stage, dep), false);
      if (locked) deps.push({ ...locked, path: dep });
      else problems.push(`dependency '${dep}' disappeared during the run`);
    }
    for (const out of stage.outs) {
      const locked = await workspace.record(repoPath(stage, out.path), out.cache);
      if (locked) outs.push({ ...locked, path: out.path });
      else problems.push(`output '${out.path}' was not created by the command`);
    }
    if (problems.length > 0) {
      finish({ ...base, outcome: "failed", error: problems.join("; ") });
      return;
    }
    const entry: LockEntry = { cmd: lockCmd(stage), deps, params: params.forStage(stage).values, outs };
    if (Object.keys(entry.params ?? {}).length === 0) delete entry.params;
    lock.stages.set(name, entry);
    updateLockFile(workspace.lockPath, name, entry, stageOrder);
    finish({ ...base, outcome: "ran", endedAt: Date.now(), durationMs: Date.now() - began });
  };

  await new Promise<void>((resolveAll) => {
    const pump = () => {
      if (options.signal?.aborted) {
        for (const name of waiting)
          finish({ name, outcome: "blocked", reasons: [], error: "run interrupted" });
        waiting.clear();
      }
      for (const name of [...waiting]) {
        const ups = [...(graph.upstream.get(name) ?? [])].filter((u) => selectedSet.has(u));
        const failedUp = ups.find((u) => {
          const r = results.get(u);
          return r && (r.outcome === "failed" || r.outcome === "blocked" || r.outcome === "interrupted");
        });
        if (failedUp) {
          waiting.delete(name);
          finish({
            name,
            outcome: "blocked",
            reasons: [],
            error: `upstream stage '${failedUp}' did not succeed`,
          });
          continue;
        }
        if (active.size >= jobs || inFlight.size >= jobs) break;
        if (ups.every((u) => results.has(u))) {
          waiting.delete(name);
          const stage = graph.stages.get(name) as StageDef;
          const promise = runStage(stage)
            .catch((error: unknown) => {
              finish({ name, outcome: "failed", reasons: [], error: (error as Error).message });
            })
            .finally(() => {
              inFlight.delete(name);
              pump();
            });
          inFlight.set(name, promise);
        }
      }
      if (waiting.size === 0 && inFlight.size === 0) resolveAll();
    };
    const inFlight = new Map<StageName, Promise<void>>();
    pump();
  });
  options.signal?.removeEventListener("abort", onAbort);
  await workspace.flush();
  const stages = selected.map((n) => results.get(n) as StageResult);
  const ok = stages.every(
    (r) => r.outcome !== "failed" && r.outcome !== "blocked" && r.outcome !== "interrupted",
  );
  const summary: RunSummary = { ok, jobs, durationMs: Date.now() - startedAt, stages };
  emit({ type: "run-end", summary });
  return summary;
}
