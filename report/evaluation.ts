// What the evaluate stage produces and the report reads: scores.json's full shape (a superset of what the
// registry parses, pipeline/registry/scores.ts) and the per-line prediction records.
import type { ModelScores, ScoresDataset, ScoresFile } from "../pipeline/registry/scores.ts";
import type { SetFigures, TextClass } from "./figures.ts";

/** One model in scores.json: what the registry needs plus every figure the issue asks for. */
export interface EvaluatedModelScores extends ModelScores, SetFigures {
  size: string;
  /** Test lines recognised per second, batched (`evaluate.batch_size`), after one warm-up batch. */
  throughput: number;
  /** Figures per text class present in the test set. */
  by_class: Partial<Record<TextClass, SetFigures>>;
  /** Figures per font (generated lines only), when `evaluate.per_font` is on. */
  by_font?: Record<string, SetFigures>;
}

export interface EvaluationDataset extends ScoresDataset {
  version: string;
  size: number;
  /** The split index the lines came from, e.g. `data/splits/test.jsonl`. */
  file: string;
  /** md5 from dvc.lock of the split folder and of the image folders it points into. */
  md5: Record<string, string>;
}

export interface EvaluationScores extends ScoresFile {
  dataset: EvaluationDataset;
  models: EvaluatedModelScores[];
  /** The settings that shaped the figures (partial match threshold, limit…). */
  settings: { partial_match_threshold: number; batch_size: number; limit: number | null; backend: string };
}

/** One test line as one model read it: a line of `predictions/<model>.jsonl`. */
export interface PredictionRecord {
  /** Image name in the dataset (`gen-000000017.png`). */
  name: string;
  text: string;
  prediction: string;
  confidence: number;
  class: TextClass;
  font?: string;
  /** Edits / reference length of this line (may exceed 1). */
  cer: number;
}
