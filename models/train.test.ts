// The training loop learns (loss falls, exact match rises on a toy set) for both architectures, and a run
// killed after a checkpoint resumes to the same weights as one that was never interrupted.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModel } from "./architectures.ts";
import { chooseBackend } from "./backend/index.ts";
import { InMemoryTrainingData } from "./data.ts";
import type { SequenceModel } from "./recognizer.ts";
import { MINI, TOY_CHARS, TOY_INPUT, toyLines, toySettings } from "./toy.ts";
import { evaluateModel, reframeBatch, train } from "./train.ts";

const toy = (count: number, seed: number) => toyLines(count, TOY_CHARS, { ...TOY_INPUT, cell: 7, seed });

/** 10 epochs on 256 toy lines at lr 5e-3; the model's validation scores before and after, and the result. */
async function trainOnToy(model: SequenceModel, name: string) {
  const data = new InMemoryTrainingData(toy(256, 1), toy(64, 2), 5);
  const before = await evaluateModel(model, data.validationBatches(64));
  const settings = toySettings({ epochs: 10, optimizer: { ...toySettings().optimizer, lr: 5e-3 } });
  const result = await train({ model, data, settings, checkpointDir: join(dir, name), fingerprint: name });
  const after = await evaluateModel(model, data.validationBatches(64));
  model.dispose();
  return { result, before, after };
}

let dir: string;
beforeAll(async () => {
  // The fastest backend here (native OpenBLAS when built): the pure-JS one takes minutes per test.
  await chooseBackend({ log: () => {} });
  dir = mkdtempSync(join(tmpdir(), "ocrflow-train-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("train", () => {
  for (const arch of ["parseq", "master"] as const) {
    it(`${arch}: loss falls and exact match rises on a toy set`, async () => {
      const model = createModel(MINI[arch], [...TOY_CHARS], 3);
      const { result, before, after } = await trainOnToy(model, arch);
      expect(result.status).toBe("completed");
      expect(result.history).toHaveLength(10);
      const first = result.history[0]?.train_loss as number;
      const last = result.history.at(-1)?.train_loss as number;
      expect(last).toBeLessThan(first * 0.7);
      expect(after.loss).toBeLessThan(before.loss * 0.7);
      expect(after.exact_match).toBeGreaterThan(before.exact_match + 0.25);
      // No auxiliary loss: no parts.
      expect(result.history[0]?.train_ce).toBeUndefined();
    });
  }

  it("parseq with a conv stem and the auxiliary CTC loss: loss falls and exact match rises on a toy set", async () => {
    const description = {
      ...MINI.parseq,
      settings: { ...MINI.parseq.settings, stem: "conv", ctc_weight: 0.5 },
    };
    const model = createModel(description, [...TOY_CHARS], 3);
    expect([...model.params.named().keys()]).toEqual(
      expect.arrayContaining(["enc.stem.0.conv.w", "enc.stem.2.conv.w", "ctc.w"]),
    );
    const { result, before, after } = await trainOnToy(model, "stem");
    expect(result.status).toBe("completed");
    expect(after.loss).toBeLessThan(before.loss * 0.7);
    expect(after.exact_match).toBeGreaterThan(before.exact_match + 0.25);
    // The epoch records split the training loss into its cross-entropy and CTC parts.
    for (const record of result.history) {
      expect(record.train_ce).toBeGreaterThan(0);
      expect(record.train_ctc).toBeGreaterThan(0);
      expect(record.train_loss).toBeCloseTo(
        (record.train_ce as number) + 0.5 * (record.train_ctc as number),
        4,
      );
    }
    expect(result.history[0]?.train_ctc).toBeGreaterThan(result.history.at(-1)?.train_ctc as number);
  });

  it("a run killed after a checkpoint resumes to the same weights as an uninterrupted run", async () => {
    // With the reframe augmentation: its random margins are drawn again the same after resuming.
    const settings = toySettings({
      epochs: 2,
      checkpoint_every_steps: 3,
      reframe: { probability: 0.5, x: { min: 0, max: 2 }, y: { min: 0, max: 1 } },
    });
    const data = new InMemoryTrainingData(toy(96, 1), toy(16, 2), 5);
    const run = async (checkpointDir: string, interruptAfterSteps?: number) => {
      const model = createModel(MINI.parseq, [...TOY_CHARS], 3);
      const result = await train({
        model,
        data,
        settings,
        checkpointDir,
        fingerprint: "resume",
        interruptAfterSteps,
      });
      return { model, result };
    };
    const straight = await run(join(dir, "straight"));
    const killed = await run(join(dir, "resumed"), 8); // dies at step 8: the last checkpoint is step 6
    expect(killed.result.status).toBe("interrupted");
    killed.model.dispose();
    const resumed = await run(join(dir, "resumed"));
    expect(resumed.result.resumedFrom).toBe(6);
    expect(resumed.result.steps).toBe(straight.result.steps);
    const a = straight.model.params.named();
    for (const [name, v] of resumed.model.params.named()) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(v, a.get(name) as tf.Tensor))).dataSync()[0] as number);
      expect(diff, name).toBeLessThan(1e-4);
    }
    expect(resumed.result.history.map((h) => h.val_exact_match)).toEqual(
      straight.result.history.map((h) => h.val_exact_match),
    );
    straight.model.dispose();
    resumed.model.dispose();
  });

  it("with the metric tied (exact match 0), the best checkpoint is the epoch with the lowest val loss", async () => {
    const model = createModel(MINI.master, [...TOY_CHARS], 3);
    const data = new InMemoryTrainingData(toy(64, 1), toy(16, 2), 5);
    const settings = toySettings({
      epochs: 3,
      max_steps_per_epoch: 2,
      optimizer: { ...toySettings().optimizer, lr: 1e-4 },
    });
    const result = await train({
      model,
      data,
      settings,
      checkpointDir: join(dir, "tie"),
      fingerprint: "tie",
    });
    model.dispose();
    const exact = result.history.map((h) => h.val_exact_match);
    expect(exact.every((e) => e === exact[0])).toBe(true);
    expect(result.best?.val_loss).toBe(Math.min(...result.history.map((h) => h.val_loss)));
    expect(result.best?.epoch).not.toBe(1);
  });
});

describe("reframeBatch", () => {
  const images = toy(32, 4).map((l) => l.image);
  const reframing = { probability: 0.5, x: { min: 0.5, max: 2 }, y: { min: 0.5, max: 1 } };

  it("reframes about the share of lines asked, the same ones for the same step seed", () => {
    const a = reframeBatch(images, reframing, 11);
    const changed = a.filter((image, i) => image !== images[i]).length;
    expect(changed).toBeGreaterThan(8);
    expect(changed).toBeLessThan(24);
    const again = reframeBatch(images, reframing, 11);
    expect(again.map((i) => [i.width, i.height])).toEqual(a.map((i) => [i.width, i.height]));
    const other = reframeBatch(images, reframing, 12);
    expect(other.map((i) => [i.width, i.height])).not.toEqual(a.map((i) => [i.width, i.height]));
  });

  it("leaves the batch alone when off", () => {
    expect(reframeBatch(images, undefined, 11)).toEqual(images);
    expect(
      reframeBatch(images, { ...reframing, probability: 0 }, 11).every((image, i) => image === images[i]),
    ).toBe(true);
  });
});
