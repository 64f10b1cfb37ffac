// Draws one text line with @napi-rs/canvas into an ink-coverage plane, measuring first so that no label is
// ever clipped; rotation, shear and scale are applied by the canvas transform while drawing.
import { type Canvas, createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas";
import type { InkImage } from "./augment.ts";
import type { FontFace } from "./fonts.ts";

/** Geometry applied while drawing. */
export interface DrawTransform {
  /** Radians, positive = clockwise. */
  rotation: number;
  /** Horizontal shear (x += shear * -y), italic-like when positive. */
  shear: number;
  scaleX: number;
  scaleY: number;
}

export const IDENTITY: DrawTransform = { rotation: 0, shear: 0, scaleX: 1, scaleY: 1 };

/** The canvas family name a face is registered under: one alias per face, so weight and slant are exact. */
export function faceAlias(face: Pick<FontFace, "id">): string {
  return `ocrflow-${face.id}`;
}

const registered = new Set<string>();

/** Registers every subset file of the face under its alias (once per process). */
export function registerFace(face: FontFace): string {
  const alias = faceAlias(face);
  if (!registered.has(alias)) {
    for (const file of face.files) {
      if (!GlobalFonts.registerFromPath(file, alias)) throw new Error(`could not register font file ${file}`);
    }
    registered.add(alias);
  }
  return alias;
}

/** Reuses one large canvas; grows it when a line needs more room. */
export class LineRenderer {
  private canvas: Canvas;
  private ctx: SKRSContext2D;

  constructor(
    // Small to start with: lines are drawn at their final size, and clearing and reading back a large
    // surface costs time on every line. Grows when a line needs more.
    private maxWidth = 256,
    private maxHeight = 64,
  ) {
    this.canvas = createCanvas(maxWidth, maxHeight);
    this.ctx = this.canvas.getContext("2d");
  }

  /**
   * Renders `text` in the face (registered first) at `fontPx`, transformed, and returns the ink
   * coverage cropped to the transformed text box plus a 1-pixel margin.
   */
  render(
    text: string,
    face: FontFace,
    fontPx: number,
    transform: DrawTransform = IDENTITY,
    fit?: { width: number; height: number },
  ): InkImage {
    const alias = registerFace(face);
    const ctx = this.ctx;
    // Sizes in quarter pixels: Skia caches glyphs per size and matrix, and a cache hit is several times cheaper.
    let size = Math.max(1, Math.round(fontPx * 4) / 4);
    ctx.font = `${size}px "${alias}"`;
    let m = ctx.measureText(text);
    let left = Math.max(0, m.actualBoundingBoxLeft);
    let right = Math.max(m.width, m.actualBoundingBoxRight);
    let top = Math.max(m.fontBoundingBoxAscent, m.actualBoundingBoxAscent);
    let bottom = Math.max(m.fontBoundingBoxDescent, m.actualBoundingBoxDescent);
    // Affine: scale, then shear, then rotate; corners of the text box decide the output size.
    const cos = Math.cos(transform.rotation);
    const sin = Math.sin(transform.rotation);
    const a0 = transform.scaleX;
    const c0 = -transform.shear * transform.scaleY;
    const d0 = transform.scaleY;
    // matrix [a c; b d] applied to (x, y)
    const a = cos * a0;
    const b = sin * a0;
    const c = cos * c0 - sin * d0;
    const d = sin * c0 + cos * d0;
    if (fit) {
      // Drawing directly at the size the line will have in the model input is sharper (hinted glyphs) and
      // several times cheaper than drawing large and downscaling the pixels.
      // The transformed box spans |a|·W + |c|·H across and |b|·W + |d|·H down, plus the 1-pixel margins.
      const w = Math.abs(a * (right + left)) + Math.abs(c * (top + bottom)) + 2;
      const h = Math.abs(b * (right + left)) + Math.abs(d * (top + bottom)) + 2;
      // Rounding the box outwards adds up to 2 more pixels each way: keep that slack so nothing is resampled.
      const s = Math.min(1, (fit.width - 3) / w, (fit.height - 3) / h);
      if (s < 1) {
        // Shrink through the font size, not the matrix, so unrotated lines keep hitting the glyph cache.
        size = Math.max(1, Math.floor(size * s * 4) / 4);
        ctx.font = `${size}px "${alias}"`;
        m = ctx.measureText(text);
        left = Math.max(0, m.actualBoundingBoxLeft);
        right = Math.max(m.width, m.actualBoundingBoxRight);
        top = Math.max(m.fontBoundingBoxAscent, m.actualBoundingBoxAscent);
        bottom = Math.max(m.fontBoundingBoxDescent, m.actualBoundingBoxDescent);
      }
    }
    const corners: Array<[number, number]> = [
      [-left, -top],
      [right, -top],
      [right, bottom],
      [-left, bottom],
    ].map(([x, y]) => [a * (x as number) + c * (y as number), b * (x as number) + d * (y as number)]);
    const xs = corners.map((p) => p[0]);
    const ys = corners.map((p) => p[1]);
    const minX = Math.floor(Math.min(...xs)) - 1;
    const minY = Math.floor(Math.min(...ys)) - 1;
    const width = Math.ceil(Math.max(...xs)) + 1 - minX;
    const height = Math.ceil(Math.max(...ys)) + 1 - minY;
    if (width > this.maxWidth || height > this.maxHeight) {
      this.maxWidth = Math.max(this.maxWidth, width);
      this.maxHeight = Math.max(this.maxHeight, height);
      this.canvas = createCanvas(this.maxWidth, this.maxHeight);
      this.ctx = this.canvas.getContext("2d");
      return this.render(text, face, fontPx, transform, fit);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    // Transparent background, opaque black text: the alpha channel is the ink coverage.
    ctx.clearRect(0, 0, width, height);
    ctx.setTransform(a, b, c, d, -minX, -minY);
    ctx.fillStyle = "#000000";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(text, 0, 0);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0, j = 3; i < ink.length; i++, j += 4) ink[i] = (rgba[j] as number) / 255;
    return { width, height, data: ink };
  }
}
