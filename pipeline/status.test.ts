// Staleness rules, one by one, against a fake hasher: what makes `dvc repro` consider a stage changed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDvcYaml, type StageDef } from "./dvcyaml.ts";
import type { LockEntry } from "./lockfile.ts";
import { ParamsReader } from "./params.ts";
import { describeReason, type Hasher, type PathHash, stageStatus } from "./status.ts";

function setup(stageYaml: string, params = "lr: 0.1\nseed: 1\n") {
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-status-"));
  writeFileSync(join(dir, "params.yaml"), params);
  const p = parseDvcYaml(`stages:\n  s:\n${stageYaml}`, dir);
  expect(p.problems).toEqual([]);
  return { dir, stage: p.stages[0] as StageDef, params: new ParamsReader(dir) };
}

function fakeHasher(files: Record<string, PathHash>, cached: string[] = []): Hasher {
  return {
    hash: async (path) => files[path],
    inCache: async (md5) => cached.includes(md5),
  };
}

const f = (md5: string): PathHash => ({ md5, size: 1 });
const locked = (path: string, md5: string) => ({ path, hash: "md5" as const, md5, size: 1 });

async function reasons(stageYaml: string, entry: LockEntry | undefined, hasher: Hasher, params?: string) {
  const { stage, params: reader } = setup(stageYaml, params);
  const status = await stageStatus(stage, entry, reader, hasher);
  return status.reasons.map(describeReason);
}

const BASE = "    cmd: run\n    deps: [in.txt]\n    params: [lr]\n    outs: [out.txt]\n";
const ENTRY: LockEntry = {
  cmd: "run",
  deps: [locked("in.txt", "a")],
  params: { "params.yaml": { lr: 0.1 } },
  outs: [locked("out.txt", "b")],
};
const FILES = { "in.txt": f("a"), "out.txt": f("b") };

describe("stageStatus", () => {
  it("is up to date when cmd, deps, params and outs match and outs are cached", async () => {
    expect(await reasons(BASE, ENTRY, fakeHasher(FILES, ["b"]))).toEqual([]);
  });
  it("reports a stage missing from dvc.lock", async () => {
    expect(await reasons(BASE, undefined, fakeHasher(FILES, ["b"]))).toEqual(["not in dvc.lock"]);
  });
  it("reports a changed command", async () => {
    expect(await reasons(BASE, { ...ENTRY, cmd: "old" }, fakeHasher(FILES, ["b"]))).toEqual([
      "command changed",
    ]);
  });
  it("reports modified and deleted deps and outs", async () => {
    expect(await reasons(BASE, ENTRY, fakeHasher({ "in.txt": f("z") }, ["b"]))).toEqual([
      "dep modified: in.txt",
      "out deleted: out.txt",
    ]);
  });
  it("reports an output whose object is missing from the cache, unless cache: false", async () => {
    expect(await reasons(BASE, ENTRY, fakeHasher(FILES, []))).toEqual(["out not in cache: out.txt"]);
    const uncached =
      "    cmd: run\n    deps: [in.txt]\n    params: [lr]\n    outs:\n      - out.txt:\n          cache: false\n";
    expect(await reasons(uncached, ENTRY, fakeHasher(FILES, []))).toEqual([]);
  });
  it("compares params key by key and reports new ones", async () => {
    expect(await reasons(BASE, ENTRY, fakeHasher(FILES, ["b"]), "lr: 0.2\n")).toEqual([
      "param modified: params.yaml:lr",
    ]);
    const two = "    cmd: run\n    deps: [in.txt]\n    params: [lr, seed]\n    outs: [out.txt]\n";
    expect(await reasons(two, ENTRY, fakeHasher(FILES, ["b"]))).toEqual(["param new: params.yaml:seed"]);
  });
  it("reports keys deleted from a whole-file params dependency", async () => {
    const whole = "    cmd: run\n    params:\n      - params.yaml:\n";
    const entry: LockEntry = { cmd: "run", params: { "params.yaml": { lr: 0.1, seed: 1, gone: 3 } } };
    expect(await reasons(whole, entry, fakeHasher({}), "lr: 0.1\nseed: 1\n")).toEqual([
      "param deleted: params.yaml:gone",
    ]);
  });
  it("treats always_changed stages and stages without deps or outs as changed", async () => {
    expect(await reasons(`${BASE}    always_changed: true\n`, ENTRY, fakeHasher(FILES, ["b"]))).toEqual([
      "always_changed",
    ]);
    expect(await reasons("    cmd: run\n", { cmd: "run" }, fakeHasher({}))).toEqual([
      "no deps or outs (always runs)",
    ]);
  });
  it("never reports a frozen stage as changed", async () => {
    expect(await reasons(`${BASE}    frozen: true\n`, undefined, fakeHasher({}))).toEqual([]);
  });
  it("reports a changed list of dependencies", async () => {
    const more = "    cmd: run\n    deps: [in.txt, extra.txt]\n    params: [lr]\n    outs: [out.txt]\n";
    expect(await reasons(more, ENTRY, fakeHasher({ ...FILES, "extra.txt": f("e") }, ["b"]))).toEqual([
      "list of dependencies changed",
      "dep new: extra.txt",
    ]);
  });
  it("names a missing params key as an error", async () => {
    const { stage, params } = setup("    cmd: run\n    params: [nope]\n");
    const status = await stageStatus(stage, undefined, params, fakeHasher({}));
    expect(status.errors).toEqual(["parameters 'nope' are missing from 'params.yaml'"]);
  });
});
