// The model card (README.md) published with every model: Hub YAML front matter with a `model-index` of the
// test results, then usage, training data, figures and limitations for people.
import { stringify } from "yaml";
import type { ModelFile } from "./registry.ts";
import type { ModelScores, Publication, ScoresFile } from "./scores.ts";

export interface ModelCardInput {
  model: ModelScores;
  evaluation: Pick<ScoresFile, "split" | "dataset">;
  publication: Publication;
  /** SPDX-like id the Hub understands: `mit`, `apache-2.0`. */
  license: string;
  /** Hub repo id (`ns/name`) when published there; used in the download example. */
  repoId?: string;
  files: readonly ModelFile[];
  /** The model directory's config.json, when it has one: input size and training settings for the card. */
  modelConfig?: Record<string, unknown>;
}

/** Used when scores.json names no dataset: what the pipeline trains on by default. */
export const DEFAULT_DATASET = "ocrflow-synthetic-ru-en";

/** Figures with a fixed label; any other numeric field of the scores entry is shown under its own name. */
const FIGURE_LABELS: Record<string, string> = {
  exact_match: "Exact match",
  cer: "Character error rate (CER)",
  caseless_exact_match: "Exact match, ignoring case",
  partial_match: "Partial match (≥ 50% of characters)",
  char_accuracy: "Character accuracy in place",
  wer: "Word error rate (WER)",
  throughput: "Throughput (lines/s)",
  params: "Parameters",
  flops: "FLOPs per image",
};

/** Figures that are no test result (they go in the table, not in `model-index`). */
const NOT_RESULTS = new Set(["params", "flops", "throughput", "samples"]);

function numericFigures(model: ModelScores): Array<[string, number]> {
  return Object.entries(model).filter(
    (entry): entry is [string, number] => typeof entry[1] === "number" && Number.isFinite(entry[1]),
  );
}

function formatFigure(key: string, value: number): string {
  if (key === "params" || key === "flops") return value.toLocaleString("en-US");
  if (Number.isInteger(value)) return String(value);
  return value < 1 && !NOT_RESULTS.has(key) ? `${(value * 100).toFixed(2)}%` : value.toFixed(2);
}

function describeInput(config: Record<string, unknown> | undefined): string | null {
  const input = config?.input as { height?: unknown; width?: unknown } | undefined;
  if (typeof input?.height === "number" && typeof input.width === "number")
    return (
      `${input.height}×${input.width} grey pixels (a text line, resized keeping its aspect ratio, then padded), ` +
      "as ink 0–1 with 0 for the background: 1 − grey/255, or grey/255 for light text on a dark background " +
      "(models/preprocess.ts)"
    );
  return null;
}

/** The card's front matter as data (exported for tests and for tools that edit cards). */
export function modelCardMetadata(input: ModelCardInput): Record<string, unknown> {
  const { model, evaluation } = input;
  const datasetName = evaluation.dataset?.name ?? DEFAULT_DATASET;
  const results = numericFigures(model)
    .filter(([key]) => !NOT_RESULTS.has(key))
    .map(([key, value]) => ({
      type: key,
      value,
      name: `${FIGURE_LABELS[key] ?? key} (${evaluation.split})`,
      verified: false,
    }));
  return {
    language: ["ru", "en"],
    license: input.license,
    library_name: "tfjs",
    pipeline_tag: "image-to-text",
    tags: ["ocr", "text-recognition", "cyrillic", "latin", "tfjs", "ocrflow", model.architecture],
    datasets: [datasetName],
    metrics: ["exact_match", "cer"],
    "model-index": [
      {
        name: model.name,
        results: [
          {
            task: { type: "image-to-text", name: "Text line recognition" },
            dataset: {
              type: datasetName,
              name: datasetName,
              split: evaluation.split,
              ...(evaluation.dataset?.version ? { revision: evaluation.dataset.version } : {}),
            },
            metrics: results,
          },
        ],
      },
    ],
  };
}

/** README.md: `---` YAML front matter `---`, then the Markdown body. */
export function renderModelCard(input: ModelCardInput): string {
  const { model, evaluation, publication } = input;
  const front = stringify(modelCardMetadata(input), { lineWidth: 0 });
  const datasetName = evaluation.dataset?.name ?? DEFAULT_DATASET;
  const figures = numericFigures(model)
    .map(([key, value]) => `| ${FIGURE_LABELS[key] ?? key} | ${formatFigure(key, value)} |`)
    .join("\n");
  const inputShape = describeInput(input.modelConfig);
  const weightFiles = input.files.filter((f) => f.path.endsWith(".bin"));
  const weightBytes = weightFiles.reduce((sum, f) => sum + f.size, 0);
  const download = input.repoId
    ? `huggingface-cli download ${input.repoId} --local-dir ${model.name}`
    : `cp -r <registry>/${model.name}/v${publication.version} ${model.name}`;
  const lines = [
    `# ${model.name}`,
    "",
    `A ${model.architecture} text-line recognizer for Cyrillic and Latin text (Russian and English), trained with`,
    "TensorFlow.js by the ocrflow pipeline. It reads one line of text per image and returns the text with a",
    "confidence.",
    "",
    `Version ${publication.version}, published ${publication.published_at}.`,
    "",
    "## Usage",
    "",
    "```sh",
    download,
    `npx ocrflow predict --model ${model.name} line1.png line2.jpg   # one JSON line per image: {file, text, confidence}`,
    "```",
    "",
    "In JavaScript the weights load with `tf.loadLayersModel` / `tf.loadGraphModel` from `model.json`; decoding",
    "needs `charset.json` and the architecture's decoder, which ocrflow's `models/` implements.",
    "",
    "## Training data",
    "",
    `Synthetic text lines (\`${datasetName}\`) rendered by ocrflow's generate stage from Russian and English words,`,
    "phrases, numbers, amounts, dates, e-mails and phone numbers in many open fonts, with augmentations (rotation,",
    "perspective, blur, noise, JPEG, contrast, background), optionally mixed with imported labelled lines.",
    ...(evaluation.dataset?.version
      ? ["", `Data version (md5 from dvc.lock): \`${evaluation.dataset.version}\`.`]
      : []),
    ...(inputShape ? ["", `Input: ${inputShape}.`] : []),
    "",
    `## Results (${evaluation.split} split${evaluation.dataset?.size ? `, ${evaluation.dataset.size} lines` : ""})`,
    "",
    "| figure | value |",
    "|---|---|",
    figures,
    "",
    `Weights: ${weightFiles.length} file(s), ${(weightBytes / 1e6).toFixed(2)} MB.`,
    "",
    "## Limitations",
    "",
    "- One line of printed text per image; no detection or layout analysis: crop lines first.",
    "- Characters outside `charset.json` are never produced; handwriting is not covered.",
    "- Figures are measured on synthetic lines; real scans (noise, low resolution, unusual fonts) score lower.",
    "",
  ];
  return `---\n${front}---\n\n${lines.join("\n")}`;
}
