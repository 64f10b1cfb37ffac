// PNG contact sheet of dataset samples with their labels (and fonts), so a person can look at the data.
import { createCanvas, ImageData } from "@napi-rs/canvas";
import type { GreyImage } from "./augment.ts";
import { discoverFaces } from "./fonts.ts";
import { registerFace } from "./render.ts";

export interface PreviewSample {
  image: GreyImage;
  text: string;
  /** Shown after the label when present. */
  note?: string;
}

/** Face for the captions: a broad Cyrillic+Latin sans if installed, so captions show every label character. */
function captionFamily(): string | undefined {
  const faces = discoverFaces();
  const face =
    faces.find((f) => f.id === "pt-sans-400-normal") ??
    faces.find((f) => f.id === "noto-sans-400-normal") ??
    faces[0];
  return face ? registerFace(face) : undefined;
}

/** One row per sample: the image scaled by `zoom`, then its label in quotes (JSON-escaped) and the note. */
export function contactSheet(samples: PreviewSample[], zoom = 2): Buffer {
  const maxW = Math.max(1, ...samples.map((s) => s.image.width)) * zoom;
  const rowH = Math.max(1, ...samples.map((s) => s.image.height)) * zoom + 6;
  const captionW = 560;
  const canvas = createCanvas(maxW + captionW + 16, Math.max(1, samples.length) * rowH + 8);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#e8e8f0";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const family = captionFamily();
  ctx.font = `15px ${family ? `"${family}"` : "sans-serif"}`;
  samples.forEach((sample, row) => {
    const { image } = sample;
    const rgba = new Uint8ClampedArray(image.width * image.height * 4);
    for (let i = 0; i < image.data.length; i++) {
      const v = image.data[i] as number;
      rgba[i * 4] = v;
      rgba[i * 4 + 1] = v;
      rgba[i * 4 + 2] = v;
      rgba[i * 4 + 3] = 255;
    }
    const tile = createCanvas(image.width, image.height);
    tile.getContext("2d").putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
    const y = 4 + row * rowH;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tile, 8, y, image.width * zoom, image.height * zoom);
    ctx.fillStyle = "#111111";
    ctx.fillText(
      `${JSON.stringify(sample.text)}${sample.note ? `  · ${sample.note}` : ""}`,
      maxW + 16,
      y + rowH / 2 + 5,
    );
  });
  return canvas.toBuffer("image/png");
}
