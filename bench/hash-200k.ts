// Benchmark: DVC directory hashing of a dataset of many small files, cold and with the state cache, each
// run in a fresh process (so loading the state counts). Prints figures only; never asserts on timings.
// Usage: npx tsx bench/hash-200k.ts [files=200000] [warmRuns=5]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hashPath, md5OfBytes, walkDirectory } from "../pipeline/hash.ts";
import { HashStateCache } from "../pipeline/state.ts";

const self = fileURLToPath(import.meta.url);

interface ChildReport {
  openMs: number;
  hashMs: number;
  saveMs: number;
  md5: string;
  counters: HashStateCache["counters"];
}

/** One run as the engine does it: open the state, hash the dataset, save the state. */
async function child(root: string): Promise<void> {
  const t0 = performance.now();
  const state = HashStateCache.open(root);
  const t1 = performance.now();
  const hash = await hashPath(join(root, "data"), { state });
  const t2 = performance.now();
  state.save();
  const t3 = performance.now();
  const report: ChildReport = {
    openMs: t1 - t0,
    hashMs: t2 - t1,
    saveMs: t3 - t2,
    md5: hash.md5,
    counters: state.counters,
  };
  console.log(JSON.stringify(report));
}

/** Compares the chosen binary state and lockstep check against a JSON state and a Map lookup. */
function formats(root: string): void {
  const t0 = performance.now();
  const state = HashStateCache.open(root);
  const record = state.getDirectory(join(root, "data"));
  if (!record) throw new Error("no state to compare");
  const names = record.relpaths;
  const t1 = performance.now();
  const rows = names.map((name, i) => [
    name,
    record.stats[3 * i],
    record.stats[3 * i + 1],
    record.stats[3 * i + 2],
    Buffer.from(record.md5s.subarray(16 * i, 16 * i + 16)).toString("hex"),
  ]);
  const json = JSON.stringify({ [join(root, "data")]: { md5: record.md5, size: record.size, files: rows } });
  const t2 = performance.now();
  const parsed = JSON.parse(json) as Record<string, { files: [string, number, number, number, string][] }>;
  const map = new Map<string, [number, number, number, string]>();
  for (const [name, ino, mtime, size, md5] of Object.values(parsed)[0]?.files ?? []) {
    map.set(name, [ino, mtime, size, md5]);
  }
  const t3 = performance.now();
  const walked = walkDirectory(join(root, "data"));
  const t4 = performance.now();
  let same = 0;
  for (let i = 0; i < walked.relpaths.length; i++) {
    if (walked.relpaths[i] === names[i] && walked.stats[3 * i + 1] === record.stats[3 * i + 1]) same++;
  }
  const t5 = performance.now();
  let found = 0;
  for (let i = 0; i < walked.relpaths.length; i++) {
    const e = map.get(walked.relpaths[i] as string);
    if (e && e[1] === walked.stats[3 * i + 1]) found++;
  }
  const t6 = performance.now();
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`  binary state: load + decode names      ${ms(t1 - t0)}`);
  console.log(`  JSON state (${(json.length / 1e6).toFixed(1)} MB): parse + Map build  ${ms(t3 - t2)}`);
  console.log(`  walk + stat of ${walked.relpaths.length} files (sync)      ${ms(t4 - t3)}`);
  console.log(
    `  check: lockstep arrays ${ms(t5 - t4)} (${same} equal), Map lookups ${ms(t6 - t5)} (${found} equal)`,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function runChild(args: string[]): { wallMs: number; report?: ChildReport; stdout: string } {
  const started = performance.now();
  const out = spawnSync(process.execPath, ["--import", "tsx", self, ...args], { encoding: "utf8" });
  const wallMs = performance.now() - started;
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
  const last = out.stdout.trim().split("\n").pop() ?? "";
  return {
    wallMs,
    report: last.startsWith("{") ? (JSON.parse(last) as ChildReport) : undefined,
    stdout: out.stdout,
  };
}

async function main(): Promise<void> {
  const files = Number(process.argv[2] ?? 200_000);
  const warmRuns = Number(process.argv[3] ?? 5);
  const root = mkdtempSync(join(tmpdir(), "ocrflow-bench-hash-"));
  try {
    const t0 = performance.now();
    // A dataset layout: 20 shards × 10 parts, each a flat folder of small label files.
    const perDir = Math.ceil(files / 200);
    let written = 0;
    for (let shard = 0; shard < 20 && written < files; shard++) {
      for (let part = 0; part < 10 && written < files; part++) {
        const dir = join(root, "data", `shard${String(shard).padStart(2, "0")}`, `part${part}`);
        mkdirSync(dir, { recursive: true });
        for (let i = 0; i < perDir && written < files; i++, written++) {
          writeFileSync(
            join(dir, `sample_${i}.txt`),
            `label ${shard}-${part}-${i} ${md5OfBytes(String(i))}\n`,
          );
        }
      }
    }
    console.log(
      `created ${written} files in ${((performance.now() - t0) / 1000).toFixed(1)} s under ${root}`,
    );
    const fmt = (r: { wallMs: number; report?: ChildReport }) =>
      `${(r.wallMs / 1000).toFixed(3)} s process, in-process open ${r.report?.openMs.toFixed(0)} ms + hash ` +
      `${r.report?.hashMs.toFixed(0)} ms + save ${r.report?.saveMs.toFixed(0)} ms ` +
      `(read ${r.report?.counters.filesRead}, reused ${r.report?.counters.filesReused})`;

    const startup = runChild(["--startup"]);
    console.log(`node + tsx startup alone:         ${(startup.wallMs / 1000).toFixed(3)} s`);
    const cold = runChild(["--child", root]);
    console.log(`first hash (cold state):          ${fmt(cold)}`);
    console.log(`  md5 ${cold.report?.md5}`);
    const warm: { wallMs: number; report?: ChildReport }[] = [];
    for (let i = 0; i < warmRuns; i++) {
      const r = runChild(["--child", root]);
      warm.push(r);
      console.log(`no-op re-hash #${i + 1} (state cache):   ${fmt(r)}`);
      if (r.report?.md5 !== cold.report?.md5) console.log("  !! md5 differs from the cold run");
    }
    const inProcess = warm.map((r) =>
      r.report ? r.report.openMs + r.report.hashMs + r.report.saveMs : Number.NaN,
    );
    console.log(
      `no-op median: ${(median(warm.map((r) => r.wallMs)) / 1000).toFixed(3)} s per process, ` +
        `${median(inProcess).toFixed(0)} ms in-process (open + hash + save)`,
    );
    console.log(`state file: ${(statSync(HashStateCache.pathFor(root)).size / 1e6).toFixed(1)} MB`);
    console.log("options compared (one process):");
    process.stdout.write(runChild(["--formats", root]).stdout);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const [mode, arg] = process.argv.slice(2);
if (mode === "--child" && arg) await child(arg);
else if (mode === "--formats" && arg) formats(arg);
else if (mode !== "--startup") await main();
