// Pixel-array augmentations of text-line images (plain JS, deterministic given the Random stream): fitting
// into the model's input with aspect ratio kept, perspective, composing ink over varied backgrounds, blur,
// Gaussian and salt-and-pepper noise, JPEG artefacts (8x8 DCT quantisation), contrast and inversion; and, at
// training time, recutting a line around its ink with other margins (reframe).
import type { AugmentConfig, Range } from "../stages/config.ts";
import type { Random } from "./random.ts";

/** One-channel image; `data` is row-major, `width * height` values. */
export interface Plane<T extends Float32Array | Uint8Array = Float32Array> {
  width: number;
  height: number;
  data: T;
}

/** Grey image: 0 = black, 255 = white. */
export type GreyImage = Plane<Uint8Array>;

/** Ink coverage: 0 = background, 1 = full ink; what the renderer produces and geometry operates on. */
export type InkImage = Plane<Float32Array>;

export function range(rng: Random, r: Range): number {
  return rng.float(r.min, r.max);
}

/**
 * Resizes `ink` to fit inside `width x height` less `pad` pixels each side, keeping its aspect ratio, and
 * places it at (`x`, vertically centred + `dy`) on an empty plane. Downscaling averages areas; upscaling (unless
 * `upscale` is false) is bilinear. `x` < 0 means "left after the padding".
 */
export function fitInto(
  ink: InkImage,
  width: number,
  height: number,
  options: { pad?: number; dy?: number; x?: number; upscale?: boolean } = {},
): InkImage {
  const { pad = 0, dy = 0, x = -1, upscale = true } = options;
  const innerW = Math.max(1, width - 2 * pad);
  const innerH = Math.max(1, height - 2 * pad);
  const scale = Math.min(upscale ? Number.POSITIVE_INFINITY : 1, innerW / ink.width, innerH / ink.height);
  const tw = Math.max(1, Math.min(innerW, Math.round(ink.width * scale)));
  const th = Math.max(1, Math.min(innerH, Math.round(ink.height * scale)));
  const resized =
    tw === ink.width && th === ink.height
      ? ink
      : scale < 1
        ? resizeArea(ink, tw, th)
        : resizeBilinear(ink, tw, th);
  const out = new Float32Array(width * height);
  const left = x < 0 ? pad : Math.max(0, Math.min(width - tw, Math.round(x)));
  const top = Math.max(0, Math.min(height - th, Math.round((height - th) / 2 + dy)));
  for (let y = 0; y < th; y++) {
    out.set(resized.data.subarray(y * tw, (y + 1) * tw), (top + y) * width + left);
  }
  return { width, height, data: out };
}

/** Box-filter (area) downscaling: every source pixel contributes by its overlap. */
export function resizeArea(src: InkImage, tw: number, th: number): InkImage {
  // Separable: first columns, then rows.
  const sx = src.width / tw;
  const sy = src.height / th;
  const tmp = new Float32Array(tw * src.height);
  const xWeights = overlapWeights(src.width, tw, sx);
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width;
    for (let x = 0; x < tw; x++) {
      const { start, weights } = xWeights[x] as { start: number; weights: number[] };
      let sum = 0;
      for (let k = 0; k < weights.length; k++)
        sum += (src.data[row + start + k] as number) * (weights[k] as number);
      tmp[y * tw + x] = sum;
    }
  }
  const out = new Float32Array(tw * th);
  const yWeights = overlapWeights(src.height, th, sy);
  for (let y = 0; y < th; y++) {
    const { start, weights } = yWeights[y] as { start: number; weights: number[] };
    for (let x = 0; x < tw; x++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++)
        sum += (tmp[(start + k) * tw + x] as number) * (weights[k] as number);
      out[y * tw + x] = sum;
    }
  }
  return { width: tw, height: th, data: out };
}

function overlapWeights(
  srcSize: number,
  dstSize: number,
  step: number,
): Array<{ start: number; weights: number[] }> {
  const result: Array<{ start: number; weights: number[] }> = [];
  for (let i = 0; i < dstSize; i++) {
    const a = i * step;
    const b = Math.min(srcSize, (i + 1) * step);
    const start = Math.floor(a);
    const weights: number[] = [];
    for (let s = start; s < b; s++) weights.push((Math.min(s + 1, b) - Math.max(s, a)) / step);
    result.push({ start, weights });
  }
  return result;
}

export function resizeBilinear(src: InkImage, tw: number, th: number): InkImage {
  const out = new Float32Array(tw * th);
  const sx = src.width / tw;
  const sy = src.height / th;
  for (let y = 0; y < th; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    for (let x = 0; x < tw; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      out[y * tw + x] = sampleBilinear(src, fx, fy);
    }
  }
  return { width: tw, height: th, data: out };
}

/** Bilinear sample; outside the plane counts as 0 (no ink). No closures here: this runs per pixel. */
function sampleBilinear(src: InkImage, fx: number, fy: number): number {
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const ax = fx - x0;
  const ay = fy - y0;
  const w = src.width;
  const h = src.height;
  const d = src.data;
  const x1 = x0 + 1;
  const y1 = y0 + 1;
  const inX0 = x0 >= 0 && x0 < w;
  const inX1 = x1 >= 0 && x1 < w;
  const inY0 = y0 >= 0 && y0 < h;
  const inY1 = y1 >= 0 && y1 < h;
  const p00 = inX0 && inY0 ? (d[y0 * w + x0] as number) : 0;
  const p10 = inX1 && inY0 ? (d[y0 * w + x1] as number) : 0;
  const p01 = inX0 && inY1 ? (d[y1 * w + x0] as number) : 0;
  const p11 = inX1 && inY1 ? (d[y1 * w + x1] as number) : 0;
  return (p00 * (1 - ax) + p10 * ax) * (1 - ay) + (p01 * (1 - ax) + p11 * ax) * ay;
}

/**
 * Affine warp by the matrix [a c; b d] (x' = a·x + c·y, y' = b·x + d·y) into a plane just large enough for the
 * whole transformed image: nothing is cut off. Inverse mapping with bilinear sampling.
 */
export function affineWarp(src: InkImage, a: number, b: number, c: number, d: number): InkImage {
  const { width: w, height: h } = src;
  const xs = [0, a * w, a * w + c * h, c * h];
  const ys = [0, b * w, b * w + d * h, d * h];
  // One more pixel each side: bilinear sampling near the box's edges reaches half a pixel into the source.
  const minX = Math.floor(Math.min(...xs)) - 1;
  const minY = Math.floor(Math.min(...ys)) - 1;
  const width = Math.ceil(Math.max(...xs)) + 1 - minX;
  const height = Math.ceil(Math.max(...ys)) + 1 - minY;
  const det = a * d - b * c;
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const v = y + 0.5 + minY;
    for (let x = 0; x < width; x++) {
      const u = x + 0.5 + minX;
      out[y * width + x] = sampleBilinear(src, ia * u + ic * v - 0.5, ib * u + id * v - 0.5);
    }
  }
  return { width, height, data: out };
}

/**
 * Perspective warp: each corner moves inwards by up to `max` of the image size, the rest follows the homography
 * mapping the moved corners back onto the original ones (inverse mapping, bilinear).
 */
export function perspective(ink: InkImage, rng: Random, max: number): InkImage {
  const { width: w, height: h } = ink;
  // Corners only move inwards: the whole image lands inside the frame, so no ink is cut off at the edges.
  const j = () => rng.float(0, max);
  const dst: Array<[number, number]> = [
    [j() * w, j() * h],
    [w - j() * w, j() * h],
    [w - j() * w, h - j() * h],
    [j() * w, h - j() * h],
  ];
  const src: Array<[number, number]> = [
    [0, 0],
    [w, 0],
    [w, h],
    [0, h],
  ];
  const m = homography(dst, src);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const d = m[6] * px + m[7] * py + 1;
      const sx = (m[0] * px + m[1] * py + m[2]) / d - 0.5;
      const sy = (m[3] * px + m[4] * py + m[5]) / d - 0.5;
      out[y * w + x] = sampleBilinear(ink, sx, sy);
    }
  }
  return { width: w, height: h, data: out };
}

type Homography = [number, number, number, number, number, number, number, number];

/** The 8 coefficients of the homography taking `from[i]` to `to[i]` (Gaussian elimination on 8x8). */
function homography(from: Array<[number, number]>, to: Array<[number, number]>): Homography {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i] as [number, number];
    const [u, v] = to[i] as [number, number];
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++)
      if (Math.abs(a[r]?.[col] ?? 0) > Math.abs(a[pivot]?.[col] ?? 0)) pivot = r;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const p = a[col] as number[];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const row = a[r] as number[];
      const f = (row[col] as number) / (p[col] as number);
      for (let k = col; k < 9; k++) row[k] = (row[k] as number) - f * (p[k] as number);
    }
  }
  return a.map((row, i) => (row[8] as number) / (row[i] as number)) as Homography;
}

/** Paints ink over a background: flat, a linear gradient, or a smooth texture, at the drawn grey levels. */
export function compose(
  ink: InkImage,
  rng: Random,
  augment: AugmentConfig | undefined,
  enabled: boolean,
): Float32Array {
  const { width: w, height: h } = ink;
  const out = new Float32Array(w * h);
  let bg = 255;
  let inkLevel = 0;
  let gradient = 0;
  let texture = 0;
  if (enabled && augment) {
    if (rng.chance(augment.background.probability)) {
      bg = range(rng, augment.background.level);
      const kind = rng.int(0, 2);
      if (kind === 1) gradient = rng.float(-40, 40);
      if (kind === 2) texture = rng.float(5, 25);
    }
    inkLevel = rng.float(0, 60);
    if (rng.chance(augment.contrast.probability)) {
      const factor = range(rng, augment.contrast.factor);
      const mid = (bg + inkLevel) / 2;
      bg = mid + (bg - mid) * factor;
      inkLevel = mid + (inkLevel - mid) * factor;
    }
  }
  // A few random low-frequency waves make a paper-like texture without per-pixel noise.
  const waves = texture
    ? Array.from({ length: 3 }, () => ({
        fx: rng.float(0.02, 0.3),
        fy: rng.float(0.02, 0.5),
        phase: rng.float(0, 6.283),
      }))
    : [];
  // Background per column (gradient), plus the waves split as sin(a + b) = sin a cos b + cos a sin b so that
  // no sine is taken per pixel.
  const columns = Float32Array.from({ length: w }, (_, x) => bg + (gradient * (x - w / 2)) / w);
  const amplitude = texture / 3;
  const tables = waves.map((wave) => ({
    sinX: Float32Array.from({ length: w }, (_, x) => amplitude * Math.sin(wave.fx * x + wave.phase)),
    cosX: Float32Array.from({ length: w }, (_, x) => amplitude * Math.cos(wave.fx * x + wave.phase)),
    sinY: Float32Array.from({ length: h }, (_, y) => Math.sin(wave.fy * y)),
    cosY: Float32Array.from({ length: h }, (_, y) => Math.cos(wave.fy * y)),
  }));
  const data = ink.data;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let b = columns[x] as number;
      for (const t of tables) {
        b += (t.sinX[x] as number) * (t.cosY[y] as number) + (t.cosX[x] as number) * (t.sinY[y] as number);
      }
      const a = data[row + x] as number;
      out[row + x] = b + (inkLevel - b) * Math.min(a, 1);
    }
  }
  return out;
}

/** Separable Gaussian blur in place. */
export function gaussianBlur(pixels: Float32Array, w: number, h: number, sigma: number): void {
  const radius = Math.max(1, Math.ceil(sigma * 2.5));
  const kernel: number[] = [];
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel.push(v);
    sum += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] = (kernel[i] as number) / sum;
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = Math.min(w - 1, Math.max(0, x + k));
        acc += (pixels[y * w + xx] as number) * (kernel[k + radius] as number);
      }
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = Math.min(h - 1, Math.max(0, y + k));
        acc += (tmp[yy * w + x] as number) * (kernel[k + radius] as number);
      }
      pixels[y * w + x] = acc;
    }
  }
}

export function gaussianNoise(pixels: Float32Array, rng: Random, sigma: number): void {
  for (let i = 0; i < pixels.length; i++) pixels[i] = (pixels[i] as number) + rng.gaussian() * sigma;
}

export function saltAndPepper(pixels: Float32Array, rng: Random, amount: number): void {
  const n = Math.round(pixels.length * amount);
  for (let k = 0; k < n; k++) pixels[Math.floor(rng.next() * pixels.length)] = rng.chance(0.5) ? 255 : 0;
}

export function invert(pixels: Float32Array): void {
  for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - (pixels[i] as number);
}

const LUMINANCE_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
/** Orthonormal DCT-II basis: DCT_FORWARD[u * 8 + x] weighs sample x in coefficient u; the inverse is its transpose. */
const DCT_FORWARD = Float32Array.from({ length: 64 }, (_, i) => {
  const u = Math.floor(i / 8);
  const x = i % 8;
  return Math.cos(((2 * x + 1) * u * Math.PI) / 16) * (u === 0 ? Math.SQRT1_2 : 1) * 0.5;
});
const DCT_INVERSE = Float32Array.from(
  { length: 64 },
  (_, i) => DCT_FORWARD[(i % 8) * 8 + Math.floor(i / 8)] as number,
);

/**
 * JPEG artefacts without an encoder: every 8x8 block goes through the DCT, is quantised with the standard
 * luminance table scaled for `quality` (IJG formula) and comes back. Same blocking and ringing as a round trip.
 */
export function jpegArtifacts(pixels: Float32Array, w: number, h: number, quality: number): void {
  const q = Math.max(1, Math.min(100, Math.round(quality)));
  const scale = q < 50 ? 5000 / q : 200 - q * 2;
  const table = LUMINANCE_QUANT.map((v) => Math.max(1, Math.min(255, Math.floor((v * scale + 50) / 100))));
  const block = new Float32Array(64);
  const tmp = new Float32Array(64);
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const yy = Math.min(h - 1, by + y);
          const xx = Math.min(w - 1, bx + x);
          block[y * 8 + x] = (pixels[yy * w + xx] as number) - 128;
        }
      }
      dct2(block, tmp, false);
      for (let i = 0; i < 64; i++) {
        const t = table[i] as number;
        block[i] = Math.round((block[i] as number) / t) * t;
      }
      dct2(block, tmp, true);
      for (let y = 0; y < 8 && by + y < h; y++) {
        for (let x = 0; x < 8 && bx + x < w; x++)
          pixels[(by + y) * w + bx + x] = (block[y * 8 + x] as number) + 128;
      }
    }
  }
}

/** Orthonormal 2-D DCT-II (or its inverse) of an 8x8 block, in place. */
function dct2(block: Float32Array, tmp: Float32Array, inverse: boolean): void {
  // m[k * 8 + n]: the weight of input n in output k.
  const m = inverse ? DCT_INVERSE : DCT_FORWARD;
  for (let y = 0; y < 8; y++) {
    const row = y * 8;
    for (let k = 0; k < 8; k++) {
      const mk = k * 8;
      let acc = 0;
      for (let n = 0; n < 8; n++) acc += (block[row + n] as number) * (m[mk + n] as number);
      tmp[row + k] = acc;
    }
  }
  for (let x = 0; x < 8; x++) {
    for (let k = 0; k < 8; k++) {
      const mk = k * 8;
      let acc = 0;
      for (let n = 0; n < 8; n++) acc += (tmp[n * 8 + x] as number) * (m[mk + n] as number);
      block[mk + x] = acc;
    }
  }
}

/** Rounds and clamps to grey bytes. */
export function toGrey(pixels: Float32Array, w: number, h: number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.round(pixels[i] as number);
    data[i] = v < 0 ? 0 : Math.min(v, 255);
  }
  return { width: w, height: h, data };
}

/** The pixel-level augmentations after composing, in a fixed order: blur, noise, salt-pepper, JPEG, invert. */
export function degrade(
  pixels: Float32Array,
  w: number,
  h: number,
  rng: Random,
  augment: AugmentConfig,
): void {
  if (rng.chance(augment.blur.probability)) gaussianBlur(pixels, w, h, range(rng, augment.blur.sigma));
  if (rng.chance(augment.gaussian_noise.probability))
    gaussianNoise(pixels, rng, range(rng, augment.gaussian_noise.sigma));
  if (rng.chance(augment.salt_pepper.probability))
    saltAndPepper(pixels, rng, range(rng, augment.salt_pepper.amount));
  if (rng.chance(augment.jpeg.probability)) {
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(255, Math.max(0, pixels[i] as number));
    jpegArtifacts(pixels, w, h, range(rng, augment.jpeg.quality));
  }
  if (rng.chance(augment.invert.probability)) invert(pixels);
}

/** Grey level at quantile `q` (0..1) of a histogram of grey levels (255 when it is empty). */
export function greyQuantile(histogram: Uint32Array, q: number): number {
  let total = 0;
  for (const n of histogram) total += n;
  let seen = 0;
  for (let level = 0; level < 256; level++) {
    seen += histogram[level] as number;
    if (seen > 0 && seen >= q * total) return level;
  }
  return 255;
}

/** A line image's background (its median grey) and its darkest and lightest 1% of pixels. */
function greyLevels(image: GreyImage): { background: number; dark: number; light: number } {
  const histogram = new Uint32Array(256);
  for (const v of image.data) histogram[v] = (histogram[v] as number) + 1;
  return {
    background: greyQuantile(histogram, 0.5),
    dark: greyQuantile(histogram, 0.01),
    light: greyQuantile(histogram, 0.99),
  };
}

/**
 * Whether a line image is light text on a dark background: its background lies nearer its darkest 1% of pixels
 * than its lightest 1% (so dark text on a mid-grey highlight stays dark on light).
 */
export function isLightOnDark(image: GreyImage): boolean {
  const { background, dark, light } = greyLevels(image);
  return light - background > background - dark;
}

/**
 * Where the text of a line image is: the background is the median grey, ink every pixel that differs from it by
 * more than 40% of the way to the farthest 1% of pixels (dark text on light or light on dark), at least 24 grey
 * levels. Returns undefined for a blank image.
 */
export function inkBounds(
  image: GreyImage,
): { x: number; y: number; width: number; height: number; background: number } | undefined {
  const { background, dark, light } = greyLevels(image);
  const far = background - dark >= light - background ? dark : light;
  const threshold = Math.max(24, Math.abs(far - background) * 0.4);
  let x0 = image.width;
  let x1 = -1;
  let y0 = image.height;
  let y1 = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (Math.abs((image.data[y * image.width + x] as number) - background) <= threshold) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return undefined;
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1, background };
}

/** Blank margins around a line's ink, per side, in ink heights. */
export interface ReframeSettings {
  x: Range;
  y: Range;
  /**
   * Probability that a line keeps its rows, cut left and right only: its text keeps its height in the frame, the
   * cue that tells «о» from «О» in a short word. Absent = 0.
   */
  keep_rows?: number;
}

/**
 * How user-supplied line images are framed, for measuring (bench/recognize.ts --frame): loose = 0.5-3 ink heights
 * of blank margin left and right and 0.3-1.5 above and below, each side drawn on its own; tight = 0-0.1 on every
 * side.
 */
export const FRAMINGS: Readonly<Record<"loose" | "tight", ReframeSettings>> = {
  loose: { x: { min: 0.5, max: 3 }, y: { min: 0.3, max: 1.5 } },
  tight: { x: { min: 0, max: 0.1 }, y: { min: 0, max: 0.1 } },
};

/**
 * The line cut out around its ink with margins drawn per side from `settings` (left and right from x, above
 * and below from y, in ink heights): tight crops and loose ones, text off to a side, as the line images users
 * bring look, where the generator always puts the text close to the left edge. With probability `keep_rows` the
 * line keeps all its rows instead (only left and right are recut). Margin beyond the image is the background
 * grey. A blank image is returned as it is.
 */
export function reframe(image: GreyImage, rng: Random, settings: ReframeSettings): GreyImage {
  const ink = inkBounds(image);
  if (!ink) return image;
  const unit = ink.height;
  const left = Math.round(range(rng, settings.x) * unit);
  const right = Math.round(range(rng, settings.x) * unit);
  // No draw when keep_rows is absent, so that runs without it draw exactly as before.
  const keepRows = settings.keep_rows !== undefined && rng.chance(settings.keep_rows);
  const top = keepRows ? ink.y : Math.round(range(rng, settings.y) * unit);
  const bottom = keepRows ? image.height - ink.y - ink.height : Math.round(range(rng, settings.y) * unit);
  const x0 = ink.x - left;
  const y0 = ink.y - top;
  const width = ink.width + left + right;
  const height = ink.height + top + bottom;
  const data = new Uint8Array(width * height).fill(ink.background);
  const fromX = Math.max(0, x0);
  const toX = Math.min(image.width, x0 + width);
  for (let y = Math.max(0, y0); y < Math.min(image.height, y0 + height); y++)
    data.set(
      image.data.subarray(y * image.width + fromX, y * image.width + toX),
      (y - y0) * width + fromX - x0,
    );
  return { width, height, data };
}
