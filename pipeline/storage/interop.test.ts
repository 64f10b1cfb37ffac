// DVC interoperability vectors: directory hashes, `.dir` manifest bytes, cache layout and `.dvc` file text
// as DVC 3 computes and writes them (values from FORMATS.md and from Python's json.dumps + hashlib).
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { addPath } from "./add.ts";
import { ObjectCache } from "./cache.ts";
import { parsePointerFile, serializePointerFile } from "./pointer.ts";

function repo(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-interop-"));
  mkdirSync(join(dir, ".dvc"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Nine files with nesting, an empty file, spaces, quotes, Cyrillic, an astral emoji and a ligature. */
const TREE: Record<string, string | Buffer> = {
  "data/a.txt": "hello\n",
  "data/sub/b.bin": Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  "data/sub/deeper/c.txt": "",
  "data/ёж.txt": "ёж\n",
  "data/z😀.txt": "emoji",
  "data/ﬁ.txt": "lig",
  "data/B.txt": "upper",
  "data/a b.txt": "space",
  'data/q"uote.txt': "q",
};

// json.dumps(sorted(entries, key=relpath), sort_keys=True) as Python 3.11 printed it.
const TREE_MANIFEST =
  '[{"md5": "0122b4c2c01ee1c698ecc309d2b8eb5a", "relpath": "B.txt"}, ' +
  '{"md5": "ff2364a0be3d20e46cc69efb36afe9a5", "relpath": "a b.txt"}, ' +
  '{"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "a.txt"}, ' +
  '{"md5": "7694f4a66316e53c8cdd9d9954bd611d", "relpath": "q\\"uote.txt"}, ' +
  '{"md5": "e2c865db4162bed963bfaa9ef6ac18f0", "relpath": "sub/b.bin"}, ' +
  '{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "sub/deeper/c.txt"}, ' +
  '{"md5": "ba323c3f5b3f1b536461d41cc7f1ba60", "relpath": "z\\ud83d\\ude00.txt"}, ' +
  '{"md5": "f0f1e8a859adad8683e28a4628fbf167", "relpath": "\\u0451\\u0436.txt"}, ' +
  '{"md5": "583b6abaf6139cbd83855e21b41e8b11", "relpath": "\\ufb01.txt"}]';

describe("DVC 3 interoperability vectors", () => {
  it("add of a file writes the .dvc text of DVC's tests/func/test_add.py and a read-only cache object", async () => {
    const dir = repo({ foo: "foo" });
    const result = await addPath(dir, "foo");
    expect(result.md5).toBe("acbd18db4cc2f85cedef654fccc4a4d8");
    expect(readFileSync(join(dir, "foo.dvc"), "utf8")).toBe(
      "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n",
    );
    const object = join(dir, ".dvc/cache/files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8");
    expect(readFileSync(object, "utf8")).toBe("foo");
    expect(statSync(object).mode & 0o777).toBe(0o444);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("/foo\n");
  });

  it("add of a directory: the .dir hash, manifest bytes and .dvc text match DVC's algorithm", async () => {
    const dir = repo(TREE);
    const result = await addPath(dir, "data");
    expect(result).toMatchObject({ md5: "2fe8a242449b5d11f689664d2bc45314.dir", size: 286, nfiles: 9 });
    expect(readFileSync(join(dir, "data.dvc"), "utf8")).toBe(
      "outs:\n- md5: 2fe8a242449b5d11f689664d2bc45314.dir\n  size: 286\n  nfiles: 9\n  hash: md5\n  path: data\n",
    );
    const manifest = readFileSync(join(dir, ".dvc/cache/files/md5/2f/e8a242449b5d11f689664d2bc45314.dir"));
    expect(manifest.toString("latin1")).toBe(TREE_MANIFEST);
    const cache = new ObjectCache(dir);
    expect(cache.has(result.md5)).toBe(true);
    expect(readFileSync(cache.pathOf("e2c865db4162bed963bfaa9ef6ac18f0")).length).toBe(256);
  });

  it("an empty directory and a one-empty-file directory hash to FORMATS.md's verified values", async () => {
    const empty = repo();
    mkdirSync(join(empty, "e"));
    expect((await addPath(empty, "e")).md5).toBe("d751713988987e9331980363e24189ce.dir");
    const one = repo({ "d/a.txt": "" });
    expect((await addPath(one, "d")).md5).toBe("c8b707c7db8de5344f16fc09ca113ab4.dir");
  });

  it("re-adding keeps the keys DVC users add by hand (desc, remote, meta) and a line in .gitignore once", async () => {
    const dir = repo({ "sub/f.txt": "v1" });
    await addPath(dir, "sub/f.txt");
    const edited = readFileSync(join(dir, "sub/f.txt.dvc"), "utf8").replace(
      "  path: f.txt\n",
      "  path: f.txt\n  desc: the base set\n  remote: store\nmeta:\n  owner: ocr\n",
    );
    writeFileSync(join(dir, "sub/f.txt.dvc"), edited);
    writeFileSync(join(dir, "sub/f.txt"), "v2");
    await addPath(dir, "sub/f.txt");
    expect(readFileSync(join(dir, "sub/f.txt.dvc"), "utf8")).toBe(
      "outs:\n- md5: 1b267619c4812cc46ee281747884ca50\n  size: 2\n  hash: md5\n  path: f.txt\n" +
        "  desc: the base set\n  remote: store\nmeta:\n  owner: ocr\n",
    );
    expect(readFileSync(join(dir, "sub/.gitignore"), "utf8")).toBe("/f.txt\n");
  });

  it("parses a .dvc file as DVC writes it and reserializes it byte for byte", () => {
    const text =
      "outs:\n- md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir\n  size: 6\n  nfiles: 2\n  isexec: true\n" +
      "  hash: md5\n  path: my data\n";
    const pointer = parsePointerFile(text, "x.dvc");
    expect(pointer.outs[0]).toMatchObject({
      md5: "3863d0e317dee0a55c4e59d2ec0eef33.dir",
      nfiles: 2,
      isexec: true,
    });
    expect(serializePointerFile(pointer)).toBe(text);
  });

  it("reports a malformed .dvc file with its line", () => {
    expect(() => parsePointerFile("outs:\n- md5: nothex\n  path: a\n", "bad.dvc")).toThrow(
      /bad\.dvc:2 outs\[0\]: bad md5/,
    );
  });
});
