// Decides whether a stage is stale exactly as `dvc repro` does: changed cmd, then deps and params, then outs
// (including outs missing from the cache), with frozen and always_changed stages handled like DVC.
import type { StageDef } from "./dvcyaml.ts";
import { repoPath } from "./graph.ts";
import type { LockEntry, LockedPath } from "./lockfile.ts";
import { type ParamsReader, sameValue } from "./params.ts";

/** What the engine needs to know about a path on disk; `undefined` from `hash` means it does not exist. */
export interface PathHash {
  md5: string;
  size: number;
  nfiles?: number;
}

export interface Hasher {
  hash(repoRelativePath: string): Promise<PathHash | undefined>;
  /** True when the DVC cache holds the object (and, for a directory, every file of its manifest). */
  inCache(md5: string): Promise<boolean>;
}

export type ChangeReason =
  | { kind: "not-in-lock" }
  | { kind: "cmd-changed" }
  | { kind: "always-changed" }
  | { kind: "no-deps-or-outs" }
  | { kind: "deps-changed-list" }
  | { kind: "dep"; path: string; change: "deleted" | "modified" | "new" }
  | { kind: "param"; file: string; key: string; change: "modified" | "new" | "deleted" }
  | { kind: "out"; path: string; change: "deleted" | "modified" | "new" | "not in cache" };

export interface StageStatus {
  name: string;
  frozen: boolean;
  changed: boolean;
  reasons: ChangeReason[];
  /** Problems that make the stage impossible to run (missing params, missing deps). */
  errors: string[];
}

export function describeReason(reason: ChangeReason): string {
  switch (reason.kind) {
    case "not-in-lock":
      return "not in dvc.lock";
    case "cmd-changed":
      return "command changed";
    case "always-changed":
      return "always_changed";
    case "no-deps-or-outs":
      return "no deps or outs (always runs)";
    case "deps-changed-list":
      return "list of dependencies changed";
    case "dep":
      return `dep ${reason.change}: ${reason.path}`;
    case "param":
      return `param ${reason.change}: ${reason.file}:${reason.key}`;
    case "out":
      return `out ${reason.change}: ${reason.path}`;
  }
}

function sameCmd(a: string | string[] | undefined, b: string | string[]): boolean {
  if (a === undefined) return false;
  const la = Array.isArray(a) ? a : [a];
  const lb = Array.isArray(b) ? b : [b];
  return la.length === lb.length && la.every((c, i) => c === lb[i]);
}

export function lockCmd(stage: StageDef): string | string[] {
  return stage.cmdIsList ? stage.cmd : (stage.cmd[0] ?? "");
}

async function pathChange(
  hasher: Hasher,
  repoRelative: string,
  locked: LockedPath | undefined,
): Promise<"deleted" | "modified" | "new" | undefined> {
  const now = await hasher.hash(repoRelative);
  if (now === undefined) return "deleted";
  if (locked === undefined || locked.md5 === "") return "new";
  // A 2.x entry was hashed after dos2unix; we only hash binary, so a text file may look modified: DVC 3
  // does the same and re-runs once, after which the entry is md5.
  if (locked.hash !== "md5") return now.md5 === locked.md5 ? undefined : "modified";
  return now.md5 === locked.md5 ? undefined : "modified";
}

/**
 * Status of one stage against its dvc.lock entry. With `stopAtFirst`, returns at the first reason (what a
 * run needs); without it, lists every reason (what `status` shows).
 */
export async function stageStatus(
  stage: StageDef,
  entry: LockEntry | undefined,
  params: ParamsReader,
  hasher: Hasher,
  opts: { stopAtFirst?: boolean } = {},
): Promise<StageStatus> {
  const reasons: ChangeReason[] = [];
  const { values: paramValues, errors } = params.forStage(stage);
  const status: StageStatus = { name: stage.name, frozen: stage.frozen, changed: false, reasons, errors };
  const done = (): StageStatus => {
    status.changed = reasons.length > 0;
    return status;
  };
  const enough = () => opts.stopAtFirst === true && reasons.length > 0;

  if (stage.frozen) return done();
  if (entry === undefined) {
    reasons.push({ kind: "not-in-lock" });
    if (enough()) return done();
  } else if (!sameCmd(entry.cmd, lockCmd(stage))) {
    reasons.push({ kind: "cmd-changed" });
    if (enough()) return done();
  }
  if (stage.alwaysChanged) {
    reasons.push({ kind: "always-changed" });
    if (enough()) return done();
  }
  if (stage.deps.length === 0 && stage.outs.length === 0 && stage.params.length === 0) {
    reasons.push({ kind: "no-deps-or-outs" });
    if (enough()) return done();
  }
  if (entry === undefined) return done();

  const lockedDeps = new Map((entry.deps ?? []).map((d) => [d.path, d]));
  const depPaths = stage.deps;
  if (depPaths.length !== lockedDeps.size || depPaths.some((p) => !lockedDeps.has(p))) {
    reasons.push({ kind: "deps-changed-list" });
    if (enough()) return done();
  }
  for (const dep of depPaths) {
    const change = await pathChange(hasher, repoPath(stage, dep), lockedDeps.get(dep));
    if (change) {
      reasons.push({ kind: "dep", path: dep, change });
      if (enough()) return done();
    }
  }
  for (const [file, keys] of Object.entries(paramValues)) {
    const locked = entry.params?.[file] ?? {};
    for (const [key, value] of Object.entries(keys)) {
      if (!Object.hasOwn(locked, key)) reasons.push({ kind: "param", file, key, change: "new" });
      else if (!sameValue(locked[key], value)) reasons.push({ kind: "param", file, key, change: "modified" });
      if (enough()) return done();
    }
    const def = stage.params.find((p) => p.file === file);
    if (def?.keys === null) {
      for (const key of Object.keys(locked)) {
        if (!Object.hasOwn(keys, key)) {
          reasons.push({ kind: "param", file, key, change: "deleted" });
          if (enough()) return done();
        }
      }
    }
  }
  const lockedOuts = new Map((entry.outs ?? []).map((o) => [o.path, o]));
  for (const out of stage.outs) {
    const locked = lockedOuts.get(out.path);
    const change = await pathChange(hasher, repoPath(stage, out.path), locked);
    if (change) {
      reasons.push({ kind: "out", path: out.path, change });
    } else if (out.cache && locked && !(await hasher.inCache(locked.md5))) {
      reasons.push({ kind: "out", path: out.path, change: "not in cache" });
    }
    if (enough()) return done();
  }
  return done();
}
