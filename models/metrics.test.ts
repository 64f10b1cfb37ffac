// Recognition scores: exact match, character error rate (edits / reference characters) and mean confidence.
import { describe, expect, it } from "vitest";
import { scoreTexts } from "./metrics.ts";

describe("scoreTexts", () => {
  it("scores predictions against references in order", () => {
    const scores = scoreTexts(
      [{ text: "Привет", confidence: 0.9 }, { text: "wrld", confidence: 0.5 }, { text: "" }],
      ["Привет", "world", "ab"],
    );
    expect(scores.count).toBe(3);
    expect(scores.exact_match).toBeCloseTo(1 / 3, 10);
    // 0 + 1 + 2 edits over 6 + 5 + 2 reference characters.
    expect(scores.cer).toBeCloseTo(3 / 13, 10);
    expect(scores.confidence).toBeCloseTo(1.4 / 3, 10);
  });

  it("refuses predictions and references of different lengths", () => {
    expect(() => scoreTexts([{ text: "a" }], ["a", "b"])).toThrow(/1 predictions for 2 references/);
  });
});
