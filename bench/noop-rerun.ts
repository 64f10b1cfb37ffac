// Benchmark: latency of `ocrflow run` when nothing changed, on a dataset of many small files.
// Prints the first run (hashing everything, filling the cache) and no-op re-runs in fresh processes.
// Usage: npx tsx bench/noop-rerun.ts [files=200000]   (after `npm run build`)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const files = Number(process.argv[2] ?? 200_000);
// OCRFLOW_CLI=dist/stages/cli.js measures the build directly (bin/ocrflow.js falls back to the sources
// through tsx while any source file is newer than the build, as in a checkout being edited).
const cli =
  process.env.OCRFLOW_CLI ?? join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "ocrflow.js");
const dir = mkdtempSync(join(tmpdir(), "ocrflow-bench-noop-"));

function timeRun(label: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [cli, ...args, "-C", dir], { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${label} failed: ${result.stderr}${result.stdout}`);
  console.log(`${label.padEnd(34)} ${(ms / 1000).toFixed(3)} s`);
  return ms;
}

try {
  const perDir = 1000;
  for (let i = 0; i < files; i++) {
    const sub = join(dir, "dataset", `shard-${Math.floor(i / perDir)}`);
    if (i % perDir === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `${i}.txt`), `sample ${i}\n`);
  }
  writeFileSync(
    join(dir, "dvc.yaml"),
    "stages:\n  count:\n    cmd: find dataset -type f | wc -l > count.txt\n    deps: [dataset]\n    outs: [count.txt]\n",
  );
  console.log(`dataset: ${files} files in ${Math.ceil(files / perDir)} folders (${dir})`);
  timeRun("first run (hash all, run stage)", ["run", "-q"]);
  const noop: number[] = [];
  for (let i = 0; i < 5; i++) noop.push(timeRun(`no-op re-run #${i + 1}`, ["run", "-q"]));
  noop.sort((a, b) => a - b);
  console.log(`no-op re-run median: ${((noop[2] as number) / 1000).toFixed(3)} s (goal < 1 s)`);
  timeRun("status (no-op)", ["status"]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
