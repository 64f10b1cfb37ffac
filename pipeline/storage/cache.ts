// The DVC 3 object cache (`.dvc/cache/files/md5/xx/rest[.dir]`): stores stage outputs after a run so the
// real `dvc` CLI finds them, and answers whether an object (and every file of a directory) is present.
import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
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

  /** Whether the object itself is stored (for a `.dir`, not whether its files are). */
  hasObject(md5: string): boolean {
    return existsSync(this.pathOf(md5));
  }

  /** Size of a stored object, or undefined when it is absent. */
  sizeOf(md5: string): number | undefined {
    try {
      return statSync(this.pathOf(md5)).size;
    } catch {
      return undefined;
    }
  }

  /** A temporary name beside where `md5` goes: a download is written there, verified, then `commit`ted. */
  tempPathFor(md5: string): string {
    const target = this.pathOf(md5);
    mkdirSync(dirname(target), { recursive: true });
    return `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  }

  /** Moves a verified temporary file into place, read-only as DVC leaves cache files. */
  commit(tmpPath: string, md5: string): void {
    chmodSync(tmpPath, 0o444);
    renameSync(tmpPath, this.pathOf(md5));
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
      // A reflink where the filesystem can (btrfs, xfs), else a plain copy: DVC's default `reflink,copy`.
      copyFileSync(absPath, tmp, constants.COPYFILE_FICLONE);
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
