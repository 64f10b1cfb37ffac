// Renders transfer progress (files and bytes): a cli-progress bar per remote on a terminal, throttled plain
// lines otherwise (CI logs, the engine's per-stage logs).
import cliProgress from "cli-progress";
import type { TransferProgress } from "./transfer.ts";

export interface ProgressRenderer {
  update(progress: TransferProgress): void;
  stop(): void;
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function verb(p: TransferProgress): string {
  return p.direction === "upload" ? `push → ${p.remote}` : `fetch ← ${p.remote}`;
}

export function createProgressRenderer(
  out: NodeJS.WritableStream & { isTTY?: boolean },
  options: { tty?: boolean; intervalMs?: number } = {},
): ProgressRenderer {
  const tty = options.tty ?? out.isTTY === true;
  if (tty) {
    const makeBars = () =>
      new cliProgress.MultiBar(
        {
          stream: out as NodeJS.WritableStream as never,
          format: "{verb} [{bar}] {percentage}% | {filesDone}/{filesTotal} files | {bytesDone}/{bytesTotal}",
          hideCursor: true,
          barsize: 24,
          clearOnComplete: false,
          stopOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
    // Created on the first update, so a command that transfers nothing leaves the terminal untouched.
    let bars: cliProgress.MultiBar | undefined;
    const byRemote = new Map<string, cliProgress.SingleBar>();
    return {
      update(p) {
        if (p.filesTotal === 0 && !byRemote.has(`${p.direction}:${p.remote}`)) return;
        const key = `${p.direction}:${p.remote}`;
        const payload = {
          verb: verb(p),
          filesDone: p.filesDone,
          filesTotal: p.filesTotal,
          bytesDone: formatBytes(Math.max(0, p.bytesDone)),
          bytesTotal: formatBytes(p.bytesTotal),
        };
        let bar = byRemote.get(key);
        if (!bar) {
          bars ??= makeBars();
          bar = bars.create(Math.max(1, p.bytesTotal), 0, payload);
          byRemote.set(key, bar);
        }
        bar.setTotal(Math.max(1, p.bytesTotal));
        bar.update(Math.max(0, p.bytesDone), payload);
      },
      stop() {
        bars?.stop();
      },
    };
  }
  const interval = options.intervalMs ?? 2000;
  let last = 0;
  let pending: TransferProgress | undefined;
  let lastLine = "";
  const print = (p: TransferProgress) => {
    last = performance.now();
    pending = undefined;
    const bytes = `${formatBytes(Math.max(0, p.bytesDone))}/${formatBytes(p.bytesTotal)}`;
    const line = `${verb(p)}: ${p.filesDone}/${p.filesTotal} files, ${bytes}\n`;
    if (line !== lastLine) out.write(line);
    lastLine = line;
  };
  return {
    update(p) {
      if (p.filesTotal === 0) return;
      const done = p.filesDone === p.filesTotal;
      if (done || performance.now() - last >= interval) print(p);
      else pending = p;
    },
    stop() {
      if (pending) print(pending);
    },
  };
}
