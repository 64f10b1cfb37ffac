// Page CER of `compare`'s reading of a rendered page against the margin its word crops get (documents/ocr.ts,
// CROP_MARGIN): the test invoice rendered at 28 and 20 px in the test font and in installed font families,
// read with one model at each margin.
// Margins are "above/below:left/right" in line heights ("0.35" alone is both). --spacing sets the line pitch
// (in font sizes); --scan turns the pages 1.2° and blurs, adds noise and JPEG artefacts (then recognition deskews).
//   npx tsx bench/crop-margin.ts [--model models/pretrained/parseq-tiny] [--margins 0.35,0.7:0.1,0.7:0.15]
//     [--families test,open-sans,pt-serif,cousine,roboto] [--spacing 1.6] [--scan]
import { parseArgs } from "node:util";
import { GlobalFonts } from "@napi-rs/canvas";
import { degrade, type GreyImage } from "../datasets/augment.ts";
import { discoverFaces } from "../datasets/fonts.ts";
import { Random } from "../datasets/random.ts";
import { recognizePage } from "../documents/ocr.ts";
import { INVOICE, renderPageImage } from "../documents/test-documents.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { loadModelDirectory } from "../models/io.ts";
import { scoreTexts } from "../models/metrics.ts";
import { asRecognizer } from "../models/recognizer.ts";
import { loadPipelineConfig } from "../stages/config.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/pretrained/parseq-tiny" },
    margins: { type: "string", default: "0.15,0.2,0.25,0.3,0.35,0.4,0.5" },
    families: { type: "string", default: "test,open-sans,pt-serif,cousine,roboto" },
    spacing: { type: "string", default: "1.6" },
    scan: { type: "boolean", default: false },
  },
});
await chooseBackend({ log: () => {} });
const recognizer = asRecognizer(loadModelDirectory(values.model).model, 64);
const margins = values.margins.split(",");
const augment = loadPipelineConfig({ env: {} }).generate.augment;
/** Blur (σ 0.8), Gaussian noise (σ 10) and JPEG quality 60 over the whole page, in place. */
function scanned(image: GreyImage, seed: number): void {
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
const faces = discoverFaces();
const reference = INVOICE.join("\n");
const sums = margins.map(() => 0);
let pages = 0;
for (const name of values.families.split(",")) {
  let family: string | undefined;
  if (name !== "test") {
    const face = faces.find((f) => f.family === name && f.weight === 400 && !f.italic);
    if (!face) throw new Error(`--families: no regular face of "${name}" is installed`);
    for (const file of face.files) GlobalFonts.registerFromPath(file, `bench-${name}`);
    family = `bench-${name}`;
  }
  for (const fontPx of [28, 20]) {
    const page = renderPageImage(INVOICE, {
      fontPx,
      lineSpacing: Number(values.spacing),
      ...(values.scan ? { rotateDegrees: 1.2 } : {}),
      ...(family ? { family } : {}),
    });
    if (values.scan) scanned(page.image, pages);
    const row: string[] = [];
    for (const [i, margin] of margins.entries()) {
      const [cropMargin, cropMarginX = cropMargin] = margin.split(":").map(Number) as [number, number?];
      const text = await recognizePage(page.image, 1, recognizer, {
        deskew: values.scan,
        cropMargin,
        cropMarginX,
      });
      const { cer } = scoreTexts([{ text: text.lines.map((l) => l.text).join("\n") }], [reference]);
      sums[i] = (sums[i] as number) + cer;
      row.push(`${margin}: ${cer.toFixed(3)}`);
    }
    pages++;
    console.log(`${name} ${fontPx}px  ${row.join("  ")}`);
  }
}
console.log(
  `mean page CER over ${pages} pages  ${margins.map((m, i) => `${m}: ${((sums[i] as number) / pages).toFixed(3)}`).join("  ")}`,
);
