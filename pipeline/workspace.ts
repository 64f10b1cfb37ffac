// The repository as the executor sees it: DVC hashes through the state cache, the object cache for
// stage outputs, and where logs and locks live. Hashes are memoized per run: a path is hashed once
// unless a stage may have changed it (its outputs are re-hashed after the stage runs).
import { join } from "node:path";
import type { Workspace } from "./executor.ts";
import { DvcIgnore, dirManifestBytes, hashPath, type PathHash } from "./hash.ts";
import type { LockedPath } from "./lockfile.ts";
import { HashStateCache } from "./state.ts";
import type { PathHash as StatusHash } from "./status.ts";
import { ObjectCache } from "./storage/cache.ts";

function toStatusHash(hash: PathHash): StatusHash {
  return hash.isDir
    ? { md5: hash.md5, size: hash.size, nfiles: hash.nfiles }
    : { md5: hash.md5, size: hash.size };
}

export async function openWorkspace(root: string): Promise<Workspace> {
  const state = HashStateCache.open(root);
  const ignore = DvcIgnore.load(root);
  const cache = new ObjectCache(root);
  const memo = new Map<string, Promise<PathHash | undefined>>();

  const hashFresh = async (repoRelative: string): Promise<PathHash | undefined> => {
    try {
      return await hashPath(join(root, repoRelative), { state, ignore });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  };
  const hashMemo = (repoRelative: string): Promise<PathHash | undefined> => {
    let pending = memo.get(repoRelative);
    if (!pending) {
      pending = hashFresh(repoRelative);
      memo.set(repoRelative, pending);
    }
    return pending;
  };
  /** A stage ran: anything at, under or above its outputs may have changed. */
  const invalidate = (repoRelative: string) => {
    for (const key of memo.keys()) {
      if (
        key === repoRelative ||
        key.startsWith(`${repoRelative}/`) ||
        repoRelative.startsWith(`${key}/`) ||
        key === "."
      ) {
        memo.delete(key);
      }
    }
  };

  return {
    root,
    lockPath: join(root, "dvc.lock"),
    logDir: join(root, ".ocrflow", "logs"),
    hasher: {
      async hash(repoRelative) {
        const hash = await hashMemo(repoRelative);
        return hash ? toStatusHash(hash) : undefined;
      },
      async inCache(md5) {
        return cache.has(md5);
      },
    },
    invalidate,
    async record(repoRelative, toCache): Promise<LockedPath | undefined> {
      const hash = await hashMemo(repoRelative);
      if (!hash) return undefined;
      if (toCache) {
        const abs = join(root, repoRelative);
        if (hash.isDir) {
          const entries = hash.entries();
          cache.addDirectory(abs, hash.md5, entries, dirManifestBytes(entries));
        } else cache.addFile(abs, hash.md5);
      }
      const locked: LockedPath = { path: repoRelative, hash: "md5", md5: hash.md5, size: hash.size };
      if (hash.isDir) locked.nfiles = hash.nfiles;
      return locked;
    },
    async flush() {
      state.save();
    },
  };
}
