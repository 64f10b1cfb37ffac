// Aligns the token sequences of two documents with the `diff` package, groups the changes into differences
// (with positions, categories and word/character counts) and computes the similarity score (documents/README.md).
import { diffArrays, diffChars } from "diff";
import { chunkCategory, type DifferenceCategory, SIGNIFICANT } from "./categories.ts";
import type { DocumentFormat, DocumentText, PageSource } from "./document.ts";
import { type NormalizeOptions, type Token, type TokenizedDocument, tokenizeDocument } from "./normalize.ts";

export type DifferenceKind = "insert" | "delete" | "replace";

export interface Position {
  page: number;
  line: number;
}

export interface EditCounts {
  inserted: number;
  deleted: number;
  replaced: number;
}

export interface Difference {
  /** 1-based, in document order. */
  id: number;
  kind: DifferenceKind;
  category: DifferenceCategory;
  /** The original's text that changed ("" for an insertion), tokens joined by single spaces. */
  original: string;
  copy: string;
  /**
   * Where the change is in each document. For an insertion, the original's position is that of the token the
   * inserted text comes before (the last token when it is appended), and likewise for a deletion in the copy.
   */
  originalAt: Position;
  copyAt: Position;
  /** Words and numbers (punctuation marks are not words). */
  words: EditCounts;
  /** Visible characters (whitespace is not compared). */
  characters: EditCounts;
  /**
   * With `compare --cross-check`: the second model's readings of the recognized words of this difference that
   * the two models read differently, in order. A difference with readings is likely a misreading, not a change.
   */
  readings?: string[];
  /** Token index ranges [from, to) in each document's token list, for the reports. */
  originalTokens: [number, number];
  copyTokens: [number, number];
}

export interface DocumentSummary {
  file: string;
  format: DocumentFormat;
  pages: number;
  /** How each page's text was obtained, in page order. */
  sources: PageSource[];
  lines: number;
  words: number;
  characters: number;
}

export interface ComparisonReport {
  original: DocumentSummary;
  copy: DocumentSummary;
  options: NormalizeOptions;
  /** 1 − character edits / visible characters of the longer document, in 0..1 (see documents/README.md). */
  similarity: number;
  identical: boolean;
  words: EditCounts & { unchanged: number };
  characters: EditCounts;
  punctuationChanges: number;
  byCategory: Record<DifferenceCategory, number>;
  /** Differences in amounts, dates and numbers. */
  significant: number;
  /** Differences with `readings`: words the two models of `--cross-check` read differently. */
  uncertain: number;
  differences: Difference[];
}

export interface Comparison {
  report: ComparisonReport;
  originalTokens: TokenizedDocument;
  copyTokens: TokenizedDocument;
}

const isWordToken = (t: Token) => t.kind !== "punctuation";
const visibleLength = (s: string) => s.replace(/\s+/gu, "").length;

/**
 * Character edits between two texts: replaced = paired removed/added characters of one hunk, the rest inserted
 * or deleted. Long texts fall back to a length-only estimate so a wholly different document stays fast.
 */
export function characterEdits(original: string, copy: string): EditCounts {
  const counts: EditCounts = { inserted: 0, deleted: 0, replaced: 0 };
  const a = original.replace(/\s+/gu, "");
  const b = copy.replace(/\s+/gu, "");
  const changes = a.length + b.length <= 20_000 ? diffChars(a, b, { timeout: 2_000 }) : undefined;
  if (!changes) {
    counts.replaced = Math.min(a.length, b.length);
    if (a.length > b.length) counts.deleted = a.length - b.length;
    else counts.inserted = b.length - a.length;
    return counts;
  }
  let removed = 0;
  let added = 0;
  const flush = () => {
    const paired = Math.min(removed, added);
    counts.replaced += paired;
    counts.deleted += removed - paired;
    counts.inserted += added - paired;
    removed = 0;
    added = 0;
  };
  for (const change of changes) {
    if (change.removed) removed += change.value.length;
    else if (change.added) added += change.value.length;
    else flush();
  }
  flush();
  return counts;
}

function summarize(doc: DocumentText, tokenized: TokenizedDocument): DocumentSummary {
  return {
    file: doc.file,
    format: doc.format,
    pages: doc.pages.length,
    sources: doc.pages.map((p) => p.source),
    lines: tokenized.lines.filter((l) => l.text.length > 0).length,
    words: tokenized.tokens.filter(isWordToken).length,
    characters: tokenized.tokens.reduce((n, t) => n + visibleLength(t.key), 0),
  };
}

/** Position of token `index`, or of the last token when the index is past the end (page 1, line 1 if none). */
function positionOf(tokens: readonly Token[], index: number): Position {
  const t = tokens[Math.min(index, tokens.length - 1)];
  return t ? { page: t.page, line: t.line } : { page: 1, line: 1 };
}

/** Token ranges [from, to) of each changed chunk, in order; unchanged runs between them. */
function alignedChunks(
  a: readonly Token[],
  b: readonly Token[],
): Array<{ a: [number, number]; b: [number, number] }> {
  const changes = diffArrays(
    a.map((t) => t.key),
    b.map((t) => t.key),
    { timeout: 10_000 },
  );
  if (!changes) return a.length + b.length > 0 ? [{ a: [0, a.length], b: [0, b.length] }] : [];
  const chunks: Array<{ a: [number, number]; b: [number, number] }> = [];
  let i = 0;
  let j = 0;
  let open: { a: [number, number]; b: [number, number] } | undefined;
  for (const change of changes) {
    const n = change.count ?? change.value.length;
    if (!change.added && !change.removed) {
      if (open) chunks.push(open);
      open = undefined;
      i += n;
      j += n;
      continue;
    }
    open ??= { a: [i, i], b: [j, j] };
    if (change.removed) {
      i += n;
      open.a[1] = i;
    } else {
      j += n;
      open.b[1] = j;
    }
  }
  if (open) chunks.push(open);
  return chunks;
}

export function compareDocuments(
  original: DocumentText,
  copy: DocumentText,
  options: NormalizeOptions,
): Comparison {
  const ta = tokenizeDocument(original, options);
  const tb = tokenizeDocument(copy, options);
  const a = ta.tokens;
  const b = tb.tokens;
  const differences: Difference[] = [];
  const totals = { inserted: 0, deleted: 0, replaced: 0 };
  const chars = { inserted: 0, deleted: 0, replaced: 0 };
  let punctuationChanges = 0;
  const byCategory: Record<DifferenceCategory, number> = {
    amount: 0,
    date: 0,
    number: 0,
    text: 0,
    punctuation: 0,
  };
  for (const chunk of alignedChunks(a, b)) {
    const removed = a.slice(chunk.a[0], chunk.a[1]);
    const added = b.slice(chunk.b[0], chunk.b[1]);
    const removedWords = removed.filter(isWordToken).length;
    const addedWords = added.filter(isWordToken).length;
    const pairedWords = Math.min(removedWords, addedWords);
    const words = {
      inserted: addedWords - pairedWords,
      deleted: removedWords - pairedWords,
      replaced: pairedWords,
    };
    const characters = characterEdits(removed.map((t) => t.key).join(" "), added.map((t) => t.key).join(" "));
    const category = chunkCategory([
      { tokens: a, from: chunk.a[0], to: chunk.a[1] },
      { tokens: b, from: chunk.b[0], to: chunk.b[1] },
    ]);
    const kind: DifferenceKind = removed.length === 0 ? "insert" : added.length === 0 ? "delete" : "replace";
    const readings = [
      ...new Set([...removed, ...added].flatMap((t) => (t.alternative !== undefined ? [t.alternative] : []))),
    ];
    differences.push({
      id: differences.length + 1,
      kind,
      category,
      original: removed.map((t) => t.text).join(" "),
      copy: added.map((t) => t.text).join(" "),
      originalAt: positionOf(a, chunk.a[0]),
      copyAt: positionOf(b, chunk.b[0]),
      words,
      characters,
      ...(readings.length > 0 ? { readings } : {}),
      originalTokens: chunk.a,
      copyTokens: chunk.b,
    });
    for (const k of ["inserted", "deleted", "replaced"] as const) {
      totals[k] += words[k];
      chars[k] += characters[k];
    }
    punctuationChanges += removed.length - removedWords + (added.length - addedWords);
    byCategory[category]++;
  }
  const summaryA = summarize(original, ta);
  const summaryB = summarize(copy, tb);
  const longer = Math.max(summaryA.characters, summaryB.characters);
  const edits = chars.inserted + chars.deleted + chars.replaced;
  const similarity = longer === 0 ? 1 : Math.max(0, 1 - edits / longer);
  return {
    report: {
      original: summaryA,
      copy: summaryB,
      options,
      similarity,
      identical: differences.length === 0,
      words: { ...totals, unchanged: summaryA.words - totals.deleted - totals.replaced },
      characters: chars,
      punctuationChanges,
      byCategory,
      significant: differences.filter((d) => SIGNIFICANT.has(d.category)).length,
      uncertain: differences.filter((d) => d.readings !== undefined).length,
      differences,
    },
    originalTokens: ta,
    copyTokens: tb,
  };
}
