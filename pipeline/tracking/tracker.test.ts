// createTracker's choice of backend: config first, then the CLEARML_* environment, local when nothing is set.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClearMLTracker } from "./clearml.ts";
import { LocalTracker } from "./local.ts";
import { createTracker, type TrackingSettings } from "./tracker.ts";

let home: string;
let warnings: string[];
const messages = { info: () => {}, warn: (l: string) => warnings.push(l) };
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "ocrflow-tracker-"));
  warnings = [];
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const config = (backend: TrackingSettings["backend"]): TrackingSettings => ({
  backend,
  project: "ocrflow",
  runs_dir: "runs",
  tags: [],
});
const ENV = {
  CLEARML_API_HOST: "http://127.0.0.1:9",
  CLEARML_API_ACCESS_KEY: "K",
  CLEARML_API_SECRET_KEY: "S",
};

describe("createTracker", () => {
  it("is local with nothing configured, in <cwd>/<runs_dir>", () => {
    const t = createTracker(config("auto"), {}, { cwd: home, home, messages });
    expect(t).toBeInstanceOf(LocalTracker);
    expect(t.runDir.startsWith(join(home, "runs"))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it("is ClearML with backend auto when CLEARML_API_HOST and keys are set", () => {
    expect(createTracker(config("auto"), ENV, { cwd: home, home, messages })).toBeInstanceOf(ClearMLTracker);
  });

  it("stays local with backend local whatever the environment says", () => {
    expect(createTracker(config("local"), ENV, { cwd: home, home, messages })).toBeInstanceOf(LocalTracker);
  });

  it("is ClearML with backend clearml and credentials from clearml.conf only", () => {
    writeFileSync(
      join(home, "clearml.conf"),
      'api { api_server: "http://127.0.0.1:9", credentials { access_key: "K", secret_key: "S" } }',
    );
    expect(createTracker(config("auto"), {}, { cwd: home, home, messages })).toBeInstanceOf(LocalTracker);
    expect(createTracker(config("clearml"), {}, { cwd: home, home, messages })).toBeInstanceOf(
      ClearMLTracker,
    );
  });

  it("falls back to local with one warning when backend clearml has no server or credentials", () => {
    const t = createTracker(config("clearml"), {}, { cwd: home, home, messages });
    expect(t).toBeInstanceOf(LocalTracker);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no ClearML API server.*tracking in runs\/ only/);
  });
});
