// Tells a document's format from its first bytes (not its extension, which a renamed file gets wrong).
import type { DocumentFormat } from "./document.ts";

/** The format of `bytes`, or undefined when it is none we read. A ZIP is only DOCX with word/document.xml. */
export function sniffFormat(bytes: Uint8Array): DocumentFormat | "zip" | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  // %PDF may follow some junk; readers accept it within the first 1024 bytes.
  const head = Buffer.from(bytes.subarray(0, 1024)).toString("latin1");
  if (head.includes("%PDF-")) return "pdf";
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (starts(0xff, 0xd8, 0xff)) return "jpeg";
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return "tiff";
  if (starts(0x50, 0x4b, 0x03, 0x04)) {
    // The local file headers carry the entry names in clear: a DOCX always has word/document.xml.
    return Buffer.from(bytes).includes("word/document.xml", 0, "latin1") ? "docx" : "zip";
  }
  return undefined;
}
