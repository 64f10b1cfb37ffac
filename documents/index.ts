// Public surface of document comparison: read two files (any supported format) and compare them, loading the
// recognizer at most once and only when a page needs recognition.
import type { Recognizer } from "../models/recognizer.ts";
import { type Comparison, compareDocuments } from "./compare.ts";
import type { DocumentText } from "./document.ts";
import { extractDocument } from "./extract.ts";
import { DEFAULT_NORMALIZE, type NormalizeOptions } from "./normalize.ts";
import type { OcrMode } from "./pdf.ts";
import { crossChecked, defaultCrossCheckDir, loadRecognizer, resolveModelDir } from "./recognizer.ts";

export { type Comparison, type ComparisonReport, compareDocuments, type Difference } from "./compare.ts";
export type { DocumentText, PageText } from "./document.ts";
export { DocumentError } from "./errors.ts";
export { extractDocument } from "./extract.ts";
export { DEFAULT_NORMALIZE, type NormalizeOptions } from "./normalize.ts";
export { formatHtmlReport } from "./report-html.ts";
export { formatTextReport } from "./report-text.ts";

export interface CompareFilesOptions extends Partial<NormalizeOptions> {
  ocr?: OcrMode;
  dpi?: number;
  /** Model directory for scans (default: models/pretrained/master-tiny when present). */
  model?: string;
  /** A recognizer to use instead of loading a model (tests, embedding). */
  recognizer?: Recognizer;
  /**
   * Read scans with a second model too and mark the differences where the two read a word differently
   * (Difference.readings): a model directory, or true for the shipped model of the other architecture.
   */
  crossCheck?: string | boolean;
  backend?: string;
}

export interface ComparedFiles {
  comparison: Comparison;
  original: DocumentText;
  copy: DocumentText;
}

const recognized = (doc: DocumentText) => doc.pages.some((p) => p.source === "recognized");

export async function compareFiles(
  originalFile: string,
  copyFile: string,
  options: CompareFilesOptions = {},
): Promise<ComparedFiles> {
  let loaded: Promise<Recognizer | undefined> | undefined;
  const recognizer = () => {
    loaded ??= (async () => {
      if (options.recognizer) return options.recognizer;
      const dir = resolveModelDir(options.model);
      if (!dir) return undefined;
      const primary = await loadRecognizer(dir, options.backend);
      if (!options.crossCheck) return primary;
      const second =
        typeof options.crossCheck === "string"
          ? resolveModelDir(options.crossCheck)
          : defaultCrossCheckDir(dir);
      if (!second)
        throw new Error(
          "--cross-check: no second model was found: pass --cross-check DIR (a model directory)",
        );
      return crossChecked(primary, await loadRecognizer(second, options.backend));
    })();
    return loaded;
  };
  const extract = { ocr: options.ocr, dpi: options.dpi, recognizer };
  const original = await extractDocument(originalFile, extract);
  const copy = await extractDocument(copyFile, extract);
  const normalize: NormalizeOptions = {
    foldYo: options.foldYo ?? DEFAULT_NORMALIZE.foldYo,
    ignoreCase: options.ignoreCase ?? DEFAULT_NORMALIZE.ignoreCase,
    ignorePunctuation: options.ignorePunctuation ?? DEFAULT_NORMALIZE.ignorePunctuation,
    foldLookalikes: options.foldLookalikes ?? [original, copy].some(recognized),
  };
  return { comparison: compareDocuments(original, copy, normalize), original, copy };
}
