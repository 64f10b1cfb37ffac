// Tests the real recognition plumbing without a trained model: an untrained PARSeq-tiny saved as a model
// directory is found by --model, loaded through models/io.ts and asked to read a scan's words. Its text is
// noise, so only the shape of the result is checked (no tolerance on the text).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModel, defaultDescription } from "../models/architectures.ts";
import { saveModelDirectory } from "../models/io.ts";
import { compareFiles } from "./index.ts";
import { buildTextPdf, INVOICE, renderPageImage } from "./test-documents.ts";

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ocrflow-model-"));
  const description = defaultDescription("parseq", "tiny");
  const chars = [...new Set(INVOICE.join("").replace(/\s/gu, ""))];
  const model = createModel(description, chars);
  await saveModelDirectory(file("model"), model, { description });
  model.dispose();
  writeFileSync(file("scan.png"), renderPageImage(INVOICE.slice(1, 2)).png);
  writeFileSync(file("invoice.pdf"), await buildTextPdf([INVOICE.slice(1, 2)]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("recognition through a model directory", () => {
  it("--cross-check DIR reads with a second model: a model checked against itself marks nothing", async () => {
    const r = await compareFiles(file("scan.png"), file("invoice.pdf"), {
      model: file("model"),
      crossCheck: file("model"),
    }).catch((e: unknown) => e);
    if (r instanceof Error) {
      expect(r.message).toContain("no text found");
      return;
    }
    const { report, originalTokens } = (r as Awaited<ReturnType<typeof compareFiles>>).comparison;
    expect(report.uncertain).toBe(0);
    expect(originalTokens.tokens.some((t) => t.alternative !== undefined)).toBe(false);
  });

  it("--cross-check with a folder that holds no model names the folder", async () => {
    await expect(
      compareFiles(file("scan.png"), file("invoice.pdf"), { model: file("model"), crossCheck: dir }),
    ).rejects.toThrow(`${dir}: no model.json`);
  });

  it("loads --model and recognizes every segmented word of a scan", async () => {
    const r = await compareFiles(file("scan.png"), file("invoice.pdf"), { model: file("model") }).catch(
      (e: unknown) => e,
    );
    // An untrained model may read a page as nothing at all: then the scan is "empty", which is also an answer.
    if (r instanceof Error) {
      expect(r.message).toContain("no text found");
      return;
    }
    const page = (r as Awaited<ReturnType<typeof compareFiles>>).original.pages[0];
    expect(page?.source).toBe("recognized");
    expect(
      (r as Awaited<ReturnType<typeof compareFiles>>).comparison.report.similarity,
    ).toBeGreaterThanOrEqual(0);
  });
});
