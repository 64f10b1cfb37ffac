// PARSeq's permutation loss computed as one stacked pass of K * T queries equals the loss of one decoder pass per
// permutation (the reference formulation), in value and in every parameter's gradient.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createModel } from "../architectures.ts";
import { chooseBackend } from "../backend/index.ts";
import { sinusoid2d } from "../nn.ts";
import { MINI, TOY_CHARS, TOY_INPUT, toyLines } from "../toy.ts";
import type { ParseqModel } from "./model.ts";

beforeAll(async () => {
  await chooseBackend({ log: () => {} });
});

describe("parseq loss", () => {
  it("stacked permutations give the per-permutation loss and gradients", () => {
    const model = createModel(MINI.parseq, [...TOY_CHARS], 3) as ParseqModel;
    const lines = toyLines(6, TOY_CHARS, { ...TOY_INPUT, cell: 7, seed: 4 });
    const images = tf.tensor4d(
      Float32Array.from(lines.flatMap((l) => Array.from(l.image.data, (v) => 1 - v / 255))),
      [lines.length, TOY_INPUT.height, TOY_INPUT.width, 1],
    );
    const texts = lines.map((l) => l.text);
    const run = (stacked: boolean) => {
      model.stackPermutations = stacked;
      return tf.variableGrads(
        () => model.loss(images, texts, { labelSmoothing: 0.1, ctx: { training: false }, seed: 9 }),
        model.params.trainable(),
      );
    };
    const a = run(true);
    const b = run(false);
    expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0] as number, 5);
    for (const [name, g] of Object.entries(a.grads)) {
      const diff = tf.tidy(
        () => tf.max(tf.abs(tf.sub(g, b.grads[name] as tf.Tensor))).dataSync()[0] as number,
      );
      const scale = tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0] as number);
      expect(diff, name).toBeLessThanOrEqual(1e-5 + 1e-4 * scale);
    }
    model.dispose();
    images.dispose();
  });

  it("cached autoregressive decoding gives the general decoder's probabilities", () => {
    const model = createModel(
      {
        ...MINI.parseq,
        input: { ...TOY_INPUT, maxLength: 10 },
        settings: { ...MINI.parseq.settings, decode: "autoregressive", refine_iters: 0 },
      },
      [...TOY_CHARS],
      5,
    ) as ParseqModel;
    // Every weight at a unit scale (initialisation keeps the position queries and embeddings at 0.02, where a
    // wrong position or token barely moves the output).
    model.params.named().forEach((v, name) => {
      v.assign(tf.randomNormal(v.shape, 0, name.endsWith(".g") ? 1 : 0.5, "float32", name.length));
    });
    // EOS made rarer, so that lines run several characters before they end.
    const bias = model.params.get("head.b");
    bias.assign(tf.add(bias, tf.mul(tf.oneHot(model.tokenizer.eos, bias.shape[0] as number), -1)));
    const lines = toyLines(5, TOY_CHARS, { ...TOY_INPUT, cell: 7, seed: 8 });
    const images = tf.tensor4d(
      Float32Array.from(lines.flatMap((l) => Array.from(l.image.data, (v) => 1 - v / 255))),
      [lines.length, TOY_INPUT.height, TOY_INPUT.width, 1],
    );
    const decode = (cached: boolean) => {
      model.cachedDecoding = cached;
      return tf.tidy(() => model.decode(images).arraySync());
    };
    const cached = decode(true);
    const general = decode(false);
    const eos = model.tokenizer.eos;
    let compared = 0;
    general.forEach((line, b) => {
      // Up to the line's EOS: after it, the general path checks for the end every 4 steps and may decode on,
      // where the cached one stops at once; both texts end at the EOS.
      for (const [t, probs] of line.entries()) {
        const other = cached[b]?.[t] as number[];
        const worst = Math.max(...probs.map((p, c) => Math.abs(p - (other[c] as number))));
        expect(worst, `line ${b} position ${t}`).toBeLessThan(1e-5);
        compared++;
        if (probs.indexOf(Math.max(...probs)) === eos) break;
      }
    });
    // Some lines ended early and some ran to the last position (5 lines of 11 positions).
    expect(compared).toBeGreaterThan(images.shape[0] * 2);
    expect(compared).toBeLessThan(images.shape[0] * 11);
    expect(cached[0]?.length).toBe(general[0]?.length);
    // EOS made certain: every line ends at once, and the positions never decoded read as EOS.
    bias.assign(tf.add(bias, tf.mul(tf.oneHot(eos, bias.shape[0] as number), 20)));
    const ended = decode(true);
    expect(ended[0]?.length).toBe(11);
    for (const line of ended) for (const probs of line) expect(probs.indexOf(Math.max(...probs))).toBe(eos);
    model.dispose();
    images.dispose();
  });

  it("positions: sinusoid starts the encoder's position embedding at a 2D sinusoid, learned: at N(0, 0.02)", () => {
    const settings = { ...MINI.parseq.settings, stem: "conv", patch: { height: 4, width: 4 } };
    const make = (positions: string) =>
      createModel({ ...MINI.parseq, settings: { ...settings, positions } }, [...TOY_CHARS], 3) as ParseqModel;
    const sinus = make("sinusoid");
    const learned = make("learned");
    const grid = { rows: TOY_INPUT.height / 4, cols: TOY_INPUT.width / 4 };
    const expected = sinusoid2d(grid.rows, grid.cols, 32);
    expect(sinus.params.get("enc.pos").arraySync()).toEqual(expected.arraySync());
    const std = tf.tidy(
      () => tf.moments(learned.params.get("enc.pos")).variance.sqrt().dataSync()[0] as number,
    );
    expect(std).toBeLessThan(0.03);
    // The tokens are brought to the positions' scale: the patch projection is He-like, not 0.02.
    const patchStd = (m: ParseqModel) =>
      tf.tidy(() => tf.moments(m.params.get("enc.patch.w")).variance.sqrt().dataSync()[0] as number);
    expect(patchStd(sinus)).toBeGreaterThan(3 * patchStd(learned));
    for (const m of [sinus, learned]) m.dispose();
    expected.dispose();
  });
});
