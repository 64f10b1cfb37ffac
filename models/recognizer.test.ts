// Greedy decoding retires the lines of a batch that produced EOS: the bookkeeping. That a line reads the same
// whether its batch-mates end before it or it is decoded alone: tests/pretrained.test.ts (trained models, whose
// lines end at different steps; random weights end them all at once).
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { GreedyLines } from "./recognizer.ts";

/** Logits [rows, 3] whose greedy token is `tokens[r]` (class 0 is EOS), with a distinct value per row. */
function stepLogits(tokens: number[], step: number): tf.Tensor2D {
  const values = tokens.flatMap((t, r) => [0, 1, 2].map((c) => (c === t ? 5 : 0) + step + r / 10));
  return tf.tensor2d(values, [tokens.length, 3]);
}

describe("GreedyLines", () => {
  it("retires ended lines once a quarter of the running ones ended, and puts each step's logits back on its line", () => {
    const lines = new GreedyLines(5, 0);
    // Step 0: line 3 ends, 1 of 5 (under a quarter): nobody retires.
    expect(lines.step(stepLogits([1, 2, 1, 0, 2], 0)).done).toBe(false);
    expect(lines.retire()).toBeUndefined();
    // Step 1: line 0 ends too: 2 of 5 retire, lines 1, 2 and 4 run on as rows 0, 1 and 2.
    expect(lines.step(stepLogits([0, 1, 1, 2, 1], 1)).done).toBe(false);
    expect(Array.from(lines.retire()?.dataSync() ?? [])).toEqual([1, 2, 4]);
    expect(lines.rows).toBe(3);
    // Step 2: row 2 (line 4) ends: 1 of 3 retires.
    expect(lines.step(stepLogits([2, 1, 0], 2)).done).toBe(false);
    expect(Array.from(lines.retire()?.dataSync() ?? [])).toEqual([0, 1]);
    // Step 3: both remaining lines end.
    expect(lines.step(stepLogits([0, 0], 3)).done).toBe(true);
    const logits = lines.logits(3).arraySync();
    expect(logits.length).toBe(5);
    const argmax = (v: number[]) => v.indexOf(Math.max(...v));
    // What each line read until it ended, then EOS with certainty.
    const read = logits.map((line) => line.map(argmax));
    expect(read).toEqual([
      [1, 0, 0, 0],
      [2, 1, 2, 0],
      [1, 1, 1, 0],
      [0, 2, 0, 0],
      [2, 1, 0, 0],
    ]);
    // The values are the row's own: line 4 was row 4, then row 2 at step 2.
    expect(logits[4]?.[0]?.[2]).toBeCloseTo(5 + 0 + 0.4, 5);
    expect(logits[4]?.[2]?.[0]).toBeCloseTo(5 + 2 + 0.2, 5);
    expect(logits[2]?.[3]?.[0]).toBeCloseTo(5 + 3 + 0.1, 5);
    // Line 3 ended at step 0 but ran (not yet retired) at step 1: its step-1 logits are kept.
    expect(logits[3]?.[1]?.[2]).toBeCloseTo(5 + 1 + 0.3, 5);
  });
});
