// Page CER of `compare`'s reading of a rendered page against the margin its word crops get (documents/ocr.ts,
// CROP_MARGIN): the test invoice rendered at 28 and 20 px in the test font and in installed font families,
// read with one model at each margin.
// Margins are "above/below:left/right" in line heights ("0.35" alone is both). --spacing sets the line pitch
// (in font sizes); --scan turns the pages 1.2° and blurs, adds noise and JPEG artefacts (then recognition deskews).
//   npx tsx bench/crop-margin.ts [--model models/pretrained/parseq-tiny] [--margins 0.35,0.7:0.1,0.7:0.15]
//     [--families test,open-sans,pt-serif,cousine,roboto] [--spacing 1.6] [--scan]
import { parseArgs } from "node:util";
import { recognizePage } from "../documents/ocr.ts";
import { INVOICE } from "../documents/test-documents.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { loadModelDirectory } from "../models/io.ts";
import { scoreTexts } from "../models/metrics.ts";
import { asRecognizer } from "../models/recognizer.ts";
import { invoicePages } from "./invoice-pages.ts";

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
const reference = INVOICE.join("\n");
const sums = margins.map(() => 0);
let pages = 0;
for (const page of invoicePages(values.families.split(","), {
  spacing: Number(values.spacing),
  scan: values.scan,
})) {
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
  console.log(`${page.family} ${page.fontPx}px  ${row.join("  ")}`);
}
console.log(
  `mean page CER over ${pages} pages  ${margins.map((m, i) => `${m}: ${((sums[i] as number) / pages).toFixed(3)}`).join("  ")}`,
);
