// The evaluate stage's figures for a set of recognised lines: exact and caseless exact match, partial match,
// character accuracy in place, CER and WER (Levenshtein), mean confidence; and the text class of a label.
import { editDistance } from "../models/metrics.ts";

/** Which script a test line is written in; scores are broken down by it. */
export type TextClass = "cyrillic" | "latin" | "digits" | "mixed" | "other";
export const TEXT_CLASSES: readonly TextClass[] = ["cyrillic", "latin", "digits", "mixed", "other"];

const CYRILLIC = /\p{Script=Cyrillic}/u;
const LATIN = /\p{Script=Latin}/u;
const DIGIT = /\p{Nd}/u;

/**
 * `cyrillic` / `latin`: letters of that script only, no digits (punctuation allowed); `digits`: digits and no
 * letters (numbers, amounts, dates, phones); `mixed`: two of Cyrillic, Latin and digits together (`ООО Sigma`,
 * `page 5`); `other`: neither letters nor digits (punctuation alone).
 */
export function textClass(text: string): TextClass {
  const kinds = Number(CYRILLIC.test(text)) + Number(LATIN.test(text)) + Number(DIGIT.test(text));
  if (kinds > 1) return "mixed";
  if (CYRILLIC.test(text)) return "cyrillic";
  if (LATIN.test(text)) return "latin";
  if (DIGIT.test(text)) return "digits";
  return "other";
}

/** Whitespace-separated words. */
export function wordsOf(text: string): string[] {
  return text.split(/\s+/u).filter((w) => w.length > 0);
}

/** Word-level Levenshtein distance: each distinct word becomes one private-use character for editDistance. */
export function wordEditDistance(reference: string, prediction: string): number {
  const codes = new Map<string, string>();
  const encode = (words: string[]) =>
    words
      .map((w) => {
        let code = codes.get(w);
        if (code === undefined) {
          code = String.fromCodePoint(0xf0000 + codes.size);
          codes.set(w, code);
        }
        return code;
      })
      .join("");
  return editDistance(encode(wordsOf(reference)), encode(wordsOf(prediction)));
}

/**
 * The original project's metric: characters equal at the same position, over the longer of the two strings
 * (so a missing or an extra character costs as much as a wrong one, and a shift costs everything after it).
 */
export function charactersInPlace(reference: string, prediction: string): { same: number; of: number } {
  const ref = [...reference];
  const hyp = [...prediction];
  let same = 0;
  for (let i = 0; i < Math.min(ref.length, hyp.length); i++) if (ref[i] === hyp[i]) same++;
  return { same, of: Math.max(ref.length, hyp.length) };
}

/** Figures of one line, the sums every breakdown adds up. */
export interface LineFigures {
  exact: boolean;
  caseless: boolean;
  /** Share of reference characters right: 1 − edits / reference length, at least 0. */
  charAccuracy: number;
  edits: number;
  refChars: number;
  wordEdits: number;
  refWords: number;
  inPlace: { same: number; of: number };
}

export function lineFigures(reference: string, prediction: string): LineFigures {
  const edits = editDistance(prediction, reference);
  const refChars = [...reference].length;
  return {
    exact: prediction === reference,
    caseless: prediction.toLowerCase() === reference.toLowerCase(),
    charAccuracy: refChars === 0 ? (prediction === "" ? 1 : 0) : Math.max(0, 1 - edits / refChars),
    edits,
    refChars,
    wordEdits: wordEditDistance(reference, prediction),
    refWords: wordsOf(reference).length,
    inPlace: charactersInPlace(reference, prediction),
  };
}

/** Figures of a set of lines (a model, a text class, a font). Ratios are 0..1. */
export interface SetFigures {
  count: number;
  exact_match: number;
  /** Exact up to letter case. */
  caseless_exact_match: number;
  /** Share of lines with at least `partial_match_threshold` of their characters right. */
  partial_match: number;
  /** Characters equal at the same position, over all lines (charactersInPlace). */
  char_accuracy_in_place: number;
  /** Character edits / reference characters. */
  cer: number;
  /** Word edits / reference words. */
  wer: number;
  /** Mean confidence of the predictions. */
  confidence: number;
}

/** Running sums of LineFigures. */
export class FigureAccumulator {
  private count = 0;
  private exact = 0;
  private caseless = 0;
  private partial = 0;
  private inPlaceSame = 0;
  private inPlaceOf = 0;
  private edits = 0;
  private chars = 0;
  private wordEdits = 0;
  private words = 0;
  private confidence = 0;

  constructor(private readonly partialThreshold: number) {}

  add(line: LineFigures, confidence: number): void {
    this.count++;
    if (line.exact) this.exact++;
    if (line.caseless) this.caseless++;
    if (line.charAccuracy >= this.partialThreshold) this.partial++;
    this.inPlaceSame += line.inPlace.same;
    this.inPlaceOf += line.inPlace.of;
    this.edits += line.edits;
    this.chars += line.refChars;
    this.wordEdits += line.wordEdits;
    this.words += line.refWords;
    this.confidence += confidence;
  }

  figures(): SetFigures {
    const ratio = (a: number, b: number, empty = 0) => (b > 0 ? round(a / b) : empty);
    return {
      count: this.count,
      exact_match: ratio(this.exact, this.count),
      caseless_exact_match: ratio(this.caseless, this.count),
      partial_match: ratio(this.partial, this.count),
      char_accuracy_in_place: ratio(this.inPlaceSame, this.inPlaceOf, 1),
      // A model that adds characters can exceed 1 edit per character; scores.json keeps ratios in 0..1.
      cer: Math.min(1, ratio(this.edits, this.chars)),
      wer: Math.min(1, ratio(this.wordEdits, this.words)),
      confidence: ratio(this.confidence, this.count),
    };
  }
}

/** Six significant decimals: stable files, no float noise in `metrics diff`. */
export function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
