// Skew estimation by projection profiles (the angle at which rows of ink are sharpest, i.e. the horizontal
// profile has the largest variance) and rotation of the grey page to undo it.
import type { GreyImage } from "../datasets/augment.ts";

export interface DeskewOptions {
  /** Largest skew searched, degrees either way. */
  maxDegrees?: number;
}

/** Score of one angle: sum of squared row counts of ink pixels projected along that angle. */
function profileScore(
  xs: Int32Array,
  ys: Int32Array,
  count: number,
  radians: number,
  bins: Float64Array,
): number {
  bins.fill(0);
  const sin = Math.sin(radians);
  const cos = Math.cos(radians);
  const offset = bins.length / 2;
  for (let k = 0; k < count; k++) {
    const row = Math.round((ys[k] as number) * cos - (xs[k] as number) * sin + offset);
    if (row >= 0 && row < bins.length) bins[row] = (bins[row] as number) + 1;
  }
  let score = 0;
  for (const v of bins) score += v * v;
  return score;
}

/**
 * The page's skew in degrees (positive = lines go down to the right, i.e. the text was turned clockwise on
 * screen), found by a coarse search in 0.5° steps refined to 0.05°. At most 300k ink pixels are sampled.
 */
export function estimateSkew(
  ink: Uint8Array,
  width: number,
  height: number,
  options: DeskewOptions = {},
): number {
  const maxDegrees = options.maxDegrees ?? 6;
  let total = 0;
  for (const v of ink) total += v;
  if (total < 50) return 0;
  const stride = Math.max(1, Math.ceil(total / 300_000));
  const xs = new Int32Array(Math.ceil(total / stride) + 1);
  const ys = new Int32Array(xs.length);
  let count = 0;
  let seen = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] && seen++ % stride === 0) {
        xs[count] = x;
        ys[count] = y;
        count++;
      }
    }
  }
  const bins = new Float64Array(2 * (width + height));
  const search = (from: number, to: number, step: number) => {
    let best = from;
    let bestScore = -1;
    for (let d = from; d <= to + 1e-9; d += step) {
      const s = profileScore(xs, ys, count, (d * Math.PI) / 180, bins);
      if (s > bestScore) {
        bestScore = s;
        best = d;
      }
    }
    return best;
  };
  const coarse = search(-maxDegrees, maxDegrees, 0.5);
  return Math.round(search(coarse - 0.5, coarse + 0.5, 0.05) * 100) / 100;
}

/** Rotates the page by -`degrees` about its centre (bilinear, white outside), so lines skewed by `degrees` come out level. */
export function rotateGrey(image: GreyImage, degrees: number): GreyImage {
  const { width, height, data } = image;
  const out = new Uint8Array(width * height);
  const radians = (degrees * Math.PI) / 180;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  const cx = width / 2;
  const cy = height / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Source of output pixel (x, y): rotate back by +degrees.
      const dx = x - cx;
      const dy = y - cy;
      const sx = cos * dx - sin * dy + cx;
      const sy = sin * dx + cos * dy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height) {
        out[y * width + x] = 255;
        continue;
      }
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * width + x0;
      const top = (data[i] as number) * (1 - fx) + (data[i + 1] as number) * fx;
      const bottom = (data[i + width] as number) * (1 - fx) + (data[i + width + 1] as number) * fx;
      out[y * width + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { width, height, data: out };
}
