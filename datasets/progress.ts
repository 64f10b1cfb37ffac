// Throttled `::progress <current>/<total> <label>` lines on stdout, the engine's progress protocol for stages.

/** Returns a reporter that prints at most every `intervalMs`, plus the first and the final update. */
export function progressPrinter(
  label: string,
  intervalMs = 500,
  write = (line: string) => process.stdout.write(line),
) {
  let last = 0;
  return (current: number, total: number) => {
    const now = performance.now();
    if (current !== 0 && current < total && now - last < intervalMs) return;
    last = now;
    write(`::progress ${current}/${total} ${label}\n`);
  };
}
