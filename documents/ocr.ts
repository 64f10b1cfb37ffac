// Recognition of a page image: binarize, deskew, segment into lines and words, crop each word with a margin
// and recognize all of a page's words in one batch through the Recognizer interface, keeping the boxes.
import type { GreyImage } from "../datasets/augment.ts";
import type { Recognizer } from "../models/recognizer.ts";
import { binarize } from "./binarize.ts";
import { estimateSkew, rotateGrey } from "./deskew.ts";
import type { Box, PageText, RecognizedWord, TextLine } from "./document.ts";
import { segmentPage } from "./segment.ts";

/** Margin around each word crop, in line heights (bench/crop-margin.ts). */
export const CROP_MARGIN = 0.35;

export interface RecognizePageOptions {
  /** Skip deskewing (a rendered PDF page is never skewed). */
  deskew?: boolean;
  /** Margin around each word crop, in line heights (default CROP_MARGIN). */
  cropMargin?: number;
}

/** Copies `box` grown by `margin` pixels each side (clipped to the page) out of `image`. */
export function cropGrey(image: GreyImage, box: Box, margin: number): GreyImage {
  const x0 = Math.max(0, Math.floor(box.x - margin));
  const y0 = Math.max(0, Math.floor(box.y - margin));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.width + margin));
  const y1 = Math.min(image.height, Math.ceil(box.y + box.height + margin));
  const width = Math.max(1, x1 - x0);
  const height = Math.max(1, y1 - y0);
  const data = new Uint8Array(width * height).fill(255);
  for (let y = 0; y < y1 - y0; y++)
    data.set(image.data.subarray((y0 + y) * image.width + x0, (y0 + y) * image.width + x1), y * width);
  return { width, height, data };
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
  for (const line of layout) {
    // Framed like the training lines, whose text box sits inside the 32-pixel height with room above and below:
    // the case of о/О, п/П, с/С is told by letter height relative to the crop. On the test invoice rendered in
    // 5 families at 28 and 20 px, parseq-tiny's mean page CER is 0.111 at 0.35 line heights, 0.120 at 0.3,
    // 0.125 at 0.4, 0.308 at 0.15 (bench/crop-margin.ts; README, "Pretrained models").
    const margin = Math.max(2, Math.round(line.box.height * (options.cropMargin ?? CROP_MARGIN)));
    for (const word of line.words) crops.push(cropGrey(page, word, margin));
  }
  const results = crops.length > 0 ? await recognizer.recognize(crops) : [];
  let k = 0;
  const lines: TextLine[] = [];
  for (const line of layout) {
    const words: RecognizedWord[] = [];
    for (const box of line.words) {
      const r = results[k++];
      const text = r?.text.trim() ?? "";
      if (text) words.push({ text, box, confidence: r?.confidence ?? 0 });
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
