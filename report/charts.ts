// The report's charts: Vega-Lite specifications compiled and rendered to SVG strings in Node (no browser, no
// network): score bars per model, scores per text class, and training curves per model.
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** Renders a Vega-Lite spec with inline data to a standalone `<svg>` element. */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vegaSpec } = compile(spec);
  // No loader access: every chart carries its data inline, so the report never reaches for a file or URL.
  const view = new View(parse(vegaSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const FONT = "system-ui, sans-serif";
const CONFIG = { font: FONT, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelLimit: 240 } };

export interface ScoreBar {
  model: string;
  figure: string;
  value: number;
}

/** Grouped bars: one group per figure, one bar per model. */
export function scoreBarsSpec(title: string, bars: ScoreBar[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: { step: 18 },
    height: 220,
    config: CONFIG,
    data: { values: bars },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "figure", type: "nominal", title: null, sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: "model", type: "nominal" },
      y: { field: "value", type: "quantitative", title: null, scale: { domain: [0, 1] } },
      color: { field: "model", type: "nominal", title: "model" },
    },
  } as TopLevelSpec;
}

export interface CurvePoint {
  model: string;
  step: number;
  value: number;
}

/** One metric over training steps (or epochs), a line per model. */
export function curveSpec(title: string, xTitle: string, points: CurvePoint[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 360,
    height: 200,
    config: CONFIG,
    data: { values: points },
    mark: { type: "line", point: points.length <= 60, tooltip: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: xTitle },
      y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
      color: { field: "model", type: "nominal", title: "model" },
    },
  } as TopLevelSpec;
}
