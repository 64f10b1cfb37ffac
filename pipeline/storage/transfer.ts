// Moving objects between the local cache and a remote: parallel, resumable (what the other side already has
// is skipped), verified (an object whose md5 does not match its name is never stored), retried with backoff.
import { createHash } from "node:crypto";
import { createWriteStream, readFileSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { md5OfFile } from "../hash.ts";
import type { ObjectCache } from "./cache.ts";
import { ObjectMissingError, type Remote } from "./remote.ts";
import { type RetryOptions, withRetry } from "./retry.ts";
import type { TrackedOut } from "./tracked.ts";

export interface TransferProgress {
  direction: "upload" | "download";
  remote: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface TransferOptions {
  /** Objects in flight at once (default 4 per core, as DVC). */
  jobs?: number;
  onProgress?: (progress: TransferProgress) => void;
  retry?: RetryOptions;
  signal?: AbortSignal;
}

/** An object that could not be moved, named by the tracked path it belongs to. */
export interface ObjectProblem {
  oid: string;
  path: string;
  reason: string;
}

export interface TransferReport {
  remote: string;
  transferred: number;
  bytes: number;
  /** Already on the destination: not sent again. */
  skipped: number;
  /** Absent from the source side. */
  missing: ObjectProblem[];
  /** Bytes whose md5 did not match the object's name: not placed, not sent. */
  corrupted: ObjectProblem[];
  /** Errors that outlived the retries. */
  failed: ObjectProblem[];
  retries: number;
}

export class CorruptObjectError extends Error {
  constructor(oid: string, actual: string) {
    super(`object ${oid} is corrupted: its content hashes to ${actual}`);
    this.name = "CorruptObjectError";
  }
}

export function emptyReport(remote: string): TransferReport {
  return { remote, transferred: 0, bytes: 0, skipped: 0, missing: [], corrupted: [], failed: [], retries: 0 };
}

/** Whether a report says every object is where it should be. */
export function isComplete(report: TransferReport): boolean {
  return report.missing.length === 0 && report.corrupted.length === 0 && report.failed.length === 0;
}

export function defaultJobs(): number {
  return Math.min(64, 4 * availableParallelism());
}

/** Runs `task(i)` for i in [0, count) with at most `limit` in flight. */
async function runBounded(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, worker));
}

/** The md5 a manifest or file object must have to be stored under `oid`. */
function expectedMd5(oid: string): string {
  return oid.endsWith(".dir") ? oid.slice(0, -4) : oid;
}

/** Parses `.dir` bytes, refusing anything that is not a list of `{md5, relpath}`. */
export function parseManifest(bytes: Buffer | string): { md5: string; relpath: string }[] {
  const value = JSON.parse(bytes.toString()) as unknown;
  if (
    !Array.isArray(value) ||
    !value.every((e) => e && typeof e.md5 === "string" && typeof e.relpath === "string")
  ) {
    throw new Error("not a DVC directory manifest");
  }
  return value as { md5: string; relpath: string }[];
}

interface PlannedObject {
  oid: string;
  path: string;
  /** For a `.dir`: the objects that must be on the destination before it (it is sent last). */
  members?: string[];
}

class Progress {
  readonly state: TransferProgress;
  private readonly listener: ((p: TransferProgress) => void) | undefined;
  private last = 0;

  constructor(
    direction: TransferProgress["direction"],
    remote: string,
    listener?: (p: TransferProgress) => void,
  ) {
    this.state = { direction, remote, filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
    this.listener = listener;
  }

  bytes(n: number): void {
    this.state.bytesDone += n;
    const now = performance.now();
    if (now - this.last > 100) this.emit();
  }

  emit(): void {
    this.last = performance.now();
    this.listener?.({ ...this.state });
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function retryCounting(report: TransferReport, options: TransferOptions): RetryOptions {
  return {
    ...options.retry,
    ...(options.signal ? { signal: options.signal } : {}),
    onRetry: (error, attempt, delay) => {
      report.retries++;
      options.retry?.onRetry?.(error, attempt, delay);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Push

/** Sends the cached objects of `outs` that the remote lacks: files first, each `.dir` after all its files. */
export async function pushObjects(
  cache: ObjectCache,
  remote: Remote,
  outs: readonly TrackedOut[],
  options: TransferOptions = {},
): Promise<TransferReport> {
  const report = emptyReport(remote.name);
  const files = new Map<string, PlannedObject>();
  const dirs: PlannedObject[] = [];
  for (const out of outs) {
    if (!out.md5 || out.legacy) continue;
    if (!out.md5.endsWith(".dir")) {
      if (!files.has(out.md5)) files.set(out.md5, { oid: out.md5, path: out.path });
      continue;
    }
    const manifest = cache.readManifest(out.md5);
    if (!manifest) {
      report.missing.push({
        oid: out.md5,
        path: out.path,
        reason: "directory manifest not in the local cache",
      });
      continue;
    }
    for (const e of manifest) {
      if (!files.has(e.md5)) files.set(e.md5, { oid: e.md5, path: `${out.path}/${e.relpath}` });
    }
    dirs.push({ oid: out.md5, path: out.path, members: manifest.map((e) => e.md5) });
  }
  const candidates = [...files.values(), ...dirs];
  const local = candidates.filter((o) => {
    if (cache.hasObject(o.oid)) return true;
    report.missing.push({ oid: o.oid, path: o.path, reason: "not in the local cache" });
    return false;
  });
  const jobs = options.jobs ?? defaultJobs();
  const retry = retryCounting(report, options);
  const present = await withRetry(
    () =>
      remote.stat(
        local.map((o) => o.oid),
        { jobs, ...(options.signal ? { signal: options.signal } : {}) },
      ),
    retry,
  );
  const onRemote = new Set(present.keys());
  const pending = local.filter((o) => !onRemote.has(o.oid));
  report.skipped = local.length - pending.length;
  const progress = new Progress("upload", remote.name, options.onProgress);
  progress.state.filesTotal = pending.length;
  for (const o of pending) progress.state.bytesTotal += cache.sizeOf(o.oid) ?? 0;
  progress.emit();
  const failedOids = new Set(report.missing.map((m) => m.oid));

  const upload = async (o: PlannedObject) => {
    const path = cache.pathOf(o.oid);
    try {
      const size = cache.sizeOf(o.oid) ?? 0;
      const md5 = o.oid.endsWith(".dir")
        ? createHash("md5").update(readFileSync(path)).digest("hex")
        : await md5OfFile(path, size);
      if (md5 !== expectedMd5(o.oid)) throw new CorruptObjectError(o.oid, md5);
      let sent = 0;
      await withRetry(async () => {
        progress.bytes(-sent);
        sent = 0;
        await remote.put(o.oid, path, {
          md5,
          size,
          onBytes: (n) => {
            sent += n;
            progress.bytes(n);
          },
          ...(options.signal ? { signal: options.signal } : {}),
        });
      }, retry);
      report.transferred++;
      report.bytes += size;
    } catch (error) {
      failedOids.add(o.oid);
      const problem = { oid: o.oid, path: o.path, reason: reasonOf(error) };
      if (error instanceof CorruptObjectError) report.corrupted.push(problem);
      else report.failed.push(problem);
      if (options.signal?.aborted) throw error;
    } finally {
      progress.state.filesDone++;
      progress.emit();
    }
  };
  const pendingFiles = pending.filter((o) => !o.oid.endsWith(".dir"));
  await runBounded(pendingFiles.length, jobs, (i) => upload(pendingFiles[i] as PlannedObject));
  // A manifest on the remote promises its files are there, so it goes only once they all are.
  const pendingDirs = pending.filter((o) => o.oid.endsWith(".dir"));
  await runBounded(pendingDirs.length, jobs, async (i) => {
    const dir = pendingDirs[i] as PlannedObject;
    const lost = dir.members?.filter((m) => failedOids.has(m)) ?? [];
    if (lost.length > 0) {
      report.failed.push({
        oid: dir.oid,
        path: dir.path,
        reason: `${lost.length} of its files were not sent`,
      });
      progress.state.filesDone++;
      return;
    }
    await upload(dir);
  });
  progress.emit();
  return report;
}

// ---------------------------------------------------------------------------------------------------------
// Fetch

/** Downloads one object through its md5 into the cache; throws CorruptObjectError without storing it. */
async function downloadVerified(
  cache: ObjectCache,
  remote: Remote,
  oid: string,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<number> {
  const source = await remote.get(oid, signal ? { signal } : {});
  const tmp = cache.tempPathFor(oid);
  const hash = createHash("md5");
  let size = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, tee, createWriteStream(tmp), signal ? { signal } : {});
    const actual = hash.digest("hex");
    if (actual !== expectedMd5(oid)) throw new CorruptObjectError(oid, actual);
    if (oid.endsWith(".dir")) {
      try {
        parseManifest(readFileSync(tmp));
      } catch {
        throw new CorruptObjectError(oid, `${actual} but is not a manifest`);
      }
    }
    cache.commit(tmp, oid);
    return size;
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Brings the objects of `outs` that the cache lacks from the remote: each directory's manifest first
 * (it names the files), then every missing file. Objects already cached are not downloaded again.
 */
export async function fetchObjects(
  cache: ObjectCache,
  remote: Remote,
  outs: readonly TrackedOut[],
  options: TransferOptions = {},
): Promise<TransferReport> {
  const report = emptyReport(remote.name);
  const jobs = options.jobs ?? defaultJobs();
  const retry = retryCounting(report, options);
  const progress = new Progress("download", remote.name, options.onProgress);
  const signalOpt = options.signal ? { signal: options.signal } : {};

  const fetchSome = async (objects: PlannedObject[]) => {
    const wanted = objects.filter((o) => {
      if (!cache.hasObject(o.oid)) return true;
      report.skipped++;
      return false;
    });
    if (wanted.length === 0) return;
    const sizes = await withRetry(
      () =>
        remote.stat(
          wanted.map((o) => o.oid),
          { jobs, ...signalOpt },
        ),
      retry,
    );
    const available = wanted.filter((o) => {
      if (sizes.has(o.oid)) return true;
      report.missing.push({ oid: o.oid, path: o.path, reason: `not on remote '${remote.name}'` });
      return false;
    });
    progress.state.filesTotal += available.length;
    for (const o of available) progress.state.bytesTotal += sizes.get(o.oid) ?? 0;
    progress.emit();
    await runBounded(available.length, jobs, async (i) => {
      const o = available[i] as PlannedObject;
      let got = 0;
      try {
        const size = await withRetry(async () => {
          progress.bytes(-got);
          got = 0;
          return downloadVerified(
            cache,
            remote,
            o.oid,
            (n) => {
              got += n;
              progress.bytes(n);
            },
            options.signal,
          );
        }, retry);
        report.transferred++;
        report.bytes += size;
      } catch (error) {
        const problem = { oid: o.oid, path: o.path, reason: reasonOf(error) };
        if (error instanceof CorruptObjectError) report.corrupted.push(problem);
        else if (error instanceof ObjectMissingError) report.missing.push(problem);
        else report.failed.push(problem);
        if (options.signal?.aborted) throw error;
      } finally {
        progress.state.filesDone++;
        progress.emit();
      }
    });
  };

  const fileObjects = new Map<string, PlannedObject>();
  const dirOuts: TrackedOut[] = [];
  for (const out of outs) {
    if (!out.md5 || out.legacy) continue;
    if (out.md5.endsWith(".dir")) dirOuts.push(out);
    else if (!fileObjects.has(out.md5)) fileObjects.set(out.md5, { oid: out.md5, path: out.path });
  }
  const seenDirs = new Set<string>();
  await fetchSome(
    dirOuts
      .filter((o) => !seenDirs.has(o.md5 as string) && seenDirs.add(o.md5 as string))
      .map((o) => ({ oid: o.md5 as string, path: o.path })),
  );
  for (const out of dirOuts) {
    const manifest = cache.readManifest(out.md5 as string);
    if (!manifest) continue; // reported as missing or corrupted above
    for (const e of manifest) {
      if (!fileObjects.has(e.md5)) fileObjects.set(e.md5, { oid: e.md5, path: `${out.path}/${e.relpath}` });
    }
  }
  await fetchSome([...fileObjects.values()]);
  progress.emit();
  return report;
}
