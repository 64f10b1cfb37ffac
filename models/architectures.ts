// Builds a recognizer network from its saved description or from pipeline.config.yaml's train section, and adds
// the real architectures to `ocrflow bench train --arch parseq-tiny|master-tiny|…`.
import * as tf from "@tensorflow/tfjs";
import { registerBenchArchitecture } from "./backend/index.ts";
import { MasterModel, type MasterSettings } from "./master/model.ts";
import { ParseqModel, type ParseqSettings } from "./parseq/model.ts";
import type { InputShape } from "./preprocess.ts";
import type { ArchitectureName, SequenceModel } from "./recognizer.ts";

/** What config.json keeps to rebuild a network. */
export interface ModelDescription {
  architecture: ArchitectureName;
  size: string;
  input: InputShape;
  /** The architecture's settings (ParseqSettings or MasterSettings). */
  settings: Record<string, unknown>;
}

export function createModel(
  description: ModelDescription,
  chars: readonly string[],
  seed = 1,
): SequenceModel {
  switch (description.architecture) {
    case "parseq":
      return new ParseqModel(
        description.settings as unknown as ParseqSettings,
        description.input,
        chars,
        seed,
      );
    case "master":
      return new MasterModel(
        description.settings as unknown as MasterSettings,
        description.input,
        chars,
        seed,
      );
    default:
      throw new Error(`unknown architecture ${(description as { architecture: string }).architecture}`);
  }
}

/** The train section's settings of one architecture and size (the shapes of pipeline.config.yaml). */
export interface TrainSection {
  parseq: {
    sizes: Record<string, unknown>;
    permutations: number;
    perm_forward: boolean;
    perm_mirrored: boolean;
    decode: string;
    refine_iters: number;
  };
  master: { sizes: Record<string, unknown> };
}

export function describeModel(
  architecture: ArchitectureName,
  size: string,
  train: TrainSection,
  input: InputShape,
): ModelDescription {
  const sized = train[architecture].sizes[size];
  if (!sized) throw new Error(`train.${architecture}.sizes has no size "${size}"`);
  const settings =
    architecture === "parseq"
      ? {
          ...(sized as object),
          permutations: train.parseq.permutations,
          perm_forward: train.parseq.perm_forward,
          perm_mirrored: train.parseq.perm_mirrored,
          decode: train.parseq.decode,
          refine_iters: train.parseq.refine_iters,
        }
      : { ...(sized as object) };
  return { architecture, size, input, settings };
}

/* ---------------------------------------------------------------------------------------------- */
/* Benchmark registration: the shipped sizes at 32x128, max 32 characters, a ~170-character charset. */

/** The charset the benchmarks and the step profiler use (the config's default charset). */
export const BENCH_CHARS = [
  ..."АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюяABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;!?-–—()[]\"'«»/\\%№#&+=*@$€₽_",
];

/** The sizes as pipeline.config.yaml ships them, for benchmarks without a config file. */
export const DEFAULT_SIZES = {
  parseq: {
    tiny: {
      patch: { height: 8, width: 4 },
      stem: "conv",
      stem_depth: 2,
      embed_dim: 128,
      encoder: { depth: 3, heads: 4, mlp_ratio: 3 },
      decoder: { depth: 1, heads: 4, mlp_ratio: 3 },
      dropout: 0,
      ctc_weight: 0.5,
    },
    base: {
      patch: { height: 4, width: 8 },
      embed_dim: 384,
      encoder: { depth: 12, heads: 6, mlp_ratio: 4 },
      decoder: { depth: 1, heads: 12, mlp_ratio: 4 },
      dropout: 0.1,
    },
  },
  master: {
    tiny: {
      encoder: { channels: [32, 64, 96, 128], blocks: [1, 1, 1, 1], gc: { ratio: 0.0625, heads: 1 } },
      d_model: 128,
      decoder: { depth: 2, heads: 4, ff_dim: 384 },
      dropout: 0.1,
      ctc_weight: 0.5,
    },
    base: {
      encoder: { channels: [64, 128, 256, 512], blocks: [1, 2, 5, 3], gc: { ratio: 0.0625, heads: 8 } },
      d_model: 512,
      decoder: { depth: 3, heads: 8, ff_dim: 2048 },
      dropout: 0.2,
    },
  },
} as const;

export const DEFAULT_PARSEQ_TRAINING = {
  permutations: 6,
  perm_forward: true,
  perm_mirrored: true,
  decode: "autoregressive",
  refine_iters: 0,
} as const;

export function defaultDescription(architecture: ArchitectureName, size: "tiny" | "base"): ModelDescription {
  const train = {
    parseq: { sizes: DEFAULT_SIZES.parseq, ...DEFAULT_PARSEQ_TRAINING },
    master: { sizes: DEFAULT_SIZES.master },
  } as unknown as TrainSection;
  return describeModel(architecture, size, train, { height: 32, width: 128, maxLength: 32 });
}

/** Random words over the charset, lengths 1..24: a realistic decoder length for benchmarks. */
export function randomLabels(batch: number, seed: number): string[] {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  return Array.from({ length: batch }, () => {
    const len = 1 + Math.floor(next() * 24);
    return Array.from({ length: len }, () => BENCH_CHARS[Math.floor(next() * BENCH_CHARS.length)]).join("");
  });
}

for (const architecture of ["parseq", "master"] as const) {
  for (const size of ["tiny", "base"] as const) {
    registerBenchArchitecture({
      name: `${architecture}-${size}`,
      description: `ocrflow's ${architecture} at size ${size} (models/${architecture}), 32x128 grey input`,
      create() {
        const model = createModel(defaultDescription(architecture, size), BENCH_CHARS);
        let labels: string[] = [];
        let step = 0;
        return {
          variables: model.params.trainable(),
          makeBatch(batch) {
            labels = randomLabels(batch, 7);
            return [tf.randomUniform([batch, 32, 128, 1], 0, 1, "float32", 7)];
          },
          loss(inputs) {
            return model.loss(inputs[0] as tf.Tensor4D, labels, {
              labelSmoothing: 0.1,
              ctx: { training: true },
              seed: step++,
            });
          },
          parameterCount: () => model.params.parameterCount(),
          dispose: () => model.dispose(),
        };
      },
    });
  }
}
