// The pull stage: goes on (exit 0) without a pointer file or a remote, pulls the base dataset from a local
// remote when both exist, and fails only when pull.required says the dataset is needed.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { addPath } from "../pipeline/storage/add.ts";
import { push } from "../pipeline/storage/sync.ts";
import { main } from "./pull.ts";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const startDir = process.cwd();

function project(): string {
  const root = mkdtempSync(join(tmpdir(), "ocrflow-pull-"));
  mkdirSync(join(root, ".dvc"));
  for (const f of ["pipeline.config.yaml", "pipeline.config.schema.json"])
    copyFileSync(join(repoRoot, f), join(root, f));
  process.chdir(root);
  return root;
}

function stats(root: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, "data/stats/pull.json"), "utf8"));
}

afterEach(() => {
  process.chdir(startDir);
  delete process.env.OCRFLOW_SET_PARAMS;
});

describe("stage pull", () => {
  it("without data/base.dvc says so and exits 0; with pull.required it fails", async () => {
    const root = project();
    expect(await main([])).toBe(0);
    expect(stats(root)).toEqual({ dataset: "data/base", pointer: "data/base.dvc", status: "no-pointer" });
    process.env.OCRFLOW_SET_PARAMS = JSON.stringify({ "pipeline.config.yaml": { "pull.required": true } });
    expect(await main([])).toBe(1);
  });

  it("with a pointer but no remote configured, exits 0 so the pipeline uses generated data", async () => {
    const root = project();
    mkdirSync(join(root, "data/base"), { recursive: true });
    writeFileSync(join(root, "data/base/a.txt"), "a");
    await addPath(root, "data/base");
    expect(await main([])).toBe(0);
    expect(stats(root).status).toBe("no-remote");
  });

  it("pulls the base dataset from the default remote into an empty workspace", async () => {
    const root = project();
    const store = mkdtempSync(join(tmpdir(), "ocrflow-pull-store-"));
    writeFileSync(join(root, ".dvc/config"), `[core]\n    remote = s\n['remote "s"']\n    url = ${store}\n`);
    mkdirSync(join(root, "data/base/img"), { recursive: true });
    writeFileSync(join(root, "data/base/labels.csv"), "file,text\nimg/1.png,привет\n");
    writeFileSync(join(root, "data/base/img/1.png"), Buffer.from([137, 80, 78, 71]));
    await addPath(root, "data/base");
    await push({ root });
    rmSync(join(root, "data/base"), { recursive: true });
    rmSync(join(root, ".dvc/cache"), { recursive: true, force: true });
    expect(await main(["--stats", "data/stats/pull.json"])).toBe(0);
    expect(readFileSync(join(root, "data/base/labels.csv"), "utf8")).toContain("привет");
    expect(stats(root)).toMatchObject({ status: "pulled", remote: "s", nfiles: 2 });

    // The remote loses the data: not required → exit 0 with the reason; required → exit 1.
    rmSync(store, { recursive: true });
    rmSync(join(root, "data/base"), { recursive: true });
    rmSync(join(root, ".dvc/cache"), { recursive: true, force: true });
    expect(await main([])).toBe(0);
    expect(stats(root).status).toBe("unavailable");
    process.env.OCRFLOW_SET_PARAMS = JSON.stringify({ "pipeline.config.yaml": { "pull.required": true } });
    expect(await main([])).toBe(1);
  });
});
