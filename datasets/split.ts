// Leak-free seeded split: samples sharing a label text form one group and every group goes to exactly one of
// train/val/test, the one furthest below its ratio, visiting groups in an order drawn from the seed.
import { hashString32 } from "./random.ts";

export type SplitName = "train" | "val" | "test";
export const SPLIT_NAMES: readonly SplitName[] = ["train", "val", "test"];

/**
 * Splits by label text. The group order depends only on the texts and the seed (not on input order), and each
 * split keeps its samples in input order, so the result is reproducible and stable.
 */
export function splitByRatio<T extends { text: string }>(
  samples: readonly T[],
  ratios: Readonly<Record<SplitName, number>>,
  seed: number,
): Record<SplitName, T[]> {
  const groups = new Map<string, number[]>();
  samples.forEach((s, i) => {
    const g = groups.get(s.text);
    if (g) g.push(i);
    else groups.set(s.text, [i]);
  });
  const order = [...groups.keys()]
    .map((text) => ({ text, key: hashString32(text, seed) }))
    .sort((a, b) => a.key - b.key || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  const total = SPLIT_NAMES.reduce((s, k) => s + ratios[k], 0);
  const assigned: Record<SplitName, number> = { train: 0, val: 0, test: 0 };
  const target = new Array<SplitName>(samples.length);
  let placed = 0;
  for (const { text } of order) {
    const members = groups.get(text) as number[];
    placed += members.length;
    let best: SplitName | undefined;
    let bestDeficit = Number.NEGATIVE_INFINITY;
    for (const name of SPLIT_NAMES) {
      if (ratios[name] <= 0) continue;
      const deficit = (ratios[name] / total) * placed - assigned[name];
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = name;
      }
    }
    const chosen = best ?? "train";
    assigned[chosen] += members.length;
    for (const i of members) target[i] = chosen;
  }
  const result: Record<SplitName, T[]> = { train: [], val: [], test: [] };
  samples.forEach((s, i) => {
    result[target[i] as SplitName].push(s);
  });
  return result;
}
