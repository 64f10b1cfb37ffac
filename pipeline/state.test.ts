// Proves the state cache skips reading unchanged files (counting reads, and returning a deliberately stale
// md5 when only the content changed), re-hashes on any stat change, and survives a corrupt or missing file.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DirectoryHash, type HashOptions, hashPath, md5OfBytes, md5OfDirectory } from "./hash.ts";
import { HashStateCache } from "./state.ts";

let repo: string;
beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), "ocrflow-state-"));
});
afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
});

/** A fixed mtime well in the past, so entries are outside the racily-clean window. */
const OLD = new Date("2024-01-02T03:04:05.678Z");

function write(rel: string, content: string, mtime: Date = OLD): string {
  const abs = join(repo, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  utimesSync(abs, mtime, mtime);
  return abs;
}

/** One "run": open the state from disk, hash, save, and report which files were read. */
async function run(path: string) {
  const state = HashStateCache.open(repo);
  const reads: string[] = [];
  const opts: HashOptions = { state, onRead: (p) => reads.push(p) };
  const hash = await hashPath(path, opts);
  state.save();
  return { hash, reads, counters: state.counters };
}

describe("single files", () => {
  it("reads a file on the first run and not on the second, which loads the state from disk", async () => {
    const foo = write("foo", "foo");
    const first = await run(foo);
    expect(first.reads).toEqual([foo]);
    expect(existsSync(HashStateCache.pathFor(repo))).toBe(true);
    const second = await run(foo);
    expect(second.reads).toEqual([]);
    expect(second.hash).toEqual(first.hash);
    expect(second.counters.filesReused).toBe(1);
  });

  it("returns the cached md5 when content changed but inode, mtime and size did not (proof of no read)", async () => {
    const foo = write("foo", "foo");
    await run(foo);
    write("foo", "bar"); // same size, mtime reset to the same instant
    const second = await run(foo);
    expect(second.hash.md5).toBe(md5OfBytes("foo"));
    expect(second.reads).toEqual([]);
  });

  it("re-hashes when the mtime changes, even by one millisecond", async () => {
    const foo = write("foo", "foo");
    await run(foo);
    write("foo", "bar", new Date(OLD.getTime() + 1));
    const second = await run(foo);
    expect(second.hash.md5).toBe(md5OfBytes("bar"));
    expect(second.reads).toEqual([foo]);
  });

  it("re-hashes when the size changes with the mtime kept", async () => {
    const foo = write("foo", "foo");
    await run(foo);
    write("foo", "fooo");
    const second = await run(foo);
    expect(second.hash).toMatchObject({ md5: md5OfBytes("fooo"), size: 4 });
    expect(second.reads).toEqual([foo]);
  });

  it("re-hashes when the inode changes (file replaced by another with the same stat)", async () => {
    const foo = write("foo", "foo");
    await run(foo);
    // Created while foo still exists, so it cannot get foo's inode; same size and mtime.
    write("foo.new", "bar");
    renameSync(join(repo, "foo.new"), foo);
    const second = await run(foo);
    expect(second.hash.md5).toBe(md5OfBytes("bar"));
  });

  it("does not trust a file modified just before hashing (racily clean) and reads it again next run", async () => {
    const fresh = write("fresh", "new", new Date());
    await run(fresh);
    const second = await run(fresh);
    expect(second.reads).toEqual([fresh]);
  });
});

describe("directories", () => {
  function dataset(n: number) {
    for (let i = 0; i < n; i++) write(`data/part${i % 3}/f${i}.txt`, `file ${i}`);
    return join(repo, "data");
  }

  it("reuses the directory md5 with zero reads when no file changed", async () => {
    const data = dataset(30);
    const first = await run(data);
    expect(first.reads).toHaveLength(30);
    const second = await run(data);
    expect(second.reads).toEqual([]);
    expect(second.counters).toEqual({ filesReused: 30, filesRead: 0, directoriesReused: 1 });
    expect(second.hash.md5).toBe(first.hash.md5);
    expect((second.hash as DirectoryHash).entries()).toEqual((first.hash as DirectoryHash).entries());
    expect(second.hash).toMatchObject({ size: first.hash.size, nfiles: 30 });
  });

  it("reads only the changed file and produces the same md5 as a cold hash", async () => {
    const data = dataset(30);
    await run(data);
    const changed = write("data/part1/f4.txt", "changed!", new Date(OLD.getTime() + 1000));
    const second = await run(data);
    expect(second.reads).toEqual([changed]);
    expect(second.counters).toMatchObject({ filesReused: 29, filesRead: 1, directoriesReused: 0 });
    const cold = await md5OfDirectory(data);
    expect(second.hash.md5).toBe(cold.md5);
  });

  it("notices added and removed files without reading the unchanged ones", async () => {
    const data = dataset(9);
    const first = await run(data);
    const added = write("data/part0/new.txt", "new");
    const second = await run(data);
    expect(second.reads).toEqual([added]);
    expect(second.hash).toMatchObject({ nfiles: 10 });
    rmSync(added);
    const third = await run(data);
    expect(third.reads).toEqual([]);
    expect(third.hash.md5).toBe(first.hash.md5);
  });

  it("keeps a stale directory md5 when content changed under an unchanged stat (proof of no read)", async () => {
    const data = dataset(6);
    const first = await run(data);
    write("data/part0/f0.txt", "FILE 0");
    const second = await run(data);
    expect(second.hash.md5).toBe(first.hash.md5);
    expect(second.reads).toEqual([]);
  });

  it("re-reads only the racily-clean files of a directory", async () => {
    const data = dataset(6);
    const fresh = write("data/part0/fresh.txt", "fresh", new Date());
    await run(data);
    const second = await run(data);
    expect(second.reads).toEqual([fresh]);
  });
});

describe("the state file", () => {
  it("starts empty when the file is corrupt, then rewrites it", async () => {
    const foo = write("foo", "foo");
    const file = HashStateCache.pathFor(repo);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "not a state file at all");
    const first = await run(foo);
    expect(first.reads).toEqual([foo]);
    const second = await run(foo);
    expect(second.reads).toEqual([]);
  });

  it("starts empty when the file is truncated", async () => {
    const data = join(repo, "data");
    for (let i = 0; i < 20; i++) write(`data/f${i}`, `${i}`);
    await run(data);
    const file = HashStateCache.pathFor(repo);
    const bytes = readFileSync(file);
    for (const cut of [8, 20, Math.floor(bytes.length / 2), bytes.length - 1]) {
      writeFileSync(file, bytes.subarray(0, cut));
      const state = HashStateCache.open(repo);
      expect(state.getDirectory(data)).toBeUndefined();
    }
  });

  it("starts empty when the file is missing, and saving leaves no temporary file behind", async () => {
    const foo = write("foo", "foo");
    const state = HashStateCache.open(repo);
    await hashPath(foo, { state });
    state.save();
    expect(readdirSync(dirname(HashStateCache.pathFor(repo)))).toEqual(["ocrflow-state.bin"]);
  });

  it("round-trips file and directory entries with non-ASCII paths", async () => {
    const file = write("данные.txt", "x");
    const data = join(repo, "набор");
    write("набор/😀/a.txt", "a");
    write("набор/b.txt", "b");
    const first = [await run(file), await run(data)];
    const second = [await run(file), await run(data)];
    expect(second.map((r) => r.reads)).toEqual([[], []]);
    expect(second.map((r) => r.hash.md5)).toEqual(first.map((r) => r.hash.md5));
  });
});
