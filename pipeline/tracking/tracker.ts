// The experiment-tracking interface every stage logs through, and the choice of backend: a runs/ folder by
// default, a ClearML server when the config or the CLEARML_* environment asks for one.
import { resolve } from "node:path";
import { ClearMLTracker, type ClearMLTrackerOptions } from "./clearml.ts";
import { clearmlEnvConfigured, loadClearMLSettings } from "./clearml-config.ts";
import { LocalTracker } from "./local.ts";
import { stderrMessages, type TrackerMessages } from "./messages.ts";

export { stderrMessages, type TrackerMessages };

/** `YYYYMMDD-HHMMSS-mmm-xxxxxx` (UTC, then random hex): folders sort by start time and never collide. */
export type RunId = string & { readonly __brand: "RunId" };

/** ClearML's task types that ocrflow uses: a training stage, or an evaluation of trained models. */
export type TaskType = "training" | "testing";

export type ParamValue = string | number | boolean | null;
/** Hyper-parameters by section (ClearML's `General`, `train`, `Dataset`…), then name. */
export type HyperParams = Record<string, Record<string, ParamValue>>;

export type LogLevel = "debug" | "info" | "warning" | "error";

export interface RunInfo {
  /** Shown as the task name on ClearML, e.g. `train parseq`. */
  name: string;
  type: TaskType;
  /** Added to the config's tags. */
  tags?: string[];
  comment?: string;
}

/** What the model saw: recorded so a score can be traced to the exact data (dvc.lock's md5). */
export interface DatasetInfo {
  name: string;
  /** An md5 from dvc.lock, or a tag. */
  version: string;
  /** Number of items (text lines). */
  size: number;
  bytes?: number;
  uri?: string;
}

export interface ArtifactRecord {
  name: string;
  /** The copy kept with the run, relative to the run folder. */
  file: string;
  sha256: string;
  size: number;
  /** `file://` URI of that copy (what ClearML is told). */
  uri: string;
}

export interface ModelInfo {
  name: string;
  /** A model directory (tfjs model.json + weights…) or a single file. */
  path: string;
  /** e.g. `tensorflowjs`. */
  framework: string;
  metadata?: Record<string, ParamValue>;
  /** The training step the model comes from. */
  iteration?: number;
  tags?: string[];
}

export interface ModelRecord {
  name: string;
  /** The copy kept with the run, relative to the run folder. */
  file: string;
  /** sha256 of the file, or of a directory's sorted `path sha256` manifest. */
  sha256: string;
  size: number;
  framework: string;
  metadata: Record<string, ParamValue>;
  uri: string;
}

export type RunOutcome = { status: "completed" } | { status: "failed"; reason: string };
export type RunStatus = "running" | "completed" | "failed";

export interface RunSummary {
  id: RunId;
  status: RunStatus;
  reason?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  webUrl?: string;
  /** Records that did not reach the remote tracker and were kept in the run folder instead. */
  unsent: number;
}

/**
 * One run. Logging calls never wait for the network: remote trackers queue and send in the background, and a
 * tracker outage degrades to local files with one warning instead of failing the training that logs.
 */
export interface Tracker {
  readonly backend: "local" | "clearml";
  readonly runId: RunId;
  /** `runs/<id>/`: every backend keeps the full record of the run here. */
  readonly runDir: string;
  /** The run's page on the tracker's web app, once started (ClearML only). */
  readonly webUrl: string | undefined;

  start(info: RunInfo): Promise<void>;
  /** Merged into earlier calls, section by section. */
  logParams(params: HyperParams): void;
  logScalar(title: string, series: string, step: number, value: number): void;
  logText(line: string, level?: LogLevel): void;
  logDataset(dataset: DatasetInfo): void;
  /** Copies the file into the run; a second call with the same name replaces it. */
  logArtifact(name: string, file: string): Promise<ArtifactRecord>;
  /** Copies the model into the run and registers it as the run's output model. */
  logModel(model: ModelInfo): Promise<ModelRecord>;
  /** Sends what is queued (remote backends); local writes are already on disk. */
  flush(): Promise<void>;
  end(outcome: RunOutcome): Promise<RunSummary>;
}

/** The `tracking` section of pipeline.config.yaml (stages/config.ts TrackingConfig), as far as trackers need it. */
export interface TrackingSettings {
  /** auto = ClearML when CLEARML_API_HOST and credentials are in the environment, the runs/ folder otherwise. */
  backend: "auto" | "local" | "clearml";
  project: string;
  runs_dir: string;
  tags: readonly string[];
}

export interface CreateTrackerOptions
  extends Partial<
    Pick<
      ClearMLTrackerOptions,
      "fetch" | "retry" | "flushIntervalMs" | "batchSize" | "maxQueue" | "requestTimeoutMs" | "sleep"
    >
  > {
  /** runs_dir is relative to this folder (the repository root); default the working directory. */
  cwd?: string;
  /** Where clearml.conf is looked for when CLEARML_CONFIG_FILE is unset; default the user's home. */
  home?: string;
  messages?: TrackerMessages;
}

/**
 * ClearML when `backend: clearml`, or `backend: auto` with CLEARML_API_HOST and keys in `env`; local otherwise.
 * A ClearML backend without a server or credentials falls back to local with a warning rather than failing.
 */
export function createTracker(
  config: TrackingSettings,
  env: Record<string, string | undefined> = process.env,
  options: CreateTrackerOptions = {},
): Tracker {
  const { cwd = process.cwd(), home, messages = stderrMessages, ...clearmlOptions } = options;
  const runsDir = resolve(cwd, config.runs_dir);
  const wantsClearML =
    config.backend === "clearml" || (config.backend === "auto" && clearmlEnvConfigured(env));
  if (wantsClearML) {
    const { settings, problems } = loadClearMLSettings(env, home);
    if (settings) {
      return new ClearMLTracker({
        ...clearmlOptions,
        settings,
        project: config.project,
        tags: [...config.tags],
        runsDir,
        messages,
      });
    }
    messages.warn(
      `ClearML tracking is configured but ${problems.join("; ")}: tracking in ${config.runs_dir}/ only`,
    );
  }
  return new LocalTracker({ runsDir, project: config.project, tags: [...config.tags] });
}
