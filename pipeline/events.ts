// Typed events the executor emits; loggers turn them into terminal lines, progress bars or JSON.
// The executor itself never prints.

export type StageOutcome =
  | "ran"
  | "up-to-date"
  | "failed"
  | "blocked"
  | "frozen"
  | "would-run"
  | "interrupted";

export interface StageResult {
  name: string;
  outcome: StageOutcome;
  /** Why it ran (or would run), or why it failed. */
  reasons: string[];
  error?: string;
  logFile?: string;
  durationMs?: number;
  startedAt?: number;
  endedAt?: number;
}

export interface RunSummary {
  ok: boolean;
  jobs: number;
  durationMs: number;
  stages: StageResult[];
}

export type EngineEvent =
  | { type: "run-start"; stages: string[]; jobs: number }
  | { type: "stage-start"; stage: string; reasons: string[]; logFile: string; command: string }
  | { type: "stage-output"; stage: string; stream: "stdout" | "stderr"; line: string }
  | { type: "stage-progress"; stage: string; current: number; total: number; label?: string }
  | { type: "stage-end"; result: StageResult }
  | { type: "lock-wait"; ownerPid: number }
  | { type: "run-end"; summary: RunSummary };

export type EventSink = (event: EngineEvent) => void;

/**
 * The progress protocol: a stage prints `::progress <current>/<total>[ <label>]` on stdout; the engine turns
 * it into a progress bar instead of a line. Any process can use it; `dvc repro` simply prints the line.
 */
export const PROGRESS_LINE = /^::progress (\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)(?: (.*))?$/;

export function parseProgressLine(
  line: string,
): { current: number; total: number; label?: string } | undefined {
  const match = PROGRESS_LINE.exec(line);
  if (!match) return undefined;
  const progress: { current: number; total: number; label?: string } = {
    current: Number(match[1]),
    total: Number(match[2]),
  };
  if (match[3]) progress.label = match[3];
  return progress;
}
