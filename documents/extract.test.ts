// End-to-end tests on documents the tests build: a PDF of a text, the same text as DOCX, an edited PDF with
// known differences (matched exactly: text layers involve no recognition), and bad inputs with clear errors.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocumentError } from "./errors.ts";
import { compareFiles, extractDocument } from "./index.ts";
import {
  buildDocx,
  buildTextPdf,
  EXPECTED_INVOICE_DIFFERENCES,
  editedInvoice,
  INVOICE,
} from "./test-documents.ts";

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ocrflow-documents-"));
  writeFileSync(file("invoice.pdf"), await buildTextPdf([INVOICE]));
  writeFileSync(file("invoice.docx"), await buildDocx(INVOICE));
  const edited = editedInvoice();
  // The edited PDF breaks its pages after line 6, so positions on page 2 are checked too.
  writeFileSync(file("edited.pdf"), await buildTextPdf([edited.slice(0, 6), edited.slice(6)]));
  writeFileSync(file("edited.docx"), await buildDocx(edited));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Expected differences with the copy's lines placed on the pages of edited.pdf (6 lines on page 1). */
function expected(copyPaged: boolean) {
  return EXPECTED_INVOICE_DIFFERENCES.map(([kind, category, original, copy, lineA, lineB]) => ({
    kind,
    category,
    original,
    copy,
    originalAt: { page: 1, line: lineA },
    copyAt: copyPaged && lineB > 6 ? { page: 2, line: lineB - 6 } : { page: 1, line: lineB },
  }));
}

const essentials = (r: Awaited<ReturnType<typeof compareFiles>>) =>
  r.comparison.report.differences.map(({ kind, category, original, copy, originalAt, copyAt }) => ({
    kind,
    category,
    original,
    copy,
    originalAt,
    copyAt,
  }));

describe("text-layer documents", () => {
  it("reads the PDF's text layer line by line, Cyrillic included", async () => {
    const doc = await extractDocument(file("invoice.pdf"));
    expect(doc.format).toBe("pdf");
    expect(doc.pages[0]?.source).toBe("text-layer");
    expect(doc.pages[0]?.lines.map((l) => l.text)).toEqual(INVOICE);
    expect(doc.pages[0]?.lines[0]?.box?.x).toBeCloseTo(50, 0);
  });

  it("finds no difference between a PDF and a DOCX of the same text", async () => {
    const r = await compareFiles(file("invoice.pdf"), file("invoice.docx"));
    expect(r.comparison.report.identical).toBe(true);
    expect(r.comparison.report.similarity).toBe(1);
    expect(r.copy.pages[0]?.source).toBe("paragraphs");
  });

  it("reports exactly the edits made to the PDF, with pages and lines", async () => {
    const r = await compareFiles(file("invoice.pdf"), file("edited.pdf"));
    expect(essentials(r)).toEqual(expected(true));
    const report = r.comparison.report;
    expect(report.words).toEqual({ inserted: 1, deleted: 1, replaced: 4, unchanged: 50 });
    expect(report.significant).toBe(3);
    expect(report.byCategory).toEqual({ amount: 1, date: 1, number: 1, text: 3, punctuation: 1 });
    const edits = report.characters.inserted + report.characters.deleted + report.characters.replaced;
    expect(report.similarity).toBeCloseTo(
      1 - edits / Math.max(report.original.characters, report.copy.characters),
      12,
    );
  });

  it("reports the same edits between a DOCX original and the edited PDF, and between two DOCX", async () => {
    expect(essentials(await compareFiles(file("invoice.docx"), file("edited.pdf")))).toEqual(expected(true));
    expect(essentials(await compareFiles(file("invoice.docx"), file("edited.docx")))).toEqual(
      expected(false),
    );
  });

  it("reports ё → е only with foldYo off", async () => {
    const r = await compareFiles(file("invoice.pdf"), file("edited.docx"), { foldYo: false });
    const yo = r.comparison.report.differences.filter((d) => d.original === "Счёт");
    expect(yo.map((d) => [d.copy, d.originalAt.line])).toEqual([["Счет", 2]]);
  });
});

describe("bad inputs", () => {
  const problem = async (name: string, bytes: Uint8Array | string) => {
    writeFileSync(file(name), bytes);
    const error = await extractDocument(file(name)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).message).toContain(file(name));
    return (error as DocumentError).problem;
  };

  it("names the file and says what is wrong", async () => {
    expect(await problem("empty.pdf", "")).toBe("empty");
    expect(await problem("notes.txt", "just some text")).toBe("unsupported");
    expect(
      await problem("legacy.doc", Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0])),
    ).toBe("unsupported");
    expect(await problem("truncated.pdf", "%PDF-1.7\n1 0 obj\n<< /Type /Catalog")).toBe("corrupt");
    expect(
      await problem(
        "broken.docx",
        Buffer.concat([Buffer.from("PK\x03\x04word/document.xml"), Buffer.alloc(64)]),
      ),
    ).toBe("corrupt");
    expect(
      await problem(
        "broken.png",
        Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]),
      ),
    ).toBe("corrupt");
    const missing = await extractDocument(file("nope.pdf")).catch((e: unknown) => e);
    expect((missing as DocumentError).problem).toBe("missing");
  });

  it("refuses encrypted PDFs and documents without text", async () => {
    const encrypted = await buildTextPdf([INVOICE], { userPassword: "secret", ownerPassword: "owner" });
    expect(await problem("encrypted.pdf", encrypted)).toBe("encrypted");
    expect(await problem("blank.pdf", await buildTextPdf([[" "]]))).toBe("empty");
    expect(await problem("blank.docx", await buildDocx([""]))).toBe("empty");
  });
});
