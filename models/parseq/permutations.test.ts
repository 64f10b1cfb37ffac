// PARSeq's permutations start forward and right-to-left, keep BOS first and EOS last, and their masks let the
// left-to-right order see exactly the earlier positions.
import { describe, expect, it } from "vitest";
import { permutationMasks, trainingPermutations } from "./permutations.ts";

describe("permutations", () => {
  it("forward and mirrored orders come first, BOS first and EOS last in each, same seed same orders", () => {
    const perms = trainingPermutations(5, { permutations: 6, perm_forward: true, perm_mirrored: true }, 3);
    expect(perms).toHaveLength(6);
    expect(perms[0]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(perms[1]).toEqual([0, 5, 4, 3, 2, 1, 6]);
    for (const p of perms) expect([p[0], p.at(-1), [...p].sort().join()]).toEqual([0, 6, "0,1,2,3,4,5,6"]);
    expect(trainingPermutations(5, { permutations: 6, perm_forward: true, perm_mirrored: true }, 3)).toEqual(
      perms,
    );
  });

  it("the forward order gives causal masks: query i sees content 0..i", () => {
    const { queryMask, contentMask } = permutationMasks([0, 1, 2, 3]);
    const visible = (m: Float32Array) => Array.from(m, (v) => (v === 0 ? 1 : 0)).join("");
    expect(visible(queryMask)).toBe("100110111");
    expect(visible(contentMask)).toBe("100110111");
  });
});
