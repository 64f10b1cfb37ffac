// Layout of a printed, deskewed page by projection profiles: text lines are bands of rows with ink, words are
// runs of ink columns inside a band separated by gaps of the larger of the page's two gap sizes (letters, words).
import type { Box } from "./document.ts";

export interface LineLayout {
  box: Box;
  words: Box[];
}

export interface SegmentOptions {
  /** Word gap as a fraction of the typical line height, when a page has too few gaps to learn it from. */
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
  const wordGap = options.wordGap ?? 0.25;
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
  const inkedRuns = bands.map(([top, bottom]) => {
    const columns = new Int32Array(width);
    for (let y = top; y < bottom; y++) {
      for (let x = 0; x < width; x++) columns[x] = (columns[x] as number) + (ink[y * width + x] as number);
    }
    return runs(columns, 0);
  });
  const minGap = wordGapThreshold(inkedRuns, typical, wordGap);
  const lines: LineLayout[] = [];
  bands.forEach(([top, bottom], k) => {
    const inked = inkedRuns[k] as Array<[number, number]>;
    if (inked.length === 0) return;
    const lineHeight = bottom - top;
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
  });
  return lines;
}

/**
 * The smallest gap between ink columns that separates words, for the whole page: gaps between letters and
 * between words form two clusters, split by Otsu's method on the gap sizes, kept within 0.12–0.45 of the
 * typical line height (a page of few gaps uses `fallback` × that height).
 */
export function wordGapThreshold(
  inkedRuns: Array<Array<[number, number]>>,
  typical: number,
  fallback: number,
): number {
  const gaps: number[] = [];
  for (const line of inkedRuns)
    for (let i = 1; i < line.length; i++)
      gaps.push((line[i] as [number, number])[0] - (line[i - 1] as [number, number])[1]);
  const low = Math.max(2, 0.12 * typical);
  const high = Math.max(low, 0.45 * typical);
  if (gaps.length < 8) return Math.max(2, fallback * typical);
  const max = Math.max(...gaps);
  const histogram = new Float64Array(max + 1);
  for (const g of gaps) histogram[g] = (histogram[g] as number) + 1;
  let sumAll = 0;
  for (let g = 0; g <= max; g++) sumAll += g * (histogram[g] as number);
  let weightLow = 0;
  let sumLow = 0;
  let best = fallback * typical;
  let bestVariance = -1;
  for (let t = 0; t < max; t++) {
    weightLow += histogram[t] as number;
    sumLow += t * (histogram[t] as number);
    const weightHigh = gaps.length - weightLow;
    if (weightLow === 0 || weightHigh === 0) continue;
    const variance = weightLow * weightHigh * (sumLow / weightLow - (sumAll - sumLow) / weightHigh) ** 2;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = t + 1;
    }
  }
  return Math.min(high, Math.max(low, best));
}
