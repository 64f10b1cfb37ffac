// Synthetic dataset generation: plans shards and per-font blocks from the seed, renders them in separate
// processes (forked generate-worker), and writes shards, labels.csv and stats.json into the output atomically.
import { fork } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { PipelineConfig } from "../stages/config.ts";
import { assertLabelInCharset, buildCharset, type Charset } from "./charset.ts";
import { assertFaceCovers, type CoveredFace, coverageCheck, usableFaces } from "./fonts.ts";
import { formatLabelsCsv } from "./labels.ts";
import { Random } from "./random.ts";
import { LineRenderer } from "./render.ts";
import { type ShardEntry, writeShard } from "./shards.ts";
import { countLabel, type DatasetStats, emptyStats, mergeStats } from "./stats.ts";
import { type SynthesisSettings, synthesizeLine } from "./synthesize.ts";
import { TextSampler } from "./text.ts";

/** Everything a worker needs to render any shard: plain data, so it crosses the process boundary as JSON. */
export interface GenerationPlan {
  count: number;
  seed: number;
  shardSize: number;
  linesPerFont: number;
  faces: CoveredFace[];
  charset: string[];
  text: PipelineConfig["generate"]["text"];
  minLength: number;
  /** Longest label, at most input.max_label_length. */
  maxLength: number;
  synthesis: SynthesisSettings;
}

export function planGeneration(config: PipelineConfig, faces: CoveredFace[]): GenerationPlan {
  const g = config.generate;
  const maxLength = Math.min(
    g.max_label_length ?? config.input.max_label_length,
    config.input.max_label_length,
  );
  if (g.min_label_length > maxLength)
    throw new Error(
      `generate.min_label_length ${g.min_label_length} is longer than the longest label allowed (${maxLength}: ` +
        "generate.max_label_length or input.max_label_length)",
    );
  return {
    count: g.count,
    seed: g.seed,
    shardSize: g.shard_size,
    linesPerFont: g.lines_per_font,
    faces,
    charset: [...buildCharset(config.charset).chars],
    text: g.text,
    minLength: g.min_label_length,
    maxLength,
    synthesis: { input: config.input, size: g.fonts.size, augment: g.augment },
  };
}

export function shardCount(plan: Pick<GenerationPlan, "count" | "shardSize">): number {
  return Math.ceil(plan.count / plan.shardSize);
}

/** The name of the i-th generated image (the key in labels.csv and the doctr JSON). */
export function generatedName(index: number): string {
  return `gen-${String(index).padStart(9, "0")}.png`;
}

/** One rendered shard: its index entries, its stats and the CPU time it took (a figure robust to a busy machine). */
export interface ShardResult {
  entries: ShardEntry[];
  stats: DatasetStats;
  cpuSeconds: number;
}

/** Renders shards of one plan; one per process, reused across shards so fonts stay registered. */
export class ShardGenerator {
  private readonly renderer = new LineRenderer();
  private readonly sampler: TextSampler;
  private readonly charset: Charset;
  /** Faces grouped by style, so each style gets an equal share whatever its number of faces. */
  private readonly byStyle: CoveredFace[][];

  constructor(private readonly plan: GenerationPlan) {
    const chars = new Set(plan.charset);
    this.charset = { chars: plan.charset, has: (c) => chars.has(c) };
    this.sampler = new TextSampler({
      text: plan.text,
      charset: this.charset,
      minLength: plan.minLength,
      maxLength: plan.maxLength,
    });
    const styles = [...new Set(plan.faces.map((f) => f.style))].sort();
    this.byStyle = styles.map((s) => plan.faces.filter((f) => f.style === s));
  }

  /** Renders shard `index` into `dir`; `onLines` hears how many lines were done since the last call. */
  generate(dir: string, index: number, onLines?: (lines: number) => void): ShardResult {
    const cpuStart = process.cpuUsage();
    const { plan } = this;
    const first = index * plan.shardSize;
    const n = Math.min(plan.shardSize, plan.count - first);
    const samples: Parameters<typeof writeShard>[2] = [];
    const stats = emptyStats();
    for (let block = 0; block * plan.linesPerFont < n; block++) {
      // One stream per (seed, shard, block): a shard renders the same whatever process draws it.
      const rng = new Random(plan.seed, index, block);
      const face = rng.pick(rng.pick(this.byStyle));
      // One size per block too: lines of a block then share Skia's glyph cache (a miss costs a rasterisation);
      // the scale augmentation and the shrinking of long lines still vary the size within a block.
      const sizeFraction = rng.float(plan.synthesis.size.min, plan.synthesis.size.max);
      const covers = coverageCheck(face);
      const lines = Math.min(plan.linesPerFont, n - block * plan.linesPerFont);
      for (let k = 0; k < lines; k++) {
        const text = this.sampler.sample(rng, covers);
        assertLabelInCharset(text, this.charset);
        assertFaceCovers(face, text);
        const image = synthesizeLine(this.renderer, face, text, rng, plan.synthesis, sizeFraction);
        const name = generatedName(first + block * plan.linesPerFont + k);
        samples.push({ name, text, font: face.id, image });
        countLabel(stats, text, face.id);
      }
      onLines?.(lines);
    }
    const entries = writeShard(dir, index, samples);
    const cpu = process.cpuUsage(cpuStart);
    return { entries, stats, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  }
}

export interface GenerateOptions {
  config: PipelineConfig;
  outDir: string;
  /** Overrides generate.workers; 0 = one per core. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
  /** Faces to use instead of discovering installed ones (tests). */
  faces?: CoveredFace[];
}

export interface GenerateResult {
  stats: DatasetStats & {
    shards: number;
    workers: number;
    seconds: number;
    lines_per_second: number;
    /** CPU time of the rendering processes, summed, and lines per CPU second: comparable on a shared machine. */
    cpu_seconds: number;
    lines_per_cpu_second: number;
  };
  rejectedFaces: Array<{ id: string; missing: string }>;
  faces: CoveredFace[];
}

/** Writes `outDir` (replacing it) with shards, labels.csv and stats.json. */
export async function generateDataset(options: GenerateOptions): Promise<GenerateResult> {
  const { config, outDir } = options;
  const charset = buildCharset(config.charset);
  const selection = options.faces
    ? { faces: options.faces, rejected: [] }
    : usableFaces(config.generate.fonts, charset);
  // Timed from here: the figure is rendering throughput, without the one-off font coverage scan.
  const started = performance.now();
  if (selection.faces.length === 0) {
    throw new Error(
      "no font face covers the charset with the generate.fonts settings (install @fontsource families)",
    );
  }
  const plan = planGeneration(config, selection.faces);
  const shards = shardCount(plan);
  const wanted = options.workers ?? config.generate.workers;
  const workers = Math.max(1, Math.min(shards, wanted > 0 ? wanted : availableParallelism()));
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  let done = 0;
  const progress = (lines: number) => {
    done += lines;
    options.onProgress?.(done, plan.count);
  };
  const results: ShardResult[] = new Array(shards);
  try {
    if (workers === 1) {
      const generator = new ShardGenerator(plan);
      for (let s = 0; s < shards; s++) results[s] = generator.generate(tmp, s, progress);
    } else {
      await generateInProcesses(plan, tmp, shards, workers, results, progress);
    }
    const entries = results.flatMap((r) => r.entries);
    writeFileSync(`${tmp}/labels.csv`, formatLabelsCsv(entries));
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = results.reduce((t, r) => t + r.cpuSeconds, 0);
    const stats = {
      ...mergeStats(results.map((r) => r.stats)),
      shards,
      workers,
      seconds: Math.round(seconds * 100) / 100,
      lines_per_second: Math.round(plan.count / seconds),
      cpu_seconds: Math.round(cpuSeconds * 100) / 100,
      lines_per_cpu_second: Math.round(plan.count / cpuSeconds),
    };
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
    return { stats, rejectedFaces: selection.rejected, faces: selection.faces };
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

type WorkerMessage =
  | { type: "lines"; lines: number }
  | ({ type: "shard"; index: number } & ShardResult)
  | { type: "error"; message: string };

/** The worker entry and the loader it needs when running from TypeScript sources. */
function workerLaunch(): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith(".ts");
  const file = fileURLToPath(new URL(`./generate-worker${fromSource ? ".ts" : ".js"}`, import.meta.url));
  if (!fromSource) return { file, execArgv: [] };
  const tsx = createRequire(import.meta.url).resolve("tsx");
  return { file, execArgv: ["--import", `file://${tsx}`] };
}

/** Hands shards to `workers` forked processes, one at a time each, until all are written. */
function generateInProcesses(
  plan: GenerationPlan,
  dir: string,
  shards: number,
  workers: number,
  results: ShardResult[],
  onLines: (lines: number) => void,
): Promise<void> {
  const { file, execArgv } = workerLaunch();
  let next = 0;
  let finished = 0;
  return new Promise((resolve, reject) => {
    const children = Array.from({ length: workers }, () =>
      fork(file, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" }),
    );
    let failed = false;
    const released = new Set<unknown>();
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const c of children) c.kill();
      reject(error);
    };
    for (const child of children) {
      const assign = () => {
        if (next < shards) child.send({ type: "shard", index: next++ });
        else {
          released.add(child);
          child.send({ type: "exit" });
        }
      };
      child.on("message", (message: WorkerMessage) => {
        if (message.type === "lines") onLines(message.lines);
        else if (message.type === "error") fail(new Error(message.message));
        else {
          results[message.index] = {
            entries: message.entries,
            stats: message.stats,
            cpuSeconds: message.cpuSeconds,
          };
          finished++;
          if (finished === shards) {
            for (const c of children) {
              released.add(c);
              if (c.connected) c.send({ type: "exit" });
            }
            resolve();
          } else assign();
        }
      });
      child.on("exit", (code, signal) => {
        if (!released.has(child) && !failed)
          fail(new Error(`generate worker exited (${signal ?? `code ${code}`})`));
      });
      child.on("error", fail);
      child.send({ type: "init", plan, dir });
      assign();
    }
  });
}
