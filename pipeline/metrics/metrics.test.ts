// metrics show / diff against a throwaway git repository: files declared in dvc.yaml (stage metrics and the
// top-level list), read in the working tree and at revisions, flattened by name, compared, and rendered.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registerMetricsCommands } from "./commands.ts";
import { declaredMetricsFiles, diffMetrics, flattenMetrics, showMetrics, WORKSPACE } from "./metrics.ts";
import { renderDiff, renderShow } from "./render.ts";

const DVC_YAML = `stages:
  evaluate:
    cmd: node evaluate.js
    metrics:
      - scores.json:
          cache: false
  stats:
    wdir: data
    cmd: node stats.js
    metrics:
      - stats/split.yaml
metrics:
  - extra.json
`;

let root: string;
const git = (...args: string[]) =>
  execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
    cwd: root,
    stdio: "pipe",
  });

function scores(parseq: number, master: number | null): string {
  const models = [{ name: "parseq-tiny", exact_match: parseq, cer: 0.1, size: "tiny" }];
  if (master !== null) models.push({ name: "master-tiny", exact_match: master, cer: 0.2, size: "tiny" });
  return JSON.stringify({ split: "test", dataset: { size: 100 }, models });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "ocrflow-metrics-"));
  git("init", "-q", "-b", "main");
  writeFileSync(join(root, "dvc.yaml"), DVC_YAML);
  writeFileSync(join(root, "scores.json"), scores(0.5, null));
  mkdirSync(join(root, "data/stats"), { recursive: true });
  writeFileSync(join(root, "data/stats/split.yaml"), "train: 80\ntest: 10\n");
  git("add", ".");
  git("commit", "-q", "-m", "first");
  git("tag", "first");
  writeFileSync(join(root, "scores.json"), scores(0.75, 0.6));
  git("commit", "-q", "-am", "second");
  writeFileSync(join(root, "scores.json"), scores(0.8, 0.6));
  writeFileSync(join(root, "extra.json"), JSON.stringify({ speed: 12.5 }));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("flattenMetrics", () => {
  it("joins nested keys with dots and keys lists of named items by name", () => {
    const flat = flattenMetrics(JSON.parse(scores(0.5, 0.25)));
    expect(Object.fromEntries(flat)).toEqual({
      split: "test",
      "dataset.size": 100,
      "models.parseq-tiny.exact_match": 0.5,
      "models.parseq-tiny.cer": 0.1,
      "models.parseq-tiny.size": "tiny",
      "models.master-tiny.exact_match": 0.25,
      "models.master-tiny.cer": 0.2,
      "models.master-tiny.size": "tiny",
    });
  });

  it("keys other lists by index", () => {
    expect(Object.fromEntries(flattenMetrics({ a: [1, { b: 2 }], c: null }))).toEqual({
      "a.0": 1,
      "a.1.b": 2,
      c: null,
    });
  });
});

describe("metrics files", () => {
  it("finds stage metrics (relative to wdir) and top-level metrics in dvc.yaml", () => {
    expect(declaredMetricsFiles(root, WORKSPACE)).toEqual([
      "scores.json",
      "data/stats/split.yaml",
      "extra.json",
    ]);
  });

  it("shows the working tree and a revision, saying which file is missing where", () => {
    const now = showMetrics(root);
    expect(now.map((f) => [f.path, f.values?.size ?? f.error])).toEqual([
      ["scores.json", 8],
      ["data/stats/split.yaml", 2],
      ["extra.json", 1],
    ]);
    const first = showMetrics(root, { kind: "rev", rev: "first" });
    expect(first[0]?.values?.get("models.parseq-tiny.exact_match")).toBe(0.5);
    expect(first[2]?.error).toBe("not found in first");
    expect(renderShow(first, "table")).toMatch(/^Path +Metric +Value\nscores\.json +split +test\n/);
  });

  it("rejects an unknown revision instead of reporting every metric as removed", () => {
    expect(() => diffMetrics(root, { a: { kind: "rev", rev: "no-such-rev" } })).toThrow(
      "unknown git revision 'no-such-rev'",
    );
  });
});

describe("metrics diff", () => {
  it("compares HEAD with the working tree, changed metrics only", () => {
    const changes = diffMetrics(root);
    expect(changes).toEqual([
      {
        path: "scores.json",
        key: "models.parseq-tiny.exact_match",
        old: 0.75,
        new: 0.8,
        diff: expect.closeTo(0.05, 9),
      },
      { path: "extra.json", key: "speed", old: undefined, new: 12.5 },
    ]);
    expect(renderDiff(changes, "md", { a: "HEAD", b: "workspace" })).toBe(
      [
        "| Path | Metric | HEAD | workspace | Change |",
        "|---|---|---|---|---|",
        "| scores.json | models.parseq-tiny.exact_match | 0.75 | 0.8 | +0.05 |",
        "| extra.json | speed | - | 12.5 | - |",
      ].join("\n"),
    );
  });

  it("compares two revisions, new models included, in DVC's JSON shape", () => {
    const changes = diffMetrics(root, { a: { kind: "rev", rev: "first" }, b: { kind: "rev", rev: "main" } });
    expect(JSON.parse(renderDiff(changes, "json", { a: "first", b: "main" }))).toEqual({
      "scores.json": {
        "models.parseq-tiny.exact_match": { old: 0.5, new: 0.75, diff: 0.25 },
        "models.master-tiny.exact_match": { old: null, new: 0.6 },
        "models.master-tiny.cer": { old: null, new: 0.2 },
        "models.master-tiny.size": { old: null, new: "tiny" },
      },
    });
  });

  it("lists unchanged metrics with --all and reads only --targets when given", () => {
    const all = diffMetrics(root, { all: true, targets: ["data/stats/split.yaml"] });
    expect(all.map((c) => [c.key, c.diff])).toEqual([
      ["train", 0],
      ["test", 0],
    ]);
  });
});

describe("ocrflow metrics commands", () => {
  let output = "";
  afterEach(() => {
    vi.restoreAllMocks();
    output = "";
    process.exitCode = undefined;
  });

  async function run(...args: string[]): Promise<string> {
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      output += String(chunk);
      return true;
    });
    const program = new Command().exitOverride();
    registerMetricsCommands(program);
    await program.parseAsync(["metrics", ...args, "-C", root], { from: "user" });
    return output;
  }

  it("metrics diff prints a table against HEAD", async () => {
    const text = await run("diff");
    expect(text.split("\n")[0]).toMatch(/^Path +Metric +HEAD +workspace +Change$/);
    expect(text).toMatch(/scores\.json +models\.parseq-tiny\.exact_match +0\.75 +0\.8 +\+0\.05/);
  });

  it("metrics show --json --rev prints the revision's flat values", async () => {
    const json = JSON.parse(await run("show", "--json", "--rev", "first"));
    expect(json["scores.json"]["models.parseq-tiny.exact_match"]).toBe(0.5);
    expect(json["extra.json"]).toEqual({ error: "not found in first" });
  });
});
