// Draws one text line with @napi-rs/canvas into an ink-coverage plane, measuring first so that no label is
// ever clipped; rotation, shear and scale are applied afterwards as an affine warp of the whole box.
import { type Canvas, createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas";
import { affineWarp, type InkImage } from "./augment.ts";
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
   * Renders `text` in the face (registered first) at `fontPx` (smaller when the transformed line would not fit
   * `fit`), then transforms it; returns the ink coverage of the transformed text box plus a 1-pixel margin.
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
    // Sizes in half pixels: Skia caches glyphs per face and size, and a cache hit is several times cheaper.
    let size = Math.max(1, Math.round(fontPx * 2) / 2);
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
      // Rounding the box outwards (and the warp's margins) add a few pixels: keep that slack so nothing is resampled.
      const slack = a === 1 && b === 0 && c === 0 && d === 1 ? 3 : 6;
      const s = Math.min(1, (fit.width - slack) / w, (fit.height - slack) / h);
      if (s < 1) {
        // Shrink through the font size, not the matrix, so glyphs keep coming from the cache.
        size = Math.max(1, Math.floor(size * s * 2) / 2);
        ctx.font = `${size}px "${alias}"`;
        m = ctx.measureText(text);
        left = Math.max(0, m.actualBoundingBoxLeft);
        right = Math.max(m.width, m.actualBoundingBoxRight);
        top = Math.max(m.fontBoundingBoxAscent, m.actualBoundingBoxAscent);
        bottom = Math.max(m.fontBoundingBoxDescent, m.actualBoundingBoxDescent);
      }
    }
    // Glyphs are always drawn upright (Skia draws rotated or sheared text from outlines, with no glyph cache), then
    // warped in JavaScript when the transform is not the identity.
    const width = Math.ceil(left + right) + 2;
    const height = Math.ceil(top + bottom) + 2;
    if (width > this.maxWidth || height > this.maxHeight) {
      this.maxWidth = Math.max(this.maxWidth, width);
      this.maxHeight = Math.max(this.maxHeight, height);
      this.canvas = createCanvas(this.maxWidth, this.maxHeight);
      this.ctx = this.canvas.getContext("2d");
      return this.render(text, face, fontPx, transform, fit);
    }
    // Transparent background, opaque black text: the alpha channel is the ink coverage.
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#000000";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(text, left + 1, top + 1);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0, j = 3; i < ink.length; i++, j += 4) ink[i] = (rgba[j] as number) / 255;
    const upright: InkImage = { width, height, data: ink };
    return a === 1 && b === 0 && c === 0 && d === 1 ? upright : affineWarp(upright, a, b, c, d);
  }
}
