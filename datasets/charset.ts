// The characters the recognizers learn, built from the `charset` config section; every other data module
// checks labels against it, and labels with anything else are an error that names the characters.
import type { CharsetConfig } from "../stages/config.ts";

const RUSSIAN_UPPER = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ";
const RUSSIAN_LOWER = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя";
const LATIN_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LATIN_LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";

/** An ordered set of characters (code points, so astral characters count as one). */
export interface Charset {
  /** In a fixed order: Cyrillic, Latin, digits, space, symbols, extra; no duplicates. */
  readonly chars: readonly string[];
  has(char: string): boolean;
}

/** Raised when a label holds characters outside the charset; `characters` lists each once, in order of appearance. */
export class LabelOutsideCharsetError extends Error {
  constructor(
    readonly label: string,
    readonly characters: string[],
    where?: string,
  ) {
    super(
      `${where ? `${where}: ` : ""}label ${JSON.stringify(label)} has characters outside the charset: ${characters
        .map(describeCharacter)
        .join(", ")}`,
    );
    this.name = "LabelOutsideCharsetError";
  }
}

/** `"x" (U+0078)`: shows invisible and look-alike characters unambiguously. */
export function describeCharacter(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return `${JSON.stringify(char)} (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
}

export function charsetFromChars(chars: Iterable<string>): Charset {
  const ordered: string[] = [];
  const seen = new Set<string>();
  for (const char of chars) {
    for (const c of char) {
      if (!seen.has(c)) {
        seen.add(c);
        ordered.push(c);
      }
    }
  }
  return { chars: ordered, has: (c) => seen.has(c) };
}

export function buildCharset(config: CharsetConfig): Charset {
  const parts: string[] = [];
  if (config.cyrillic) parts.push(RUSSIAN_UPPER, RUSSIAN_LOWER);
  if (config.latin) parts.push(LATIN_UPPER, LATIN_LOWER);
  if (config.digits) parts.push(DIGITS);
  if (config.space) parts.push(" ");
  parts.push(config.symbols, config.extra);
  return charsetFromChars(parts);
}

/** The characters of `label` the charset lacks, each once, in order of appearance. */
export function charactersOutside(label: string, charset: Charset): string[] {
  const missing = new Set<string>();
  for (const c of label) if (!charset.has(c)) missing.add(c);
  return [...missing];
}

/** Throws LabelOutsideCharsetError unless every character of `label` is in the charset. */
export function assertLabelInCharset(label: string, charset: Charset, where?: string): void {
  const missing = charactersOutside(label, charset);
  if (missing.length > 0) throw new LabelOutsideCharsetError(label, missing, where);
}

/** Label length as the models count it: code points, not UTF-16 units. */
export function labelLength(label: string): number {
  let n = 0;
  for (const _ of label) n++;
  return n;
}
