// Renders `metrics show` and `metrics diff` results as a plain text table, a Markdown table or JSON
// (`dvc metrics diff --json`'s shape: {path: {key: {old, new, diff}}}).
import type { MetricChange, MetricsFile, MetricValue } from "./metrics.ts";

export type MetricsFormat = "table" | "md" | "json";

/** Numbers rounded to `precision` decimals (DVC's default is 5); absent values as "-". */
export function formatValue(value: MetricValue | undefined, precision: number): string {
  if (value === undefined || value === null) return "-";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toFixed(precision)));
  }
  return String(value);
}

function formatDiff(diff: number | undefined, precision: number): string {
  if (diff === undefined) return "-";
  const text = formatValue(diff, precision);
  return diff > 0 ? `+${text}` : text;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** Columns padded to their widest cell, or a Markdown table. */
export function renderTable(header: string[], rows: string[][], markdown: boolean): string {
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.map(escapeCell).join(" | ")} |`;
    return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function renderShow(files: MetricsFile[], format: MetricsFormat, precision = 5): string {
  if (format === "json") {
    const out: Record<string, unknown> = {};
    for (const f of files) out[f.path] = f.values ? Object.fromEntries(f.values) : { error: f.error };
    return JSON.stringify(out, null, 2);
  }
  const rows: string[][] = [];
  for (const f of files) {
    if (!f.values) rows.push([f.path, "", `(${f.error})`]);
    else for (const [key, value] of f.values) rows.push([f.path, key, formatValue(value, precision)]);
  }
  if (rows.length === 0) return "No metrics files.";
  return renderTable(["Path", "Metric", "Value"], rows, format === "md");
}

export function renderDiff(
  changes: MetricChange[],
  format: MetricsFormat,
  names: { a: string; b: string },
  precision = 5,
): string {
  if (format === "json") {
    const out: Record<
      string,
      Record<string, { old: MetricValue | null; new: MetricValue | null; diff?: number }>
    > = {};
    for (const c of changes) {
      const entry: { old: MetricValue | null; new: MetricValue | null; diff?: number } = {
        old: c.old ?? null,
        new: c.new ?? null,
      };
      if (c.diff !== undefined) entry.diff = c.diff;
      out[c.path] ??= {};
      (out[c.path] as Record<string, typeof entry>)[c.key] = entry;
    }
    return JSON.stringify(out, null, 2);
  }
  if (changes.length === 0) return "No changes.";
  const rows = changes.map((c) => [
    c.path,
    c.key,
    formatValue(c.old, precision),
    formatValue(c.new, precision),
    formatDiff(c.diff, precision),
  ]);
  return renderTable(["Path", "Metric", names.a, names.b, "Change"], rows, format === "md");
}
