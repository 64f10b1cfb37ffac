// The models' input: ink is 1 where the text is, whichever the polarity of the line image, so light text on a dark
// background reads as dark text on light.
import { describe, expect, it } from "vitest";
import type { GreyImage } from "../datasets/augment.ts";
import { inkPlane } from "./preprocess.ts";

/** A 64x16 line: a text block (x 8-39, y 4-11) of `ink` on `background`. */
function line(background: number, ink: number): GreyImage {
  const data = new Uint8Array(64 * 16).fill(background);
  for (let y = 4; y < 12; y++) for (let x = 8; x < 40; x++) data[y * 64 + x] = ink;
  return { width: 64, height: 16, data };
}

describe("inkPlane", () => {
  it("gives ink 1 on the text and 0 around it for dark text on light", () => {
    const ink = inkPlane(line(255, 0), { width: 64, height: 16 });
    expect(ink[5 * 64 + 10]).toBe(1);
    expect(ink[0]).toBe(0);
  });

  it("reads light text on dark exactly as its negative, at the input size and resized", () => {
    for (const input of [
      { width: 64, height: 16 },
      { width: 128, height: 32 },
    ]) {
      const dark = inkPlane(line(235, 40), input);
      const light = inkPlane(line(20, 215), input);
      expect(Array.from(light)).toEqual(Array.from(dark));
      expect(Math.max(...light)).toBeGreaterThan(0.7);
    }
  });
});
