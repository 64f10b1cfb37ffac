// Finds the training run of each evaluated model in the tracker's runs/ folder and reads its scalar series
// (metrics.jsonl), so the report can draw training and validation curves.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MetricLine, RunRecord } from "../pipeline/tracking/local.ts";

/** One scalar series of a run, e.g. title `val`, series `val_exact_match`. */
export interface Series {
  title: string;
  series: string;
  points: Array<{ step: number; value: number }>;
}

export interface TrainingCurves {
  runId: string;
  runName: string;
  series: Series[];
}

/** What identifies a model's training run: its registry name, architecture, and the run id config.json may name. */
export interface ModelIdentity {
  name: string;
  architecture: string;
  runId?: string;
}

function readRun(dir: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as RunRecord;
  } catch {
    return undefined;
  }
}

/**
 * The run that trained `model`: the one config.json names, else the newest training run that logged a model
 * of that name or is called `train <name>` / `train <architecture>`. Run ids sort by start time.
 */
export function findTrainingRun(runsDir: string, model: ModelIdentity): string | undefined {
  if (!existsSync(runsDir)) return undefined;
  if (model.runId && existsSync(join(runsDir, model.runId, "metrics.jsonl")))
    return join(runsDir, model.runId);
  const ids = readdirSync(runsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .reverse();
  const names = new Set([`train ${model.name}`, `train ${model.architecture}`]);
  for (const id of ids) {
    const run = readRun(join(runsDir, id));
    if (run?.type !== "training") continue;
    if (names.has(run.name) || run.models?.some((m) => m.name === model.name)) return join(runsDir, id);
  }
  return undefined;
}

/** Every finite scalar of a run's metrics.jsonl, grouped by (title, series) in first-seen order. */
export function readSeries(runDir: string): Series[] {
  const file = join(runDir, "metrics.jsonl");
  if (!existsSync(file)) return [];
  const groups = new Map<string, Series>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    let record: MetricLine;
    try {
      record = JSON.parse(line) as MetricLine;
    } catch {
      continue; // a line cut by a crash mid-write
    }
    if (typeof record.value !== "number" || !Number.isFinite(record.value)) continue;
    const key = `${record.title}\u0000${record.series}`;
    let group = groups.get(key);
    if (!group) {
      group = { title: record.title, series: record.series, points: [] };
      groups.set(key, group);
    }
    group.points.push({ step: record.step, value: record.value });
  }
  return [...groups.values()];
}

export function trainingCurves(runsDir: string, model: ModelIdentity): TrainingCurves | undefined {
  const dir = findTrainingRun(runsDir, model);
  if (!dir) return undefined;
  const run = readRun(dir);
  return { runId: run?.id ?? dir, runName: run?.name ?? "", series: readSeries(dir) };
}
