// Builds the stage graph from path overlap between outputs and dependencies, as DVC does, and reports
// cycles, outputs claimed by two stages, and dependencies that nothing produces and that do not exist.
import { existsSync } from "node:fs";
import { join, posix } from "node:path";
import type { PipelineDef, StageDef, StageName } from "./dvcyaml.ts";
import type { Problem } from "./errors.ts";

export interface StageGraph {
  stages: Map<StageName, StageDef>;
  /** Definition order, used to break ties so runs and listings are deterministic. */
  order: StageName[];
  /** stage → stages it depends on (upstream). */
  upstream: Map<StageName, Set<StageName>>;
  /** stage → stages that depend on it (downstream). */
  downstream: Map<StageName, Set<StageName>>;
  /** Dependencies that no stage produces and that are absent on disk, per stage. */
  missingDeps: Map<StageName, string[]>;
  problems: Problem[];
}

/** Repo-relative posix path of a stage-relative path. */
export function repoPath(stage: StageDef, path: string): string {
  return posix.normalize(posix.join(stage.wdir, path.replaceAll("\\", "/"))).replace(/\/$/, "");
}

/** True when `inner` equals `outer` or lies inside it. */
export function isInOrEqual(inner: string, outer: string): boolean {
  return inner === outer || outer === "." || inner.startsWith(`${outer}/`);
}

export function buildGraph(pipeline: PipelineDef): StageGraph {
  const problems: Problem[] = [];
  const stages = new Map<StageName, StageDef>();
  const order: StageName[] = [];
  for (const stage of pipeline.stages) {
    stages.set(stage.name, stage);
    order.push(stage.name);
  }
  const outputs: Array<{ path: string; stage: StageDef }> = [];
  for (const stage of pipeline.stages) {
    for (const out of stage.outs) outputs.push({ path: repoPath(stage, out.path), stage });
  }
  // Two stages (or one stage twice) writing overlapping paths.
  for (let i = 0; i < outputs.length; i++) {
    for (let j = i + 1; j < outputs.length; j++) {
      const a = outputs[i] as (typeof outputs)[number];
      const b = outputs[j] as (typeof outputs)[number];
      if (isInOrEqual(a.path, b.path) || isInOrEqual(b.path, a.path)) {
        const same = a.stage === b.stage;
        problems.push({
          kind: "overlap",
          message: same
            ? `stage '${a.stage.name}' lists overlapping outputs '${a.path}' and '${b.path}'`
            : `output '${a.path}' of stage '${a.stage.name}' overlaps output '${b.path}' of stage '${b.stage.name}'`,
          location: b.stage.location,
        });
      }
    }
  }
  const upstream = new Map<StageName, Set<StageName>>(order.map((n) => [n, new Set()]));
  const downstream = new Map<StageName, Set<StageName>>(order.map((n) => [n, new Set()]));
  const missingDeps = new Map<StageName, string[]>();
  for (const stage of pipeline.stages) {
    for (const dep of stage.deps) {
      const depPath = repoPath(stage, dep);
      let produced = false;
      for (const out of outputs) {
        if (isInOrEqual(depPath, out.path) || isInOrEqual(out.path, depPath)) {
          produced = true;
          if (out.stage !== stage) {
            upstream.get(stage.name)?.add(out.stage.name);
            downstream.get(out.stage.name)?.add(stage.name);
          }
        }
      }
      if (!produced && !existsSync(join(pipeline.root, depPath))) {
        const list = missingDeps.get(stage.name) ?? [];
        list.push(depPath);
        missingDeps.set(stage.name, list);
      }
    }
  }
  problems.push(...findCycles(order, upstream, stages));
  return { stages, order, upstream, downstream, missingDeps, problems };
}

/** Reports each cycle once, as the chain of stage names that closes it. */
function findCycles(
  order: StageName[],
  upstream: Map<StageName, Set<StageName>>,
  stages: Map<StageName, StageDef>,
): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<StageName, "visiting" | "done">();
  const stack: StageName[] = [];
  const visit = (name: StageName): void => {
    state.set(name, "visiting");
    stack.push(name);
    for (const up of upstream.get(name) ?? []) {
      const s = state.get(up);
      if (s === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(up)), up];
        const stage = stages.get(up);
        problems.push({
          kind: "cycle",
          message: `cycle between stages: ${cycle.reverse().join(" → ")}`,
          ...(stage ? { location: stage.location } : {}),
        });
      } else if (s === undefined) visit(up);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of order) if (!state.has(name)) visit(name);
  return problems;
}

/**
 * Resolves CLI targets (a stage name, a foreach/matrix group name, or `dvc.yaml:name`) to stage names.
 * Unknown targets are problems. With no targets, every stage is selected.
 */
export function resolveTargets(
  graph: StageGraph,
  targets: string[],
): { names: StageName[]; problems: Problem[] } {
  if (targets.length === 0) return { names: [...graph.order], problems: [] };
  const names: StageName[] = [];
  const problems: Problem[] = [];
  for (const raw of targets) {
    const target = raw.includes(":") ? raw.slice(raw.lastIndexOf(":") + 1) : raw;
    const matches = graph.order.filter((n) => n === target || n.startsWith(`${target}@`));
    if (matches.length === 0) {
      problems.push({
        kind: "unknown-target",
        message: `no stage named '${target}' (stages: ${graph.order.join(", ")})`,
        location: { file: "dvc.yaml" },
      });
    }
    for (const m of matches) if (!names.includes(m)) names.push(m);
  }
  return { names, problems };
}

/** The targets plus everything upstream of them, in definition order. */
export function withUpstream(graph: StageGraph, names: StageName[]): StageName[] {
  const selected = new Set<StageName>();
  const visit = (name: StageName): void => {
    if (selected.has(name)) return;
    selected.add(name);
    for (const up of graph.upstream.get(name) ?? []) visit(up);
  };
  for (const name of names) visit(name);
  return graph.order.filter((n) => selected.has(n));
}

/** Every stage downstream of `name` (not including it). */
export function downstreamOf(graph: StageGraph, name: StageName): Set<StageName> {
  const seen = new Set<StageName>();
  const visit = (n: StageName): void => {
    for (const down of graph.downstream.get(n) ?? []) {
      if (!seen.has(down)) {
        seen.add(down);
        visit(down);
      }
    }
  };
  visit(name);
  return seen;
}
