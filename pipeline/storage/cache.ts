// The DVC 3 object cache (`.dvc/cache/files/md5/xx/rest[.dir]`): stores stage outputs after a run so the
// real `dvc` CLI finds them, and answers whether an object (and every file of a directory) is present.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../atomic.ts";

export interface ManifestEntry {
  md5: string;
  relpath: string;
}

export class ObjectCache {
  /** `<repo>/.dvc/cache/files/md5`: DVC 3's layout (legacy 2.x objects sit at the cache root). */
  readonly dir: string;

  constructor(repoRoot: string, cacheDir = join(repoRoot, ".dvc", "cache")) {
    this.dir = join(cacheDir, "files", "md5");
  }

  pathOf(md5: string): string {
    return join(this.dir, md5.slice(0, 2), md5.slice(2));
  }

  has(md5: string): boolean {
    if (!existsSync(this.pathOf(md5))) return false;
    if (!md5.endsWith(".dir")) return true;
    const entries = this.readManifest(md5);
    return entries?.every((e) => existsSync(this.pathOf(e.md5))) === true;
  }

  readManifest(md5: string): ManifestEntry[] | undefined {
    try {
      return JSON.parse(readFileSync(this.pathOf(md5), "utf8")) as ManifestEntry[];
    } catch {
      return undefined;
    }
  }

  /** Copies a file into the cache under its md5 (read-only, as DVC leaves cache files); no-op if present. */
  addFile(absPath: string, md5: string): void {
    const target = this.pathOf(md5);
    if (existsSync(target)) return;
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.tmp`;
    try {
      copyFileSync(absPath, tmp);
      chmodSync(tmp, 0o444);
      renameSync(tmp, target);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }

  /** Stores every file of a directory, then its manifest bytes under `<md5>.dir` (manifest last). */
  addDirectory(absDir: string, md5: string, entries: ManifestEntry[], manifestBytes: Uint8Array): void {
    for (const entry of entries) this.addFile(join(absDir, entry.relpath), entry.md5);
    const target = this.pathOf(md5);
    if (existsSync(target)) return;
    mkdirSync(dirname(target), { recursive: true });
    writeFileAtomic(target, manifestBytes);
    chmodSync(target, 0o444);
  }
}
