// One engine run per repo at a time: an exclusive lock file holding the owner's pid. A lock left by a dead
// process (kill -9, power loss) is taken over, since its pid no longer runs.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export class RepoLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly ownerPid: number,
    readonly since: string,
  ) {
    super(
      `another ocrflow run (pid ${ownerPid}, started ${since}) holds the repo lock ${lockPath}; ` +
        "wait for it to finish, or pass --wait to queue behind it",
    );
    this.name = "RepoLockedError";
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryAcquire(lockPath: string): (() => void) | { pid: number; since: string } {
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let owner: { pid?: number; since?: string } = {};
    try {
      owner = JSON.parse(readFileSync(lockPath, "utf8"));
    } catch {
      // Half-written by a process that died between open and write: treat as stale.
    }
    if (typeof owner.pid === "number" && owner.pid !== process.pid && pidAlive(owner.pid)) {
      return { pid: owner.pid, since: owner.since ?? "?" };
    }
    rmSync(lockPath, { force: true });
  }
  throw new Error(`cannot take the repo lock ${lockPath}`);
}

/** Takes the lock or throws `RepoLockedError`; with `wait`, polls until the owner is gone. */
export async function acquireRepoLock(
  lockPath: string,
  opts: { wait?: boolean; onWait?: (pid: number) => void } = {},
) {
  let announced = false;
  for (;;) {
    const result = tryAcquire(lockPath);
    if (typeof result === "function") return result;
    if (!opts.wait) throw new RepoLockedError(lockPath, result.pid, result.since);
    if (!announced) opts.onWait?.(result.pid);
    announced = true;
    await sleep(200);
  }
}
