// Recognition of a page image: binarize, deskew, segment into lines and words, crop each word with a margin
// and recognize all of a page's words in one batch through the Recognizer interface, keeping the boxes.
import { type GreyImage, greyQuantile } from "../datasets/augment.ts";
import type { Recognizer } from "../models/recognizer.ts";
import { binarize } from "./binarize.ts";
import { estimateSkew, rotateGrey } from "./deskew.ts";
import type { Box, PageText, RecognizedWord, TextLine } from "./document.ts";
import { segmentPage } from "./segment.ts";

/**
 * Margins of each word crop, in line heights, above and below (CROP_MARGIN) and left and right (CROP_MARGIN_X):
 * the crop is framed like a training line, whose text sits well inside the 32-pixel height, close to the left
 * edge. `npx tsx bench/crop-margin.ts` (models/pretrained/TRAINING.md, "Pages").
 */
export const CROP_MARGIN = 0.7;
export const CROP_MARGIN_X = 0.15;

export interface RecognizePageOptions {
  /** Skip deskewing (a rendered PDF page is never skewed). */
  deskew?: boolean;
  /** Margin above and below each word crop, in line heights (default CROP_MARGIN). */
  cropMargin?: number;
  /** Margin left and right of each word crop, in line heights (default CROP_MARGIN_X). */
  cropMarginX?: number;
}

/**
 * Copies `box` grown by `margin` pixels (x each side, y above and below) out of `image`. Only the rows of `band`
 * (default: all) come from the page; rows outside it or outside the page are the crop's background (the median
 * grey of its page pixels), so that a tall margin never takes in the ink of the lines above and below.
 */
export function cropGrey(
  image: GreyImage,
  box: Box,
  margin: { x: number; y: number },
  band: { top: number; bottom: number } = { top: 0, bottom: image.height },
): GreyImage {
  const x0 = Math.max(0, Math.floor(box.x - margin.x));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.width + margin.x));
  const y0 = Math.floor(box.y - margin.y);
  const y1 = Math.ceil(box.y + box.height + margin.y);
  const width = Math.max(1, x1 - x0);
  const height = Math.max(1, y1 - y0);
  const top = Math.max(y0, band.top, 0);
  const bottom = Math.min(y1, band.bottom, image.height);
  const histogram = new Uint32Array(256);
  for (let y = top; y < bottom; y++)
    for (let x = x0; x < x1; x++) {
      const level = image.data[y * image.width + x] as number;
      histogram[level] = (histogram[level] as number) + 1;
    }
  const data = new Uint8Array(width * height).fill(greyQuantile(histogram, 0.5));
  for (let y = top; y < bottom; y++)
    data.set(image.data.subarray(y * image.width + x0, y * image.width + x1), (y - y0) * width);
  return { width, height, data };
}

/**
 * A word that can only be a number read with round letters for zeros: О, о, O, o become 0 in a word of digits,
 * round letters, "." and "," that has a digit ("45О", "О0") or a separator between round letters and more of
 * them ("ООО,ОО", from "000,00": a page's amount is cut into words at its spaces, and a word alone gives the
 * model no digit to go by). "ООО" alone, a Russian company form, and "О," stay as they are.
 */
export function roundLettersAsZeros(word: string): string {
  if (!/^[0-9ОоOo.,]+$/u.test(word)) return word;
  if (!/[0-9]/u.test(word) && !/^[ОоOo]+[.,][ОоOo0-9]+$/u.test(word)) return word;
  return word.replace(/[ОоOo]/gu, "0");
}

export async function recognizePage(
  image: GreyImage,
  number: number,
  recognizer: Recognizer,
  options: RecognizePageOptions = {},
): Promise<PageText> {
  let page = image;
  let skewDegrees = 0;
  if (options.deskew !== false) {
    skewDegrees = estimateSkew(binarize(image), image.width, image.height);
    if (Math.abs(skewDegrees) >= 0.1) page = rotateGrey(image, skewDegrees);
    else skewDegrees = 0;
  }
  const layout = segmentPage(binarize(page), page.width, page.height);
  const crops: GreyImage[] = [];
  for (const [i, line] of layout.entries()) {
    // Framed like the training lines: the case of о/О, п/П, с/С is told by letter height relative to the crop.
    // The page rows of a word's crop stop halfway to the next line; the rest of the margin is background.
    const margin = {
      x: Math.max(2, Math.round(line.box.height * (options.cropMarginX ?? CROP_MARGIN_X))),
      y: Math.max(2, Math.round(line.box.height * (options.cropMargin ?? CROP_MARGIN))),
    };
    const above = layout[i - 1]?.box;
    const below = layout[i + 1]?.box;
    const band = {
      top: above ? Math.ceil((above.y + above.height + line.box.y) / 2) : 0,
      bottom: below ? Math.floor((line.box.y + line.box.height + below.y) / 2) : page.height,
    };
    for (const word of line.words) crops.push(cropGrey(page, word, margin, band));
  }
  const results = crops.length > 0 ? await recognizer.recognize(crops) : [];
  let k = 0;
  const lines: TextLine[] = [];
  for (const line of layout) {
    const words: RecognizedWord[] = [];
    for (const box of line.words) {
      const r = results[k++];
      const text = roundLettersAsZeros(r?.text.trim() ?? "");
      // A cross-checking recognizer (documents/recognizer.ts, crossChecked) adds the second model's reading.
      const second = (r as { alternative?: string } | undefined)?.alternative;
      const alternative = second === undefined ? undefined : roundLettersAsZeros(second);
      if (text)
        words.push({
          text,
          box,
          confidence: r?.confidence ?? 0,
          ...(alternative !== undefined && alternative !== text ? { alternative } : {}),
        });
    }
    if (words.length > 0) lines.push({ text: words.map((w) => w.text).join(" "), box: line.box, words });
  }
  return {
    number,
    source: "recognized",
    width: page.width,
    height: page.height,
    lines,
    image: page,
    skewDegrees,
  };
}
