// Restores tracked paths in the workspace from the object cache (`dvc checkout`): copies (reflinks where the
// filesystem can) of the cache files, placed atomically; local edits whose content is not cached are kept.
import { chmodSync, constants, copyFileSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { type DvcIgnore, hashPath, type PathHash } from "../hash.ts";
import type { HashStateCache } from "../state.ts";
import type { ObjectCache } from "./cache.ts";
import type { TrackedOut } from "./tracked.ts";

export type CheckoutOutcome =
  /** The workspace already matched. */
  | "unchanged"
  | "restored"
  /** Some object is not in the cache (fetch first). */
  | "missing"
  /** The workspace holds changes that are not in the cache; kept unless forced. */
  | "modified"
  /** No hash recorded yet: nothing to restore. */
  | "not-committed"
  /** A 2.x (md5-dos2unix) entry: not supported. */
  | "unsupported";

export interface CheckoutResult {
  path: string;
  outcome: CheckoutOutcome;
  /** Files written and removed inside a directory. */
  written: number;
  removed: number;
}

export interface CheckoutOptions {
  /** Overwrite workspace changes even when their content is not in the cache. */
  force?: boolean;
  state?: HashStateCache;
  ignore?: DvcIgnore;
}

/** Copies a cache file to `dest` through a temporary sibling; the copy is writable, unlike the cache file. */
function placeFile(source: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    copyFileSync(source, tmp, constants.COPYFILE_FICLONE);
    chmodSync(tmp, 0o644);
    try {
      renameSync(tmp, dest);
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code !== "EISDIR" &&
        (error as NodeJS.ErrnoException).code !== "ENOTEMPTY"
      )
        throw error;
      rmSync(dest, { recursive: true, force: true });
      renameSync(tmp, dest);
    }
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

async function currentHash(abs: string, options: CheckoutOptions): Promise<PathHash | undefined> {
  try {
    return await hashPath(abs, {
      ...(options.state ? { state: options.state } : {}),
      ...(options.ignore ? { ignore: options.ignore } : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function exists(abs: string): boolean {
  try {
    statSync(abs);
    return true;
  } catch {
    return false;
  }
}

async function checkoutOne(
  root: string,
  cache: ObjectCache,
  out: TrackedOut,
  options: CheckoutOptions,
): Promise<CheckoutResult> {
  const result: CheckoutResult = { path: out.path, outcome: "unchanged", written: 0, removed: 0 };
  if (!out.md5) return { ...result, outcome: "not-committed" };
  if (out.legacy) return { ...result, outcome: "unsupported" };
  if (!cache.has(out.md5)) return { ...result, outcome: "missing" };
  const abs = join(root, out.path);
  const current = exists(abs) ? await currentHash(abs, options) : undefined;
  if (current?.md5 === out.md5) return result;
  const isDirOut = out.md5.endsWith(".dir");
  if (!isDirOut) {
    if (current && !options.force && !cache.has(current.md5)) return { ...result, outcome: "modified" };
    placeFile(cache.pathOf(out.md5), abs);
    return { ...result, outcome: "restored", written: 1 };
  }
  const manifest = cache.readManifest(out.md5) ?? [];
  const wanted = new Map(manifest.map((e) => [e.relpath, e.md5]));
  const have = new Map<string, string>();
  if (current?.isDir) for (const e of current.entries()) have.set(e.relpath, e.md5);
  else if (current && !options.force && !cache.has(current.md5)) return { ...result, outcome: "modified" };
  else if (current) rmSync(abs, { force: true });
  if (!options.force) {
    // A file about to be overwritten or removed must be recoverable from the cache.
    for (const [relpath, md5] of have) {
      if (wanted.get(relpath) !== md5 && !cache.hasObject(md5)) return { ...result, outcome: "modified" };
    }
  }
  for (const relpath of have.keys()) {
    if (!wanted.has(relpath)) {
      rmSync(join(abs, relpath), { force: true });
      result.removed++;
    }
  }
  for (const [relpath, md5] of wanted) {
    if (have.get(relpath) === md5) continue;
    placeFile(cache.pathOf(md5), join(abs, relpath));
    result.written++;
  }
  mkdirSync(abs, { recursive: true });
  return { ...result, outcome: "restored" };
}

/** Makes each out's workspace path match its recorded hash, as far as the cache allows. */
export async function checkoutOuts(
  root: string,
  cache: ObjectCache,
  outs: readonly TrackedOut[],
  options: CheckoutOptions = {},
): Promise<CheckoutResult[]> {
  const results: CheckoutResult[] = [];
  for (const out of outs) results.push(await checkoutOne(root, cache, out, options));
  return results;
}
