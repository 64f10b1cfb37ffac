// Tests of `ocrflow compare` as registered on a commander program: the terminal summary, --json, --html,
// --exit-code and the exit code 2 with a one-line error naming the file for bad inputs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registerCompareCommand } from "../stages/commands/compare.ts";
import { buildDocx, buildTextPdf, editedInvoice, INVOICE } from "./test-documents.ts";

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ocrflow-compare-cli-"));
  writeFileSync(file("invoice.pdf"), await buildTextPdf([INVOICE]));
  writeFileSync(file("edited.docx"), await buildDocx(editedInvoice()));
  writeFileSync(file("notes.txt"), "not a document");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command().exitOverride();
  registerCompareCommand(program);
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  await program.parseAsync(["node", "ocrflow", "compare", ...args]);
  const code = Number(process.exitCode ?? 0);
  vi.restoreAllMocks();
  return { stdout, stderr, code };
}

describe("ocrflow compare", () => {
  it("prints a summary with the score and the significant changes first", async () => {
    const { stdout, code } = await run(file("invoice.pdf"), file("edited.docx"));
    expect(code).toBe(0);
    expect(stdout).toMatch(/similarity: \d+\.\d\d%/u);
    expect(stdout).toContain("SIGNIFICANT: 3 change(s)");
    expect(stdout).toContain('"900 000,00" → "990 000,00"');
  });

  it("prints JSON and writes an HTML report side by side", async () => {
    const { stdout, code } = await run(
      file("invoice.pdf"),
      file("edited.docx"),
      "--json",
      "--html",
      file("r.html"),
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.differences).toHaveLength(7);
    expect(report.significant).toBe(3);
    const html = readFileSync(file("r.html"), "utf8");
    expect(html).toContain('<del class="sig" title="#4 amount">900 000,00</del>');
    expect(html).toContain('<ins class="sig" title="#4 amount">990 000,00</ins>');
  });

  it("--cross-check loads no model for documents with text: nothing is uncertain", async () => {
    // The folder does not exist: a model would be loaded only for a page to recognize.
    const { stdout, code } = await run(
      file("invoice.pdf"),
      file("edited.docx"),
      "--json",
      "--cross-check",
      file("no-such-model"),
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.uncertain).toBe(0);
    expect(report.differences.some((d: { readings?: string[] }) => d.readings)).toBe(false);
  });

  it("exits 1 with --exit-code when the documents differ, 0 when they do not", async () => {
    expect((await run(file("invoice.pdf"), file("edited.docx"), "--exit-code")).code).toBe(1);
    expect((await run(file("invoice.pdf"), file("invoice.pdf"), "--exit-code")).code).toBe(0);
  });

  it("exits 2 with one line naming a bad file", async () => {
    const { stderr, code } = await run(file("invoice.pdf"), file("notes.txt"));
    expect(code).toBe(2);
    expect(stderr).toBe(
      `ocrflow compare: ${file("notes.txt")}: unsupported format; expected PDF, DOCX, PNG, JPEG or TIFF\n`,
    );
  });
});
