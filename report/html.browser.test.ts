// Opens a generated report in Debian's headless chromium (playwright-core, no downloaded browser): it loads
// offline with no console errors or failed requests and shows its SVG charts, images and tables.
// Skipped, with the reason printed, when /usr/bin/chromium is missing (`apt-get install chromium`).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { EvaluationScores, PredictionRecord } from "./evaluation.ts";
import { FigureAccumulator, lineFigures, textClass } from "./figures.ts";
import { type ReportModel, renderReport } from "./html.ts";

const CHROMIUM = process.env.OCRFLOW_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  process.stdout.write(
    `report/html.browser.test.ts: skipped: no chromium at ${CHROMIUM} (apt-get install chromium)\n`,
  );
}

const LINES = ["Привет", "hello", "2024", "ООО Sigma", "<script>", "ёлка"];

function model(
  name: string,
  misread: Record<number, string>,
): { report: ReportModel; figures: ReturnType<FigureAccumulator["figures"]> } {
  const acc = new FigureAccumulator(0.5);
  const predictions: PredictionRecord[] = LINES.map((text, i) => {
    const prediction = misread[i] ?? text;
    const f = lineFigures(text, prediction);
    acc.add(f, 0.8);
    return {
      name: `l${i}.png`,
      text,
      prediction,
      confidence: 0.8,
      class: textClass(text),
      font: "pt-sans",
      cer: f.edits / f.refChars,
    };
  });
  return {
    report: {
      name,
      predictions,
      confusions: [{ ref: "ё", hyp: "е", count: 2 }],
      curves: {
        runId: `run-${name}`,
        runName: `train ${name}`,
        series: [
          {
            title: "val",
            series: "val_exact_match",
            points: [1, 2, 3].map((step) => ({ step, value: step / 4 })),
          },
          {
            title: "train",
            series: "train_loss",
            points: [1, 2, 3].map((step) => ({ step, value: 2 / step })),
          },
        ],
      },
    },
    figures: acc.figures(),
  };
}

const dir = mkdtempSync(join(tmpdir(), "ocrflow-report-browser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasChromium)("the HTML report in headless chromium", () => {
  it("opens offline with no console errors and shows the charts, the table and the gallery", async () => {
    const a = model("parseq-tiny", { 5: "елка" });
    const b = model("master-tiny", { 0: "Привет!", 3: "000 Sigma" });
    const scores: EvaluationScores = {
      split: "test",
      dataset: {
        name: "ocrflow-synthetic-ru-en",
        version: "abc",
        size: LINES.length,
        file: "data/splits/test.jsonl",
        md5: {},
      },
      settings: { partial_match_threshold: 0.5, batch_size: 64, limit: null, backend: "cpu" },
      models: [a, b].map((m) => ({
        name: m.report.name,
        architecture: m.report.name.split("-")[0] as string,
        size: "tiny",
        dir: `models/out/${m.report.name}`,
        params: 1_500_000,
        ...m.figures,
        throughput: 250,
        by_class: { cyrillic: m.figures },
        by_font: { "pt-sans": m.figures },
      })),
    };
    const html = await renderReport({
      title: "ocrflow evaluation",
      generatedAt: new Date(0).toISOString(),
      scores,
      models: [a.report, b.report],
      gallerySize: LINES.length,
      image: () => ({
        width: 64,
        height: 16,
        data: Uint8Array.from({ length: 1024 }, (_, i) => (i * 13) % 256),
      }),
    });
    const file = join(dir, "report.html");
    writeFileSync(file, html);

    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
      page.on("request", (request) => {
        if (!/^(file|data):/.test(request.url())) problems.push(`network request: ${request.url()}`);
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

      expect(await page.title()).toBe("ocrflow evaluation");
      // 2 score charts + 2 training curves, each an SVG with drawn marks.
      const charts = page.locator(".chart svg");
      expect(await charts.count()).toBe(4);
      for (let i = 0; i < 4; i++) {
        const box = await charts.nth(i).boundingBox();
        expect(box?.width).toBeGreaterThan(100);
        expect(box?.height).toBeGreaterThan(100);
        expect(await charts.nth(i).locator("path, rect").count()).toBeGreaterThan(3);
      }
      expect(await page.locator("figure.line img").count()).toBe(LINES.length);
      // Every gallery image decoded (naturalWidth > 0).
      const decoded = await page.$$eval("figure.line img", (imgs) =>
        imgs.every((img) => (img as HTMLImageElement).naturalWidth > 0),
      );
      expect(decoded).toBe(true);
      // Errors first: the two lines master-tiny misread, then the one parseq-tiny misread.
      const firstTruth = await page.locator("figure.line .truth code").first().textContent();
      expect(["Привет", "ООО Sigma"]).toContain(firstTruth);
      // Text is escaped, never interpreted.
      expect(await page.locator("script").count()).toBe(0);
      expect(await page.getByText("<script>").count()).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
