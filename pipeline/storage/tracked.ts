// What data commands act on: the outs of `.dvc` pointer files and the cached outs recorded in dvc.lock,
// chosen by targets (a `.dvc` file, a tracked path, a stage or stage group, dvc.yaml) or all of them.
import { type Dirent, existsSync, readdirSync } from "node:fs";
import { join, posix, relative, resolve, sep } from "node:path";
import { loadDvcYaml, type StageDef } from "../dvcyaml.ts";
import { type Problem, ProblemsError } from "../errors.ts";
import { DvcIgnore } from "../hash.ts";
import { readLockFile } from "../lockfile.ts";
import { readPointerFile } from "./pointer.ts";

export interface TrackedOut {
  /** Repo-relative, `/`-separated. */
  path: string;
  /** Absent when the pointer or lock records no hash yet (nothing to transfer). */
  md5?: string;
  size?: number;
  nfiles?: number;
  /** A 2.x entry (`md5-dos2unix`): its objects live at the cache root, which this module does not handle. */
  legacy: boolean;
  /** Where it is declared, for messages: `data/base.dvc` or `dvc.lock:train`. */
  source: string;
  /** The out's own `remote:`; a remote given on the command line wins over it. */
  remote?: string;
  /** `push: false` outs are pulled but never pushed. */
  push: boolean;
  /** The `.dvc` file (absolute) for pointer outs: `add` and `checkout` use it. */
  pointerFile?: string;
}

/** Directories never searched for `.dvc` files: VCS and DVC internals, and installed packages. */
const SKIPPED_DIRS = new Set([".git", ".hg", ".dvc", "node_modules"]);

export function toPosix(p: string): string {
  return p.split(sep).join("/");
}

/** Every `.dvc` file of the repo (repo-relative), honouring `.dvcignore` and skipping stage outputs. */
export function findPointerFiles(root: string, skipDirs: ReadonlySet<string> = new Set()): string[] {
  const ignore = DvcIgnore.load(root);
  const found: string[] = [];
  const pending = [""];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    let dirents: Dirent[];
    try {
      dirents = readdirSync(rel === "" ? root : join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const d of dirents) {
      const relpath = rel === "" ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) {
        if (SKIPPED_DIRS.has(d.name) || skipDirs.has(relpath) || ignore.ignores(relpath, true)) continue;
        pending.push(relpath);
      } else if (d.name.endsWith(".dvc") && d.isFile() && !ignore.ignores(relpath, false)) {
        found.push(relpath);
      }
    }
  }
  return found.sort();
}

function pointerOuts(root: string, relFile: string): TrackedOut[] {
  const abs = join(root, relFile);
  const pointer = readPointerFile(abs, relFile);
  const wdir = posix.dirname(relFile);
  return pointer.outs
    .map((o) => {
      const out: TrackedOut = {
        path: posix.normalize(posix.join(wdir, o.path)),
        legacy: o.md5 !== undefined && o.hash !== "md5",
        source: relFile,
        push: o.extra.push !== false,
        pointerFile: abs,
      };
      if (o.md5 !== undefined) out.md5 = o.md5;
      if (o.size !== undefined) out.size = o.size;
      if (o.nfiles !== undefined) out.nfiles = o.nfiles;
      if (typeof o.extra.remote === "string") out.remote = o.extra.remote;
      if (o.extra.cache === false) return undefined;
      return out;
    })
    .filter((o): o is TrackedOut => o !== undefined);
}

interface LockedStage {
  def: StageDef;
  outs: TrackedOut[];
}

function lockedStages(root: string): { stages: LockedStage[]; problems: Problem[] } {
  if (!existsSync(join(root, "dvc.yaml"))) return { stages: [], problems: [] };
  const pipeline = loadDvcYaml(join(root, "dvc.yaml"));
  const { lock, problems } = readLockFile(join(root, "dvc.lock"));
  const stages: LockedStage[] = [];
  for (const def of pipeline.stages) {
    const entry = lock.stages.get(def.name);
    const outs: TrackedOut[] = [];
    for (const o of def.outs) {
      if (!o.cache) continue;
      const locked = entry?.outs?.find((l) => posix.normalize(l.path) === posix.normalize(o.path));
      const out: TrackedOut = {
        path: posix.normalize(posix.join(def.wdir, o.path)),
        legacy: locked !== undefined && locked.hash !== "md5",
        source: `dvc.lock:${def.name}`,
        push: o.push !== false,
      };
      if (locked?.md5) out.md5 = locked.md5;
      if (locked) out.size = locked.size;
      if (locked?.nfiles !== undefined) out.nfiles = locked.nfiles;
      if (o.remote) out.remote = o.remote;
      outs.push(out);
    }
    stages.push({ def, outs });
  }
  return { stages, problems: [...pipeline.problems, ...problems] };
}

export interface CollectOptions {
  /** Where relative targets are resolved from (default: the repo root). */
  cwd?: string;
}

/**
 * The outs named by `targets`, or every tracked out when there are none. A target is a `.dvc` file, a path
 * with a `.dvc` file beside it, `dvc.yaml`, a stage or stage group (`train` selects `train@*`), or an out
 * path recorded in dvc.lock. Every unknown target is reported together.
 */
export function collectTrackedOuts(
  root: string,
  targets: readonly string[],
  options: CollectOptions = {},
): TrackedOut[] {
  const problems: Problem[] = [];
  let locked: LockedStage[] | undefined;
  const stages = () => {
    if (locked === undefined) {
      const loaded = lockedStages(root);
      problems.push(...loaded.problems);
      locked = loaded.stages;
    }
    return locked;
  };
  const outs: TrackedOut[] = [];
  const readPointer = (rel: string) => {
    try {
      outs.push(...pointerOuts(root, rel));
    } catch (error) {
      if (error instanceof ProblemsError) problems.push(...error.problems);
      else throw error;
    }
  };
  if (targets.length === 0) {
    const stageOuts = stages().flatMap((s) => s.outs);
    const skip = new Set(stageOuts.map((o) => o.path));
    for (const rel of findPointerFiles(root, skip)) readPointer(rel);
    outs.push(...stageOuts);
  } else {
    const cwd = options.cwd ?? root;
    for (const target of targets) {
      const rel = toPosix(relative(root, resolve(cwd, target))) || ".";
      if (rel.endsWith(".dvc") && existsSync(join(root, rel))) readPointer(rel);
      else if (existsSync(join(root, `${rel}.dvc`))) readPointer(`${rel}.dvc`);
      else if (rel === "dvc.yaml") outs.push(...stages().flatMap((s) => s.outs));
      else {
        const byStage = stages().filter((s) => s.def.name === target || s.def.name.startsWith(`${target}@`));
        const byOut = stages().flatMap((s) => s.outs.filter((o) => o.path === rel.replace(/\/+$/, "")));
        if (byStage.length > 0) outs.push(...byStage.flatMap((s) => s.outs));
        else if (byOut.length > 0) outs.push(...byOut);
        else {
          problems.push({
            kind: "unknown-target",
            message: `'${target}' is neither a .dvc file, a tracked path, a stage nor a dvc.lock out`,
            location: { file: target },
          });
        }
      }
    }
  }
  if (problems.length > 0) throw new ProblemsError(problems);
  const seen = new Set<string>();
  return outs.filter((o) => {
    const key = `${o.path}\0${o.md5 ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
