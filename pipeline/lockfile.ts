// dvc.lock (schema 2.0) reading and writing with DVC's key order and sorting, written atomically so an
// interrupted run never leaves a half-written lock.
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { writeFileAtomic } from "./atomic.ts";
import { DEFAULT_PARAMS_FILE } from "./dvcyaml.ts";
import type { Problem } from "./errors.ts";
import { compareCodePoints } from "./hash.ts";
import { parseYamlSource } from "./yaml-source.ts";

/** One dep or out as dvc.lock records it: `path, hash, md5, size[, nfiles]` in this order. */
export interface LockedPath {
  path: string;
  hash: "md5" | "md5-dos2unix";
  md5: string;
  size: number;
  nfiles?: number;
}

export interface LockEntry {
  cmd: string | string[];
  deps?: LockedPath[];
  /** file → dotted key → value. */
  params?: Record<string, Record<string, unknown>>;
  outs?: LockedPath[];
}

export interface LockFile {
  stages: Map<string, LockEntry>;
}

function normalizeLocked(raw: unknown): LockedPath | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.path !== "string") return undefined;
  const entry: LockedPath = {
    path: r.path,
    // An entry without `hash: md5` was written by DVC 2.x and hashed text files after dos2unix.
    hash: r.hash === "md5" ? "md5" : "md5-dos2unix",
    md5: typeof r.md5 === "string" ? r.md5 : "",
    size: typeof r.size === "number" ? r.size : 0,
  };
  if (typeof r.nfiles === "number") entry.nfiles = r.nfiles;
  return entry;
}

/** Reads dvc.lock; a missing file is an empty lock, a malformed one is reported with its line. */
export function readLockFile(
  path: string,
  displayName = "dvc.lock",
): { lock: LockFile; problems: Problem[] } {
  const lock: LockFile = { stages: new Map() };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { lock, problems: [] };
  }
  let value: unknown;
  try {
    value = parseYamlSource(text, displayName).value;
  } catch (error) {
    return { lock, problems: (error as { problems?: Problem[] }).problems ?? [] };
  }
  if (value === null) return { lock, problems: [] };
  const doc = value as Record<string, unknown>;
  if (typeof doc !== "object" || String(doc.schema) !== "2.0") {
    return {
      lock,
      problems: [
        {
          kind: "lock",
          message: "unsupported dvc.lock schema",
          expected: "schema: '2.0'",
          location: { file: displayName, line: 1 },
        },
      ],
    };
  }
  const stages = (doc.stages ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, raw] of Object.entries(stages)) {
    if (raw === null || typeof raw !== "object") continue;
    const entry: LockEntry = { cmd: (raw.cmd as string | string[]) ?? "" };
    if (Array.isArray(raw.deps)) entry.deps = raw.deps.map(normalizeLocked).filter((d) => d !== undefined);
    if (Array.isArray(raw.outs)) entry.outs = raw.outs.map(normalizeLocked).filter((d) => d !== undefined);
    if (raw.params && typeof raw.params === "object") entry.params = raw.params as LockEntry["params"];
    lock.stages.set(name, entry);
  }
  return { lock, problems: [] };
}

function orderedLocked(list: LockedPath[]): Record<string, unknown>[] {
  return [...list]
    .sort((a, b) => compareCodePoints(a.path, b.path))
    .map((item) => {
      const out: Record<string, unknown> = {
        path: item.path,
        hash: item.hash,
        md5: item.md5,
        size: item.size,
      };
      if (item.nfiles !== undefined) out.nfiles = item.nfiles;
      return out;
    });
}

/** The stage entry exactly as DVC serializes it: cmd, deps, params, outs; empty sections omitted. */
export function serializeEntry(entry: LockEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { cmd: entry.cmd };
  if (entry.deps && entry.deps.length > 0) out.deps = orderedLocked(entry.deps);
  if (entry.params && Object.keys(entry.params).length > 0) {
    const files = Object.keys(entry.params).sort((a, b) =>
      a === DEFAULT_PARAMS_FILE ? -1 : b === DEFAULT_PARAMS_FILE ? 1 : compareCodePoints(a, b),
    );
    const params: Record<string, Record<string, unknown>> = {};
    for (const file of files) {
      const values = entry.params[file] ?? {};
      params[file] = Object.fromEntries(
        Object.keys(values)
          .sort(compareCodePoints)
          .map((k) => [k, values[k]]),
      );
    }
    out.params = params;
  }
  if (entry.outs && entry.outs.length > 0) out.outs = orderedLocked(entry.outs);
  return out;
}

/** Text of dvc.lock with stages in the given order (ruamel-like block style, no line folding). */
export function serializeLockFile(stages: Iterable<[string, LockEntry]>): string {
  const doc: Record<string, unknown> = { schema: "2.0", stages: {} };
  const target = doc.stages as Record<string, unknown>;
  for (const [name, entry] of stages) target[name] = serializeEntry(entry);
  return stringify(doc, { singleQuote: true, indentSeq: false, lineWidth: 0, compat: "yaml-1.1" });
}

/**
 * Records one stage's new entry and rewrites the lock atomically. Stages keep the dvc.yaml order;
 * entries of stages no longer in dvc.yaml are kept at the end, as DVC keeps them.
 */
export function updateLockFile(path: string, name: string, entry: LockEntry, stageOrder: string[]): void {
  const { lock } = readLockFile(path);
  lock.stages.set(name, entry);
  const ordered: Array<[string, LockEntry]> = [];
  for (const stage of stageOrder) {
    const e = lock.stages.get(stage);
    if (e) ordered.push([stage, e]);
  }
  for (const [stage, e] of lock.stages) if (!stageOrder.includes(stage)) ordered.push([stage, e]);
  writeFileAtomic(path, serializeLockFile(ordered));
}
