// Renders engine events for people: stage-prefixed output lines, one progress bar per running stage that
// reports progress (on a TTY), plain periodic progress lines otherwise (CI), and a closing summary.
import cliProgress from "cli-progress";
import type { EngineEvent, RunSummary, StageResult } from "../events.ts";

export interface TerminalLoggerOptions {
  /** Where lines go: stdout normally, stderr when stdout carries JSON. */
  out: NodeJS.WriteStream;
  tty: boolean;
  /** Prints stage output lines (always kept in the per-stage log). */
  showOutput: boolean;
}

const OUTCOME_LABEL: Record<StageResult["outcome"], string> = {
  ran: "ran",
  "up-to-date": "up to date",
  failed: "FAILED",
  blocked: "not run (upstream failed)",
  frozen: "frozen",
  "would-run": "would run",
  interrupted: "INTERRUPTED",
};

function seconds(ms: number | undefined): string {
  return ms === undefined ? "" : `${(ms / 1000).toFixed(1)}s`;
}

export function formatSummary(summary: RunSummary): string {
  const lines: string[] = [];
  const width = Math.max(5, ...summary.stages.map((s) => s.name.length));
  for (const result of summary.stages) {
    let line = `  ${result.name.padEnd(width)}  ${OUTCOME_LABEL[result.outcome]}`;
    if (result.durationMs !== undefined) line += ` in ${seconds(result.durationMs)}`;
    if (result.outcome === "would-run" && result.reasons.length > 0)
      line += ` (${result.reasons.join("; ")})`;
    if (result.error) line += `: ${result.error}`;
    if (result.outcome === "failed" && result.logFile)
      line += `\n  ${"".padEnd(width)}  log: ${result.logFile}`;
    lines.push(line);
  }
  const count = (o: StageResult["outcome"]) => summary.stages.filter((s) => s.outcome === o).length;
  const parts = [
    `${count("ran")} ran`,
    `${count("up-to-date")} up to date`,
    count("would-run") ? `${count("would-run")} would run` : "",
    count("failed") ? `${count("failed")} failed` : "",
    count("blocked") ? `${count("blocked")} not run` : "",
    count("interrupted") ? `${count("interrupted")} interrupted` : "",
    count("frozen") ? `${count("frozen")} frozen` : "",
  ].filter(Boolean);
  lines.push(
    `${summary.ok ? "Pipeline finished" : "Pipeline FAILED"}: ${parts.join(", ")} (${seconds(summary.durationMs)}, -j ${summary.jobs})`,
  );
  return lines.join("\n");
}

export function createTerminalLogger(options: TerminalLoggerOptions): (event: EngineEvent) => void {
  const { out } = options;
  let bars: cliProgress.MultiBar | undefined;
  const stageBars = new Map<string, cliProgress.SingleBar>();
  const lastPlain = new Map<string, number>();
  const write = (line: string) => {
    if (bars) bars.log(`${line}\n`);
    else out.write(`${line}\n`);
  };
  const ensureBars = () => {
    bars ??= new cliProgress.MultiBar(
      {
        stream: out,
        format: " {stage} |{bar}| {percentage}% {value}/{total} {label} ETA {eta_formatted}",
        hideCursor: true,
        clearOnComplete: true,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    return bars;
  };
  return (event) => {
    switch (event.type) {
      case "run-start":
        write(`Running ${event.stages.length} stage(s) with up to ${event.jobs} in parallel`);
        break;
      case "lock-wait":
        write(`Waiting for another ocrflow run (pid ${event.ownerPid}) to release the repo lock…`);
        break;
      case "stage-start":
        write(
          `▶ ${event.stage}: ${event.command}${event.reasons.length ? `  (${event.reasons.join("; ")})` : ""}`,
        );
        break;
      case "stage-output":
        if (options.showOutput) write(`[${event.stage}] ${event.line}`);
        break;
      case "stage-progress": {
        if (options.tty) {
          let bar = stageBars.get(event.stage);
          if (!bar) {
            bar = ensureBars().create(event.total, 0, { stage: event.stage, label: "" });
            stageBars.set(event.stage, bar);
          }
          bar.setTotal(event.total);
          bar.update(event.current, { stage: event.stage, label: event.label ?? "" });
        } else {
          // Plain mode: at most one line per stage every 10 s, plus completion.
          const now = Date.now();
          const last = lastPlain.get(event.stage) ?? 0;
          if (now - last >= 10_000 || event.current >= event.total) {
            lastPlain.set(event.stage, now);
            const pct = event.total > 0 ? ((100 * event.current) / event.total).toFixed(0) : "?";
            write(
              `[${event.stage}] ${event.current}/${event.total} (${pct}%)${event.label ? ` ${event.label}` : ""}`,
            );
          }
        }
        break;
      }
      case "stage-end": {
        const bar = stageBars.get(event.result.name);
        if (bar && bars) {
          bars.remove(bar);
          stageBars.delete(event.result.name);
        }
        const r = event.result;
        if (r.outcome === "ran") write(`✔ ${r.name} done in ${seconds(r.durationMs)}`);
        else if (r.outcome === "failed" || r.outcome === "interrupted") {
          write(`✖ ${r.name} ${r.outcome}: ${r.error ?? ""}${r.logFile ? ` (log: ${r.logFile})` : ""}`);
        } else if (r.outcome === "up-to-date") write(`· ${r.name} is up to date`);
        break;
      }
      case "run-end":
        if (bars) {
          bars.stop();
          bars = undefined;
        }
        out.write(`${formatSummary(event.summary)}\n`);
        break;
    }
  };
}
