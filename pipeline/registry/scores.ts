// The part of scores.json (the evaluate stage's output) that publishing relies on, its checked parser, and
// the rules that decide whether a model may be published: thresholds, and "not worse than what is out".

/**
 * One evaluated model, as the evaluate stage writes it in `scores.json`. Only the fields marked required are
 * read by the registry; the evaluate stage may write more (they are kept and shown in the model card when
 * numeric).
 */
export interface ModelScores {
  /** Registry key, unique in the file: `parseq-tiny`, `master-base`. Becomes the folder / Hub repo name. */
  name: string;
  /** `parseq`, `master`… */
  architecture: string;
  /** Model directory (tfjs model.json + weights, charset.json, config.json…), relative to the repo root. */
  dir: string;
  /** Share of test lines recognised exactly, 0..1. The primary figure: higher is better. */
  exact_match: number;
  /** Character error rate on the test split (Levenshtein / reference length), 0..1. Lower is better. */
  cer: number;
  /** Trainable parameter count. */
  params: number;
  /** `tiny`, `base`; fills `{size}` in the Hub repo id. */
  size?: string;
  /** Further figures the evaluate stage computes (wer, caseless_exact_match, throughput…). */
  [figure: string]: unknown;
}

/** Which data the figures were measured on; shown in the model card's `model-index`. */
export interface ScoresDataset {
  /** Dataset id for the model card, e.g. `ocrflow-synthetic-ru-en`. */
  name: string;
  /** md5 of the data (from dvc.lock), so a figure can be traced to its data. */
  version?: string;
  /** Number of test lines. */
  size?: number;
}

/** `scores.json`: what the evaluate stage writes and what every published copy carries (with one model). */
export interface ScoresFile {
  /** Split the figures were measured on, normally `test`. */
  split: string;
  dataset?: ScoresDataset;
  models: ModelScores[];
  /** Set on the copies a registry holds: which version of the model they belong to. */
  publication?: Publication;
  [key: string]: unknown;
}

/** The registry's record of one publication of a model. */
export interface Publication {
  name: string;
  /** 1, 2, 3… per model name, in every registry. */
  version: number;
  /** sha256 over the published model files (paths and contents): equal digests = the same model. */
  digest: string;
  /** ISO 8601. */
  published_at: string;
}

export interface Thresholds {
  /** Lowest exact match that may be published. */
  exact_match: number;
  /** Highest CER that may be published. */
  cer: number;
}

/** Thrown by parseScoresFile with every problem found, not just the first. */
export class ScoresFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join("; ")}`);
    this.name = "ScoresFormatError";
  }
}

function isRatio(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;
}

/** Parses and checks scores.json text; `file` names it in errors. */
export function parseScoresFile(text: string, file = "scores.json"): ScoresFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ScoresFormatError(file, [`not JSON (${(error as Error).message})`]);
  }
  const problems: string[] = [];
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ScoresFormatError(file, ["expected an object with `split` and `models`"]);
  }
  const root = data as Record<string, unknown>;
  if (typeof root.split !== "string" || root.split === "")
    problems.push("`split` must be a non-empty string");
  if (root.dataset !== undefined) {
    const dataset = root.dataset as Record<string, unknown> | null;
    if (typeof dataset !== "object" || dataset === null || typeof dataset.name !== "string")
      problems.push("`dataset` must be an object with a string `name`");
  }
  if (!Array.isArray(root.models)) {
    problems.push("`models` must be an array");
  } else {
    const seen = new Set<string>();
    root.models.forEach((entry: unknown, i: number) => {
      const at = `models[${i}]`;
      if (typeof entry !== "object" || entry === null) {
        problems.push(`${at} must be an object`);
        return;
      }
      const m = entry as Record<string, unknown>;
      if (typeof m.name !== "string" || !/^[A-Za-z0-9][\w.-]*$/.test(m.name))
        problems.push(`${at}.name must be a name of letters, digits, '-', '_' or '.'`);
      else if (seen.has(m.name)) problems.push(`${at}.name '${m.name}' appears twice`);
      else seen.add(m.name);
      if (typeof m.architecture !== "string" || m.architecture === "")
        problems.push(`${at}.architecture must be a non-empty string`);
      if (typeof m.dir !== "string" || m.dir === "") problems.push(`${at}.dir must be a non-empty string`);
      if (!isRatio(m.exact_match)) problems.push(`${at}.exact_match must be a number in 0..1`);
      if (!isRatio(m.cer)) problems.push(`${at}.cer must be a number in 0..1`);
      if (typeof m.params !== "number" || !Number.isInteger(m.params) || m.params < 0)
        problems.push(`${at}.params must be a non-negative integer`);
      if (m.size !== undefined && typeof m.size !== "string") problems.push(`${at}.size must be a string`);
    });
  }
  if (problems.length > 0) throw new ScoresFormatError(file, problems);
  return root as ScoresFile;
}

/** Why a model fails the thresholds, or null when it passes. */
export function thresholdFailure(model: ModelScores, thresholds: Thresholds): string | null {
  const reasons: string[] = [];
  if (model.exact_match < thresholds.exact_match)
    reasons.push(`exact match ${model.exact_match} < ${thresholds.exact_match}`);
  if (model.cer > thresholds.cer) reasons.push(`CER ${model.cer} > ${thresholds.cer}`);
  return reasons.length > 0 ? reasons.join(", ") : null;
}

/**
 * Orders two models' figures: exact match first (higher is better), CER breaks ties (lower is better).
 * Exact match leads because it is what users of a line recognizer feel; a lower CER alone does not make a
 * model that gets fewer lines right the better one. Returns > 0 when `a` is better, < 0 when worse.
 */
export function compareScores(a: Pick<ModelScores, "exact_match" | "cer">, b: typeof a): number {
  if (a.exact_match !== b.exact_match) return a.exact_match - b.exact_match;
  return b.cer - a.cer;
}
