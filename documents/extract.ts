// Reads any supported document into pages of text lines: PDF (text layer, or rendered and recognized), DOCX,
// or images (recognized), and turns every failure into a DocumentError naming the file.
import { readFile, stat } from "node:fs/promises";
import type { GreyImage } from "../datasets/augment.ts";
import type { Recognizer } from "../models/recognizer.ts";
import { binarize } from "./binarize.ts";
import { countVisibleCharacters, type DocumentText, type PageText } from "./document.ts";
import { readDocx } from "./docx.ts";
import { DocumentError } from "./errors.ts";
import { decodeImagePages } from "./image.ts";
import { recognizePage } from "./ocr.ts";
import { type OcrMode, readPdf } from "./pdf.ts";
import { sniffFormat } from "./sniff.ts";

export interface ExtractOptions {
  ocr?: OcrMode;
  /** Resolution of PDF pages rendered for recognition. */
  dpi?: number;
  /** Gives the recognizer when a page needs one (loaded once, lazily); undefined when there is no model. */
  recognizer?: () => Promise<Recognizer | undefined>;
}

export async function extractDocument(file: string, options: ExtractOptions = {}): Promise<DocumentText> {
  let bytes: Uint8Array;
  try {
    if (!(await stat(file)).isFile()) throw new DocumentError(file, "unsupported", "not a file");
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof DocumentError) throw error;
    throw new DocumentError(
      file,
      "missing",
      `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if (bytes.length === 0) throw new DocumentError(file, "empty", "the file is empty (0 bytes)");
  const format = sniffFormat(bytes);
  const recognize = async (image: GreyImage, number: number, deskew: boolean): Promise<PageText> => {
    // A blank page needs no model: it has nothing to read.
    if (!binarize(image).includes(1))
      return { number, source: "recognized", width: image.width, height: image.height, lines: [] };
    const recognizer = await options.recognizer?.();
    if (!recognizer) {
      throw new DocumentError(
        file,
        "needs-model",
        `page ${number} has no text layer and must be recognized, but no model was found: pass --model DIR`,
      );
    }
    return recognizePage(image, number, recognizer, { deskew });
  };
  let pages: PageText[];
  switch (format) {
    case "pdf":
      pages = await readPdf(file, bytes, {
        ocr: options.ocr ?? "auto",
        dpi: options.dpi ?? 200,
        // A rendered page is straight; a scanned page inside the PDF may not be.
        recognize: (image, n) => recognize(image, n, true),
      });
      break;
    case "docx":
      pages = await readDocx(file, bytes);
      break;
    case "png":
    case "jpeg":
    case "tiff": {
      const images = await decodeImagePages(file, bytes);
      pages = [];
      for (const [i, image] of images.entries()) pages.push(await recognize(image, i + 1, true));
      break;
    }
    case "zip":
      throw new DocumentError(file, "unsupported", "a ZIP archive that is not a DOCX (no word/document.xml)");
    default: {
      const cfb = bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0;
      throw new DocumentError(
        file,
        "unsupported",
        cfb
          ? "an OLE compound file: a legacy .doc or a password-protected Office document; save it as DOCX without a password"
          : "unsupported format; expected PDF, DOCX, PNG, JPEG or TIFF",
      );
    }
  }
  const doc: DocumentText = { file, format, pages };
  if (countVisibleCharacters(doc) === 0)
    throw new DocumentError(file, "empty", "no text found in the document");
  return doc;
}
