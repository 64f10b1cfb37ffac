// The test invoice (documents/test-documents.ts) rendered as page images for the recognition benches of
// `compare`: in the test font and in installed font families, at 28 and 20 px, optionally as a rough scan.
import { GlobalFonts } from "@napi-rs/canvas";
import { degrade, type GreyImage } from "../datasets/augment.ts";
import { discoverFaces } from "../datasets/fonts.ts";
import { Random } from "../datasets/random.ts";
import { INVOICE, renderPageImage } from "../documents/test-documents.ts";
import { type AugmentConfig, loadPipelineConfig } from "../stages/config.ts";

export interface InvoicePage {
  /** "test" or the family name. */
  family: string;
  fontPx: number;
  image: GreyImage;
}

/**
 * One page per family and size. `spacing`: line pitch in font sizes (default 1.6). `scan`: the page is turned
 * 1.2° and gets blur (σ 0.8), Gaussian noise (σ 10) and JPEG artefacts (quality 60), each page its own seed.
 */
export function* invoicePages(
  families: readonly string[],
  options: { spacing?: number; scan?: boolean } = {},
): Generator<InvoicePage> {
  const faces = discoverFaces();
  const augment = loadPipelineConfig({ env: {} }).generate.augment;
  let seed = 0;
  for (const name of families) {
    let family: string | undefined;
    if (name !== "test") {
      const face = faces.find((f) => f.family === name && f.weight === 400 && !f.italic);
      if (!face) throw new Error(`--families: no regular face of "${name}" is installed`);
      for (const file of face.files) GlobalFonts.registerFromPath(file, `bench-${name}`);
      family = `bench-${name}`;
    }
    for (const fontPx of [28, 20]) {
      const { image } = renderPageImage(INVOICE, {
        fontPx,
        lineSpacing: options.spacing ?? 1.6,
        ...(options.scan ? { rotateDegrees: 1.2 } : {}),
        ...(family ? { family } : {}),
      });
      if (options.scan) scanned(image, seed++, augment);
      yield { family: name, fontPx, image };
    }
  }
}

/** Blur, noise and JPEG artefacts over the whole page, in place (the training generator's degradations). */
function scanned(image: GreyImage, seed: number, augment: AugmentConfig): void {
  const off = { probability: 0 };
  const pixels = Float32Array.from(image.data);
  degrade(pixels, image.width, image.height, new Random(seed), {
    ...augment,
    blur: { probability: 1, sigma: { min: 0.8, max: 0.8 } },
    gaussian_noise: { probability: 1, sigma: { min: 10, max: 10 } },
    salt_pepper: { ...augment.salt_pepper, ...off },
    jpeg: { probability: 1, quality: { min: 60, max: 60 } },
    invert: off,
  });
  for (let i = 0; i < pixels.length; i++)
    image.data[i] = Math.round(Math.min(255, Math.max(0, pixels[i] as number)));
}
