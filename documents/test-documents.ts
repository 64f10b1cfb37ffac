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

/**
 * A page image (white, black text) of the lines at `fontPx`, one line every `lineSpacing` x `fontPx` pixels
 * (default 1.6), turned clockwise by `rotateDegrees`, in the test font or a registered `family`.
 */
export function renderPageImage(
  lines: string[],
  options: {
    fontPx?: number;
    lineSpacing?: number;
    width?: number;
    height?: number;
    rotateDegrees?: number;
    family?: string;
  } = {},
): RenderedPage {
  const family = options.family ?? registerTestFont();
  const fontPx = options.fontPx ?? 28;
  const pitch = fontPx * (options.lineSpacing ?? 1.6);
  const width = options.width ?? 1400;
  const height = options.height ?? Math.ceil(120 + lines.length * pitch);
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
    ctx.fillText(line, 60, 60 + fontPx + i * pitch);
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

/** Ink bounding box of a grey image (value < 128), or undefined when blank. */
function inkBounds(image: GreyImage): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let x0 = image.width;
  let y0 = image.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if ((image.data[y * image.width + x] as number) < 128) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? undefined : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** The ink (0..1) inside the image's ink box, at its own size. */
function inkPatch(image: GreyImage): { width: number; height: number; ink: Float32Array } | undefined {
  const b = inkBounds(image);
  if (!b) return undefined;
  const width = b.x1 - b.x0;
  const height = b.y1 - b.y0;
  const ink = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      ink[y * width + x] = 1 - (image.data[(b.y0 + y) * image.width + b.x0 + x] as number) / 255;
  }
  return { width, height, ink };
}

/** Mean absolute ink difference with `query` sampled onto the template's grid, plus a penalty for size mismatch. */
function patchDistance(
  query: { width: number; height: number; ink: Float32Array },
  template: { width: number; height: number; ink: Float32Array },
): number {
  let d = 0;
  for (let y = 0; y < template.height; y++) {
    const qy = Math.min(query.height - 1, Math.floor(((y + 0.5) * query.height) / template.height));
    for (let x = 0; x < template.width; x++) {
      const qx = Math.min(query.width - 1, Math.floor(((x + 0.5) * query.width) / template.width));
      d += Math.abs(
        (query.ink[qy * query.width + qx] as number) - (template.ink[y * template.width + x] as number),
      );
    }
  }
  const sizePenalty =
    Math.abs(Math.log(query.width / template.width)) + Math.abs(Math.log(query.height / template.height));
  return d / (template.width * template.height) + sizePenalty;
}

/**
 * A stand-in Recognizer for tests only: it reads a word image by matching it against the words of
 * `vocabulary` rendered in the test font at `fontPx` (nearest ink patch, sizes compared). It reads clean prints
 * of those words at that size, so tests through it check binarization, deskew, segmentation and positions, not
 * a model.
 */
export function templateRecognizer(
  vocabulary: Iterable<string>,
  fontPx = 28,
): import("../models/recognizer.ts").Recognizer {
  const words = [...new Set(vocabulary)];
  const templates = words.map((word) => {
    const page = renderPageImage([word], {
      fontPx,
      width: Math.ceil(word.length * fontPx + 140),
      height: Math.ceil(fontPx * 4),
    });
    const patch = inkPatch(page.image);
    if (!patch) throw new Error(`template of ${JSON.stringify(word)} is blank`);
    return { word, patch };
  });
  return {
    input: { height: 32, width: 128, maxLength: 32 },
    async recognize(images) {
      return images.map((image) => {
        const q = inkPatch(image);
        if (!q) return { text: "", confidence: 0 };
        let best = { text: "", distance: Number.POSITIVE_INFINITY };
        for (const t of templates) {
          const d = patchDistance(q, t.patch);
          if (d < best.distance) best = { text: t.word, distance: d };
        }
        return { text: best.text, confidence: Math.max(0, 1 - best.distance) };
      });
    },
  };
}

/** The edited copy of INVOICE used by the tests, and the differences it must produce (text-layer inputs). */
export function editedInvoice(): string[] {
  const edited = INVOICE.slice();
  edited[1] = "Счет № 42 от 12.03.2024"; // ё → е: equal unless --no-fold-yo
  edited[2] = "Покупатель: ООО «Василёк»; г. Москва";
  edited[3] = "Поставка нового оборудования по договору № 17-А";
  edited[4] = "Сервер Dell PowerEdge R650 — 3 шт.";
  edited[6] = "Итого к оплате: 990 000,00 руб.";
  edited[8] = "Срок оплаты: до 28.03.2024 включительно.";
  edited[9] = "Оплата производится безналичным переводом.";
  edited[10] = "Директор Иванов И.";
  return edited;
}

/** [kind, category, original, copy, original line, copy line] of each expected difference, lines 1-based. */
export const EXPECTED_INVOICE_DIFFERENCES: Array<[string, string, string, string, number, number]> = [
  ["replace", "punctuation", ",", ";", 3, 3],
  ["insert", "text", "", "нового", 4, 4],
  ["replace", "number", "2", "3", 5, 5],
  ["replace", "amount", "900 000,00", "990 000,00", 7, 7],
  ["replace", "date", "25.03.2024", "28.03.2024", 9, 9],
  ["replace", "text", "банковским", "безналичным", 10, 10],
  ["delete", "text", "И .", "", 11, 11],
];
