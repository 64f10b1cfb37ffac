// PDF input through pdfjs-dist 5.6's legacy build (the last to run on Node 20): the text layer grouped into
// lines with boxes, and pages without text rendered with pdfjs' own canvas (doc.canvasFactory, so its
// @napi-rs/canvas 0.1.x copy is never mixed with the generator's 1.x) for recognition.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { GreyImage } from "../datasets/augment.ts";
import type { Box, PageText, TextLine } from "./document.ts";
import { DocumentError } from "./errors.ts";

export type OcrMode = "auto" | "always" | "never";

export interface ReadPdfOptions {
  /** auto: recognize pages that have no text layer; always: recognize every page; never: text layer only. */
  ocr: OcrMode;
  /** Resolution pages are rendered at for recognition. */
  dpi: number;
  /** Recognizes a rendered page; called only for pages that need it. */
  recognize: (image: GreyImage, pageNumber: number) => Promise<PageText>;
}

type PdfJs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");
let pdfjsModule: Promise<PdfJs> | undefined;
const loadPdfJs = () => {
  pdfjsModule ??= import("pdfjs-dist/legacy/build/pdf.mjs");
  return pdfjsModule;
};

/** pdfjs' data folders (fonts of the standard 14, CMaps, wasm decoders), as paths with a trailing slash. */
function pdfjsData(): { standardFontDataUrl: string; cMapUrl: string; wasmUrl: string } {
  const root = dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
  return {
    standardFontDataUrl: `${join(root, "standard_fonts")}/`,
    cMapUrl: `${join(root, "cmaps")}/`,
    wasmUrl: `${join(root, "wasm")}/`,
  };
}

interface PlacedText {
  str: string;
  x: number;
  baseline: number;
  width: number;
  size: number;
}

/** Groups text items into lines by baseline, left to right; a gap wider than 0.15 em becomes a space. */
export function linesFromItems(items: PlacedText[]): TextLine[] {
  const sorted = items.filter((i) => i.str.length > 0).sort((p, q) => p.baseline - q.baseline || p.x - q.x);
  const groups: PlacedText[][] = [];
  for (const item of sorted) {
    const group = groups[groups.length - 1];
    const ref = group?.[0];
    if (group && ref && Math.abs(item.baseline - ref.baseline) <= 0.4 * Math.max(ref.size, item.size))
      group.push(item);
    else groups.push([item]);
  }
  const lines: TextLine[] = [];
  for (const group of groups) {
    group.sort((p, q) => p.x - q.x);
    let text = "";
    let right = Number.NEGATIVE_INFINITY;
    for (const item of group) {
      if (text && item.x - right > 0.15 * item.size && !/\s$/u.test(text) && !/^\s/u.test(item.str))
        text += " ";
      text += item.str;
      right = Math.max(right, item.x + item.width);
    }
    if (!text.trim()) continue;
    const size = Math.max(...group.map((g) => g.size));
    const left = Math.min(...group.map((g) => g.x));
    const baseline = Math.max(...group.map((g) => g.baseline));
    const box: Box = { x: left, y: baseline - 0.9 * size, width: right - left, height: 1.15 * size };
    lines.push({ text: text.replace(/\s+/gu, " ").trim(), box });
  }
  return lines;
}

async function renderPage(
  page: import("pdfjs-dist/legacy/build/pdf.mjs").PDFPageProxy,
  canvasFactory: unknown,
  dpi: number,
): Promise<GreyImage> {
  const viewport = page.getViewport({ scale: dpi / 72 });
  const width = Math.ceil(viewport.width);
  const height = Math.ceil(viewport.height);
  const factory = canvasFactory as {
    create(w: number, h: number): { canvas: unknown; context: CanvasRenderingContext2D };
    destroy(c: unknown): void;
  };
  const target = factory.create(width, height);
  target.context.fillStyle = "#ffffff";
  target.context.fillRect(0, 0, width, height);
  await page.render({ canvasContext: target.context, canvas: target.canvas as HTMLCanvasElement, viewport })
    .promise;
  const rgba = target.context.getImageData(0, 0, width, height).data;
  factory.destroy(target);
  const data = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    data[i] = Math.round(
      0.299 * (rgba[j] as number) + 0.587 * (rgba[j + 1] as number) + 0.114 * (rgba[j + 2] as number),
    );
  }
  return { width, height, data };
}

export async function readPdf(file: string, bytes: Uint8Array, options: ReadPdfOptions): Promise<PageText[]> {
  const pdfjs = await loadPdfJs();
  const task = pdfjs.getDocument({
    // pdfjs transfers (detaches) the buffer it is given: hand it a copy.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
    cMapPacked: true,
    ...pdfjsData(),
  });
  let doc: import("pdfjs-dist/legacy/build/pdf.mjs").PDFDocumentProxy;
  try {
    doc = await task.promise;
  } catch (error) {
    const name = (error as { name?: string }).name;
    const message = error instanceof Error ? error.message : String(error);
    if (name === "PasswordException") {
      throw new DocumentError(
        file,
        "encrypted",
        "the PDF is password-protected; decrypt it first (e.g. qpdf --decrypt)",
      );
    }
    throw new DocumentError(file, "corrupt", `not a readable PDF (${message})`);
  }
  try {
    const pages: PageText[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: 1 });
      let lines: TextLine[] = [];
      if (options.ocr !== "always") {
        const content = await page.getTextContent({ disableNormalization: true });
        const placed: PlacedText[] = [];
        for (const item of content.items) {
          if (!("str" in item)) continue;
          const t = pdfjs.Util.transform(viewport.transform, item.transform);
          const size = Math.hypot(t[2] as number, t[3] as number) || item.height || 1;
          placed.push({
            str: item.str,
            x: t[4] as number,
            baseline: t[5] as number,
            width: item.width,
            size,
          });
        }
        lines = linesFromItems(placed);
      }
      if (lines.length > 0 || options.ocr === "never") {
        pages.push({
          number: n,
          source: "text-layer",
          width: viewport.width,
          height: viewport.height,
          lines,
        });
      } else {
        const image = await renderPage(page, doc.canvasFactory, options.dpi);
        pages.push(await options.recognize(image, n));
      }
      page.cleanup();
    }
    return pages;
  } catch (error) {
    if (error instanceof DocumentError) throw error;
    throw new DocumentError(
      file,
      "corrupt",
      `could not read the PDF's pages (${error instanceof Error ? error.message : String(error)})`,
    );
  } finally {
    await doc.destroy();
  }
}
