// Errors as values: every problem the engine finds carries a kind and a location (file, line, key),
// so analyzers can report all of them at once and loggers render them the same way everywhere.

export interface Location {
  /** Path as the user would type it (relative to the repo root when inside it). */
  file: string;
  /** 1-based line, when the problem can be tied to one. */
  line?: number;
  /** Dotted key path inside the file, e.g. `stages.train.deps[2]`. */
  key?: string;
}

export type ProblemKind =
  | "syntax"
  | "schema"
  | "interpolation"
  | "cycle"
  | "overlap"
  | "missing-dependency"
  | "missing-file"
  | "unknown-target"
  | "lock"
  | "override";

export interface Problem {
  kind: ProblemKind;
  message: string;
  location?: Location;
  /** What was expected instead, when that helps the user fix it. */
  expected?: string;
}

/** Renders `file:line key: message (expected …)`, the one format every command prints. */
export function formatProblem(problem: Problem): string {
  const where: string[] = [];
  if (problem.location) {
    const { file, line, key } = problem.location;
    where.push(line !== undefined ? `${file}:${line}` : file);
    if (key) where.push(key);
  }
  const head = where.length > 0 ? `${where.join(" ")}: ` : "";
  const tail = problem.expected ? ` (expected ${problem.expected})` : "";
  return `${head}${problem.message}${tail}`;
}

/** Thrown when one or more problems stop a command; carries all of them, never just the first. */
export class ProblemsError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[], summary?: string) {
    super(summary ?? problems.map(formatProblem).join("\n"));
    this.name = "ProblemsError";
    this.problems = problems;
  }
}
