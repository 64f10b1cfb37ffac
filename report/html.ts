// The self-contained HTML report of an evaluation: score table, charts (Vega-Lite rendered to inline SVG),
// training curves per model, top character confusions, and a gallery of test lines with ground truth and
// predictions, errors first. Images are inlined as PNG data URIs: the file opens offline, with no script.
import sharp from "sharp";
import type { GreyImage } from "../datasets/augment.ts";
import type { Confusion } from "./alignment.ts";
import { type CurvePoint, curveSpec, renderChartSvg, type ScoreBar, scoreBarsSpec } from "./charts.ts";
import type { EvaluationScores, PredictionRecord } from "./evaluation.ts";
import { TEXT_CLASSES } from "./figures.ts";
import { comparisonRows, TABLE_COLUMNS } from "./markdown.ts";
import type { TrainingCurves } from "./runs.ts";

export interface ReportModel {
  name: string;
  /** In test-split order; every model has one record per test line. */
  predictions: PredictionRecord[];
  confusions: Confusion[];
  /** Absent when no training run of the model is in runs/. */
  curves?: TrainingCurves;
}

export interface ReportInput {
  title: string;
  /** ISO time shown in the header. */
  generatedAt: string;
  scores: EvaluationScores;
  models: ReportModel[];
  gallerySize: number;
  /** Pixels of a test line by image name; undefined leaves the gallery cell without a picture. */
  image(name: string): GreyImage | undefined;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Makes blanks visible in confusions: a space as ␣, a missing character as ∅. */
function showChar(c: string): string {
  if (c === "") return "∅";
  if (c === " ") return "␣";
  return c;
}

export async function pngDataUri(image: GreyImage): Promise<string> {
  const png = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString("base64")}`;
}

interface GalleryLine {
  index: number;
  wrong: number;
  worstCer: number;
}

/** Lines to show: the most models wrong first, then the worst line CER, then test order. */
export function galleryOrder(models: readonly ReportModel[], size: number): number[] {
  const first = models[0];
  if (!first) return [];
  const lines: GalleryLine[] = first.predictions.map((_, index) => {
    let wrong = 0;
    let worstCer = 0;
    for (const m of models) {
      const p = m.predictions[index];
      if (!p) continue;
      if (p.prediction !== p.text) wrong++;
      worstCer = Math.max(worstCer, p.cer);
    }
    return { index, wrong, worstCer };
  });
  lines.sort((a, b) => b.wrong - a.wrong || b.worstCer - a.worstCer || a.index - b.index);
  return lines.slice(0, size).map((l) => l.index);
}

function table(header: readonly string[], rows: string[][], className = ""): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table${className ? ` class="${className}"` : ""}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const pct = (v: number | undefined) => (v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);

async function scoreCharts(scores: EvaluationScores): Promise<string[]> {
  const figures = [
    ["exact_match", "exact"],
    ["caseless_exact_match", "caseless"],
    ["partial_match", "partial"],
    ["char_accuracy_in_place", "in place"],
    ["cer", "CER"],
    ["wer", "WER"],
  ] as const;
  const bars: ScoreBar[] = scores.models.flatMap((m) =>
    figures.map(([key, label]) => ({ model: m.name, figure: label, value: m[key] })),
  );
  const classBars: ScoreBar[] = scores.models.flatMap((m) =>
    TEXT_CLASSES.filter((c) => m.by_class[c]).map((c) => ({
      model: m.name,
      figure: c,
      value: m.by_class[c]?.exact_match ?? 0,
    })),
  );
  return Promise.all([
    renderChartSvg(scoreBarsSpec("Scores on the test split", bars)),
    renderChartSvg(scoreBarsSpec("Exact match per text class", classBars)),
  ]);
}

/** One chart per series (train loss, val exact match…), a line per model. */
async function curveCharts(models: readonly ReportModel[]): Promise<string[]> {
  const bySeries = new Map<string, CurvePoint[]>();
  for (const m of models) {
    for (const s of m.curves?.series ?? []) {
      const key =
        s.title === s.series || s.series.startsWith(`${s.title}_`) ? s.series : `${s.title} · ${s.series}`;
      const points = bySeries.get(key) ?? [];
      for (const p of s.points) points.push({ model: m.name, step: p.step, value: p.value });
      bySeries.set(key, points);
    }
  }
  return Promise.all([...bySeries].map(([key, points]) => renderChartSvg(curveSpec(key, "step", points))));
}

function confusionTables(models: readonly ReportModel[]): string {
  return models
    .map((m) => {
      const rows = m.confusions.map((c) => [
        `<span class="ch">${escapeHtml(showChar(c.ref))}</span>`,
        `<span class="ch">${escapeHtml(showChar(c.hyp))}</span>`,
        String(c.count),
      ]);
      const body = rows.length > 0 ? table(["truth", "read as", "count"], rows, "num") : "<p>No errors.</p>";
      return `<div class="confusions"><h3>${escapeHtml(m.name)}</h3>${body}</div>`;
    })
    .join("\n");
}

function fontTable(scores: EvaluationScores): string {
  const fonts = new Set<string>();
  for (const m of scores.models) for (const f of Object.keys(m.by_font ?? {})) fonts.add(f);
  if (fonts.size === 0) return "";
  const worst = (font: string) => Math.min(...scores.models.map((m) => m.by_font?.[font]?.exact_match ?? 1));
  const rows = [...fonts]
    .sort((a, b) => worst(a) - worst(b) || (a < b ? -1 : 1))
    .map((font) => [
      escapeHtml(font),
      String(scores.models[0]?.by_font?.[font]?.count ?? 0),
      ...scores.models.map((m) => pct(m.by_font?.[font]?.exact_match)),
    ]);
  return `<h2>Exact match per font</h2>${table(["font", "lines", ...scores.models.map((m) => m.name)], rows, "num")}`;
}

function classTable(scores: EvaluationScores): string {
  const rows = TEXT_CLASSES.filter((c) => scores.models.some((m) => m.by_class[c])).map((c) => [
    c,
    String(scores.models[0]?.by_class[c]?.count ?? 0),
    ...scores.models.flatMap((m) => [pct(m.by_class[c]?.exact_match), pct(m.by_class[c]?.cer)]),
  ]);
  const header = ["class", "lines", ...scores.models.flatMap((m) => [`${m.name} exact`, `${m.name} CER`])];
  return table(header, rows, "num");
}

async function gallery(input: ReportInput): Promise<string> {
  const cards: string[] = [];
  for (const index of galleryOrder(input.models, input.gallerySize)) {
    const first = input.models[0]?.predictions[index];
    if (!first) continue;
    const pixels = input.image(first.name);
    const img = pixels
      ? `<img alt="${escapeHtml(first.name)}" src="${await pngDataUri(pixels)}" width="${pixels.width * 2}" height="${pixels.height * 2}">`
      : "";
    const reads = input.models
      .map((m) => {
        const p = m.predictions[index];
        if (!p) return "";
        const ok = p.prediction === p.text;
        return `<div class="${ok ? "ok" : "wrong"}"><span class="who">${escapeHtml(m.name)}</span> <code>${escapeHtml(p.prediction)}</code> <span class="conf">${(p.confidence * 100).toFixed(0)}%</span></div>`;
      })
      .join("");
    const meta = [first.class, first.font].filter(Boolean).join(" · ");
    cards.push(
      `<figure class="line">${img}<figcaption><div class="truth"><span class="who">truth</span> <code>${escapeHtml(first.text)}</code></div>${reads}<div class="meta">${escapeHtml(`${first.name} · ${meta}`)}</div></figcaption></figure>`,
    );
  }
  return cards.join("\n");
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1b1b1b}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
table.num td:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart svg{max-width:100%;height:auto}
.confusions{display:inline-block;vertical-align:top;margin-right:32px}.ch{font-family:monospace;font-size:15px}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
figure.line{margin:0;padding:8px;border:1px solid #ddd;border-radius:6px}figure.line img{image-rendering:pixelated;max-width:100%;height:auto;border:1px solid #eee}
.who{display:inline-block;min-width:90px;color:#666}.wrong code{color:#b00020}.ok code{color:#1b6e20}.conf,.meta{color:#888;font-size:12px}figcaption code{overflow-wrap:anywhere}
`;

/** The whole report as one HTML string. */
export async function renderReport(input: ReportInput): Promise<string> {
  const { scores } = input;
  const [scoreSvgs, curveSvgs, galleryHtml] = await Promise.all([
    scoreCharts(scores),
    curveCharts(input.models),
    gallery(input),
  ]);
  const chart = (svg: string) => `<div class="chart">${svg}</div>`;
  const missingCurves = input.models.filter((m) => !m.curves).map((m) => m.name);
  const runs = input.models
    .filter((m) => m.curves)
    .map((m) => `${escapeHtml(m.name)}: run ${escapeHtml(m.curves?.runId ?? "")}`)
    .join("; ");
  const d = scores.dataset;
  const galleryCount = Math.min(input.gallerySize, input.models[0]?.predictions.length ?? 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(`${scores.split} split: ${d.size} lines of ${d.name} (${d.file}, version ${d.version || "unknown"}), generated ${input.generatedAt}, backend ${scores.settings.backend}.`)}</p>
<h2>Scores</h2>
${table(
  TABLE_COLUMNS,
  comparisonRows(scores).map((r) => r.map(escapeHtml)),
  "num",
)}
<div class="charts">${scoreSvgs.map(chart).join("\n")}</div>
<h2>Per text class</h2>
${classTable(scores)}
${fontTable(scores)}
<h2>Training curves</h2>
${curveSvgs.length > 0 ? `<p>${runs}</p><div class="charts">${curveSvgs.map(chart).join("\n")}</div>` : ""}
${missingCurves.length > 0 ? `<p>No training run found in the tracker's runs folder for: ${escapeHtml(missingCurves.join(", "))}.</p>` : ""}
<h2>Most frequent character confusions</h2>
${confusionTables(input.models)}
<h2>Test lines (${galleryCount}, errors first)</h2>
<div class="gallery">
${galleryHtml}
</div>
</body>
</html>
`;
}
