// DOCX input through mammoth: its raw text, one line per paragraph (table cells become paragraphs too), all on
// one "page", since a DOCX has no layout until a word processor lays it out.
import mammoth from "mammoth";
import type { PageText } from "./document.ts";
import { DocumentError } from "./errors.ts";

export async function readDocx(file: string, bytes: Uint8Array): Promise<PageText[]> {
  let text: string;
  try {
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    text = result.value;
  } catch (error) {
    throw new DocumentError(
      file,
      "corrupt",
      `not a readable DOCX (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const lines = text
    .split(/\n+/u)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => ({ text: l }));
  return [{ number: 1, source: "paragraphs", lines }];
}
