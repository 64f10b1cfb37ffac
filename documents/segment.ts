// Layout of a printed, deskewed page by projection profiles: text lines are bands of rows with ink, words are
// runs of ink columns inside a band separated by gaps wider than a fraction of the line's height.
import type { Box } from "./document.ts";

export interface LineLayout {
  box: Box;
  words: Box[];
}

export interface SegmentOptions {
  /** A gap between ink columns at least this fraction of the line height separates words. */
  wordGap?: number;
  /** Bands thinner than this many pixels are specks, not text. */
  minLineHeight?: number;
}

/** Runs [start, end) of indices where `profile` is above `floor`. */
function runs(profile: Int32Array, floor: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  for (let i = 0; i <= profile.length; i++) {
    const on = i < profile.length && (profile[i] as number) > floor;
    if (on && start < 0) start = i;
    else if (!on && start >= 0) {
      out.push([start, i]);
      start = -1;
    }
  }
  return out;
}

/**
 * Lines and words of a binarized page (1 = ink). Bands much thinner than the typical line (the dots of ё and й,
 * an underline) are merged into the nearest line instead of becoming lines of their own.
 */
export function segmentPage(
  ink: Uint8Array,
  width: number,
  height: number,
  options: SegmentOptions = {},
): LineLayout[] {
  const wordGap = options.wordGap ?? 0.22;
  const minLineHeight = options.minLineHeight ?? 4;
  const rows = new Int32Array(height);
  for (let y = 0; y < height; y++) {
    let n = 0;
    for (let x = 0; x < width; x++) n += ink[y * width + x] as number;
    rows[y] = n;
  }
  let bands = runs(rows, 0);
  const heights = bands.map(([a, b]) => b - a).sort((p, q) => p - q);
  const typical = heights[Math.floor(heights.length / 2)] ?? 0;
  // Merge thin bands into the closer neighbour (when close enough to belong to it).
  const merged: Array<[number, number]> = [];
  for (let k = 0; k < bands.length; k++) {
    const band = bands[k] as [number, number];
    if (band[1] - band[0] >= 0.45 * typical) {
      merged.push([band[0], band[1]]);
      continue;
    }
    const prev = merged[merged.length - 1];
    const next = bands[k + 1];
    const gapPrev = prev ? band[0] - prev[1] : Number.POSITIVE_INFINITY;
    const gapNext = next ? next[0] - band[1] : Number.POSITIVE_INFINITY;
    if (Math.min(gapPrev, gapNext) > 0.5 * typical) merged.push([band[0], band[1]]);
    else if (gapNext < gapPrev && next) next[0] = band[0];
    else if (prev) prev[1] = band[1];
  }
  bands = merged.filter(([a, b]) => b - a >= minLineHeight);
  const lines: LineLayout[] = [];
  for (const [top, bottom] of bands) {
    const columns = new Int32Array(width);
    for (let y = top; y < bottom; y++)
      for (let x = 0; x < width; x++) columns[x] = (columns[x] as number) + (ink[y * width + x] as number);
    const inked = runs(columns, 0);
    if (inked.length === 0) continue;
    const lineHeight = bottom - top;
    const minGap = Math.max(2, wordGap * lineHeight);
    const words: Box[] = [];
    let start = (inked[0] as [number, number])[0];
    let end = (inked[0] as [number, number])[1];
    for (const [a, b] of inked.slice(1)) {
      if (a - end >= minGap) {
        words.push({ x: start, y: top, width: end - start, height: lineHeight });
        start = a;
      }
      end = b;
    }
    words.push({ x: start, y: top, width: end - start, height: lineHeight });
    const first = words[0] as Box;
    const last = words[words.length - 1] as Box;
    lines.push({
      box: { x: first.x, y: top, width: last.x + last.width - first.x, height: lineHeight },
      words,
    });
  }
  return lines;
}
