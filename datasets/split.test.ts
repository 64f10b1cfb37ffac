// The split is leak-free (no label text in two splits), follows the ratios, and depends only on texts and seed.
import { describe, expect, it } from "vitest";
import { Random } from "./random.ts";
import { SPLIT_NAMES, splitByRatio } from "./split.ts";

function samples(n: number, distinct: number, seed = 1): Array<{ id: number; text: string }> {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, id) => ({ id, text: `label ${rng.int(0, distinct - 1)}` }));
}

const ratios = { train: 0.8, val: 0.1, test: 0.1 };

describe("splitByRatio", () => {
  it("never puts one label text in two splits, and loses or duplicates nothing", () => {
    const data = samples(5000, 1500);
    const split = splitByRatio(data, ratios, 42);
    const owner = new Map<string, string>();
    for (const name of SPLIT_NAMES) {
      for (const s of split[name]) {
        expect(owner.get(s.text) ?? name, s.text).toBe(name);
        owner.set(s.text, name);
      }
    }
    const ids = SPLIT_NAMES.flatMap((n) => split[n].map((s) => s.id)).sort((a, b) => a - b);
    expect(ids).toEqual(data.map((s) => s.id));
  });

  it("follows the ratios to within a group's size", () => {
    const data = samples(10000, 8000);
    const split = splitByRatio(data, ratios, 1);
    for (const name of SPLIT_NAMES) {
      expect(Math.abs(split[name].length - ratios[name] * data.length)).toBeLessThanOrEqual(5);
    }
  });

  it("is reproducible for a seed, different for another, and blind to input order", () => {
    const data = samples(2000, 2000);
    const a = splitByRatio(data, ratios, 7);
    const b = splitByRatio([...data].reverse(), ratios, 7);
    const c = splitByRatio(data, ratios, 8);
    const ids = (s: typeof a) => SPLIT_NAMES.map((n) => s[n].map((x) => x.id).sort((p, q) => p - q));
    expect(ids(b)).toEqual(ids(a));
    expect(ids(c)).not.toEqual(ids(a));
  });

  it("leaves a split with ratio 0 empty", () => {
    const split = splitByRatio(samples(300, 300), { train: 0.9, val: 0.1, test: 0 }, 3);
    expect(split.test).toEqual([]);
    expect(split.train.length + split.val.length).toBe(300);
  });
});
