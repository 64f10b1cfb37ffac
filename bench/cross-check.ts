// How well `compare --cross-check` tells misreadings: the test invoice rendered in 5 families at 28 and 20 px,
// clean and as a rough scan (bench/invoice-pages.ts), read word by word by a primary model checked by a
// second one. For the words of lines segmented into as many words as the truth has, it prints how many the
// primary misread, how many of those the second model read differently (caught), and how many correctly read
// words it read differently (false alarms); and the same for a confidence threshold instead of a second model.
//   npx tsx bench/cross-check.ts [--model models/pretrained/parseq-tiny] [--check models/pretrained/master-tiny]
//     [--families test,open-sans,pt-serif,cousine,roboto]
import { parseArgs } from "node:util";
import { recognizePage } from "../documents/ocr.ts";
import { crossChecked } from "../documents/recognizer.ts";
import { INVOICE } from "../documents/test-documents.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { loadModelDirectory } from "../models/io.ts";
import { asRecognizer } from "../models/recognizer.ts";
import { invoicePages } from "./invoice-pages.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/pretrained/parseq-tiny" },
    check: { type: "string", default: "models/pretrained/master-tiny" },
    families: { type: "string", default: "test,open-sans,pt-serif,cousine,roboto" },
  },
});
await chooseBackend({ log: () => {} });
const load = (dir: string) => asRecognizer(loadModelDirectory(dir).model, 64);
const recognizer = crossChecked(load(values.model), load(values.check));
const words: { right: boolean; flagged: boolean; confidence: number }[] = [];
let skipped = 0;
for (const scan of [false, true])
  for (const page of invoicePages(values.families.split(","), { scan })) {
    const text = await recognizePage(page.image, 1, recognizer, { deskew: scan });
    text.lines.forEach((line, i) => {
      const truth = INVOICE[i]?.split(" ") ?? [];
      const read = line.words ?? [];
      if (read.length !== truth.length) {
        skipped++;
        return;
      }
      for (const [k, w] of read.entries())
        words.push({
          right: w.text === truth[k],
          flagged: w.alternative !== undefined,
          confidence: w.confidence,
        });
    });
  }
const misread = words.filter((w) => !w.right).length;
const line = (name: string, flagged: (w: (typeof words)[number]) => boolean) => {
  const caught = words.filter((w) => !w.right && flagged(w)).length;
  const alarms = words.filter((w) => w.right && flagged(w)).length;
  console.log(
    `${name.padEnd(22)} misreadings caught ${caught}/${misread} (${((100 * caught) / misread).toFixed(0)}%), correct words flagged ${alarms}/${words.length - misread} (${((100 * alarms) / (words.length - misread)).toFixed(1)}%)`,
  );
};
console.log(
  `${values.model} checked by ${values.check}: ${words.length} words on 20 pages (${skipped} lines segmented otherwise, left out), ${misread} misread`,
);
line("models disagree", (w) => w.flagged);
for (const t of [0.1, 0.2, 0.3]) line(`confidence < ${t}`, (w) => w.confidence < t);
