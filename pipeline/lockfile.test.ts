// dvc.lock text must match what DVC writes: schema first, cmd/deps/params/outs, sorted paths, key order.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareCodePoints } from "./hash.ts";
import { readLockFile, serializeLockFile, updateLockFile } from "./lockfile.ts";

describe("dvc.lock", () => {
  it("serializes entries in DVC's order and format", () => {
    const text = serializeLockFile([
      [
        "prepare",
        {
          cmd: "python prepare.py",
          outs: [
            { path: "data/b", hash: "md5", md5: "x.dir", size: 10, nfiles: 2 },
            { path: "data/a.csv", hash: "md5", md5: "d41d8cd98f00b204e9800998ecf8427e", size: 3 },
          ],
          params: { "z.yaml": { b: 1, a: "yes" }, "params.yaml": { "prepare.seed": 7 } },
          deps: [{ path: "prepare.py", hash: "md5", md5: "acbd18db4cc2f85cedef654fccc4a4d8", size: 3 }],
        },
      ],
      ["empty", { cmd: ["echo a", "echo b"] }],
    ]);
    expect(text).toBe(`schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: prepare.py
      hash: md5
      md5: acbd18db4cc2f85cedef654fccc4a4d8
      size: 3
    params:
      params.yaml:
        prepare.seed: 7
      z.yaml:
        a: 'yes'
        b: 1
    outs:
    - path: data/a.csv
      hash: md5
      md5: d41d8cd98f00b204e9800998ecf8427e
      size: 3
    - path: data/b
      hash: md5
      md5: x.dir
      size: 10
      nfiles: 2
  empty:
    cmd:
    - echo a
    - echo b
`);
  });

  it("round-trips, reads 2.x entries as md5-dos2unix, and keeps dvc.yaml order on update", () => {
    const dir = mkdtempSync(join(tmpdir(), "ocrflow-lock-"));
    const path = join(dir, "dvc.lock");
    updateLockFile(path, "b", { cmd: "b", outs: [{ path: "o", hash: "md5", md5: "m", size: 1 }] }, [
      "a",
      "b",
    ]);
    updateLockFile(path, "a", { cmd: "a" }, ["a", "b"]);
    const { lock } = readLockFile(path);
    expect([...lock.stages.keys()]).toEqual(["a", "b"]);
    expect(lock.stages.get("b")?.outs?.[0]).toEqual({ path: "o", hash: "md5", md5: "m", size: 1 });
    expect(readFileSync(path, "utf8").startsWith("schema: '2.0'\nstages:\n  a:\n")).toBe(true);
  });

  it("sorts like Python (code points), not UTF-16 units", () => {
    const names = ["\u{1F600}.txt", "\uFF21.txt", "a.txt"];
    expect([...names].sort(compareCodePoints)).toEqual(["a.txt", "\uFF21.txt", "\u{1F600}.txt"]);
  });
});
