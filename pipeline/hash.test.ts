// Proves the hashes match DVC 3 byte for byte: the published vectors, Python's JSON escaping and ordering,
// and the walk's rules (ignores, symlinks, nested directories), cross-checked against python3 when present.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  compareCodePoints,
  DvcIgnore,
  DvcIgnoreInsideDirectoryError,
  dirManifestBytes,
  hashPath,
  type ManifestEntry,
  type Md5,
  md5OfDirectory,
  md5OfFile,
  md5OfManifest,
  type PosixRelPath,
  pythonJsonString,
  walkDirectory,
} from "./hash.ts";

const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e" as Md5;
const entry = (relpath: string, md5: string = EMPTY_MD5): ManifestEntry => ({
  md5: md5 as Md5,
  relpath: relpath as PosixRelPath,
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ocrflow-hash-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, content: string | Buffer): string {
  const abs = join(dir, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  return abs;
}

const python = spawnSync("python3", ["--version"]).status === 0;
if (!python) console.log("python3 not found: skipping the cross-checks against Python's json.dumps");

/** Runs DVC's algorithm (os.walk, hashlib md5, sorted list, json.dumps sort_keys) in Python. */
function pythonDirectoryHash(root: string): { md5: string; manifest: string } {
  const script = `
import hashlib, json, os, sys, base64
root = sys.argv[1]
entries = []
for base, dirs, files in os.walk(root):
    for f in files:
        p = os.path.join(base, f)
        entries.append({"md5": hashlib.md5(open(p, "rb").read()).hexdigest(),
                        "relpath": os.path.relpath(p, root).replace(os.sep, "/")})
raw = json.dumps(sorted(entries, key=lambda e: e["relpath"]), sort_keys=True).encode("utf-8")
print(json.dumps({"md5": hashlib.md5(raw).hexdigest() + ".dir", "manifest": base64.b64encode(raw).decode()}))
`;
  const out = spawnSync("python3", ["-c", script, root], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(out.stderr);
  const parsed = JSON.parse(out.stdout) as { md5: string; manifest: string };
  return { md5: parsed.md5, manifest: Buffer.from(parsed.manifest, "base64").toString("latin1") };
}

function pythonJsonDumps(value: unknown): string {
  const out = spawnSync(
    "python3",
    ["-c", "import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), sort_keys=True))"],
    {
      input: JSON.stringify(value),
      encoding: "utf8",
    },
  );
  if (out.status !== 0) throw new Error(out.stderr);
  return out.stdout;
}

describe("DVC's verified vectors", () => {
  it("hashes an empty directory to d751713988987e9331980363e24189ce.dir with size 0 and no files", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    const h = await hashPath(empty);
    expect(h).toMatchObject({ isDir: true, md5: "d751713988987e9331980363e24189ce.dir", size: 0, nfiles: 0 });
    expect(dirManifestBytes([]).toString()).toBe("[]");
  });

  it("hashes the one-entry manifest for a.txt to c8b707c7db8de5344f16fc09ca113ab4.dir", () => {
    const bytes = dirManifestBytes([entry("a.txt")]);
    expect(bytes.toString()).toBe('[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "a.txt"}]');
    expect(md5OfManifest([entry("a.txt")])).toBe("c8b707c7db8de5344f16fc09ca113ab4.dir");
  });

  it("hashes a file foo containing foo as dvc add does (md5 acbd18db…, size 3)", async () => {
    const foo = write("foo", "foo");
    expect(await hashPath(foo)).toEqual({ isDir: false, md5: "acbd18db4cc2f85cedef654fccc4a4d8", size: 3 });
  });

  it("hashes a directory holding one empty a.txt to the manifest vector, with nfiles 1", async () => {
    write("d/a.txt", "");
    const h = await hashPath(join(dir, "d"));
    expect(h).toMatchObject({ md5: "c8b707c7db8de5344f16fc09ca113ab4.dir", size: 0, nfiles: 1 });
  });
});

describe("file hashing", () => {
  it("streams a file larger than the whole-read limit and gets the md5 of all its bytes", async () => {
    const big = Buffer.alloc(3 * (1 << 20) + 12345);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const abs = write("big.bin", big);
    expect(await md5OfFile(abs)).toBe(createHash("md5").update(big).digest("hex"));
  });
});

describe("the manifest matches Python's json.dumps", () => {
  it("escapes Cyrillic, emoji (as surrogate pairs), quotes, backslashes and control characters", () => {
    expect(pythonJsonString("данные/кот.txt")).toBe(
      '"\\u0434\\u0430\\u043d\\u043d\\u044b\\u0435/\\u043a\\u043e\\u0442.txt"',
    );
    expect(pythonJsonString("😀.png")).toBe('"\\ud83d\\ude00.png"');
    expect(pythonJsonString('a"b\\c\nd\te\x7f\x01')).toBe('"a\\"b\\\\c\\nd\\te\\u007f\\u0001"');
  });

  it.skipIf(!python)("produces the bytes python3 writes for mixed-script names", () => {
    const names = [
      "данные/кот.txt",
      "😀.png",
      'q"uote',
      "back\\slash",
      "tab\there",
      "é",
      "\x7f",
      "ﬁ",
      "漢字",
    ];
    const entries = names.map((n, i) => entry(n, createHash("md5").update(String(i)).digest("hex")));
    const sorted = [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
    expect(dirManifestBytes(entries).toString("latin1")).toBe(pythonJsonDumps(sorted));
  });

  it("sorts astral names after BMP names above U+E000, as Python's code-point order does", () => {
    // JS's `<` compares UTF-16 units and would put 😀 (D83D DE00) before U+FF21; Python puts it after.
    const bytes = dirManifestBytes([entry("😀"), entry("\uff21"), entry("a"), entry("\ud7ff")]).toString();
    const order = [...bytes.matchAll(/"relpath": "([^"]*)"/g)].map((m) => m[1]);
    expect(order).toEqual(["a", "\\ud7ff", "\\uff21", "\\ud83d\\ude00"]);
    expect(compareCodePoints("😀", "\uff21")).toBeGreaterThan(0);
    expect(compareCodePoints("\uff21", "😀")).toBeLessThan(0);
    expect(compareCodePoints("ab", "abc")).toBeLessThan(0);
  });

  it("sorts by the whole relpath string, so a/b comes after a-b and a.txt", () => {
    const bytes = dirManifestBytes([entry("a/b"), entry("a.txt"), entry("a-b")]).toString();
    expect([...bytes.matchAll(/"relpath": "([^"]*)"/g)].map((m) => m[1])).toEqual(["a-b", "a.txt", "a/b"]);
  });
});

describe("directories", () => {
  it("hashes nested directories: posix relpaths, total size and file count", async () => {
    write("data/train/0.txt", "zero");
    write("data/train/deep/er/1.txt", "one!");
    write("data/test/2.txt", "22");
    const h = await hashPath(join(dir, "data"));
    if (!h.isDir) throw new Error("expected a directory");
    expect(h.size).toBe(10);
    expect(h.nfiles).toBe(3);
    expect(h.entries().map((e) => e.relpath)).toEqual(["test/2.txt", "train/0.txt", "train/deep/er/1.txt"]);
    expect(h.md5).toBe(md5OfManifest(h.entries()));
  });

  it.skipIf(!python)(
    "agrees with DVC's algorithm run by python3 on Cyrillic, emoji and nested names",
    async () => {
      write("ds/кириллица/файл.txt", "привет");
      write("ds/emoji/😀.txt", "smile");
      write("ds/emoji/\uff21.txt", "fullwidth A");
      write("ds/a-b", "x");
      write("ds/a/b", "y");
      write("ds/a.txt", "");
      const h = await md5OfDirectory(join(dir, "ds"));
      const py = pythonDirectoryHash(join(dir, "ds"));
      expect(dirManifestBytes(h.entries()).toString("latin1")).toBe(py.manifest);
      expect(h.md5).toBe(py.md5);
    },
  );

  it("skips .git, .hg and .dvc directories and nested DVC repos, like DVC's default ignores", async () => {
    write("d/keep.txt", "k");
    write("d/.git/HEAD", "ref");
    write("d/.hg/store", "s");
    write("d/sub/.dvc/config", "");
    write("d/sub/inner.txt", "subrepo file");
    const { relpaths } = walkDirectory(join(dir, "d"));
    expect(relpaths).toEqual(["keep.txt"]);
  });

  it("refuses a .dvcignore inside the hashed directory, as DVC does", async () => {
    write("d/x.txt", "x");
    write("d/inner/.dvcignore", "*.tmp");
    await expect(hashPath(join(dir, "d"))).rejects.toBeInstanceOf(DvcIgnoreInsideDirectoryError);
  });

  it("honours the root .dvcignore: globs, anchored paths, directory-only patterns and negation", async () => {
    write(".dvcignore", "# comment\n*.tmp\n/data/cache/\nlogs/\n!keep.tmp\ndata/**/skip-*.txt\n");
    write("data/a.txt", "a");
    write("data/b.tmp", "b");
    write("data/keep.tmp", "k");
    write("data/cache/c.txt", "c");
    write("data/sub/logs/l.txt", "l");
    write("data/sub/logs2/l.txt", "l");
    write("data/sub/deeper/skip-1.txt", "s");
    write("data/logs", "a file named logs is not a directory");
    const ignore = DvcIgnore.load(dir);
    const { relpaths } = walkDirectory(join(dir, "data"), ignore);
    expect(relpaths.sort()).toEqual(["a.txt", "keep.tmp", "logs", "sub/logs2/l.txt"]);
  });

  it("includes symlinks to files (hashed as their target) and does not descend symlinks to directories", async () => {
    write("target/t.txt", "target");
    write("d/real.txt", "real");
    symlinkSync(join(dir, "target", "t.txt"), join(dir, "d", "link.txt"));
    symlinkSync(join(dir, "target"), join(dir, "d", "linkdir"));
    const h = await hashPath(join(dir, "d"));
    if (!h.isDir) throw new Error("expected a directory");
    expect(h.entries()).toEqual([
      { md5: createHash("md5").update("target").digest("hex"), relpath: "link.txt" },
      { md5: createHash("md5").update("real").digest("hex"), relpath: "real.txt" },
    ]);
    expect(h.size).toBe(10);
  });
});
