// The renderer never clips: whatever the face (italics included), label and transform, the returned ink plane
// has an empty border, so every glyph is whole.
import { describe, expect, it } from "vitest";
import { loadPipelineConfig } from "../stages/config.ts";
import { buildCharset } from "./charset.ts";
import { coverageCheck, usableFaces } from "./fonts.ts";
import { Random } from "./random.ts";
import { LineRenderer } from "./render.ts";
import { TextSampler } from "./text.ts";

const config = loadPipelineConfig({ env: {} });
const charset = buildCharset(config.charset);
const { faces } = usableFaces(
  { ...config.generate.fonts, families: ["ibm-plex-serif", "fira-code", "pt-sans-narrow", "lora"] },
  charset,
);
const sampler = new TextSampler({ text: config.generate.text, charset, minLength: 1, maxLength: 32 });

function borderInk(ink: { width: number; height: number; data: Float32Array }): number {
  let max = 0;
  for (let x = 0; x < ink.width; x++) {
    max = Math.max(max, ink.data[x] as number, ink.data[(ink.height - 1) * ink.width + x] as number);
  }
  for (let y = 0; y < ink.height; y++) {
    max = Math.max(max, ink.data[y * ink.width] as number, ink.data[y * ink.width + ink.width - 1] as number);
  }
  return max;
}

describe("LineRenderer", () => {
  it("keeps every glyph inside the box, upright or transformed, fitted or not", () => {
    const renderer = new LineRenderer();
    const rng = new Random(21);
    expect(faces.some((f) => f.italic)).toBe(true);
    for (let i = 0; i < 400; i++) {
      const face = faces[i % faces.length] as (typeof faces)[0];
      const text = sampler.sample(rng, coverageCheck(face));
      const transform =
        i % 2 === 0
          ? undefined
          : {
              rotation: rng.float(-0.05, 0.05),
              shear: rng.float(-0.3, 0.3),
              scaleX: rng.float(0.7, 1.3),
              scaleY: 1,
            };
      const fit = i % 3 === 0 ? undefined : { width: 128, height: 32 };
      const ink = renderer.render(text, face, rng.float(14, 28), transform, fit);
      // Not blank. A 32-character line fitted into 128 px is drawn about 4 px a character, its thin strokes
      // covering a pixel only in part (0.29 at the most for one such line).
      expect(Math.max(...ink.data), `${text} has ink`).toBeGreaterThan(0.2);
      expect(borderInk(ink), `${face.id} "${text}" touches the border`).toBeLessThan(0.05);
      if (fit) expect(ink.width, text).toBeLessThanOrEqual(128);
    }
  });
});
