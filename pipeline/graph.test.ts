// The stage graph: edges from output/dependency overlap, and the errors DVC reports for bad graphs.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDvcYaml } from "./dvcyaml.ts";
import { buildGraph, resolveTargets, withUpstream } from "./graph.ts";

function graphOf(text: string, files: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-graph-"));
  for (const f of files) writeFileSync(join(dir, f), "x");
  const p = parseDvcYaml(text, dir);
  expect(p.problems).toEqual([]);
  return buildGraph(p);
}

describe("buildGraph", () => {
  it("links a dependency to the stage whose output contains it (and the reverse)", () => {
    const g = graphOf(`stages:
  gen: {cmd: gen, outs: [data]}
  split: {cmd: split, deps: [data/raw.csv], outs: [splits/train, splits/test]}
  train: {cmd: train, deps: [splits], outs: [model]}
`);
    expect([...(g.upstream.get("split" as never) ?? [])]).toEqual(["gen"]);
    expect([...(g.upstream.get("train" as never) ?? [])]).toEqual(["split"]);
    expect(g.problems).toEqual([]);
    expect(withUpstream(g, ["train" as never])).toEqual(["gen", "split", "train"]);
  });

  it("resolves dvc.yaml wdir before matching paths", () => {
    const g = graphOf(`stages:
  a: {cmd: a, wdir: sub, outs: [out.txt]}
  b: {cmd: b, deps: [sub/out.txt]}
`);
    expect([...(g.upstream.get("b" as never) ?? [])]).toEqual(["a"]);
  });

  it("reports a cycle naming the stages in it", () => {
    const g = graphOf(`stages:
  a: {cmd: a, deps: [y], outs: [x]}
  b: {cmd: b, deps: [x], outs: [y]}
`);
    expect(g.problems.map((p) => p.kind)).toEqual(["cycle"]);
    expect(g.problems[0]?.message).toMatch(/cycle between stages: (a → b → a|b → a → b)/);
  });

  it("reports two stages writing overlapping paths", () => {
    const g = graphOf(`stages:
  a: {cmd: a, outs: [data]}
  b: {cmd: b, outs: [data/sub]}
`);
    expect(g.problems).toHaveLength(1);
    expect(g.problems[0]?.message).toBe("output 'data' of stage 'a' overlaps output 'data/sub' of stage 'b'");
  });

  it("lists dependencies that neither exist nor are produced, per stage", () => {
    const g = graphOf(
      `stages:
  a: {cmd: a, deps: [present.txt, absent.txt]}
`,
      ["present.txt"],
    );
    expect(g.missingDeps.get("a" as never)).toEqual(["absent.txt"]);
  });

  it("resolves group targets of foreach stages and rejects unknown ones", () => {
    const g = graphOf(`stages:
  train: {foreach: [p, m], do: {cmd: "t \${item}"}}
  other: {cmd: o}
`);
    expect(resolveTargets(g, ["train"]).names).toEqual(["train@p", "train@m"]);
    expect(resolveTargets(g, ["dvc.yaml:other"]).names).toEqual(["other"]);
    expect(resolveTargets(g, ["nope"]).problems[0]?.message).toContain("no stage named 'nope'");
  });
});
