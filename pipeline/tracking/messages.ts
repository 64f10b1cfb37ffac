// Where trackers report to people: the ClearML link at start and the single outage warning. Kept apart from
// tracker.ts so the backends need no runtime import of the module that chooses between them.

export interface TrackerMessages {
  info(line: string): void;
  warn(line: string): void;
}

export const stderrMessages: TrackerMessages = {
  info: (line) => process.stderr.write(`${line}\n`),
  warn: (line) => process.stderr.write(`warning: ${line}\n`),
};
