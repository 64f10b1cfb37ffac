// AdamW through the native backend's fused Adam kernel (decay folded into the value) takes the same steps as
// AdamW written in tfjs element-wise ops, with and without clipping.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { chooseBackend } from "./backend/index.ts";
import { defineLinear, ParameterStore } from "./nn.ts";
import { AdamW } from "./optimizer.ts";

beforeAll(async () => {
  await chooseBackend({ log: () => {} });
});

describe("AdamW", () => {
  it("the fused kernel path equals the element-wise path", () => {
    const settings = {
      name: "adamw",
      lr: 1e-2,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weight_decay: 0.05,
    } as const;
    const run = (fused: boolean, clip: number) => {
      const p = new ParameterStore(5);
      defineLinear(p, "fc", 6, 4, 0.5);
      const opt = new AdamW(p, settings, clip);
      opt.fused = fused;
      for (let step = 0; step < 4; step++) {
        const grads: tf.NamedTensorMap = {};
        for (const [name, v] of p.params)
          grads[p.variableName(name)] = tf.randomNormal(v.shape, 0, 1, "float32", 100 + step);
        opt.apply(grads, 1e-2 * (step + 1));
        for (const g of Object.values(grads)) g.dispose();
      }
      const values = [...p.params.values()].map((v) => Array.from(v.dataSync()));
      opt.dispose();
      p.dispose();
      return values;
    };
    for (const clip of [0, 1]) {
      const a = run(true, clip).flat();
      const b = run(false, clip).flat();
      for (const [i, x] of a.entries()) expect(x).toBeCloseTo(b[i] as number, 5);
    }
  });
});
