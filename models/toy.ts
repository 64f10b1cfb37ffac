// Toy recognizers and data for tests and quick benchmarks: mini sizes of both architectures, a bar-code "font"
// that a mini model learns in a few hundred steps, and loop settings that train it.
import type { GreyImage } from "../datasets/augment.ts";
import { Random } from "../datasets/random.ts";
import type { ModelDescription } from "./architectures.ts";
import type { LabelledImage, TrainSettings } from "./train.ts";

export const TOY_CHARS = "abcdef";
export const TOY_INPUT = { height: 16, width: 32, maxLength: 4 };

export const MINI: Record<"parseq" | "master", ModelDescription> = {
  parseq: {
    architecture: "parseq",
    size: "mini",
    input: TOY_INPUT,
    settings: {
      patch: { height: 8, width: 4 },
      embed_dim: 32,
      encoder: { depth: 1, heads: 2, mlp_ratio: 2 },
      decoder: { depth: 1, heads: 2, mlp_ratio: 2 },
      dropout: 0,
      permutations: 4,
      perm_forward: true,
      perm_mirrored: true,
      decode: "autoregressive",
      refine_iters: 1,
    },
  },
  master: {
    architecture: "master",
    size: "mini",
    input: TOY_INPUT,
    settings: {
      encoder: { channels: [8, 8, 16, 16], blocks: [1, 1, 1, 1], gc: { ratio: 0.25, heads: 1 } },
      d_model: 32,
      decoder: { depth: 1, heads: 2, ff_dim: 64 },
      dropout: 0,
    },
  },
};

export function toySettings(overrides: Partial<TrainSettings> = {}): TrainSettings {
  return {
    seed: 7,
    epochs: 6,
    batch_size: 16,
    max_steps_per_epoch: null,
    optimizer: { name: "adamw", lr: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weight_decay: 0.01 },
    schedule: { warmup_fraction: 0.05, decay: "cosine", min_lr_ratio: 0.05 },
    grad_clip_norm: 1,
    label_smoothing: 0.05,
    early_stopping: { metric: "val_exact_match", patience: 0, min_delta: 0 },
    checkpoint_every_steps: 0,
    log_every_steps: 10,
    ...overrides,
  };
}

/**
 * A toy text-line set for tests: each character of `chars` is drawn as its own bar pattern (a distinct bit code
 * over 4 vertical bands) in a cell of `cell` pixels, on a white background. Learnable in a few hundred steps.
 */
export function toyLines(
  count: number,
  chars: string,
  options: { height: number; width: number; cell: number; maxLength: number; seed: number },
): LabelledImage[] {
  const rng = new Random(options.seed);
  const { height, width, cell } = options;
  return Array.from({ length: count }, () => {
    const len = rng.int(1, options.maxLength);
    let text = "";
    for (let i = 0; i < len; i++) text += chars[rng.int(0, chars.length - 1)];
    const data = new Uint8Array(width * height).fill(255);
    const x0 = rng.int(0, 2);
    [...text].forEach((c, i) => {
      const code = chars.indexOf(c) + 1;
      const band = Math.floor(height / 4);
      for (let bit = 0; bit < 4; bit++) {
        if (!(code & (1 << bit))) continue;
        for (let y = bit * band + 1; y < (bit + 1) * band - 1; y++)
          for (let x = x0 + i * cell + 1; x < x0 + (i + 1) * cell - 1 && x < width; x++)
            data[y * width + x] = 0;
      }
    });
    const image: GreyImage = { width, height, data };
    return { image, text };
  });
}
