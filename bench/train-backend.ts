// Benchmark: training-step speed of an architecture on each tfjs backend, every run in a fresh process,
// repeated and reported as medians next to an sgemm measured between runs (the machine may be shared).
//   npx tsx bench/train-backend.ts --backends native,wasm --arch synthetic --batch 32 --steps 8 --repeats 3
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const CEILING_GFLOPS = 150;

const { values: args } = parseArgs({
  options: {
    backends: { type: "string", default: "native,wasm" },
    arch: { type: "string", default: "synthetic" },
    batch: { type: "string", default: "32" },
    steps: { type: "string", default: "8" },
    warmup: { type: "string", default: "1" },
    repeats: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    child: { type: "string" },
    sgemm: { type: "boolean", default: false },
  },
});

interface ChildResult {
  backend: string;
  imagesPerSecond: number;
  gflopsPerSecond: number;
  medianStepMs: number;
  flopsPerStep: number;
  parameters: number;
  backendDetail: string;
  cpuMsPerStep: number;
  gflopsPerCpuSecond: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function runChild(backend: string): Promise<void> {
  const { benchTrainSteps, chooseBackend } = await import("../models/backend/index.ts");
  const choice = await chooseBackend({ force: backend, log: () => {} });
  const r = await benchTrainSteps({
    arch: args.arch as string,
    batch: Number(args.batch),
    steps: Number(args.steps),
    warmup: Number(args.warmup),
  });
  process.stdout.write(`${JSON.stringify({ ...r, backendDetail: choice.detail })}\n`);
}

/** sgemm at n=2048 through the addon, best of 5: what the machine gives right now. */
async function runSgemm(): Promise<void> {
  const { loadNativeAddon } = await import("../models/backend/native-addon.ts");
  const { addon } = loadNativeAddon();
  if (!addon) {
    process.stdout.write("null\n");
    return;
  }
  const n = 2048;
  const a = new Float32Array(n * n).fill(1);
  const c = new Float32Array(n * n);
  let best = 0;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    addon.sgemm(0, 0, n, n, n, a, a, c, 1, 0, 0, 0, 0);
    const s = (performance.now() - t0) / 1000;
    if (i > 0) best = Math.max(best, (2 * n * n * n) / s / 1e9);
  }
  process.stdout.write(`${best}\n`);
}

function spawnSelf(extra: string[]): string {
  const self = fileURLToPath(import.meta.url);
  const forwarded = [
    "--arch",
    args.arch,
    "--batch",
    args.batch,
    "--steps",
    args.steps,
    "--warmup",
    args.warmup,
  ];
  const r = spawnSync(process.execPath, ["--import", "tsx", self, ...(forwarded as string[]), ...extra], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`child ${extra.join(" ")} failed:\n${r.stderr}`);
  return r.stdout.trim().split("\n").pop() ?? "";
}

async function main(): Promise<void> {
  if (args.child) return runChild(args.child);
  if (args.sgemm) return runSgemm();
  const backends = (args.backends as string).split(",").map((b) => b.trim());
  const results = new Map<string, ChildResult[]>(backends.map((b) => [b, []]));
  const sgemm: number[] = [];
  for (let r = 0; r < Number(args.repeats); r++) {
    const g = JSON.parse(spawnSelf(["--sgemm"])) as number | null;
    if (g) sgemm.push(g);
    for (const b of backends) {
      const res = JSON.parse(spawnSelf(["--child", b])) as ChildResult;
      results.get(b)?.push(res);
      if (!args.json) {
        process.stderr.write(
          `repeat ${r + 1} ${b}: ${res.imagesPerSecond.toFixed(2)} images/s, ${res.gflopsPerSecond.toFixed(1)} GFLOP/s, ` +
            `${res.gflopsPerCpuSecond.toFixed(1)} GFLOP/CPU-s` +
            (g ? ` (sgemm n=2048 just before: ${g.toFixed(0)} GFLOP/s)\n` : "\n"),
        );
      }
    }
  }
  const summary = backends.map((b) => {
    const rs = results.get(b) ?? [];
    const gflops = rs.map((x) => x.gflopsPerSecond);
    return {
      backend: b,
      detail: rs[0]?.backendDetail,
      runs: rs.length,
      imagesPerSecondMedian: median(rs.map((x) => x.imagesPerSecond)),
      gflopsMedian: median(gflops),
      gflopsMin: Math.min(...gflops),
      gflopsMax: Math.max(...gflops),
      percentOfCeiling: (100 * median(gflops)) / CEILING_GFLOPS,
      cpuMsPerStepMedian: median(rs.map((x) => x.cpuMsPerStep)),
      gflopsPerCpuSecondMedian: median(rs.map((x) => x.gflopsPerCpuSecond)),
      flopsPerStep: rs[0]?.flopsPerStep,
      parameters: rs[0]?.parameters,
    };
  });
  const report = {
    arch: args.arch,
    batch: Number(args.batch),
    stepsPerRun: Number(args.steps),
    ceilingGflops: CEILING_GFLOPS,
    sgemmNowMedian: sgemm.length ? median(sgemm) : null,
    backends: summary,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${report.arch}, batch ${report.batch}, ${report.stepsPerRun} timed steps per run, medians of ${args.repeats} runs` +
      (report.sgemmNowMedian
        ? `; sgemm n=2048 between runs: ${report.sgemmNowMedian.toFixed(0)} GFLOP/s median\n`
        : "\n"),
  );
  for (const s of summary) {
    process.stdout.write(
      `${s.backend.padEnd(8)} ${s.imagesPerSecondMedian.toFixed(2).padStart(8)} images/s ` +
        `${s.gflopsMedian.toFixed(1).padStart(6)} GFLOP/s (${s.gflopsMin.toFixed(1)}-${s.gflopsMax.toFixed(1)}) ` +
        `${s.percentOfCeiling.toFixed(0).padStart(3)}% of ${CEILING_GFLOPS}, ` +
        `${s.cpuMsPerStepMedian.toFixed(0)} CPU-ms/step = ${s.gflopsPerCpuSecondMedian.toFixed(1)} GFLOP/CPU-s  ${s.detail ?? ""}\n`,
    );
  }
}

await main();
