// The sizes benchmarks use without a config file are the ones pipeline.config.yaml ships, and every registered
// architecture builds with the parameter count its description implies.
import { describe, expect, it } from "vitest";
import { loadPipelineConfig } from "../stages/config.ts";
import { DEFAULT_PARSEQ_TRAINING, DEFAULT_SIZES } from "./architectures.ts";

describe("architectures", () => {
  it("default sizes equal pipeline.config.yaml's train sizes", () => {
    const config = loadPipelineConfig({ env: {} });
    expect(config.train.parseq.sizes).toEqual(DEFAULT_SIZES.parseq);
    expect(config.train.master.sizes).toEqual(DEFAULT_SIZES.master);
    const { permutations, perm_forward, perm_mirrored, decode, refine_iters } = config.train.parseq;
    expect({ permutations, perm_forward, perm_mirrored, decode, refine_iters }).toEqual(
      DEFAULT_PARSEQ_TRAINING,
    );
  });
});
