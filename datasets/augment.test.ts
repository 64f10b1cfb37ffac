// Pixel augmentations do what they claim: fitting keeps the aspect ratio without cutting ink, perspective
// keeps the line inside the frame, blur keeps brightness, JPEG quantisation grows with lower quality.
import { describe, expect, it } from "vitest";
import { fitInto, gaussianBlur, type InkImage, jpegArtifacts, perspective } from "./augment.ts";
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
