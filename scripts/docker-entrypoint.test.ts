// The Docker entry point, run directly with a stand-in ocrflow: default `run`, argument passing, other
// programs run as given, clear errors for a missing mount or dvc.yaml, a home and git access for the mount.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const script = resolve(import.meta.dirname, "docker-entrypoint.sh");

/** A fake /opt/ocrflow whose bin/ocrflow.js prints what it was started with. */
function fakeInstall(): { home: string; workspace: string; userHome: string } {
  const root = mkdtempSync(join(tmpdir(), "ocrflow-entry-"));
  const home = join(root, "opt");
  mkdirSync(join(home, "bin"), { recursive: true });
  writeFileSync(
    join(home, "bin", "ocrflow.js"),
    "console.log(JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd(), home: process.env.HOME }));\n",
  );
  const workspace = join(root, "workspace");
  mkdirSync(workspace);
  const userHome = join(root, "home");
  mkdirSync(userHome);
  return { home, workspace, userHome };
}

function run(args: string[], env: Record<string, string | undefined>) {
  const result = spawnSync(script, args, {
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ocrflowCall(stdout: string): { args: string[]; cwd: string; home: string } {
  return JSON.parse(stdout.trim());
}

describe("docker-entrypoint.sh", () => {
  it("is an LF-only POSIX sh script, executable", () => {
    const text = readFileSync(script, "utf8");
    expect(text.startsWith("#!/bin/sh\n")).toBe(true);
    expect(text).not.toContain("\r");
    expect(statSync(script).mode & 0o111).toBe(0o111);
    expect(spawnSync("sh", ["-n", script]).status).toBe(0);
  });

  it("runs `ocrflow run` in the mounted repo when given no arguments", () => {
    const { home, workspace, userHome } = fakeInstall();
    writeFileSync(join(workspace, "dvc.yaml"), "stages: {}\n");
    const result = run([], { OCRFLOW_HOME: home, OCRFLOW_WORKSPACE: workspace, HOME: userHome });
    expect(result.status).toBe(0);
    expect(ocrflowCall(result.stdout)).toEqual({ args: ["run"], cwd: workspace, home: userHome });
  });

  it("passes ocrflow commands and options through unchanged, including ones it does not know", () => {
    const { home, workspace, userHome } = fakeInstall();
    writeFileSync(join(workspace, "dvc.yaml"), "stages: {}\n");
    const env = { OCRFLOW_HOME: home, OCRFLOW_WORKSPACE: workspace, HOME: userHome };
    expect(ocrflowCall(run(["status", "--json"], env).stdout).args).toEqual(["status", "--json"]);
    expect(ocrflowCall(run(["--version"], env).stdout).args).toEqual(["--version"]);
    expect(ocrflowCall(run(["run", "--profile", "smoke", "-S", "train.epochs=1"], env).stdout).args).toEqual([
      "run",
      "--profile",
      "smoke",
      "-S",
      "train.epochs=1",
    ]);
    expect(ocrflowCall(run(["some-future-command", "x"], env).stdout).args).toEqual([
      "some-future-command",
      "x",
    ]);
  });

  it("runs other programs as given (a shell, npm test…)", () => {
    const { home, workspace, userHome } = fakeInstall();
    const result = run(["sh", "-c", "echo from-shell"], {
      OCRFLOW_HOME: home,
      OCRFLOW_WORKSPACE: workspace,
      HOME: userHome,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("from-shell\n");
  });

  it("explains how to mount the repo when dvc.yaml or the mount is missing", () => {
    const { home, workspace, userHome } = fakeInstall();
    const noDvc = run(["run"], { OCRFLOW_HOME: home, OCRFLOW_WORKSPACE: workspace, HOME: userHome });
    expect(noDvc.status).toBe(2);
    expect(noDvc.stdout).toBe("");
    expect(noDvc.stderr).toContain(`no dvc.yaml in ${workspace}`);
    expect(noDvc.stderr).toContain('-v "$(pwd)":/workspace ocrflow run');
    expect(noDvc.stderr).toContain('-v "%cd%":/workspace ocrflow run');

    const noMount = run(["status"], {
      OCRFLOW_HOME: home,
      OCRFLOW_WORKSPACE: join(workspace, "nope"),
      HOME: userHome,
    });
    expect(noMount.status).toBe(2);
    expect(noMount.stderr).toContain("does not exist: mount your repository there");

    // A stage program needs no dvc.yaml of its own.
    const stage = run(["stage", "publish"], {
      OCRFLOW_HOME: home,
      OCRFLOW_WORKSPACE: workspace,
      HOME: userHome,
    });
    expect(ocrflowCall(stage.stdout).args).toEqual(["stage", "publish"]);
  });

  it("gives ocrflow a writable home when the container user has none", () => {
    const { home, workspace } = fakeInstall();
    writeFileSync(join(workspace, "dvc.yaml"), "stages: {}\n");
    const tmp = mkdtempSync(join(tmpdir(), "ocrflow-tmp-"));
    const result = run(["dag"], {
      OCRFLOW_HOME: home,
      OCRFLOW_WORKSPACE: workspace,
      HOME: undefined,
      TMPDIR: tmp,
    });
    expect(ocrflowCall(result.stdout).home).toBe(join(tmp, "ocrflow-home"));
    expect(statSync(join(tmp, "ocrflow-home")).isDirectory()).toBe(true);
  });

  it("marks the mounted repo as safe for git, whoever owns it", () => {
    const { home, workspace, userHome } = fakeInstall();
    writeFileSync(join(workspace, "dvc.yaml"), "stages: {}\n");
    run(["status"], { OCRFLOW_HOME: home, OCRFLOW_WORKSPACE: workspace, HOME: userHome });
    const safe = spawnSync("git", ["config", "--global", "--get-all", "safe.directory"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: userHome },
    });
    expect(safe.stdout.split("\n")).toContain(workspace);
  });
});
