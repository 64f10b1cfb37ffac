// The engine's public operations (load → analyze → status → run), shared by the CLI and the tests.
// Every problem in dvc.yaml, the graph and the params files is found before any stage runs.
import { existsSync } from "node:fs";
import { join, posix } from "node:path";
import { validateParamsFile } from "./config.ts";
import { loadDvcYaml, type PipelineDef, type StageName } from "./dvcyaml.ts";
import { type Problem, ProblemsError } from "./errors.ts";
import type { EventSink, RunSummary } from "./events.ts";
import { executeGraph } from "./executor.ts";
import { buildGraph, resolveTargets, type StageGraph, withUpstream } from "./graph.ts";
import { type LockFile, readLockFile } from "./lockfile.ts";
import { type ParamOverrides, ParamsReader } from "./params.ts";
import { acquireRepoLock } from "./repo-lock.ts";
import { type StageStatus, stageStatus } from "./status.ts";
import { openWorkspace } from "./workspace.ts";

export interface EngineOptions {
  /** Directory holding dvc.yaml. */
  root: string;
  targets?: string[];
  /** Only the targets, not their upstream stages (`dvc repro --single-item`). */
  singleItem?: boolean;
  overrides?: ParamOverrides;
}

export interface Loaded {
  pipeline: PipelineDef;
  graph: StageGraph;
  lock: LockFile;
  selected: StageName[];
}

/** Params files referenced by the selected stages, repo-relative, each once. */
function paramsFilesOf(loaded: { pipeline: PipelineDef; selected: StageName[] }): string[] {
  const files = new Set<string>();
  for (const stage of loaded.pipeline.stages) {
    if (!loaded.selected.includes(stage.name)) continue;
    for (const p of stage.params) files.add(posix.normalize(posix.join(stage.wdir, p.file)));
  }
  return [...files];
}

/**
 * `-S file:key=value` for a params file that no stage reads would change nothing; most often the file was left out
 * (`-S train.epochs=3` means params.yaml, as in DVC), so say which files the stages do read.
 */
function unreadOverrides(pipeline: PipelineDef, overrides: ParamOverrides): Problem[] {
  const read = paramsFilesOf({ pipeline, selected: pipeline.stages.map((s) => s.name) });
  const problems: Problem[] = [];
  for (const [file, values] of Object.entries(overrides)) {
    if (read.includes(posix.normalize(file))) continue;
    for (const key of Object.keys(values))
      problems.push({
        kind: "override",
        message: `${key === "profile" ? `--profile (or -S ${file}:profile)` : `-S ${file}:${key}`}: no stage of dvc.yaml reads ${file}, so this would change nothing`,
        location: { file, key },
        expected: read.length
          ? `a params file the stages read: ${read.map((f) => `-S ${f}:${key}=…`).join(" or ")}`
          : "no -S: no stage declares params",
      });
  }
  return problems;
}

/** Loads and checks everything; throws `ProblemsError` listing every problem found. */
export function loadPipeline(options: EngineOptions): Loaded {
  const dvcYaml = join(options.root, "dvc.yaml");
  const pipeline = loadDvcYaml(dvcYaml);
  const problems: Problem[] = [...pipeline.problems];
  if (problems.length > 0) throw new ProblemsError(problems);
  const graph = buildGraph(pipeline);
  problems.push(...graph.problems);
  const targets = resolveTargets(graph, options.targets ?? []);
  problems.push(...targets.problems);
  const { lock, problems: lockProblems } = readLockFile(join(options.root, "dvc.lock"));
  problems.push(...lockProblems);
  if (problems.length > 0) throw new ProblemsError(problems);
  problems.push(...unreadOverrides(pipeline, options.overrides ?? {}));
  const selected = options.singleItem ? targets.names : withUpstream(graph, targets.names);
  // Params files that declare a JSON Schema are validated (with overrides applied) before anything runs.
  for (const file of paramsFilesOf({ pipeline, selected })) {
    const abs = join(options.root, file);
    if (!existsSync(abs)) continue;
    problems.push(
      ...validateParamsFile(abs, { displayName: file, overrides: options.overrides?.[file] ?? {} }),
    );
  }
  if (problems.length > 0) throw new ProblemsError(problems);
  return { pipeline, graph, lock, selected };
}

export async function pipelineStatus(options: EngineOptions): Promise<StageStatus[]> {
  const loaded = loadPipeline(options);
  const workspace = await openWorkspace(options.root);
  const params = new ParamsReader(options.root, options.overrides ?? {});
  const statuses: StageStatus[] = [];
  for (const name of loaded.selected) {
    const stage = loaded.graph.stages.get(name);
    if (!stage) continue;
    const status = await stageStatus(stage, loaded.lock.stages.get(name), params, workspace.hasher);
    const missing = loaded.graph.missingDeps.get(name) ?? [];
    status.errors.push(...missing.map((m) => `dependency '${m}' does not exist and no stage produces it`));
    statuses.push(status);
  }
  await workspace.flush();
  return statuses;
}

export interface RunPipelineOptions extends EngineOptions {
  jobs?: number;
  force?: boolean;
  dry?: boolean;
  wait?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  emit?: EventSink;
}

export async function runPipeline(options: RunPipelineOptions): Promise<RunSummary> {
  const emit = options.emit ?? (() => {});
  const loaded = loadPipeline(options);
  const release = await acquireRepoLock(join(options.root, ".dvc", "tmp", "ocrflow-run.lock"), {
    wait: options.wait ?? false,
    onWait: (ownerPid) => emit({ type: "lock-wait", ownerPid }),
  });
  try {
    // Re-read the lock under the repo lock: another run may have finished while we waited.
    const { lock } = readLockFile(join(options.root, "dvc.lock"));
    const workspace = await openWorkspace(options.root);
    const params = new ParamsReader(options.root, options.overrides ?? {});
    const runOptions = {
      jobs: options.jobs ?? 1,
      force: options.force ?? false,
      dry: options.dry ?? false,
      overrides: options.overrides ?? {},
      ...(options.env ? { env: options.env } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    return await executeGraph(loaded.graph, loaded.selected, lock, params, workspace, runOptions, emit);
  } finally {
    release();
  }
}
