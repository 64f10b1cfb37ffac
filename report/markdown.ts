// The model comparison table in Markdown, as the evaluate stage prints it and writes it beside scores.json.
import type { EvaluationScores } from "./evaluation.ts";

const percent = (v: number) => `${(v * 100).toFixed(2)}%`;

/** A human count: 1.08M, 25.3k, 512. */
export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** Escapes what would break a table cell. */
export function markdownCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export const TABLE_COLUMNS = [
  "model",
  "architecture",
  "size",
  "params",
  "exact match",
  "caseless",
  "partial",
  "char acc. in place",
  "CER",
  "WER",
  "lines/s",
] as const;

/** Rows of the comparison table, best exact match first; cells already formatted. */
export function comparisonRows(scores: EvaluationScores): string[][] {
  return [...scores.models]
    .sort((a, b) => b.exact_match - a.exact_match || a.cer - b.cer)
    .map((m) => [
      m.name,
      m.architecture,
      m.size,
      formatCount(m.params),
      percent(m.exact_match),
      percent(m.caseless_exact_match),
      percent(m.partial_match),
      percent(m.char_accuracy_in_place),
      percent(m.cer),
      percent(m.wer),
      m.throughput.toFixed(1),
    ]);
}

export function comparisonTable(scores: EvaluationScores): string {
  const header = `| ${TABLE_COLUMNS.join(" | ")} |`;
  const rule = `|${TABLE_COLUMNS.map((_, i) => (i < 3 ? " --- " : " ---: ")).join("|")}|`;
  const rows = comparisonRows(scores).map((cells) => `| ${cells.map(markdownCell).join(" | ")} |`);
  const d = scores.dataset;
  return [
    `Test split: ${d.size} lines of ${markdownCell(d.name)} (\`${d.file}\`, version ${d.version || "unknown"}).`,
    "",
    header,
    rule,
    ...rows,
    "",
  ].join("\n");
}
