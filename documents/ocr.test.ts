// Tests of the scan path: deskew, line and word segmentation, and whole-page recognition of rendered pages,
// with a stand-in Recognizer (templateRecognizer: matches word images against the test vocabulary rendered in
// the same font), so they check layout and positions, not a trained model. Tolerances are stated per test.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binarize } from "./binarize.ts";
import { estimateSkew } from "./deskew.ts";
import { DocumentError } from "./errors.ts";
import { compareFiles, extractDocument } from "./index.ts";
import { CROP_MARGIN, cropGrey, recognizePage, roundLettersAsZeros } from "./ocr.ts";
import { crossChecked } from "./recognizer.ts";
import { formatTextReport } from "./report-text.ts";
import { segmentPage } from "./segment.ts";
import {
  buildScannedPdf,
  buildTextPdf,
  EXPECTED_INVOICE_DIFFERENCES,
  editedInvoice,
  INVOICE,
  renderPageImage,
  templateRecognizer,
} from "./test-documents.ts";

const vocabulary = [...INVOICE, ...editedInvoice()].flatMap((l) => l.split(" "));
const recognizer = templateRecognizer(vocabulary);
let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ocrflow-ocr-"));
  writeFileSync(file("edited.pdf"), await buildTextPdf([editedInvoice()]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("layout", () => {
  it("estimates a page's skew within 0.15°", () => {
    for (const degrees of [-2.5, 0, 1.5]) {
      const { image } = renderPageImage(INVOICE.slice(0, 5), { rotateDegrees: degrees });
      expect(Math.abs(estimateSkew(binarize(image), image.width, image.height) - degrees)).toBeLessThan(0.15);
    }
  });

  it("finds every line and every space-separated word, dots of ё and quotes included", () => {
    const { image } = renderPageImage(INVOICE);
    const lines = segmentPage(binarize(image), image.width, image.height);
    expect(lines.map((l) => l.words.length)).toEqual(INVOICE.map((l) => l.split(" ").length));
  });
});

describe("word crops", () => {
  it("takes page rows only inside the band and fills the rest with the median grey of those rows", () => {
    // 8x12 page, grey 200, ink (0) on rows 1, 5 and 10, all columns.
    const data = new Uint8Array(8 * 12).fill(200);
    for (const row of [1, 5, 10]) data.fill(0, row * 8, row * 8 + 8);
    const page = { width: 8, height: 12, data };
    // Word at x 2..5, rows 4..6; margins 1 column and 3 rows (rows 1..9, 2 rows of it outside the band 3..8).
    const crop = cropGrey(page, { x: 2, y: 4, width: 4, height: 3 }, { x: 1, y: 3 }, { top: 3, bottom: 8 });
    expect([crop.width, crop.height]).toEqual([6, 9]);
    const rows = Array.from({ length: 9 }, (_, y) => [...crop.data.subarray(y * 6, y * 6 + 6)]);
    // Page rows 3..7 are crop rows 2..6: row 5 (ink) is crop row 4. Rows 1, 2, 8, 9 are background (200).
    expect(rows.map((r) => r[0])).toEqual([200, 200, 200, 200, 0, 200, 200, 200, 200]);
    expect(rows.every((r) => new Set(r).size === 1)).toBe(true);
  });

  it("fills the margin beyond the page's edges with the background instead of shrinking the crop", () => {
    const page = { width: 6, height: 4, data: new Uint8Array(24).fill(230) };
    page.data.fill(10, 6, 12); // row 1: ink
    const crop = cropGrey(page, { x: 0, y: 0, width: 6, height: 2 }, { x: 0, y: 2 });
    expect([crop.width, crop.height]).toEqual([6, 6]);
    expect([...crop.data.filter((_, i) => i % 6 === 0)]).toEqual([230, 230, 230, 10, 230, 230]);
  });

  it("never takes in the ink of the lines above and below, even with tight line spacing", async () => {
    // Lines 1.15 font sizes apart: a margin of CROP_MARGIN line heights reaches well into the neighbours.
    const { image } = renderPageImage(INVOICE, { lineSpacing: 1.15 });
    const crops: { height: number; width: number; data: Uint8Array }[] = [];
    const recording = {
      input: recognizer.input,
      async recognize(images: readonly { height: number; width: number; data: Uint8Array }[]) {
        crops.push(...images);
        return recognizer.recognize(images as never);
      },
    };
    const page = await recognizePage(image, 1, recording, { deskew: false });
    expect(page.lines.map((l) => l.text)).toEqual(INVOICE);
    expect(CROP_MARGIN).toBeGreaterThan(0.3);
    let inked = 0;
    for (const crop of crops) {
      // The word's own line sits in the middle; the top and bottom fifths are margin, never a neighbour's ink.
      const edge = Math.floor(crop.height / 5);
      for (let y = 0; y < crop.height; y++) {
        if (y >= edge && y < crop.height - edge) continue;
        for (let x = 0; x < crop.width; x++) if ((crop.data[y * crop.width + x] as number) < 128) inked++;
      }
    }
    expect(crops.length).toBe(INVOICE.join(" ").split(" ").length);
    expect(inked).toBe(0);
  });
});

/** The stand-in recognizer, except that it reads the word `word` as `as`. */
function misreads(word: string, as: string): typeof recognizer {
  return {
    input: recognizer.input,
    async recognize(images) {
      return (await recognizer.recognize(images)).map((r) => (r.text === word ? { ...r, text: as } : r));
    },
  };
}

describe("numbers read with round letters", () => {
  it("reads О, о, O, o as 0 in words that can only be numbers, and leaves words alone", () => {
    const fixed = ["ООО,ОО", "0О0,О0", "45О", "О.5", "oo.o", "1OO"].map(roundLettersAsZeros);
    expect(fixed).toEqual(["000,00", "000,00", "450", "0.5", "00.0", "100"]);
    for (const word of ["ООО", "О,", "О.", "Ol", "ОАО", "о", "12,5", "Ноль", ",О"])
      expect(roundLettersAsZeros(word), word).toBe(word);
  });
});

describe("cross-checking", () => {
  // A primary reader that misreads "42" as "47", checked by one that reads it right.
  const misreading = misreads("42", "47");

  it("keeps the primary's readings and adds the second's where they differ", async () => {
    const { image } = renderPageImage(INVOICE.slice(1, 2));
    const page = await recognizePage(image, 1, crossChecked(misreading, recognizer), { deskew: false });
    const words = page.lines[0]?.words ?? [];
    expect(words.map((w) => w.text).join(" ")).toBe(INVOICE[1]?.replace("42", "47"));
    expect(words.filter((w) => w.alternative !== undefined).map((w) => [w.text, w.alternative])).toEqual([
      ["47", "42"],
    ]);
  });

  it("marks the difference a misreading makes as uncertain, and only that one", async () => {
    writeFileSync(file("scan-42.png"), renderPageImage(INVOICE).png);
    writeFileSync(file("invoice.pdf"), await buildTextPdf([INVOICE]));
    const alone = await compareFiles(file("invoice.pdf"), file("scan-42.png"), { recognizer: misreading });
    expect(alone.comparison.report.differences.map((d) => [d.original, d.copy, d.readings])).toEqual([
      ["42", "47", undefined],
    ]);
    expect(alone.comparison.report.uncertain).toBe(0);
    const checked = await compareFiles(file("invoice.pdf"), file("scan-42.png"), {
      recognizer: crossChecked(misreading, recognizer),
    });
    const report = checked.comparison.report;
    expect(report.differences.map((d) => [d.original, d.copy, d.readings])).toEqual([["42", "47", ["42"]]]);
    expect(report.uncertain).toBe(1);
    const text = formatTextReport(report);
    expect(text).toContain("uncertain: 1 of these involve words the two models read differently");
    expect(text).toContain('"42" → "47"  (uncertain: the other model read "42")');
  });
});

describe("look-alike letters on recognized pages", () => {
  // A reader that reads the Cyrillic "ООО" as Latin "OOO": the same ink, nobody could tell from the paper.
  const latinReader = misreads("ООО", "OOO");

  it("compares them as equal by default when a page is recognized, and apart when asked", async () => {
    writeFileSync(file("scan-ooo.png"), renderPageImage(INVOICE.slice(0, 3)).png);
    writeFileSync(file("invoice-3.pdf"), await buildTextPdf([INVOICE.slice(0, 3)]));
    const folded = await compareFiles(file("invoice-3.pdf"), file("scan-ooo.png"), {
      recognizer: latinReader,
    });
    expect(folded.comparison.report.options.foldLookalikes).toBe(true);
    expect(folded.comparison.report.identical).toBe(true);
    const strict = await compareFiles(file("invoice-3.pdf"), file("scan-ooo.png"), {
      recognizer: latinReader,
      foldLookalikes: false,
    });
    // Lines 1 and 3 both start with ООО.
    expect(strict.comparison.report.differences.map((d) => [d.original, d.copy])).toEqual([
      ["ООО", "OOO"],
      ["ООО", "OOO"],
    ]);
  });

  it("tells them apart by default between two documents with text", async () => {
    const r = await compareFiles(file("invoice.pdf"), file("edited.pdf"));
    expect(r.comparison.report.options.foldLookalikes).toBe(false);
  });
});

describe("recognized pages", () => {
  it("reads a rendered page back through the Recognizer with word boxes (stand-in: exact)", async () => {
    const { image } = renderPageImage(INVOICE);
    const page = await recognizePage(image, 1, recognizer);
    expect(page.lines.map((l) => l.text)).toEqual(INVOICE);
    const first = page.lines[0]?.words?.[0];
    expect(first?.box.x).toBeGreaterThanOrEqual(55);
    expect(first?.box.x).toBeLessThanOrEqual(65);
  });

  it("compares a skewed scan (PNG) with the edited PDF: every known difference found, line positions exact", async () => {
    // Tolerance: with the stand-in recognizer a 1.5° skew must still give exactly the text-layer differences;
    // a real model may add misreadings, which is why the command shows confidence-free word diffs.
    writeFileSync(file("scan.png"), renderPageImage(INVOICE, { rotateDegrees: 1.5 }).png);
    const r = await compareFiles(file("scan.png"), file("edited.pdf"), { recognizer });
    expect(r.original.pages[0]?.source).toBe("recognized");
    expect(Math.abs((r.original.pages[0]?.skewDegrees ?? 0) - 1.5)).toBeLessThan(0.15);
    const got = r.comparison.report.differences.map((d) => [
      d.kind,
      d.category,
      d.original,
      d.copy,
      d.originalAt.line,
      d.copyAt.line,
    ]);
    expect(got).toEqual(EXPECTED_INVOICE_DIFFERENCES);
  });

  it("renders and recognizes the pages of a scanned PDF (no text layer)", async () => {
    // The page image is scaled into an A4 page and rendered back at 200 dpi: the glyphs come back at another
    // size than the templates. Tolerance: similarity to the original text >= 0.99 (1.0 observed).
    const page = renderPageImage(INVOICE, { width: 1240, height: 1754, fontPx: 28 });
    writeFileSync(file("scanned.pdf"), await buildScannedPdf([page.png]));
    const sameSize = templateRecognizer(vocabulary, 28 * (200 / 150));
    writeFileSync(file("invoice.pdf"), await buildTextPdf([INVOICE]));
    const r = await compareFiles(file("scanned.pdf"), file("invoice.pdf"), {
      recognizer: sameSize,
      dpi: 200,
    });
    expect(r.original.pages[0]?.source).toBe("recognized");
    expect(r.comparison.report.similarity).toBeGreaterThanOrEqual(0.99);
  });

  it("says a model is needed when a page must be recognized and none is given", async () => {
    writeFileSync(file("plain.png"), renderPageImage(["Текст"]).png);
    const error = await extractDocument(file("plain.png"), { recognizer: async () => undefined }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).problem).toBe("needs-model");
    expect((error as Error).message).toContain("--model");
  });
});
