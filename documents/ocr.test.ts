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
import { recognizePage } from "./ocr.ts";
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
