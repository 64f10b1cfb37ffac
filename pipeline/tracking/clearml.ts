// ClearMLTracker: mirrors every record into runs/<id>/ (LocalTracker) and sends it to a ClearML server in the
// background. An outage costs one warning: failed sends are retried with backoff, then kept in clearml-unsent.jsonl.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { ClearMLError, ClearMLSession, type FetchLike } from "./clearml-api.ts";
import { type ClearMLSettings, redact } from "./clearml-config.ts";
import { LocalTracker } from "./local.ts";
import { stderrMessages, type TrackerMessages } from "./messages.ts";
import type {
  ArtifactRecord,
  DatasetInfo,
  HyperParams,
  LogLevel,
  ModelInfo,
  ModelRecord,
  ParamValue,
  RunId,
  RunInfo,
  RunOutcome,
  RunSummary,
  Tracker,
} from "./tracker.ts";

export const SPILL_FILE = "clearml-unsent.jsonl";

export interface RetryPolicy {
  /** Tries per request, the first included. */
  attempts: number;
  /** Wait before the second try; doubled for each further one, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ClearMLTrackerOptions {
  settings: ClearMLSettings;
  project: string;
  tags: string[];
  runsDir: string;
  messages?: TrackerMessages;
  fetch?: FetchLike;
  retry?: Partial<RetryPolicy>;
  /** Queued events are sent at least this often. */
  flushIntervalMs?: number;
  /** Events per events.add_batch request; a full batch is sent at once. */
  batchSize?: number;
  /** Events held in memory while the server is slow; beyond that the oldest go to the spill file. */
  maxQueue?: number;
  requestTimeoutMs?: number;
  /** Injected by tests so backoff takes no time. */
  sleep?: (ms: number) => Promise<void>;
}

/** A request that can be written to the spill file and replayed later as it is. */
interface PendingCall {
  endpoint: string;
  body: Record<string, unknown>;
  /** models.create is followed by metadata and update_for_task, which need the new model's id. */
  model?: { metadata: Record<string, ParamValue>; iteration?: number };
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 };

function paramType(value: ParamValue): string {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return "str";
}

function toHyperparams(params: HyperParams): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const [section, values] of Object.entries(params)) {
    for (const [name, value] of Object.entries(values)) {
      out.push({ section, name, value: value === null ? "" : String(value), type: paramType(value) });
    }
  }
  return out;
}

export class ClearMLTracker implements Tracker {
  readonly backend = "clearml" as const;
  readonly runId: RunId;
  readonly runDir: string;
  private readonly local: LocalTracker;
  private readonly session: ClearMLSession;
  private readonly messages: TrackerMessages;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly batchSize: number;
  private readonly maxQueue: number;
  private readonly flushIntervalMs: number;
  private taskId: string | undefined;
  private projectId: string | undefined;
  private url: string | undefined;
  /** Set after a send failed every retry: from then on everything goes straight to the spill file. */
  private offline = false;
  private warned = false;
  private unsent = 0;
  private queue: Record<string, unknown>[] = [];
  private draining: Promise<void> | undefined;
  private calls: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ClearMLTrackerOptions) {
    this.local = new LocalTracker({
      runsDir: options.runsDir,
      project: options.project,
      tags: options.tags,
      backend: "clearml",
    });
    this.runId = this.local.runId;
    this.runDir = this.local.runDir;
    this.session = new ClearMLSession(options.settings, {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}),
    });
    this.messages = options.messages ?? stderrMessages;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.batchSize = options.batchSize ?? 500;
    this.maxQueue = Math.max(options.maxQueue ?? 10_000, this.batchSize);
    this.flushIntervalMs = options.flushIntervalMs ?? 5_000;
  }

  get webUrl(): string | undefined {
    return this.url;
  }

  get spillFile(): string {
    return join(this.runDir, SPILL_FILE);
  }

  /** Creates the task and prints its link; if the server cannot be reached the run goes on locally. */
  async start(info: RunInfo): Promise<void> {
    await this.local.start(info);
    const tags = [...new Set([...this.options.tags, ...(info.tags ?? [])])];
    try {
      await this.withRetry(() => this.session.login());
      this.projectId = await this.withRetry(() => this.findOrCreateProject(this.options.project));
      const created = await this.withRetry(() =>
        this.session.call<{ id?: string }>("tasks.create", {
          name: info.name,
          type: info.type,
          project: this.projectId,
          ...(tags.length > 0 ? { tags } : {}),
          ...(info.comment ? { comment: info.comment } : {}),
        }),
      );
      if (typeof created.id !== "string")
        throw new ClearMLError("tasks.create: answer has no id", "protocol", false);
      this.taskId = created.id;
      await this.withRetry(() => this.session.call("tasks.started", { task: this.taskId }));
      this.url = `${this.options.settings.webServer}/projects/${this.projectId}/experiments/${this.taskId}`;
      this.messages.info(`ClearML task: ${this.url}`);
    } catch (error) {
      this.fail(error, true);
    }
    this.noteRemote();
    this.timer = setInterval(() => void this.drain(), this.flushIntervalMs);
    this.timer.unref();
  }

  logParams(params: HyperParams): void {
    this.local.logParams(params);
    const hyperparams = toHyperparams(params);
    if (hyperparams.length > 0)
      this.enqueueCall({
        endpoint: "tasks.edit_hyper_params",
        body: { task: this.taskId, hyperparams, replace_hyperparams: "none" },
      });
  }

  logScalar(title: string, series: string, step: number, value: number): void {
    this.local.logScalar(title, series, step, value);
    // JSON has no NaN/Infinity; the local metrics.jsonl keeps those.
    if (!Number.isFinite(value)) return;
    this.pushEvent({
      type: "training_stats_scalar",
      task: this.taskId,
      metric: title,
      variant: series,
      value,
      iter: step,
      timestamp: Date.now(),
    });
  }

  logText(line: string, level: LogLevel = "info"): void {
    this.local.logText(line, level);
    this.pushEvent({ type: "log", task: this.taskId, level, msg: line, timestamp: Date.now() });
  }

  logDataset(dataset: DatasetInfo): void {
    this.local.logDataset(dataset);
    const values: Record<string, ParamValue> = {
      name: dataset.name,
      version: dataset.version,
      size: dataset.size,
    };
    if (dataset.bytes !== undefined) values.bytes = dataset.bytes;
    if (dataset.uri !== undefined) values.uri = dataset.uri;
    this.enqueueCall({
      endpoint: "tasks.edit_hyper_params",
      body: {
        task: this.taskId,
        hyperparams: toHyperparams({ Dataset: values }),
        replace_hyperparams: "none",
      },
    });
  }

  async logArtifact(name: string, file: string): Promise<ArtifactRecord> {
    const record = await this.local.logArtifact(name, file);
    this.enqueueCall({
      endpoint: "tasks.add_or_update_artifacts",
      body: {
        task: this.taskId,
        artifacts: [
          {
            key: name,
            type: "custom",
            mode: "output",
            uri: record.uri,
            content_size: record.size,
            hash: record.sha256,
            timestamp: Math.floor(Date.now() / 1000),
          },
        ],
      },
    });
    return record;
  }

  async logModel(model: ModelInfo): Promise<ModelRecord> {
    const record = await this.local.logModel(model);
    this.enqueueCall({
      endpoint: "models.create",
      body: {
        uri: record.uri,
        name: model.name,
        framework: model.framework,
        project: this.projectId,
        task: this.taskId,
        ready: true,
        ...(model.tags && model.tags.length > 0 ? { tags: model.tags } : {}),
      },
      model: {
        metadata: record.metadata,
        ...(model.iteration === undefined ? {} : { iteration: model.iteration }),
      },
    });
    return record;
  }

  /** Sends queued events, then waits for queued calls; never rejects. */
  async flush(): Promise<void> {
    await this.drain();
    await this.calls;
    await this.drain();
  }

  async end(outcome: RunOutcome): Promise<RunSummary> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    const summary = await this.local.end(outcome);
    const endpoint = outcome.status === "completed" ? "tasks.completed" : "tasks.failed";
    const body: Record<string, unknown> = { task: this.taskId };
    if (outcome.status === "failed") {
      body.status_reason = outcome.reason.slice(0, 200);
      body.status_message = outcome.reason;
    }
    await this.send({ endpoint, body });
    this.noteRemote();
    if (this.unsent > 0)
      this.messages.info(
        `ClearML: ${this.unsent} record(s) were not sent; they are kept in ${this.spillFile}`,
      );
    return {
      ...summary,
      ...(this.url ? { webUrl: this.url } : {}),
      unsent: this.unsent,
    };
  }

  private async findOrCreateProject(name: string): Promise<string> {
    const escaped = name.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    const found = await this.session.call<{ projects?: Array<{ id?: string; name?: string }> }>(
      "projects.get_all",
      { name: `^${escaped}$`, only_fields: ["id", "name"] },
    );
    const match = found.projects?.find((p) => p.name === name && typeof p.id === "string");
    if (match?.id) return match.id;
    const created = await this.session.call<{ id?: string }>("projects.create", {
      name,
      description: "Created by ocrflow",
    });
    if (typeof created.id !== "string")
      throw new ClearMLError("projects.create: answer has no id", "protocol", false);
    return created.id;
  }

  private pushEvent(event: Record<string, unknown>): void {
    if (this.offline) {
      this.spill([{ endpoint: "events.add_batch", body: event }]);
      return;
    }
    this.queue.push(event);
    if (this.queue.length > this.maxQueue) {
      const overflow = this.queue.splice(0, this.queue.length - this.maxQueue);
      this.fail(new Error(`more than ${this.maxQueue} events waiting for the server`), false);
      this.spill(overflow.map((body) => ({ endpoint: "events.add_batch", body })));
    }
    if (this.queue.length >= this.batchSize) void this.drain();
  }

  /** Sends the queue in batches, one request at a time. */
  private drain(): Promise<void> {
    if (!this.draining) {
      this.draining = this.drainLoop().finally(() => {
        this.draining = undefined;
      });
    }
    return this.draining;
  }

  private async drainLoop(): Promise<void> {
    while (this.queue.length > 0 && !this.offline) {
      const batch = this.queue.splice(0, this.batchSize);
      try {
        const result = await this.withRetry(() => this.session.addEvents(batch));
        if (result.errors > 0)
          this.fail(new Error(`events.add_batch: the server rejected ${result.errors} event(s)`), false);
      } catch (error) {
        this.fail(error, false);
        this.spill(batch.map((body) => ({ endpoint: "events.add_batch", body })));
      }
    }
    if (this.offline && this.queue.length > 0) {
      this.spill(this.queue.splice(0).map((body) => ({ endpoint: "events.add_batch", body })));
    }
  }

  /** Calls run one after another in the background, in the order they were made. */
  private enqueueCall(call: PendingCall): void {
    if (this.offline) {
      this.spill([call]);
      return;
    }
    this.calls = this.calls.then(() => this.send(call));
  }

  private async send(call: PendingCall): Promise<void> {
    if (this.offline) {
      this.spill([call]);
      return;
    }
    try {
      if (call.model) await this.withRetry(() => this.registerModel(call));
      else await this.withRetry(() => this.session.call(call.endpoint, call.body));
    } catch (error) {
      this.fail(error, false);
      this.spill([call]);
    }
  }

  private async registerModel(call: PendingCall): Promise<void> {
    const created = await this.session.call<{ id?: string }>("models.create", call.body);
    if (typeof created.id !== "string")
      throw new ClearMLError("models.create: answer has no id", "protocol", false);
    const metadata = Object.entries(call.model?.metadata ?? {}).map(([key, value]) => ({
      key,
      type: paramType(value),
      value: value === null ? "" : String(value),
    }));
    if (metadata.length > 0)
      await this.session.call("models.add_or_update_metadata", { model: created.id, metadata });
    await this.session.call("models.update_for_task", {
      task: this.taskId,
      override_model_id: created.id,
      ...(call.model?.iteration === undefined ? {} : { iteration: call.model.iteration }),
    });
  }

  /** Tries `fn` up to `attempts` times with doubling waits; gives up at once on errors a retry cannot fix. */
  private async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    let delay = this.retry.baseDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const retryable = error instanceof ClearMLError && error.retryable;
        if (!retryable || attempt >= this.retry.attempts || this.offline) throw error;
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
  }

  /**
   * Notes a failed send. A server that stays unreachable (retryable errors, or no task at start) switches the
   * run to offline; either way people hear about it once.
   */
  private fail(error: unknown, atStart: boolean): void {
    const retryable = error instanceof ClearMLError && error.retryable;
    if (atStart || retryable) this.offline = true;
    if (this.warned) return;
    this.warned = true;
    const reason = redact(error instanceof Error ? error.message : String(error), this.session.secrets());
    const what = this.offline
      ? `ClearML server ${this.options.settings.apiServer} is unavailable (${reason})`
      : `ClearML did not take every record (${reason})`;
    this.messages.warn(
      `${what}. Training goes on; the run is recorded in ${this.runDir} and what did not reach ClearML is kept in ${SPILL_FILE} there.`,
    );
  }

  private spill(calls: PendingCall[]): void {
    if (calls.length === 0) return;
    this.unsent += calls.length;
    const secrets = this.session.secrets();
    const text = calls.map((call) => `${redact(JSON.stringify(call), secrets)}\n`).join("");
    try {
      appendFileSync(this.spillFile, text);
    } catch {
      // The run folder is gone or the disk is full: the local record already failed louder than this would.
    }
  }

  private noteRemote(): void {
    try {
      this.local.recordRemote({
        backend: "clearml",
        ...(this.taskId ? { taskId: this.taskId } : {}),
        ...(this.projectId ? { projectId: this.projectId } : {}),
        ...(this.url ? { webUrl: this.url } : {}),
        unsent: this.unsent,
        ...(this.unsent > 0 ? { spillFile: SPILL_FILE } : {}),
      });
    } catch {
      // Same as spill(): never let bookkeeping about the remote copy stop training.
    }
  }
}
