// Stats many files at once, spread over worker threads: on a no-op run over a large dataset the stat
// system calls are most of the time, and one thread per core divides it (see bench/noop-rerun.ts).
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** Per file, at 4*i: inode, mtimeMs, size, kind (1 regular file, 0 other, 2 missing). */
export type StatTable = Float64Array;

export const KIND_OTHER = 0;
export const KIND_FILE = 1;
export const KIND_MISSING = 2;

/** Below this many files, starting threads costs more than it saves. */
const PARALLEL_THRESHOLD = 20_000;

function statSlice(
  base: string,
  paths: readonly string[],
  from: number,
  to: number,
  out: Float64Array,
): void {
  for (let i = from; i < to; i++) {
    // Follows links: a dangling link is "missing", as DVC's hashing of it would fail.
    const st = statSync(`${base}/${paths[i]}`, { throwIfNoEntry: false });
    if (st === undefined) {
      out[4 * i + 3] = KIND_MISSING;
      continue;
    }
    out[4 * i] = st.ino;
    out[4 * i + 1] = st.mtimeMs;
    out[4 * i + 2] = st.size;
    out[4 * i + 3] = st.isFile() ? KIND_FILE : KIND_OTHER;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { statSync } = require("node:fs");
const { base, paths, buffer, offset } = workerData;
const out = new Float64Array(buffer);
for (let k = 0; k < paths.length; k++) {
  const i = offset + k;
  const st = statSync(base + "/" + paths[k], { throwIfNoEntry: false });
  if (st === undefined) { out[4 * i + 3] = 2; continue; }
  out[4 * i] = st.ino; out[4 * i + 1] = st.mtimeMs; out[4 * i + 2] = st.size; out[4 * i + 3] = st.isFile() ? 1 : 0;
}
parentPort.postMessage(null);
`;

/** Stats `base/paths[i]` synchronously. */
export function statManySync(base: string, paths: readonly string[]): StatTable {
  const out = new Float64Array(4 * paths.length);
  statSlice(base, paths, 0, paths.length, out);
  return out;
}

/**
 * Stats `base/paths[i]` for every i, using the main thread plus one worker per other core when the list is
 * long. The result is the same as `statManySync`.
 */
export async function statMany(
  base: string,
  paths: readonly string[],
  { threads = availableParallelism(), threshold = PARALLEL_THRESHOLD } = {},
): Promise<StatTable> {
  if (paths.length < threshold || threads < 2) return statManySync(base, paths);
  const shared = new SharedArrayBuffer(8 * 4 * paths.length);
  const out = new Float64Array(shared);
  const slice = Math.ceil(paths.length / threads);
  const workers: Promise<void>[] = [];
  for (let t = 1; t < threads; t++) {
    const offset = t * slice;
    const end = Math.min(paths.length, offset + slice);
    if (offset >= end) break;
    workers.push(
      new Promise((resolve, reject) => {
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { base, paths: paths.slice(offset, end), buffer: shared, offset },
        });
        worker.once("message", () => resolve());
        worker.once("error", reject);
        worker.once("exit", (code) =>
          code === 0 ? resolve() : reject(new Error(`stat worker exited with ${code}`)),
        );
      }),
    );
  }
  statSlice(base, paths, 0, Math.min(slice, paths.length), out);
  await Promise.all(workers);
  return out;
}
