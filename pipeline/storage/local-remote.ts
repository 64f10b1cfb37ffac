// A DVC remote that is a folder (the embedded default, e.g. outside the repo or on a mounted disk):
// objects at `<dir>/files/md5/xx/rest`, each written to a temporary name and renamed into place.
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from "node:fs";
import { rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ObjectMissingError, objectKey, type PutOptions, type Remote } from "./remote.ts";

export class LocalRemote implements Remote {
  readonly name: string;
  readonly dir: string;
  readonly displayUrl: string;

  constructor(name: string, dir: string) {
    this.name = name;
    this.dir = dir;
    this.displayUrl = dir;
  }

  pathOf(oid: string): string {
    return join(this.dir, objectKey(oid));
  }

  async stat(oids: readonly string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    for (const oid of oids) {
      try {
        const st = statSync(this.pathOf(oid));
        if (st.isFile()) sizes.set(oid, st.size);
      } catch {
        // absent
      }
    }
    return sizes;
  }

  async put(oid: string, localPath: string, options: PutOptions): Promise<void> {
    const target = this.pathOf(oid);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          options.onBytes?.(chunk.length);
          done(null, chunk);
        },
      });
      await pipeline(
        createReadStream(localPath),
        count,
        createWriteStream(tmp),
        options.signal ? { signal: options.signal } : {},
      );
      await rename(tmp, target);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }

  async get(oid: string): Promise<Readable> {
    const path = this.pathOf(oid);
    try {
      statSync(path);
    } catch {
      throw new ObjectMissingError(oid, this.name);
    }
    return createReadStream(path);
  }

  close(): void {}
}
