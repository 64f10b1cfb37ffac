// Page CER of `compare`'s reading of a rendered page against the margin its word crops get (documents/ocr.ts,
// CROP_MARGIN): the test invoice rendered at 28 and 20 px in the test font and in installed font families,
// read with one model at each margin.
//   npx tsx bench/crop-margin.ts [--model models/pretrained/parseq-tiny] [--margins 0.2,0.3,0.35,0.4]
//     [--families test,open-sans,pt-serif,cousine,roboto]
import { parseArgs } from "node:util";
import { GlobalFonts } from "@napi-rs/canvas";
import { discoverFaces } from "../datasets/fonts.ts";
import { recognizePage } from "../documents/ocr.ts";
import { INVOICE, renderPageImage } from "../documents/test-documents.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { loadModelDirectory } from "../models/io.ts";
import { scoreTexts } from "../models/metrics.ts";
import { asRecognizer } from "../models/recognizer.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/pretrained/parseq-tiny" },
    margins: { type: "string", default: "0.15,0.2,0.25,0.3,0.35,0.4,0.5" },
    families: { type: "string", default: "test,open-sans,pt-serif,cousine,roboto" },
  },
});
await chooseBackend({ log: () => {} });
const recognizer = asRecognizer(loadModelDirectory(values.model).model, 64);
const margins = values.margins.split(",").map(Number);
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
    const page = renderPageImage(INVOICE, { fontPx, ...(family ? { family } : {}) });
    const row: string[] = [];
    for (const [i, cropMargin] of margins.entries()) {
      const text = await recognizePage(page.image, 1, recognizer, { deskew: false, cropMargin });
      const { cer } = scoreTexts([{ text: text.lines.map((l) => l.text).join("\n") }], [reference]);
      sums[i] = (sums[i] as number) + cer;
      row.push(`${cropMargin}: ${cer.toFixed(3)}`);
    }
    pages++;
    console.log(`${name} ${fontPx}px  ${row.join("  ")}`);
  }
}
console.log(
  `mean page CER over ${pages} pages  ${margins.map((m, i) => `${m}: ${((sums[i] as number) / pages).toFixed(3)}`).join("  ")}`,
);
