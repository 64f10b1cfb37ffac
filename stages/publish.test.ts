// The publish stage program: reads scores.json and the config, publishes to the local registry or the Hub,
// writes its report, fails on a malformed scores.json, and never lets HF_TOKEN into its output.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dirManifestBytes, hashPath } from "../pipeline/hash.ts";
import { updateLockFile } from "../pipeline/lockfile.ts";
import { type FakeHub, startFakeHub } from "../pipeline/registry/fake-hub-server.ts";
import { modelScores, scoresFile, tempDir, writeModelDir } from "../pipeline/registry/model-fixture.ts";
import { ObjectCache } from "../pipeline/storage/cache.ts";
import { main } from "./publish.ts";

const repoRoot = resolve(import.meta.dirname, "..");
const cwd = process.cwd();
let dir: string;
let stderr: string[];

beforeEach(() => {
  dir = tempDir("ocrflow-publish-");
  copyFileSync(join(repoRoot, "pipeline.config.yaml"), join(dir, "pipeline.config.yaml"));
  copyFileSync(join(repoRoot, "pipeline.config.schema.json"), join(dir, "pipeline.config.schema.json"));
  writeModelDir(join(dir, "trained/parseq-tiny"), 1);
  writeModelDir(join(dir, "trained/master-tiny"), 2);
  writeFileSync(
    join(dir, "scores.json"),
    JSON.stringify(
      scoresFile([
        modelScores(),
        modelScores({
          name: "master-tiny",
          architecture: "master",
          dir: "trained/master-tiny",
          exact_match: 0.5,
        }),
      ]),
    ),
  );
  process.chdir(dir);
  stderr = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.chdir(cwd);
});

const setParams = (params: Record<string, unknown>) => ({
  OCRFLOW_SET_PARAMS: JSON.stringify({ "pipeline.config.yaml": params }),
});

describe("stage publish", () => {
  it("publishes what passes the thresholds to the local registry and reports every model", async () => {
    expect(await main([], {})).toBe(0);
    const report = JSON.parse(readFileSync("data/stats/publish.json", "utf8"));
    expect(report).toMatchObject({ registry: "local", published: 1, forced: false });
    expect(report.models.map((m: { name: string; action: string }) => [m.name, m.action])).toEqual([
      ["parseq-tiny", "published"],
      ["master-tiny", "below-thresholds"],
    ]);
    expect(existsSync("registry/parseq-tiny/v1/model.json")).toBe(true);
    expect(existsSync("registry/master-tiny")).toBe(false);
    expect(stderr.join("")).toContain("publish: parseq-tiny: published v1");

    // Rerun with a worse retrained model: kept out, then forced in by --force.
    writeModelDir(join(dir, "trained/parseq-tiny"), 3);
    writeFileSync("scores.json", JSON.stringify(scoresFile([modelScores({ exact_match: 0.92 })])));
    expect(await main(["--report", "out/p.json"], {})).toBe(0);
    expect(JSON.parse(readFileSync("out/p.json", "utf8")).models[0].action).toBe("worse-than-published");
    expect(await main(["--force"], {})).toBe(0);
    expect(existsSync("registry/parseq-tiny/v2/model.json")).toBe(true);
  });

  it("pushes the trained models' cached data to the DVC remote (publish.push_data), or says there is none", async () => {
    expect(await main([], {})).toBe(0);
    expect(stderr.join("")).toContain("no DVC remote configured");
    writeFileSync(
      "dvc.yaml",
      "stages:\n  train:\n    foreach: [parseq]\n    do:\n      cmd: echo\n      outs: [trained/parseq-tiny]\n",
    );
    mkdirSync(".dvc");
    writeFileSync(
      ".dvc/config",
      `[core]\n    remote = store\n['remote "store"']\n    url = ${join(dir, "remote")}\n`,
    );
    const model = join(dir, "trained/parseq-tiny");
    const hash = await hashPath(model);
    if (!hash.isDir) throw new Error("expected a directory");
    new ObjectCache(dir).addDirectory(model, hash.md5, hash.entries(), dirManifestBytes(hash.entries()));
    const out = {
      path: "trained/parseq-tiny",
      hash: "md5" as const,
      md5: hash.md5,
      size: hash.size,
      nfiles: hash.nfiles,
    };
    updateLockFile("dvc.lock", "train@parseq", { cmd: "echo", outs: [out] }, ["train@parseq"]);
    expect(await main(["--force"], {})).toBe(0);
    expect(stderr.join("")).toContain(
      `pushed the models' data to DVC remote 'store' (${hash.nfiles + 1} object(s) sent)`,
    );
    expect(existsSync(join(dir, "remote", "files", "md5", hash.md5.slice(0, 2), hash.md5.slice(2)))).toBe(
      true,
    );
    expect(JSON.parse(readFileSync("data/stats/publish.json", "utf8")).dvc_push).toBe("pushed to store");
  });

  it("fails with the problems of a malformed scores.json and when scores.json is missing", async () => {
    writeFileSync("bad.json", JSON.stringify({ split: "test", models: [{ name: "x" }] }));
    expect(await main(["bad.json"], {})).toBe(1);
    expect(stderr.join("")).toMatch(/bad\.json: models\[0\]\.architecture must be a non-empty string; /);
    expect(await main(["nope.json"], {})).toBe(1);
    expect(stderr.join("")).toContain("nope.json does not exist: run the evaluate stage first");
  });

  it("asks for HF_TOKEN when the Hub is configured without one", async () => {
    expect(await main([], setParams({ "registry.backend": "huggingface" }))).toBe(1);
    expect(stderr.join("")).toContain("HF_TOKEN is not set");
  });

  describe("with the Hub", () => {
    let hub: FakeHub;
    beforeEach(async () => {
      hub = await startFakeHub();
    });
    afterEach(async () => {
      await hub.close();
    });

    it("publishes through `ocrflow stage publish` and keeps the token out of output and report", async () => {
      process.chdir(cwd);
      hub.failNext(/^\/api\/models\/acme\/ocrflow-master-tiny$/, 500, { error: `bad ${hub.token}` });
      writeFileSync(
        join(dir, "scores.json"),
        JSON.stringify(
          scoresFile([
            modelScores(),
            modelScores({ name: "master-tiny", architecture: "master", dir: "trained/master-tiny" }),
          ]),
        ),
      );
      const run = await promisify(execFile)(
        process.execPath,
        [join(repoRoot, "bin/ocrflow.js"), "stage", "publish"],
        {
          cwd: dir,
          env: {
            ...process.env,
            OCRFLOW_FROM_SOURCE: "1",
            HF_TOKEN: hub.token,
            ...setParams({
              "registry.backend": "huggingface",
              "registry.huggingface.hub_url": hub.url,
              "registry.huggingface.repo_id": "acme/ocrflow-{model}-{size}",
            }),
          },
        },
      ).catch((e: { code: number; stdout: string; stderr: string }) => e);
      const output = `${run.stdout}${run.stderr}`;
      expect("code" in run ? run.code : 0).toBe(1); // master-tiny failed
      expect(output).toContain("parseq-tiny: published v1");
      expect(output).toContain("master-tiny: failed — Hugging Face Hub: bad <redacted>");
      expect(output).not.toContain(hub.token);
      const report = readFileSync(join(dir, "data/stats/publish.json"), "utf8");
      expect(report).not.toContain(hub.token);
      expect(hub.commits.map((c) => [c.repo, c.summary])).toEqual([
        ["acme/ocrflow-parseq-tiny", "Publish parseq-tiny v1"],
      ]);
      expect(hub.violations).toEqual([]);
    });
  });
});
