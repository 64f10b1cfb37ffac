// Pixel augmentations do what they claim: fitting keeps the aspect ratio without cutting ink, perspective
// keeps the line inside the frame, blur keeps brightness, JPEG quantisation grows with lower quality.
import { describe, expect, it } from "vitest";
import {
  fitInto,
  type GreyImage,
  gaussianBlur,
  type InkImage,
  inkBounds,
  isLightOnDark,
  jpegArtifacts,
  perspective,
  reframe,
} from "./augment.ts";
import { Random } from "./random.ts";

function inkRect(width: number, height: number): InkImage {
  return { width, height, data: new Float32Array(width * height).fill(1) };
}

const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

describe("fitInto", () => {
  it("shrinks a wide line to the width, keeping its aspect ratio and all its ink", () => {
    const fitted = fitInto(inkRect(400, 40), 128, 32);
    const rows = Array.from({ length: 32 }, (_, y) => fitted.data[y * 128 + 64] as number);
    expect(rows.filter((v) => v > 0.5)).toHaveLength(13); // 40 * 128/400 = 12.8
    expect(sum(fitted.data)).toBeCloseTo(128 * 13, 0);
    expect(fitted.data[127 + 16 * 128]).toBeGreaterThan(0.9);
  });

  it("never enlarges when upscale is off, and pads as asked", () => {
    const fitted = fitInto(inkRect(20, 10), 128, 32, { pad: 4, upscale: false });
    expect(sum(fitted.data)).toBeCloseTo(200, 3);
    expect(fitted.data[11 * 128 + 3]).toBe(0);
    expect(fitted.data[11 * 128 + 4]).toBe(1);
  });
});

describe("perspective", () => {
  it("moves corners only inwards: a frame-filling line loses no ink beyond the shrink of its outline", () => {
    const rng = new Random(3);
    for (let i = 0; i < 20; i++) {
      const warped = perspective(inkRect(128, 32), rng, 0.05);
      const filled = sum(warped.data) / (128 * 32);
      expect(filled).toBeGreaterThan(0.8);
      expect(filled).toBeLessThanOrEqual(1.0001);
    }
  });
});

describe("gaussianBlur and jpegArtifacts", () => {
  const stripes = () => Float32Array.from({ length: 128 * 32 }, (_, i) => ((i % 128) % 8 < 4 ? 20 : 230));

  it("blur keeps the mean brightness and lowers the contrast", () => {
    const pixels = Float32Array.from({ length: 128 * 32 }, (_, i) => (i % 2 ? 20 : 230));
    gaussianBlur(pixels, 128, 32, 1.2);
    expect(sum(pixels) / pixels.length).toBeCloseTo(125, 0);
    const interior = Array.from({ length: 100 }, (_, x) => pixels[16 * 128 + 14 + x] as number);
    expect(Math.max(...interior) - Math.min(...interior)).toBeLessThan(20);
  });

  it("JPEG quantisation is nearly lossless at quality 100 and lossy at 20", () => {
    const error = (quality: number) => {
      const original = stripes();
      const pixels = stripes();
      jpegArtifacts(pixels, 128, 32, quality);
      return pixels.reduce((s, v, i) => s + Math.abs(v - (original[i] as number)), 0) / pixels.length;
    };
    expect(error(100)).toBeLessThan(1.5);
    expect(error(20)).toBeGreaterThan(3 * error(100));
  });
});

/** A `width x height` grey image of `background` with a `rect` of `ink` grey, plus a little noise if asked. */
function greyLine(
  width: number,
  height: number,
  rect: { x: number; y: number; width: number; height: number },
  levels: { background: number; ink: number },
  noise = 0,
): GreyImage {
  const rng = new Random(3);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inside = x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
      data[y * width + x] = (inside ? levels.ink : levels.background) + Math.round(rng.float(-noise, noise));
    }
  return { width, height, data };
}

/** Bounds of the pixels of grey `level`. */
function boundsOf(image: GreyImage, level: number) {
  let x0 = image.width;
  let x1 = -1;
  let y0 = image.height;
  let y1 = -1;
  image.data.forEach((v, i) => {
    if (v !== level) return;
    const x = i % image.width;
    const y = Math.floor(i / image.width);
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  });
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

describe("inkBounds and reframe", () => {
  const rect = { x: 10, y: 8, width: 40, height: 12 };

  it("finds dark text on a noisy grey background, light text on dark, and nothing on a blank image", () => {
    expect(inkBounds(greyLine(128, 32, rect, { background: 200, ink: 60 }, 10))).toEqual({
      ...rect,
      background: expect.closeTo(200, -1),
    });
    expect(inkBounds(greyLine(128, 32, rect, { background: 30, ink: 220 }))).toEqual({
      ...rect,
      background: 30,
    });
    expect(inkBounds(greyLine(128, 32, rect, { background: 200, ink: 200 }, 10))).toBeUndefined();
  });

  it("tells light text on dark from dark text on light, even dark text on a mid-grey or dark highlight", () => {
    expect(isLightOnDark(greyLine(128, 32, rect, { background: 30, ink: 220 }))).toBe(true);
    expect(isLightOnDark(greyLine(128, 32, rect, { background: 100, ink: 160 }, 10))).toBe(true);
    expect(isLightOnDark(greyLine(128, 32, rect, { background: 200, ink: 60 }, 10))).toBe(false);
    expect(isLightOnDark(greyLine(128, 32, rect, { background: 110, ink: 0 }))).toBe(false);
    expect(isLightOnDark(greyLine(128, 32, rect, { background: 60, ink: 10 }, 5))).toBe(false);
  });

  it("cuts the line out with the margins drawn, in ink heights, filling beyond the image with its background", () => {
    const image = greyLine(128, 32, rect, { background: 200, ink: 60 });
    // 1 ink height left and right (12 px: the left one reaches 2 px beyond the image), 0.5 above and below.
    const out = reframe(image, new Random(1), { x: { min: 1, max: 1 }, y: { min: 0.5, max: 0.5 } });
    expect([out.width, out.height]).toEqual([40 + 24, 12 + 12]);
    expect(boundsOf(out, 60)).toEqual({ x: 12, y: 6, width: 40, height: 12 });
    const dark = out.data.filter((v) => v === 60).length;
    expect(dark).toBe(40 * 12);
    expect(out.data.filter((v) => v !== 60).every((v) => v === 200)).toBe(true);
  });

  it("draws each side's margin on its own, within the range", () => {
    const image = greyLine(128, 32, rect, { background: 200, ink: 60 });
    const rng = new Random(2);
    const sizes = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const out = reframe(image, rng, { x: { min: 0, max: 2 }, y: { min: 0, max: 1 } });
      const ink = boundsOf(out, 60);
      expect(ink?.width).toBe(40);
      expect(ink?.height).toBe(12);
      expect(ink?.x).toBeLessThanOrEqual(24);
      expect(out.width - (ink?.x ?? 0) - 40).toBeLessThanOrEqual(24);
      expect(ink?.y).toBeLessThanOrEqual(12);
      expect(out.height - (ink?.y ?? 0) - 12).toBeLessThanOrEqual(12);
      sizes.add(`${ink?.x},${out.width},${ink?.y},${out.height}`);
    }
    expect(sizes.size).toBeGreaterThan(15);
  });

  it("with keep_rows, keeps every row of about that share of the lines and recuts only their sides", () => {
    const image = greyLine(128, 32, rect, { background: 200, ink: 60 });
    const rng = new Random(3);
    const settings = { x: { min: 1, max: 1 }, y: { min: 0.5, max: 0.5 }, keep_rows: 0.5 };
    let kept = 0;
    for (let i = 0; i < 200; i++) {
      const out = reframe(image, rng, settings);
      expect(out.width).toBe(40 + 24);
      const ink = boundsOf(out, 60);
      expect(ink?.x).toBe(12);
      if (out.height === image.height) {
        kept++;
        // The rows as they were: the ink at its own height in the frame, the pixels copied.
        expect(ink?.y).toBe(rect.y);
        // (The left margin reaches 2 px beyond the image: those are background.)
        const row = (y: number) => out.data.subarray(y * out.width, (y + 1) * out.width);
        expect([...row(10)]).toEqual([200, 200, ...image.data.subarray(10 * 128, 10 * 128 + out.width - 2)]);
      } else {
        expect([out.height, ink?.y]).toEqual([12 + 12, 6]);
      }
    }
    expect(kept).toBeGreaterThan(70);
    expect(kept).toBeLessThan(130);
  });

  it("returns a blank image as it is", () => {
    const blank = greyLine(64, 32, rect, { background: 255, ink: 255 });
    expect(reframe(blank, new Random(1), { x: { min: 1, max: 1 }, y: { min: 1, max: 1 } })).toBe(blank);
  });
});
