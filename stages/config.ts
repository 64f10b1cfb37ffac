// The OCR pipeline's parameters: typed view of pipeline.config.yaml (validated, profile-resolved, with the
// engine's `-S` overrides from OCRFLOW_SET_PARAMS applied). Types mirror pipeline.config.schema.json.
import { loadParams, type ParamOverrides, readParamOverridesFromEnv } from "../pipeline/config.ts";

/** The params file every stage reads, relative to the repo root (where stages run). */
export const PIPELINE_CONFIG_FILE = "pipeline.config.yaml";

export interface Range<T extends number = number> {
  min: T;
  max: T;
}

export interface CharsetConfig {
  cyrillic: boolean;
  latin: boolean;
  digits: boolean;
  space: boolean;
  /** Punctuation and symbols, as one string. */
  symbols: string;
  extra: string;
}

export interface InputConfig {
  height: number;
  width: number;
  max_label_length: number;
}

export interface PullConfig {
  dataset: string;
  /** null = the DVC default remote. */
  remote: string | null;
  required: boolean;
  /** 0 = 4 per core. */
  jobs: number;
}

export type FontStyle = "sans" | "serif" | "mono" | "condensed" | "display";

export type TextSource =
  | "words_ru"
  | "words_en"
  | "phrases"
  | "numbers"
  | "amounts"
  | "dates"
  | "document_tokens"
  | "emails"
  | "phones"
  | "random";

export interface Augmentation {
  probability: number;
}

export interface AugmentConfig {
  probability: number;
  rotation: Augmentation & { max_degrees: number };
  shear: Augmentation & { max: number };
  perspective: Augmentation & { max: number };
  blur: Augmentation & { sigma: Range };
  gaussian_noise: Augmentation & { sigma: Range };
  salt_pepper: Augmentation & { amount: Range };
  jpeg: Augmentation & { quality: Range };
  contrast: Augmentation & { factor: Range };
  background: Augmentation & { level: Range };
  invert: Augmentation;
  padding: Augmentation & { max_pixels: number };
  scale: Augmentation & { factor: Range };
}

export interface GenerateConfig {
  count: number;
  seed: number;
  /** 0 = one process per core. */
  workers: number;
  shard_size: number;
  lines_per_font: number;
  preview: number;
  min_label_length: number;
  /** null = input.max_label_length; never longer than that. */
  max_label_length: number | null;
  fonts: {
    /** Empty = every installed face covering the charset. */
    families: string[];
    exclude: string[];
    styles: FontStyle[];
    weights: Range;
    italic: boolean;
    /** Fraction of the image height. */
    size: Range;
  };
  text: {
    sources: Record<TextSource, number>;
    words_per_line: Range;
    char_balance: number;
    upper_case: number;
    title_case: number;
  };
  augment: AugmentConfig;
}

export interface ImportConfig {
  /** null = nothing to import. */
  source: string | null;
  format: "auto" | "csv" | "tsv" | "json" | "parquet";
  labels: string | null;
  columns: { image: string; text: string };
  on_error: "skip" | "fail";
  limit: number | null;
  normalization: "NFC" | "NFKC" | "none";
}

export interface SplitConfig {
  /** Sum to 1 (checked on load). */
  ratios: { train: number; val: number; test: number };
  seed: number;
}

export interface ConvertConfig {
  formats: Array<"json" | "csv">;
  export_images: boolean;
  json_indent: number;
}

export type ModelName = "parseq" | "master";
export type ModelSize = "tiny" | "base";
export type BackendName = "auto" | "tfjs-node-gpu" | "tfjs-node" | "native" | "wasm" | "cpu";

export interface TransformerStack {
  depth: number;
  heads: number;
}

export interface ParseqSizeConfig {
  patch: { height: number; width: number };
  /** How patches become tokens: one linear map per patch, or a few strided 3x3 convs (default linear). */
  stem?: "linear" | "conv";
  /** 3x3 convs per stride of the conv stem (the first strided); more see whole characters. Default 1. */
  stem_depth?: number;
  /**
   * The encoder's position embedding at initialisation: learned from N(0, 0.02) as ViT/parseq (default), or a 2D
   * sinusoid (half the channels code the column, half the row), still learned, with the patch tokens projected to
   * about unit size to match it.
   */
  positions?: "learned" | "sinusoid";
  embed_dim: number;
  encoder: TransformerStack & { mlp_ratio: number };
  decoder: TransformerStack & { mlp_ratio: number };
  dropout: number;
  /** Weight of the auxiliary CTC loss on the encoder's columns (training only); 0 or absent = off. */
  ctc_weight?: number;
}

export interface ParseqConfig {
  size: ModelSize;
  /** null = train.optimizer.lr. */
  lr: number | null;
  /** A model directory whose weights start the training (fine-tuning); null or absent = from scratch. */
  init_from?: string | null;
  sizes: Record<ModelSize, ParseqSizeConfig>;
  permutations: number;
  perm_forward: boolean;
  perm_mirrored: boolean;
  decode: "autoregressive" | "non-autoregressive";
  refine_iters: number;
}

export interface MasterSizeConfig {
  encoder: { channels: number[]; blocks: number[]; gc: { ratio: number; heads: number } };
  d_model: number;
  decoder: TransformerStack & { ff_dim: number };
  dropout: number;
  /** Weight of the auxiliary CTC loss on the encoder's columns (training only); 0 or absent = off. */
  ctc_weight?: number;
}

export interface MasterConfig {
  size: ModelSize;
  lr: number | null;
  /** A model directory whose weights start the training (fine-tuning); null or absent = from scratch. */
  init_from?: string | null;
  sizes: Record<ModelSize, MasterSizeConfig>;
}

export interface TrainConfig {
  models: ModelName[];
  backend: BackendName;
  threads: number;
  seed: number;
  epochs: number;
  batch_size: number;
  max_steps_per_epoch: number | null;
  val_limit: number | null;
  shuffle_buffer: number;
  optimizer: {
    name: "adamw" | "adam";
    lr: number;
    beta1: number;
    beta2: number;
    epsilon: number;
    weight_decay: number;
  };
  schedule: {
    warmup_fraction: number;
    decay: "cosine" | "linear" | "constant";
    min_lr_ratio: number;
  };
  /** 0 = off. */
  grad_clip_norm: number;
  label_smoothing: number;
  /** Random margins around each training line's ink (datasets/augment.ts, reframe); absent = off. */
  reframe?: { probability: number; x: Range; y: Range; keep_rows?: number };
  early_stopping: {
    metric: "val_exact_match" | "val_cer" | "val_loss";
    /** 0 = never stop early. */
    patience: number;
    min_delta: number;
  };
  checkpoint_every_steps: number;
  log_every_steps: number;
  parseq: ParseqConfig;
  master: MasterConfig;
}

export interface EvaluateConfig {
  /** Names the test data in scores.json (`dataset.name`) and in the model cards' model-index. */
  dataset_name: string;
  batch_size: number;
  /** Test lines evaluated; null = the whole split. */
  limit: number | null;
  /** A line is a partial match when at least this share of its characters is right (1 − edits / length). */
  partial_match_threshold: number;
  per_font: boolean;
  /** Test lines shown in the HTML report, errors first. */
  gallery_size: number;
  confusions_top: number;
  /** Batches timed for lines/s, after one untimed warm-up batch. */
  throughput_batches: number;
}

export interface PublishConfig {
  /** A model is published only with test exact match >= exact_match and CER <= cer (pipeline/registry/scores.ts). */
  thresholds: { exact_match: number; cer: number };
  force: boolean;
  push_data: boolean;
  dvc_remote: string | null;
}

export interface TrackingConfig {
  /** auto = ClearML when CLEARML_API_HOST and keys are in the environment, else local (pipeline/tracking). */
  backend: "auto" | "local" | "clearml";
  project: string;
  runs_dir: string;
  tags: string[];
  report: boolean;
}

export interface RegistryConfig {
  backend: "local" | "huggingface";
  local: { dir: string };
  huggingface: {
    /** Per model, `{model}` becomes the architecture, `{size}` the size, `{name}` the name in scores.json. */
    repo_id: string;
    private: boolean;
    hub_url: string;
    license: string;
  };
}

/** The sections a profile may override, each partially. */
export interface PipelineSections {
  charset: CharsetConfig;
  input: InputConfig;
  pull: PullConfig;
  generate: GenerateConfig;
  import: ImportConfig;
  split: SplitConfig;
  convert: ConvertConfig;
  train: TrainConfig;
  evaluate: EvaluateConfig;
  publish: PublishConfig;
  tracking: TrackingConfig;
  registry: RegistryConfig;
}

export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** pipeline.config.yaml as written. */
export interface PipelineConfigFile extends PipelineSections {
  profile: string;
  profiles: Record<string, DeepPartial<PipelineSections>>;
}

/** What stages use: the sections with the active profile and the overrides applied. */
export interface PipelineConfig extends PipelineSections {
  /** The active profile, e.g. "full" or "smoke". */
  profile: string;
}

export interface LoadPipelineConfigOptions {
  /** Defaults to pipeline.config.yaml in the current folder. */
  file?: string;
  /** Activates this profile, whatever the file and OCRFLOW_SET_PARAMS say. */
  profile?: string;
  /** Further dotted-key overrides, applied after those from the environment. */
  overrides?: ParamOverrides;
  /** Where OCRFLOW_SET_PARAMS is read from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads, validates and resolves the pipeline config; throws ProblemsError listing every problem.
 * Order: the file, then the overrides (OCRFLOW_SET_PARAMS, then `overrides`, then `profile`), then the active
 * profile deep-merged over its sections, then the overrides once more so an explicit `-S` beats the profile.
 * Both the file as overridden and the merged result are validated against the schema.
 */
export function loadPipelineConfig(options: LoadPipelineConfigOptions = {}): PipelineConfig {
  const file = options.file ?? PIPELINE_CONFIG_FILE;
  const overrides = { ...readParamOverridesFromEnv(file, options.env), ...options.overrides };
  const loaded = loadParams(file, {
    overrides,
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
  });
  return loaded.value as PipelineConfig;
}

/** The parameters one model is built and trained with: its size's architecture and its learning rate. */
export function modelSettings<M extends ModelName>(
  config: PipelineConfig,
  model: M,
): {
  size: ModelSize;
  lr: number;
  initFrom: string | null;
  architecture: TrainConfig[M]["sizes"][ModelSize];
} {
  const section: TrainConfig[M] = config.train[model];
  return {
    size: section.size,
    lr: section.lr ?? config.train.optimizer.lr,
    initFrom: section.init_from ?? null,
    architecture: section.sizes[section.size] as TrainConfig[M]["sizes"][ModelSize],
  };
}
