// `metrics show` / `metrics diff` data, as `dvc metrics show/diff`: the metrics files dvc.yaml declares, read
// from the working tree or from a git revision (`git show rev:path`), flattened to dotted keys, and compared.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseDvcYaml } from "../dvcyaml.ts";

/** A metric value as shown: numbers are compared, other scalars only shown. */
export type MetricValue = number | string | boolean | null;

/** Where metrics are read from: the working tree, or a git revision (`HEAD`, `main`, a sha). */
export type MetricsSource = { kind: "workspace" } | { kind: "rev"; rev: string };

export const WORKSPACE: MetricsSource = { kind: "workspace" };

export function sourceName(source: MetricsSource): string {
  return source.kind === "workspace" ? "workspace" : source.rev;
}

/** One metrics file at one source: its flat values, or why it could not be read. */
export interface MetricsFile {
  path: string;
  values?: Map<string, MetricValue>;
  error?: string;
}

/**
 * Flattens nested metrics to dotted keys (`models.parseq-tiny.cer`). An array whose items are all objects with
 * distinct string `name`s is keyed by name rather than index, so a model keeps its keys when the list's order
 * or length changes between revisions; other arrays use the index, as DVC does.
 */
export function flattenMetrics(
  value: unknown,
  prefix = "",
  out = new Map<string, MetricValue>(),
): Map<string, MetricValue> {
  if (Array.isArray(value)) {
    const names = value.map((item) =>
      typeof item === "object" && item !== null && typeof (item as { name?: unknown }).name === "string"
        ? (item as { name: string }).name
        : undefined,
    );
    const byName = names.every((n) => n !== undefined) && new Set(names).size === names.length;
    value.forEach((item, i) => {
      const key = byName ? (names[i] as string) : String(i);
      const itemValue = byName ? omitName(item as Record<string, unknown>) : item;
      flattenMetrics(itemValue, prefix ? `${prefix}.${key}` : key, out);
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value))
      flattenMetrics(item, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out.set(prefix, value === undefined ? null : (value as MetricValue));
  }
  return out;
}

function omitName(item: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, ...rest } = item;
  return rest;
}

/** The text of `path` (relative to the repo root) at `source`, or undefined when it does not exist there. */
export function readAt(root: string, path: string, source: MetricsSource): string | undefined {
  if (source.kind === "workspace") {
    const file = join(root, path);
    return existsSync(file) ? readFileSync(file, "utf8") : undefined;
  }
  try {
    return execFileSync("git", ["show", `${source.rev}:./${path}`], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch {
    return undefined;
  }
}

/** Checks that `rev` names a commit, so a typo is an error rather than "every metric removed". */
export function assertRevision(root: string, rev: string): void {
  try {
    execFileSync("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch {
    throw new Error(`unknown git revision '${rev}'`);
  }
}

/** Metrics files declared in dvc.yaml at `source`: every stage's `metrics:` outs, then top-level `metrics:`. */
export function declaredMetricsFiles(root: string, source: MetricsSource): string[] {
  const text = readAt(root, "dvc.yaml", source);
  if (text === undefined) return [];
  const paths: string[] = [];
  const pipeline = parseDvcYaml(text, root);
  for (const stage of pipeline.stages) {
    for (const out of stage.outs) {
      if (out.kind === "metrics") paths.push(posix.normalize(posix.join(stage.wdir, out.path)));
    }
  }
  try {
    const top = (parseYaml(text) as { metrics?: unknown } | null)?.metrics;
    if (Array.isArray(top)) for (const p of top) if (typeof p === "string") paths.push(posix.normalize(p));
  } catch {
    // Syntax errors are parseDvcYaml's to report; the stages it did read still count.
  }
  return [...new Set(paths)];
}

/** Reads and flattens one metrics file (JSON or YAML). */
export function readMetricsFile(root: string, path: string, source: MetricsSource): MetricsFile {
  const text = readAt(root, path, source);
  if (text === undefined) return { path, error: `not found in ${sourceName(source)}` };
  try {
    const data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
    return { path, values: flattenMetrics(data) };
  } catch (error) {
    return { path, error: `unreadable: ${(error as Error).message.split("\n")[0]}` };
  }
}

/** The metrics files to read: `targets` when given, else those dvc.yaml declares at any of the sources. */
export function metricsPaths(root: string, sources: MetricsSource[], targets: string[] = []): string[] {
  if (targets.length > 0) return targets.map((t) => posix.normalize(t.split("\\").join("/")));
  return [...new Set(sources.flatMap((s) => declaredMetricsFiles(root, s)))];
}

export function showMetrics(
  root: string,
  source: MetricsSource = WORKSPACE,
  targets: string[] = [],
): MetricsFile[] {
  if (source.kind === "rev") assertRevision(root, source.rev);
  return metricsPaths(root, [source], targets).map((p) => readMetricsFile(root, p, source));
}

/** One changed (or, with `all`, unchanged) metric. */
export interface MetricChange {
  path: string;
  key: string;
  old: MetricValue | undefined;
  new: MetricValue | undefined;
  /** new − old when both are numbers. */
  diff?: number;
}

export interface MetricsDiffOptions {
  /** Default HEAD. */
  a?: MetricsSource;
  /** Default the working tree. */
  b?: MetricsSource;
  targets?: string[];
  /** Also list metrics that did not change (`dvc metrics diff --all`). */
  all?: boolean;
}

export function diffMetrics(root: string, options: MetricsDiffOptions = {}): MetricChange[] {
  const a = options.a ?? { kind: "rev", rev: "HEAD" };
  const b = options.b ?? WORKSPACE;
  for (const s of [a, b]) if (s.kind === "rev") assertRevision(root, s.rev);
  const changes: MetricChange[] = [];
  for (const path of metricsPaths(root, [a, b], options.targets)) {
    const before = readMetricsFile(root, path, a).values ?? new Map<string, MetricValue>();
    const after = readMetricsFile(root, path, b).values ?? new Map<string, MetricValue>();
    const keys = [...new Set([...before.keys(), ...after.keys()])];
    for (const key of keys) {
      const old = before.get(key);
      const now = after.get(key);
      const change: MetricChange = { path, key, old, new: now };
      if (typeof old === "number" && typeof now === "number") change.diff = now - old;
      const same = before.has(key) && after.has(key) && old === now;
      if (!same || options.all) changes.push(change);
    }
  }
  return changes;
}
