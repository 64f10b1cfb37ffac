// `ocrflow compare ORIGINAL COPY`: compares two documents (PDF, DOCX, PNG, JPEG, TIFF) and prints the
// similarity score, the counts and the differences as text or JSON, optionally writing an HTML report.
import { writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}

interface CompareCommandOptions {
  json?: boolean;
  html?: string;
  model?: string;
  crossCheck?: string | boolean;
  backend?: string;
  ocr: "auto" | "always" | "never";
  dpi: number;
  foldYo: boolean;
  ignoreCase?: boolean;
  ignorePunctuation?: boolean;
  foldLookalikes?: boolean;
  maxDifferences: number;
  exitCode?: boolean;
}

/** Exit codes, as cmp and diff use them: 0 compared, 1 different (only with --exit-code), 2 trouble (a bad input). */
export const COMPARE_EXIT = { same: 0, different: 1, trouble: 2 } as const;

export function registerCompareCommand(program: Command): void {
  program
    .command("compare")
    .description(
      "compare a document with its supposed copy (PDF, DOCX, PNG, JPEG, TIFF): similarity score, counts of changed words and characters, changed amounts/dates/numbers, and the differences with their page and line",
    )
    .argument("<original>", "the original document")
    .argument("<copy>", "the copy to check against it")
    .option("--json", "print the report as one JSON object on stdout")
    .option(
      "--html <file>",
      "also write an HTML report: both documents side by side, differences highlighted",
    )
    .option(
      "--model <dir>",
      "recognizer model directory for scans (default: models/pretrained/master-tiny when present)",
    )
    .option(
      "--cross-check [dir]",
      "read scans with a second model too and mark differences where the two read a word differently (likely misreadings); default: the shipped model of the other architecture",
    )
    .option("--backend <name>", "tfjs backend for recognition: tensorflow-gpu, tensorflow, native, wasm, cpu")
    .addOption(
      new Option("--ocr <mode>", "PDF pages: auto = recognize pages without a text layer; always; never")
        .choices(["auto", "always", "never"])
        .default("auto"),
    )
    .option("--dpi <n>", "resolution PDF pages are rendered at for recognition", positiveInt, 200)
    .option("--no-fold-yo", "tell ё from е (by default they compare equal)")
    .option("--ignore-case", "compare without regard to letter case")
    .option("--ignore-punctuation", "leave punctuation marks out of the comparison")
    .option(
      "--fold-lookalikes",
      "compare Cyrillic and Latin look-alike letters (А/A, о/o…) as equal (default: when a page is recognized)",
    )
    .option("--no-fold-lookalikes", "tell Cyrillic and Latin look-alike letters apart, even on scans")
    .option("--max-differences <n>", "differences listed in the terminal summary", positiveInt, 50)
    .option("--exit-code", "exit with 1 when the documents differ (like git diff --exit-code)")
    .action(async (originalFile: string, copyFile: string, options: CompareCommandOptions) => {
      const { compareFiles, formatHtmlReport, formatTextReport } = await import("../../documents/index.ts");
      try {
        const result = await compareFiles(originalFile, copyFile, {
          model: options.model,
          ...(options.crossCheck !== undefined ? { crossCheck: options.crossCheck } : {}),
          backend: options.backend,
          ocr: options.ocr,
          dpi: options.dpi,
          foldYo: options.foldYo,
          ignoreCase: options.ignoreCase === true,
          ignorePunctuation: options.ignorePunctuation === true,
          ...(options.foldLookalikes !== undefined ? { foldLookalikes: options.foldLookalikes } : {}),
        });
        const report = result.comparison.report;
        if (options.html)
          writeFileSync(
            options.html,
            await formatHtmlReport(result.comparison, result.original, result.copy),
          );
        if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          process.stdout.write(formatTextReport(report, options.maxDifferences));
          if (options.html) process.stdout.write(`HTML report: ${options.html}\n`);
        }
        process.exitCode = options.exitCode && !report.identical ? COMPARE_EXIT.different : COMPARE_EXIT.same;
      } catch (error) {
        // A bad input names its file; anything else (a model that fails to load, a full disk) is reported alike.
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`ocrflow compare: ${message}\n`);
        process.exitCode = COMPARE_EXIT.trouble;
      }
    });
}
