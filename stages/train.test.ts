import { describe, expect, it } from "vitest";
import { defaultDescription } from "../models/architectures.ts";
import type { TrainSettings } from "../models/train.ts";
import { trainingFingerprint } from "./train.ts";

describe("trainingFingerprint", () => {
  const description = defaultDescription("parseq", "tiny");
  const run = {
    description,
    settings: { seed: 1, epochs: 2 } as unknown as TrainSettings,
    chars: ["a", "b", "c"],
    dataset: { train: { md5: "x" } },
    backend: "native",
  };
  const withSettings = (changes: Record<string, unknown>) => ({
    ...run,
    description: { ...description, settings: { ...description.settings, ...changes } },
  });

  it("ignores how the model decodes, so a checkpoint survives a change of decode or refine_iters", () => {
    const base = trainingFingerprint(run);
    expect(trainingFingerprint(withSettings({ refine_iters: 3 }))).toBe(base);
    expect(trainingFingerprint(withSettings({ decode: "non-autoregressive" }))).toBe(base);
  });

  it("changes with anything that shapes the weights: architecture, schedule, data, charset, initial weights", () => {
    const base = trainingFingerprint(run);
    const others = [
      trainingFingerprint(withSettings({ embed_dim: 64 })),
      trainingFingerprint(withSettings({ permutations: 2 })),
      trainingFingerprint({ ...run, settings: { ...run.settings, epochs: 3 } }),
      trainingFingerprint({ ...run, dataset: { train: { md5: "y" } } }),
      trainingFingerprint({ ...run, chars: ["a", "b", "c", "d"] }),
      trainingFingerprint({ ...run, init: { dir: "models/pretrained/parseq-tiny", weights_md5: "z" } }),
    ];
    for (const other of others) expect(other).not.toBe(base);
    expect(new Set(others).size).toBe(others.length);
  });
});
