// Draws one text line with @napi-rs/canvas into an ink-coverage plane, sized so that no label is ever clipped;
// rotation, shear and scale are applied afterwards as an affine warp of the whole box.
import { type Canvas, createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas";
import { affineWarp, type InkImage } from "./augment.ts";
import type { FontFace } from "./fonts.ts";

/** Geometry applied after drawing. */
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

/** A line's box around its baseline origin, in pixels. */
interface TextBox {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Per-character metrics of one face at REFERENCE_PX, measured once each. */
interface CharMetrics {
  advance: number;
  /** How far the glyph reaches left of its origin and right of its advance (italics). */
  leftOverhang: number;
  rightOverhang: number;
  ascent: number;
  descent: number;
}

const REFERENCE_PX = 100;

/** Reuses one canvas; grows it when a line needs more room. */
export class LineRenderer {
  private canvas: Canvas;
  private ctx: SKRSContext2D;
  /** face alias → character → metrics at REFERENCE_PX. */
  private readonly metrics = new Map<string, Map<string, CharMetrics>>();
  private readonly fontBox = new Map<string, { ascent: number; descent: number }>();

  constructor(
    // Small to start with: lines are drawn at their final size, and clearing and reading back a large
    // surface costs time on every line. Grows when a line needs more.
    private maxWidth = 256,
    private maxHeight = 64,
  ) {
    this.canvas = createCanvas(maxWidth, maxHeight);
    this.ctx = this.newContext();
  }

  private newContext(): SKRSContext2D {
    const ctx = this.canvas.getContext("2d");
    // The default "inherit" follows the host language, which may change shaping: fixed for reproducible pixels.
    ctx.lang = "ru";
    ctx.fillStyle = "#000000";
    ctx.textBaseline = "alphabetic";
    return ctx;
  }

  /**
   * The line's box from per-character metrics (shaping a whole line in measureText costs about 100 µs; these are
   * measured once per face and character). Kerning is ignored; the caller keeps a slack and checks the ink.
   */
  private estimateBox(alias: string, text: string, size: number): TextBox {
    let table = this.metrics.get(alias);
    let font = this.fontBox.get(alias);
    if (!table || !font) {
      table = new Map();
      this.metrics.set(alias, table);
      this.ctx.font = `${REFERENCE_PX}px "${alias}"`;
      const m = this.ctx.measureText("x");
      font = { ascent: m.fontBoundingBoxAscent, descent: m.fontBoundingBoxDescent };
      this.fontBox.set(alias, font);
    }
    let advance = 0;
    let ascent = font.ascent;
    let descent = font.descent;
    let first: CharMetrics | undefined;
    let last: CharMetrics | undefined;
    for (const c of text) {
      let cm = table.get(c);
      if (!cm) {
        this.ctx.font = `${REFERENCE_PX}px "${alias}"`;
        const m = this.ctx.measureText(c);
        cm = {
          advance: m.width,
          leftOverhang: Math.max(0, m.actualBoundingBoxLeft),
          rightOverhang: Math.max(0, m.actualBoundingBoxRight - m.width),
          ascent: m.actualBoundingBoxAscent,
          descent: m.actualBoundingBoxDescent,
        };
        table.set(c, cm);
      }
      first ??= cm;
      last = cm;
      advance += cm.advance;
      if (cm.ascent > ascent) ascent = cm.ascent;
      if (cm.descent > descent) descent = cm.descent;
    }
    const k = size / REFERENCE_PX;
    return {
      left: (first?.leftOverhang ?? 0) * k,
      // 3 % and 2 px of slack for kerning and hinting; the ink check below catches anything wider.
      right: (advance + (last?.rightOverhang ?? 0)) * k * 1.03 + 2,
      // A pixel more each way: hinting at small sizes can round a glyph's extent up.
      top: ascent * k + 1,
      bottom: descent * k + 1,
    };
  }

  /** The exact box from shaping the whole line: the fallback when the estimate proved too narrow. */
  private measuredBox(text: string): TextBox {
    const m = this.ctx.measureText(text);
    return {
      left: Math.max(0, m.actualBoundingBoxLeft),
      right: Math.max(m.width, m.actualBoundingBoxRight) + 1,
      top: Math.max(m.fontBoundingBoxAscent, m.actualBoundingBoxAscent) + 1,
      bottom: Math.max(m.fontBoundingBoxDescent, m.actualBoundingBoxDescent) + 1,
    };
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
    // Whole-pixel sizes: Skia caches glyphs per face and size, and a cache hit is several times cheaper.
    let size = Math.max(1, Math.round(fontPx));
    let box = this.estimateBox(alias, text, size);
    // Affine: scale, then shear, then rotate; matrix [a c; b d] applied to (x, y).
    const cos = Math.cos(transform.rotation);
    const sin = Math.sin(transform.rotation);
    const c0 = -transform.shear * transform.scaleY;
    const a = cos * transform.scaleX;
    const b = sin * transform.scaleX;
    const c = cos * c0 - sin * transform.scaleY;
    const d = sin * c0 + cos * transform.scaleY;
    const identity = a === 1 && b === 0 && c === 0 && d === 1;
    if (fit) {
      // Drawing directly at the size the line will have in the model input is sharper (hinted glyphs) and
      // several times cheaper than drawing large and downscaling the pixels. The transformed box spans
      // |a|·W + |c|·H across and |b|·W + |d|·H down, plus margins and the warp's rounding (the slack).
      const w = Math.abs(a * (box.right + box.left)) + Math.abs(c * (box.top + box.bottom)) + 2;
      const h = Math.abs(b * (box.right + box.left)) + Math.abs(d * (box.top + box.bottom)) + 2;
      const slack = identity ? 3 : 8;
      const s = Math.min(1, (fit.width - slack) / w, (fit.height - slack) / h);
      if (s < 1) {
        size = Math.max(1, Math.floor(size * s));
        box = this.estimateBox(alias, text, size);
      }
    }
    this.ctx.font = `${size}px "${alias}"`;
    let upright = this.draw(text, box);
    // Rare: the estimate was too small. Shape the whole line, then widen until the ink clears every edge.
    for (let grow = 0; !upright; grow += 2) {
      if (grow > 32) throw new Error(`cannot fit ${JSON.stringify(text)} in face ${alias} at ${size}px`);
      const m = this.measuredBox(text);
      upright = this.draw(text, {
        left: m.left + grow,
        right: m.right + grow,
        top: m.top + grow,
        bottom: m.bottom + grow,
      });
    }
    return identity ? upright : affineWarp(upright, a, b, c, d);
  }

  /**
   * Draws upright (Skia draws rotated or sheared text from outlines, with no glyph cache) and returns the ink
   * cropped on the right to the last inked column plus a margin; undefined when ink reaches any edge, i.e. the
   * box was too small.
   */
  private draw(text: string, box: TextBox): InkImage | undefined {
    const width = Math.ceil(box.left + box.right) + 2;
    const height = Math.ceil(box.top + box.bottom) + 2;
    if (width > this.maxWidth || height > this.maxHeight) {
      const font = this.ctx.font;
      this.maxWidth = Math.max(this.maxWidth, width);
      this.maxHeight = Math.max(this.maxHeight, height);
      this.canvas = createCanvas(this.maxWidth, this.maxHeight);
      this.ctx = this.newContext();
      this.ctx.font = font;
    }
    const ctx = this.ctx;
    // Transparent background, opaque black text: the alpha channel is the ink coverage.
    ctx.clearRect(0, 0, width, height);
    ctx.fillText(text, box.left + 1, box.top + 1);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    let lastInked = -1;
    for (let y = 0; y < height; y++) {
      for (let x = width - 1; x > lastInked; x--) {
        if ((rgba[(y * width + x) * 4 + 3] as number) > 0) {
          lastInked = x;
          break;
        }
      }
    }
    if (lastInked >= width - 1) return undefined;
    for (let x = 0; x < width; x++) {
      if ((rgba[x * 4 + 3] as number) > 0 || (rgba[((height - 1) * width + x) * 4 + 3] as number) > 0)
        return undefined;
    }
    for (let y = 0; y < height; y++) if ((rgba[y * width * 4 + 3] as number) > 0) return undefined;
    const cropped = Math.max(1, Math.min(width, lastInked + 2));
    const ink = new Float32Array(cropped * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0, j = y * width * 4 + 3; x < cropped; x++, j += 4)
        ink[y * cropped + x] = (rgba[j] as number) / 255;
    }
    return { width: cropped, height, data: ink };
  }
}
