// Builds the documents the tests and the benchmark compare: a PDF from lines of text (pdfkit, Liberation Sans
// from pdfjs-dist so Cyrillic is embedded), the same text as DOCX (docx), a rendered page image, a scanned PDF.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createCanvas, GlobalFonts } from "@napi-rs/canvas";
import type { GreyImage } from "../datasets/augment.ts";

/** A font with Latin and Cyrillic that ships inside an installed package (pdfjs-dist's standard fonts). */
export function testFontFile(): string {
  const root = dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
  return join(root, "standard_fonts", "LiberationSans-Regular.ttf");
}

export const TEST_FONT_FAMILY = "ocrflow-test-sans";
let fontRegistered = false;
export function registerTestFont(): string {
  if (!fontRegistered) {
    if (!GlobalFonts.registerFromPath(testFontFile(), TEST_FONT_FAMILY))
      throw new Error("could not register the test font");
    fontRegistered = true;
  }
  return TEST_FONT_FAMILY;
}

async function pdfkitBuffer(
  build: (doc: PDFKit.PDFDocument) => void,
  options: PDFKit.PDFDocumentOptions = {},
): Promise<Buffer> {
  const { default: PDFDocument } = await import("pdfkit");
  const doc = new PDFDocument({ size: "A4", margin: 50, autoFirstPage: false, ...options });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on("end", () => resolve()));
  build(doc);
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

/** A PDF with a text layer: one page per entry, each line drawn at its own position (no wrapping). */
export async function buildTextPdf(
  pages: string[][],
  options: PDFKit.PDFDocumentOptions = {},
): Promise<Buffer> {
  return pdfkitBuffer((doc) => {
    for (const lines of pages) {
      doc.addPage();
      doc.font(testFontFile()).fontSize(11);
      lines.forEach((line, i) => {
        doc.text(line, 50, 60 + i * 18, { lineBreak: false });
      });
    }
  }, options);
}

/** A PDF whose pages are only images (a scan): no text layer. */
export async function buildScannedPdf(pngs: Buffer[]): Promise<Buffer> {
  return pdfkitBuffer((doc) => {
    for (const png of pngs) {
      doc.addPage({ margin: 0 });
      doc.image(png, 0, 0, { width: doc.page.width, height: doc.page.height });
    }
  });
}

/** A DOCX with one paragraph per line. */
export async function buildDocx(paragraphs: string[]): Promise<Buffer> {
  const { Document, Packer, Paragraph, TextRun } = await import("docx");
  const doc = new Document({
    sections: [{ children: paragraphs.map((p) => new Paragraph({ children: [new TextRun(p)] })) }],
  });
  return Packer.toBuffer(doc);
}

export interface RenderedPage {
  png: Buffer;
  image: GreyImage;
}

/** A page image (white, black text) of the lines at `fontPx`, turned clockwise by `rotateDegrees`. */
export function renderPageImage(
  lines: string[],
  options: { fontPx?: number; width?: number; height?: number; rotateDegrees?: number } = {},
): RenderedPage {
  const family = registerTestFont();
  const fontPx = options.fontPx ?? 28;
  const width = options.width ?? 1400;
  const height = options.height ?? Math.ceil(120 + lines.length * fontPx * 1.6);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.translate(width / 2, height / 2);
  ctx.rotate(((options.rotateDegrees ?? 0) * Math.PI) / 180);
  ctx.translate(-width / 2, -height / 2);
  ctx.fillStyle = "#000000";
  ctx.font = `${fontPx}px "${family}"`;
  ctx.textBaseline = "alphabetic";
  lines.forEach((line, i) => {
    ctx.fillText(line, 60, 60 + fontPx + i * fontPx * 1.6);
  });
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < data.length; i++, j += 4) data[i] = rgba[j] as number;
  return { png: canvas.toBuffer("image/png"), image: { width, height, data } };
}

/** The invoice both documents of a test pair start from (Russian with Latin, numbers, dates and amounts). */
export const INVOICE: string[] = [
  "ООО «Ромашка», ИНН 7701234567",
  "Счёт № 42 от 12.03.2024",
  "Покупатель: ООО «Василёк», г. Москва",
  "Поставка оборудования по договору № 17-А",
  "Сервер Dell PowerEdge R650 — 2 шт.",
  "Цена за единицу: 450 000,00 руб.",
  "Итого к оплате: 900 000,00 руб.",
  "В том числе НДС 20%: 150 000,00 руб.",
  "Срок оплаты: до 25.03.2024 включительно.",
  "Оплата производится банковским переводом.",
  "Директор Иванов И. И.",
];
