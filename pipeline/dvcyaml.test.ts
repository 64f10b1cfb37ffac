// dvc.yaml parsing: stage fields, vars, foreach and matrix naming as DVC 3 does, and errors with lines.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDvcYaml } from "./dvcyaml.ts";

function repo(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "ocrflow-dvcyaml-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("parseDvcYaml", () => {
  it("reads cmd, deps, params, outs with flags, metrics and plots", () => {
    const text = `
stages:
  prep:
    cmd: python prep.py
    deps: [data.csv, prep.py]
    params:
      - seed
      - pipeline.config.yaml: [split.ratios, split]
      - other.yaml:
    outs:
      - out/a
      - out/b:
          cache: false
          persist: true
    metrics:
      - scores.json:
          cache: false
    plots:
      - plots.csv
    frozen: true
`;
    const p = parseDvcYaml(text, repo());
    expect(p.problems).toEqual([]);
    const s = p.stages[0];
    expect(s?.cmd).toEqual(["python prep.py"]);
    expect(s?.cmdIsList).toBe(false);
    expect(s?.deps).toEqual(["data.csv", "prep.py"]);
    expect(s?.params).toEqual([
      { file: "params.yaml", keys: ["seed"] },
      { file: "pipeline.config.yaml", keys: ["split.ratios", "split"] },
      { file: "other.yaml", keys: null },
    ]);
    expect(s?.outs).toEqual([
      { path: "out/a", kind: "outs", cache: true, persist: false },
      { path: "out/b", kind: "outs", cache: false, persist: true },
      { path: "scores.json", kind: "metrics", cache: false, persist: false },
      { path: "plots.csv", kind: "plots", cache: false, persist: false },
    ]);
    expect(s?.frozen).toBe(true);
  });

  it("keeps a cmd list as a list", () => {
    const p = parseDvcYaml("stages:\n  a:\n    cmd: [echo 1, echo 2]\n", repo());
    expect(p.stages[0]?.cmd).toEqual(["echo 1", "echo 2"]);
    expect(p.stages[0]?.cmdIsList).toBe(true);
  });

  it("interpolates params.yaml, top-level vars files and inline vars", () => {
    const dir = repo({
      "params.yaml": "epochs: 3\nmodel: {name: m1}\n",
      "extra.yaml": "size: 32\nunused: 1\n",
    });
    const text = `
vars:
  - extra.yaml:size
  - out: results
stages:
  t:
    cmd: train --epochs \${epochs} --size \${size} --m \${model.name}
    outs:
      - \${out}/\${model.name}
`;
    const p = parseDvcYaml(text, dir);
    expect(p.problems).toEqual([]);
    expect(p.stages[0]?.cmd).toEqual(["train --epochs 3 --size 32 --m m1"]);
    expect(p.stages[0]?.outs[0]?.path).toBe("results/m1");
  });

  it("expands foreach over a list of scalars into name@value", () => {
    const text = `
stages:
  train:
    foreach: [parseq, master]
    do:
      cmd: train --model \${item}
      outs:
        - models/\${key}
`;
    const p = parseDvcYaml(text, repo());
    expect(p.stages.map((s) => s.name)).toEqual(["train@parseq", "train@master"]);
    expect(p.stages[1]?.cmd).toEqual(["train --model master"]);
    expect(p.stages[1]?.outs[0]?.path).toBe("models/master");
  });

  it("expands foreach over a dict (key = dict key) and over a list of dicts (key = index)", () => {
    const text = `
vars:
  - models: {a: {lr: 1}, b: {lr: 2}}
stages:
  d:
    foreach: \${models}
    do:
      cmd: run \${key} \${item.lr}
  l:
    foreach:
      - {x: 1}
      - {x: 2}
    do:
      cmd: run \${item.x}
`;
    const p = parseDvcYaml(text, repo());
    expect(p.problems).toEqual([]);
    expect(p.stages.map((s) => [s.name, s.cmd[0]])).toEqual([
      ["d@a", "run a 1"],
      ["d@b", "run b 2"],
      ["l@0", "run 1"],
      ["l@1", "run 2"],
    ]);
  });

  it("expands matrix into the Cartesian product named name@v1-v2, dict values as var<index>", () => {
    const text = `
stages:
  train:
    matrix:
      model: [parseq, master]
      size: [tiny, base]
      opt: [{lr: 1}]
    cmd: train \${item.model} \${item.size} \${item.opt.lr}
`;
    const p = parseDvcYaml(text, repo());
    expect(p.problems).toEqual([]);
    expect(p.stages.map((s) => s.name)).toEqual([
      "train@parseq-tiny-opt0",
      "train@parseq-base-opt0",
      "train@master-tiny-opt0",
      "train@master-base-opt0",
    ]);
    expect(p.stages[3]?.cmd).toEqual(["train master base 1"]);
  });

  it("reports every problem with its line and key", () => {
    const text = `stages:
  a:
    cmd: echo \${missing}
    deps: notalist
  b:
    deps: [x]
    colour: red
`;
    const p = parseDvcYaml(text, repo());
    const rendered = p.problems.map((q) => `${q.location?.line} ${q.location?.key} ${q.message}`);
    expect(rendered).toEqual([
      "3 stages.a.cmd Could not find 'missing'",
      "4 stages.a.deps must be a list of paths",
      "7 stages.b.colour unknown stage key 'colour'",
      "5 stages.b missing `cmd`",
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    const p = parseDvcYaml("stages:\n  a:\n    cmd: [unclosed\n", repo());
    expect(p.problems[0]?.kind).toBe("syntax");
    expect(p.problems[0]?.location?.line).toBeGreaterThanOrEqual(3);
  });

  it("rejects redefining a params.yaml key in vars", () => {
    const dir = repo({ "params.yaml": "x: 1\n" });
    const p = parseDvcYaml("vars:\n  - x: 2\nstages:\n  a:\n    cmd: echo\n", dir);
    expect(p.problems.map((q) => q.message)).toEqual(["cannot redefine 'x': it is already defined"]);
  });
});
