// Normalization and tokenization before alignment: Unicode NFC, one kind of quote, dash and space, ligatures
// undone, then words, numbers and punctuation marks found with Intl.Segmenter (which keeps Cyrillic words
// whole, unlike a \w regex) and compared through a key that can fold ё→е, case and Cyrillic/Latin look-alikes.
import type { DocumentText, RecognizedWord } from "./document.ts";

export interface NormalizeOptions {
  /** Compare ё as е (Russian text writes either): on by default. */
  foldYo: boolean;
  ignoreCase: boolean;
  /** Leave punctuation marks out of the comparison. */
  ignorePunctuation: boolean;
  /**
   * Compare the Cyrillic letters that look like Latin ones (А/A, В/B, Е/E, К/K, М/M, Н/H, О/O, Р/P, С/C, Т/T,
   * Х/X, а/a, е/e, о/o, р/p, с/c, у/y, х/x) as equal: on paper they cannot be told apart, so a recognized
   * page cannot tell them either. compareFiles turns it on when a page was recognized.
   */
  foldLookalikes: boolean;
}

export const DEFAULT_NORMALIZE: NormalizeOptions = {
  foldYo: true,
  ignoreCase: false,
  ignorePunctuation: false,
  foldLookalikes: false,
};

/** Cyrillic letter → the Latin one it looks like; with case folded, the lower case of both sides of each pair. */
const LOOKALIKES = pairs("АВЕКМНОРСТХаеорсух", "ABEKMHOPCTXaeopcyx");
const CASELESS_LOOKALIKES = pairs("авекмнорстху", "abekmhopctxy");

function pairs(cyrillic: string, latin: string): Map<string, string> {
  return new Map([...cyrillic].map((c, i) => [c, latin[i] as string]));
}

function foldLookalikes(text: string, table: Map<string, string>): string {
  let out = "";
  for (const c of text) out += table.get(c) ?? c;
  return out;
}

const REPLACEMENTS: Array<[RegExp, string]> = [
  [/[«»„“”‟″〝〞＂]/gu, '"'],
  [/[‘’‚‛′`＇]/gu, "'"],
  [/[‐‑‒–—―−﹘﹣－]/gu, "-"],
  [/…/gu, "..."],
  [/ﬀ/gu, "ff"],
  [/ﬁ/gu, "fi"],
  [/ﬂ/gu, "fl"],
  [/ﬃ/gu, "ffi"],
  [/ﬄ/gu, "ffl"],
  [/ﬅ|ﬆ/gu, "st"],
  // Soft hyphens and zero-width characters are invisible in print.
  [/[\u00ad\u200b-\u200d\u2060\ufeff]/gu, ""],
  [/\s+/gu, " "],
];

/** The text as displayed and tokenized: NFC, unified quotes/dashes/spaces, trimmed. */
export function normalizeLine(text: string): string {
  let out = text.normalize("NFC");
  for (const [pattern, replacement] of REPLACEMENTS) out = out.replace(pattern, replacement);
  return out.trim();
}

export type TokenKind = "word" | "number" | "punctuation";

/** Where a token is: 1-based page and line, offsets into the normalized line text. */
export interface TokenPlace {
  page: number;
  line: number;
  start: number;
  end: number;
}

export interface Token extends TokenPlace {
  /** As displayed (normalized line text between start and end). */
  text: string;
  /** What alignment compares: the text with the folding options applied. */
  key: string;
  kind: TokenKind;
  /**
   * Recognized pages read with a second model (`compare --cross-check`): that model's reading of the word this
   * token is part of, when the two models read it differently.
   */
  alternative?: string;
}

export interface NormalizedLine {
  page: number;
  line: number;
  text: string;
  /** Index of the line's first token in the document's token list, and how many it has. */
  firstToken: number;
  tokenCount: number;
}

export interface TokenizedDocument {
  lines: NormalizedLine[];
  tokens: Token[];
}

const segmenter = new Intl.Segmenter("ru", { granularity: "word" });

export function comparisonKey(text: string, options: NormalizeOptions): string {
  let key = text;
  if (options.foldYo) key = key.replace(/ё/gu, "е").replace(/Ё/gu, "Е");
  if (options.ignoreCase) key = key.toLocaleLowerCase("ru");
  // Case first: with it folded, В and в both become b, as B and b do.
  if (options.foldLookalikes)
    key = foldLookalikes(key, options.ignoreCase ? CASELESS_LOOKALIKES : LOOKALIKES);
  return key;
}

/**
 * Splits one normalized line into tokens. A group of 1–3 digits followed by a single space and groups of three
 * digits (with decimals) is one number, as "1 234 567,89" is written in Russian documents.
 */
export function tokenizeLine(text: string, page: number, line: number, options: NormalizeOptions): Token[] {
  const tokens: Token[] = [];
  const push = (start: number, end: number, kind: TokenKind) => {
    const t = text.slice(start, end);
    tokens.push({ page, line, start, end, text: t, key: comparisonKey(t, options), kind });
  };
  const segments = [...segmenter.segment(text)];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] as Intl.SegmentData;
    if (s.isWordLike) {
      let end = s.index + s.segment.length;
      const isNumber = /\d/u.test(s.segment);
      if (/^\d{1,3}$/u.test(s.segment)) {
        // Thousands groups: digit segment, one space, exactly three digits (optionally a decimal part).
        while (
          segments[i + 1]?.segment === " " &&
          /^\d{3}(?:[.,]\d+)?$/u.test(segments[i + 2]?.segment ?? "") &&
          segments[i + 2]?.isWordLike
        ) {
          const next = segments[i + 2] as Intl.SegmentData;
          end = next.index + next.segment.length;
          i += 2;
          if (!/^\d{3}$/u.test(next.segment)) break;
        }
      }
      push(s.index, end, isNumber ? "number" : "word");
    } else if (!options.ignorePunctuation) {
      // Each visible mark is its own token, so "," → "." is one small change, not a change of a word.
      let offset = s.index;
      for (const ch of s.segment) {
        if (!/\s/u.test(ch)) push(offset, offset + ch.length, "punctuation");
        offset += ch.length;
      }
    }
  }
  return tokens;
}

export function tokenizeDocument(doc: DocumentText, options: NormalizeOptions): TokenizedDocument {
  const lines: NormalizedLine[] = [];
  const tokens: Token[] = [];
  for (const page of doc.pages) {
    page.lines.forEach((raw, index) => {
      const text = normalizeLine(raw.text);
      const lineTokens = tokenizeLine(text, page.number, index + 1, options);
      if (raw.words?.some((w) => w.alternative !== undefined)) markAlternatives(raw.words, text, lineTokens);
      lines.push({
        page: page.number,
        line: index + 1,
        text,
        firstToken: tokens.length,
        tokenCount: lineTokens.length,
      });
      tokens.push(...lineTokens);
    });
  }
  return { lines, tokens };
}

/**
 * Gives each token of a recognized line the alternative reading of the word it overlaps. The line's text is its
 * words joined by spaces; when normalizing the words one by one gives that text, their offsets are exact.
 * Otherwise (normalization changed the spacing inside a word) every token of the line gets the line's
 * alternatives: a doubt is never dropped.
 */
function markAlternatives(words: readonly RecognizedWord[], text: string, tokens: Token[]): void {
  const normalized = words.map((w) => normalizeLine(w.text));
  if (normalized.join(" ") !== text) {
    const all = words.flatMap((w) => (w.alternative !== undefined ? [w.alternative] : [])).join(" ");
    for (const token of tokens) token.alternative = all;
    return;
  }
  let start = 0;
  normalized.forEach((word, i) => {
    const end = start + word.length;
    const alternative = words[i]?.alternative;
    if (alternative !== undefined)
      for (const token of tokens) if (token.start < end && token.end > start) token.alternative = alternative;
    start = end + 1;
  });
}
