// Dockerfile.pipeline and .dockerignore, checked without a Docker engine: dockerfile-utils' linter finds no
// problem, the GPU and CPU variants are wired as documented, and the build context keeps what the build needs.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const text = readFileSync(resolve(root, "Dockerfile.pipeline"), "utf8");
const dockerfile = DockerfileParser.parse(text);
const stages = new Map(dockerfile.getFROMs().map((from) => [from.getBuildStage(), from]));
const initialArgs = new Map(
  dockerfile.getInitialARGs().map((arg) => [arg.getProperty()?.getName(), arg.getProperty()?.getValue()]),
);

/** The RUN commands of one build stage, as text. */
function runsOf(stage: string): string[] {
  const image = dockerfile.getContainingImage(
    (stages.get(stage) ?? expect.fail(`no stage ${stage}`)).getRange().start,
  );
  return (image?.getInstructions() ?? [])
    .filter((i) => i.getKeyword() === "RUN")
    .map((i) => i.getRawArgumentsContent() ?? "");
}

/** Docker's .dockerignore matching: patterns from the context root, `*` within a name, `**` across folders. */
function ignoredByDockerignore(path: string, patterns: string[]): boolean {
  const regexes = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .replace(/^\//, "")
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*\*\/?/g, "GLOBSTAR")
          .replace(/\*/g, "[^/]*")
          .replace(/\?/g, "[^/]")
          .replaceAll("GLOBSTAR", "(?:.*/)?")}$`,
      ),
  );
  const parts = path.split("/");
  return parts.some((_, i) => regexes.some((r) => r.test(parts.slice(0, i + 1).join("/"))));
}

describe("Dockerfile.pipeline", () => {
  it("has no problem dockerfile-utils' linter reports", () => {
    const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it("builds the GPU variant by default on CUDA 11.2 + cuDNN 8 (what tfjs-node-gpu 4.22 needs), CPU on request", () => {
    expect(initialArgs.get("VARIANT")).toBe("gpu");
    expect(initialArgs.get("CUDA_IMAGE")).toMatch(/^nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-/);
    expect(initialArgs.get("NODE_IMAGE")).toMatch(/^node:20-/);
    expect([...stages.keys()]).toEqual(["node", "gpu-base", "cpu-base", "app"]);
    expect(stages.get("app")?.getImage()).toBe("${VARIANT}-base");
    const envOf = (stage: string) =>
      dockerfile
        .getContainingImage(
          (stages.get(stage) as NonNullable<ReturnType<typeof stages.get>>).getRange().start,
        )
        ?.getENVs()
        .flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()])) ?? [];
    expect(envOf("gpu-base")).toContainEqual(["TFJS_NODE_PACKAGE", "@tensorflow/tfjs-node-gpu"]);
    expect(envOf("cpu-base")).toContainEqual(["TFJS_NODE_PACKAGE", "@tensorflow/tfjs-node"]);
  });

  it("installs the tfjs binding at the version of @tensorflow/tfjs in package.json, after `npm ci`", () => {
    const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8"));
    const tfjs = String(pkg.dependencies["@tensorflow/tfjs"]).replace(/^[\^~]/, "");
    const tfjsArg = dockerfile.getARGs().find((a) => a.getProperty()?.getName() === "TFJS_VERSION");
    expect(tfjsArg?.getProperty()?.getValue()).toBe(tfjs);
    const runs = runsOf("app").join("\n");
    expect(runs).toMatch(/npm ci\b/);
    expect(runs.indexOf("npm ci")).toBeLessThan(runs.indexOf("${TFJS_NODE_PACKAGE}@${TFJS_VERSION}"));
    expect(runs).toContain("npm run build");
  });

  it("keeps apt layers small in every stage that installs packages", () => {
    for (const stage of ["gpu-base", "cpu-base"]) {
      const apt = runsOf(stage).find((r) => r.includes("apt-get install"));
      expect(apt, stage).toContain("--no-install-recommends");
      expect(apt, stage).toContain("rm -rf /var/lib/apt/lists/*");
      expect(apt, stage).toContain("libopenblas-dev");
    }
  });

  it("lets the mounted checkout's stage commands use the image's packages and native backend", () => {
    expect(runsOf("app").join("\n")).toContain("ln -s /opt/ocrflow/node_modules /node_modules");
    const env = dockerfile
      .getENVs()
      .flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()] as const));
    expect(env).toContainEqual(["OCRFLOW_NATIVE_ADDON", "/opt/ocrflow/build/Release/ocrflow_blas.node"]);
    expect(env).toContainEqual(["OCRFLOW_WORKSPACE", "/workspace"]);
  });

  it("starts through the tested entry point with `run` as the default command", () => {
    const [entrypoint] = dockerfile.getENTRYPOINTs();
    expect(entrypoint?.getArgumentsContent()).toBe('["/opt/ocrflow/scripts/docker-entrypoint.sh"]');
    expect(dockerfile.getCMDs()[0]?.getArgumentsContent()).toBe('["run"]');
    const workdirs = dockerfile.getInstructions().filter((i) => i.getKeyword() === "WORKDIR");
    expect(workdirs.at(-1)?.getArgumentsContent()).toBe("/workspace");
  });
});

describe(".dockerignore", () => {
  const patterns = readFileSync(resolve(root, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("sends what the build needs", () => {
    for (const path of [
      "package.json",
      "package-lock.json",
      "bin/ocrflow.js",
      "scripts/docker-entrypoint.sh",
      "scripts/build-native.mjs",
      "binding.gyp",
      "native/ocrflow_blas.c",
      "tsconfig.json",
      "tsconfig.build.json",
      "pipeline/registry/index.ts",
      "stages/cli.ts",
      "models/pretrained/master-tiny/model.json",
      "models/pretrained/parseq-tiny/model.json",
    ])
      expect(ignoredByDockerignore(path, patterns), path).toBe(false);
  });

  it("leaves out installed packages, build outputs, data, runs and git history", () => {
    for (const path of [
      "node_modules/yaml/package.json",
      "dist/stages/cli.js",
      "build/Release/ocrflow_blas.node",
      "data/generated/shard-0000.bin",
      "runs/x/run.json",
      "registry/parseq-tiny/v1/model.json",
      ".git/HEAD",
      ".dvc/cache/files/md5/ab/cdef",
      "stages/out.json.tmp-123",
    ])
      expect(ignoredByDockerignore(path, patterns), path).toBe(true);
  });
});
