// A model directory round-trips: the files tfjs and ocrflow expect are written, and the loaded model has the same
// weights and recognizes the same text with the same confidence as the one saved.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModel } from "./architectures.ts";
import { chooseBackend } from "./backend/index.ts";
import { initialiseFromDirectory, loadModelDirectory, saveModelDirectory } from "./io.ts";
import { asRecognizer } from "./recognizer.ts";
import { MINI, TOY_CHARS, TOY_INPUT, toyLines } from "./toy.ts";

let dir: string;
beforeAll(async () => {
  await chooseBackend({ log: () => {} });
  dir = mkdtempSync(join(tmpdir(), "ocrflow-io-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("model directory", () => {
  for (const arch of ["parseq", "master"] as const) {
    it(`${arch}: save then load gives the same weights and the same recognitions`, async () => {
      const model = createModel(MINI[arch], [...TOY_CHARS], 11);
      // Move the batch-norm statistics off their initial values so buffers are checked too.
      const images = toyLines(8, TOY_CHARS, { ...TOY_INPUT, cell: 7, seed: 3 }).map((l) => l.image);
      tf.tidy(() => {
        model.loss(tf.randomUniform([4, 16, 32, 1]) as tf.Tensor4D, ["ab", "c", "def", "a"], {
          labelSmoothing: 0,
          ctx: { training: true },
          seed: 1,
        });
      });
      const out = join(dir, arch);
      await saveModelDirectory(out, model, { description: MINI[arch], metrics: { val_exact_match: 0.5 } });
      for (const f of [
        "model.json",
        "weights.bin",
        "charset.json",
        "config.json",
        "metrics.json",
        "README.md",
      ])
        expect(existsSync(join(out, f)), f).toBe(true);
      const manifest = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
      expect(manifest.weightsManifest[0].paths).toEqual(["weights.bin"]);
      expect(JSON.parse(readFileSync(join(out, "charset.json"), "utf8")).chars).toEqual([...TOY_CHARS]);

      const loaded = loadModelDirectory(out);
      expect(loaded.metrics).toEqual({ val_exact_match: 0.5 });
      const original = model.params.named();
      for (const [name, v] of loaded.model.params.named()) {
        const a = (await v.data()) as Float32Array;
        const b = (await (original.get(name) as tf.Variable).data()) as Float32Array;
        expect(Array.from(a), name).toEqual(Array.from(b));
      }
      const before = await asRecognizer(model).recognize(images);
      const after = await asRecognizer(loaded.model).recognize(images);
      expect(after).toEqual(before);
      model.dispose();
      loaded.model.dispose();
    });
  }

  it("init_from starts a model from a directory's weights and refuses another architecture, size or charset", async () => {
    const source = createModel(MINI.master, [...TOY_CHARS], 5);
    const out = join(dir, "init-source");
    await saveModelDirectory(out, source, { description: MINI.master });
    const fresh = createModel(MINI.master, [...TOY_CHARS], 6);
    const { md5, added } = initialiseFromDirectory(fresh, TOY_INPUT, out);
    expect(md5).toMatch(/^[0-9a-f]{32}$/);
    expect(added).toEqual([]);
    for (const [name, v] of fresh.params.named())
      expect(Array.from(v.dataSync()), name).toEqual(Array.from(source.params.get(name).dataSync()));

    const parseq = createModel(MINI.parseq, [...TOY_CHARS], 6);
    expect(() => initialiseFromDirectory(parseq, TOY_INPUT, out)).toThrow(/a master model, not parseq/);
    const otherCharset = createModel(MINI.master, [..."abcxyz"], 6);
    expect(() => initialiseFromDirectory(otherCharset, TOY_INPUT, out)).toThrow(/charset\.json differs/);
    const wider = createModel(
      { ...MINI.master, settings: { ...MINI.master.settings, d_model: 48 } },
      [...TOY_CHARS],
      6,
    );
    expect(() => initialiseFromDirectory(wider, TOY_INPUT, out)).toThrow(/init-source: .* is .*, not /);
    expect(() => initialiseFromDirectory(fresh, { ...TOY_INPUT, width: 64 }, out)).toThrow(/input/);
    // A source with weights the model lacks (here the CTC head) is another configuration, not loaded in part.
    const withCtc = createModel(
      { ...MINI.master, settings: { ...MINI.master.settings, ctc_weight: 0.5 } },
      [...TOY_CHARS],
      5,
    );
    const ctcDir = join(dir, "init-ctc");
    await saveModelDirectory(ctcDir, withCtc, { description: MINI.master });
    expect(() => initialiseFromDirectory(fresh, TOY_INPUT, ctcDir)).toThrow(
      /weights this model does not have: ctc\.w/,
    );
    withCtc.dispose();
    expect(() => initialiseFromDirectory(fresh, TOY_INPUT, join(dir, "missing"))).toThrow(/no model\.json/);
    for (const m of [source, fresh, parseq, otherCharset, wider]) m.dispose();
  });

  const deeper = {
    parseq: (depth: number) => ({
      ...MINI.parseq,
      settings: { ...MINI.parseq.settings, encoder: { depth, heads: 2, mlp_ratio: 2 } },
    }),
    master: (depth: number) => ({
      ...MINI.master,
      settings: { ...MINI.master.settings, decoder: { depth, heads: 2, ff_dim: 64 } },
    }),
  };
  for (const [arch, layers] of [
    ["parseq", "enc"],
    ["master", "dec"],
  ] as const) {
    it(`${arch}: a deeper model starts from a shallower one with the new layers as identities (same outputs)`, async () => {
      const source = createModel(deeper[arch](1), [...TOY_CHARS], 21);
      // Trained a little, so that no weight is at an initial value the test could rely on.
      const images = tf.randomUniform([3, 16, 32, 1], 0, 1, "float32", 4) as tf.Tensor4D;
      const optimizer = tf.train.adam(0.01);
      for (let i = 0; i < 2; i++)
        optimizer.minimize(
          () =>
            source.loss(images, ["ab", "c", "def"], { labelSmoothing: 0, ctx: { training: true }, seed: i }),
          false,
          source.params.trainable(),
        );
      const out = join(dir, `shallow-${arch}`);
      await saveModelDirectory(out, source, { description: deeper[arch](1) });

      const grown = createModel(deeper[arch](3), [...TOY_CHARS], 22);
      const { added } = initialiseFromDirectory(grown, TOY_INPUT, out);
      expect(added).toEqual([`${layers}.1`, `${layers}.2`]);
      const before = source.decode(images);
      const after = grown.decode(images);
      expect(after.shape).toEqual(before.shape);
      const gap = tf.max(tf.abs(tf.sub(after, before))).dataSync()[0] as number;
      expect(gap).toBeLessThan(1e-5);
      // The added layers' other weights are fresh (they learn from the first step on), not copies or zeros.
      expect(
        tf
          .max(tf.abs(grown.params.get(`${layers}.2.${arch === "parseq" ? "attn" : "self"}.q.w`)))
          .dataSync()[0],
      ).toBeGreaterThan(0);

      // The other way round is another configuration: the source's extra layers are not dropped silently.
      const deepDir = join(dir, `deep-${arch}`);
      await saveModelDirectory(deepDir, grown, { description: deeper[arch](3) });
      const shallow = createModel(deeper[arch](1), [...TOY_CHARS], 23);
      expect(() => initialiseFromDirectory(shallow, TOY_INPUT, deepDir)).toThrow(
        new RegExp(`weights this model does not have: ${layers}\\.1\\.`),
      );
      for (const t of [images, before, after]) t.dispose();
      for (const m of [source, grown, shallow]) m.dispose();
    });
  }
});
