// What every input (PDF text layer, rendered and recognized page, DOCX, image) becomes before comparison:
// pages of lines of text, with boxes where the source has a layout, and the page image for recognized scans.
import type { GreyImage } from "../datasets/augment.ts";

/** Pixels for recognized pages, PDF points (top-left origin) for text layers. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RecognizedWord {
  text: string;
  box: Box;
  /** The recognizer's confidence, 0..1. */
  confidence: number;
  /** With a second model (`compare --cross-check`): its reading, when it differs from `text`. */
  alternative?: string;
}

export interface TextLine {
  text: string;
  box?: Box;
  /** Recognized pages only: the words that make up `text` (joined by single spaces), with their boxes. */
  words?: RecognizedWord[];
}

export type PageSource = "text-layer" | "recognized" | "paragraphs";

export interface PageText {
  /** 1-based. */
  number: number;
  source: PageSource;
  /** Page size in the units of the boxes; absent for DOCX, which has no layout. */
  width?: number;
  height?: number;
  lines: TextLine[];
  /** Recognized pages: the deskewed grey page the boxes refer to, for the HTML report. */
  image?: GreyImage;
  /** Recognized pages: the skew that was corrected, in degrees. */
  skewDegrees?: number;
}

export type DocumentFormat = "pdf" | "docx" | "png" | "jpeg" | "tiff";

export interface DocumentText {
  file: string;
  format: DocumentFormat;
  pages: PageText[];
}

/** Counts the characters of a document that are not whitespace. */
export function countVisibleCharacters(doc: DocumentText): number {
  let n = 0;
  for (const page of doc.pages) for (const line of page.lines) n += line.text.replace(/\s+/gu, "").length;
  return n;
}
