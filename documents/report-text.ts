// The terminal summary of a comparison: both documents, the score, the counts, significant changes first,
// then the list of differences with their positions.
import type { ComparisonReport, Difference, DocumentSummary, Position } from "./compare.ts";

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

function describeDocument(d: DocumentSummary): string {
  const recognized = d.sources.filter((s) => s === "recognized").length;
  const how =
    d.format === "docx"
      ? `${d.lines} paragraphs`
      : `${d.pages} page${d.pages === 1 ? "" : "s"}${recognized > 0 ? `, ${recognized} recognized` : ", text layer"}`;
  return `${d.file} (${d.format.toUpperCase()}, ${how}): ${d.words} words, ${d.characters} characters`;
}

const at = (p: Position) => `p${p.page}:l${p.line}`;
const quote = (s: string) => (s ? JSON.stringify(s) : "∅");

export function formatDifference(d: Difference): string {
  const where = `${at(d.originalAt)} → ${at(d.copyAt)}`;
  const doubt = d.readings ? `  (uncertain: the other model read ${d.readings.map(quote).join(", ")})` : "";
  return `#${d.id} ${d.category.padEnd(11)} ${d.kind.padEnd(7)} ${where.padEnd(16)} ${quote(d.original)} → ${quote(d.copy)}${doubt}`;
}

export function formatTextReport(report: ComparisonReport, maxDifferences = 50): string {
  const out: string[] = [];
  out.push(`original: ${describeDocument(report.original)}`);
  out.push(`copy:     ${describeDocument(report.copy)}`);
  const edits = report.characters.inserted + report.characters.deleted + report.characters.replaced;
  const longer = Math.max(report.original.characters, report.copy.characters);
  out.push(
    `similarity: ${percent(report.similarity)} (${edits} character edit${edits === 1 ? "" : "s"} of ${longer})${report.identical ? ", identical text" : ""}`,
  );
  if (!report.identical) {
    const w = report.words;
    const c = report.characters;
    out.push(
      `words: ${w.replaced} replaced, ${w.inserted} inserted, ${w.deleted} deleted, ${w.unchanged} unchanged`,
    );
    out.push(`characters: ${c.replaced} replaced, ${c.inserted} inserted, ${c.deleted} deleted`);
    const cats = Object.entries(report.byCategory)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`);
    out.push(
      `differences: ${report.differences.length} (${cats.join(", ")}); punctuation marks changed: ${report.punctuationChanges}`,
    );
    if (report.uncertain > 0)
      out.push(
        `uncertain: ${report.uncertain} of these involve words the two models read differently (likely misreadings)`,
      );
    const significant = report.differences.filter(
      (d) => d.category === "amount" || d.category === "date" || d.category === "number",
    );
    if (significant.length > 0) {
      out.push("", `SIGNIFICANT: ${significant.length} change(s) of amounts, dates or numbers:`);
      for (const d of significant.slice(0, maxDifferences)) out.push(`  ${formatDifference(d)}`);
    }
    out.push("", "all differences (original page:line → copy page:line):");
    for (const d of report.differences.slice(0, maxDifferences)) out.push(`  ${formatDifference(d)}`);
    if (report.differences.length > maxDifferences) {
      out.push(`  … ${report.differences.length - maxDifferences} more (use --json or --html for all)`);
    }
  }
  return `${out.join("\n")}\n`;
}
