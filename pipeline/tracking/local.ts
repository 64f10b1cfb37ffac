// LocalTracker: one folder per run under runs/ (params.json, metrics.jsonl, log.txt, artifacts/, models/,
// run.json). Needs no server; the ClearML tracker also writes through it, so runs/ always holds the full record.
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { writeFileAtomic } from "../atomic.ts";
import type {
  ArtifactRecord,
  DatasetInfo,
  HyperParams,
  LogLevel,
  ModelInfo,
  ModelRecord,
  RunId,
  RunInfo,
  RunOutcome,
  RunStatus,
  RunSummary,
  Tracker,
} from "./tracker.ts";

/** What run.json says about the remote copy of a run, when there is one. */
export interface RemoteRunRecord {
  backend: "clearml";
  taskId?: string;
  projectId?: string;
  webUrl?: string;
  /** Records that never reached the server; they are in `spillFile`. */
  unsent: number;
  spillFile?: string;
}

/** run.json: rewritten atomically whenever it changes, so a crash leaves the last complete state. */
export interface RunRecord {
  id: RunId;
  project: string;
  name: string;
  type: RunInfo["type"];
  tags: string[];
  comment?: string;
  backend: "local" | "clearml";
  status: RunStatus;
  reason?: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  dataset?: DatasetInfo;
  artifacts: ArtifactRecord[];
  models: ModelRecord[];
  remote?: RemoteRunRecord;
}

/** One line of metrics.jsonl. JSON has no NaN or Infinity: such values are written as null plus `nonFinite`. */
export interface MetricLine {
  title: string;
  series: string;
  step: number;
  value: number | null;
  nonFinite?: string;
  /** Epoch milliseconds. */
  time: number;
}

export function newRunId(now: number = Date.now()): RunId {
  const iso = new Date(now).toISOString(); // 2026-05-20T13:45:01.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}-${iso.slice(20, 23)}`;
  return `${stamp}-${randomBytes(3).toString("hex")}` as RunId;
}

export interface LocalTrackerOptions {
  runsDir: string;
  project: string;
  tags?: string[];
  /** Injected by tests. */
  now?: () => number;
  /** Written into run.json: the ClearML tracker mirrors its runs here. */
  backend?: "local" | "clearml";
}

function safeName(name: string): string {
  const cleaned = name.replace(/[^\w.-]+/g, "_").replace(/^\.+/, "_");
  return cleaned || "_";
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Files under `dir`, relative, sorted by code point, so the manifest hash is the same everywhere. */
function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** sha256 and size of a file, or of a directory as the sha256 of its `path sha256` manifest. */
export function hashPath(path: string): { sha256: string; size: number } {
  const stat = statSync(path);
  if (!stat.isDirectory()) return { sha256: sha256File(path), size: stat.size };
  let size = 0;
  const manifest = listFiles(path)
    .map((rel) => {
      size += statSync(join(path, rel)).size;
      return `${rel} ${sha256File(join(path, rel))}\n`;
    })
    .join("");
  return { sha256: createHash("sha256").update(manifest).digest("hex"), size };
}

export class LocalTracker implements Tracker {
  readonly backend = "local" as const;
  readonly runId: RunId;
  readonly runDir: string;
  readonly webUrl: string | undefined = undefined;
  private readonly now: () => number;
  private record: RunRecord | undefined;
  private params: HyperParams = {};
  private startMs = 0;

  constructor(private readonly options: LocalTrackerOptions) {
    this.now = options.now ?? Date.now;
    this.runId = newRunId(this.now());
    this.runDir = join(options.runsDir, this.runId);
  }

  async start(info: RunInfo): Promise<void> {
    if (this.record) throw new Error(`run ${this.runId} was already started`);
    mkdirSync(join(this.runDir, "artifacts"), { recursive: true });
    mkdirSync(join(this.runDir, "models"), { recursive: true });
    this.startMs = this.now();
    const tags = [...new Set([...(this.options.tags ?? []), ...(info.tags ?? [])])];
    this.record = {
      id: this.runId,
      project: this.options.project,
      name: info.name,
      type: info.type,
      tags,
      ...(info.comment === undefined ? {} : { comment: info.comment }),
      backend: this.options.backend ?? "local",
      status: "running",
      startedAt: new Date(this.startMs).toISOString(),
      artifacts: [],
      models: [],
    };
    this.writeRun();
    this.writeParams();
    appendFileSync(join(this.runDir, "metrics.jsonl"), "");
    appendFileSync(join(this.runDir, "log.txt"), "");
  }

  logParams(params: HyperParams): void {
    this.started();
    for (const [section, values] of Object.entries(params)) {
      this.params[section] = { ...this.params[section], ...values };
    }
    this.writeParams();
  }

  logScalar(title: string, series: string, step: number, value: number): void {
    this.started();
    const line: MetricLine = Number.isFinite(value)
      ? { title, series, step, value, time: this.now() }
      : { title, series, step, value: null, nonFinite: String(value), time: this.now() };
    appendFileSync(join(this.runDir, "metrics.jsonl"), `${JSON.stringify(line)}\n`);
  }

  logText(line: string, level: LogLevel = "info"): void {
    this.started();
    const stamp = new Date(this.now()).toISOString();
    const text = line
      .split(/\r?\n/)
      .map((part) => `${stamp} ${level.toUpperCase().padEnd(7)} ${part}\n`)
      .join("");
    appendFileSync(join(this.runDir, "log.txt"), text);
  }

  logDataset(dataset: DatasetInfo): void {
    this.started().dataset = { ...dataset };
    this.writeRun();
  }

  async logArtifact(name: string, file: string): Promise<ArtifactRecord> {
    const record = this.started();
    const target = join(this.runDir, "artifacts", safeName(name) + extensionOf(file, name));
    rmSync(target, { recursive: true, force: true });
    cpSync(file, target, { recursive: true });
    const { sha256, size } = hashPath(target);
    const artifact: ArtifactRecord = {
      name,
      file: relative(this.runDir, target),
      sha256,
      size,
      uri: pathToFileURL(target).href,
    };
    record.artifacts = record.artifacts.filter((a) => a.name !== name).concat(artifact);
    this.writeRun();
    return artifact;
  }

  async logModel(model: ModelInfo): Promise<ModelRecord> {
    const record = this.started();
    const isDir = statSync(model.path).isDirectory();
    const target = join(this.runDir, "models", safeName(model.name));
    const dest = isDir ? target : join(target, basename(model.path));
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    cpSync(model.path, dest, { recursive: true });
    const { sha256, size } = hashPath(dest);
    const entry: ModelRecord = {
      name: model.name,
      file: relative(this.runDir, dest),
      sha256,
      size,
      framework: model.framework,
      metadata: { ...model.metadata },
      uri: pathToFileURL(dest).href,
    };
    record.models = record.models.filter((m) => m.name !== model.name).concat(entry);
    this.writeRun();
    return entry;
  }

  async flush(): Promise<void> {}

  async end(outcome: RunOutcome): Promise<RunSummary> {
    const record = this.started();
    const endMs = this.now();
    record.status = outcome.status;
    if (outcome.status === "failed") record.reason = outcome.reason;
    record.endedAt = new Date(endMs).toISOString();
    record.durationMs = endMs - this.startMs;
    this.writeRun();
    return {
      id: this.runId,
      status: record.status,
      ...(record.reason === undefined ? {} : { reason: record.reason }),
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      durationMs: record.durationMs,
      ...(record.remote?.webUrl ? { webUrl: record.remote.webUrl } : {}),
      unsent: record.remote?.unsent ?? 0,
    };
  }

  /** Used by remote trackers to note their task and what did not reach it. */
  recordRemote(remote: RemoteRunRecord): void {
    this.started().remote = { ...remote };
    this.writeRun();
  }

  private started(): RunRecord {
    if (!this.record) throw new Error(`run ${this.runId}: call start() before logging`);
    return this.record;
  }

  private writeRun(): void {
    writeFileAtomic(join(this.runDir, "run.json"), `${JSON.stringify(this.record, null, 2)}\n`);
  }

  private writeParams(): void {
    writeFileAtomic(join(this.runDir, "params.json"), `${JSON.stringify(this.params, null, 2)}\n`);
  }
}

/** Keeps the source's extension when the artifact name has none, so `scores` from scores.json stays JSON. */
function extensionOf(file: string, name: string): string {
  if (/\.[A-Za-z0-9]+$/.test(name)) return "";
  const match = /\.[A-Za-z0-9]+$/.exec(basename(file));
  return match ? match[0] : "";
}
