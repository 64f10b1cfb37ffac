// scores.json parsing (every problem reported at once), thresholds and the better/worse order of models.
import { describe, expect, it } from "vitest";
import { modelScores, scoresFile } from "./model-fixture.ts";
import { compareScores, parseScoresFile, ScoresFormatError, thresholdFailure } from "./scores.ts";

describe("parseScoresFile", () => {
  it("accepts the evaluate stage's shape and keeps extra figures", () => {
    const parsed = parseScoresFile(
      JSON.stringify(scoresFile([modelScores(), modelScores({ name: "master-tiny" })])),
    );
    expect(parsed.models.map((m) => m.name)).toEqual(["parseq-tiny", "master-tiny"]);
    expect(parsed.models[0]?.wer).toBe(0.05);
    expect(parsed.dataset?.name).toBe("ocrflow-synthetic-ru-en");
  });

  it("lists every problem, each with the model index and field", () => {
    const bad = {
      split: "",
      models: [
        { name: "a b", architecture: "parseq", dir: "x", exact_match: 1.5, cer: 0.1, params: 10 },
        { name: "m", architecture: "", exact_match: 0.5, cer: -1, params: 1.5 },
        { name: "m", architecture: "master", dir: "y", exact_match: 0.5, cer: 0.2, params: 3 },
      ],
    };
    let error: unknown;
    try {
      parseScoresFile(JSON.stringify(bad), "eval/scores.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScoresFormatError);
    const problems = (error as ScoresFormatError).problems;
    expect(problems).toEqual([
      "`split` must be a non-empty string",
      "models[0].name must be a name of letters, digits, '-', '_' or '.'",
      "models[0].exact_match must be a number in 0..1",
      "models[1].architecture must be a non-empty string",
      "models[1].dir must be a non-empty string",
      "models[1].cer must be a number in 0..1",
      "models[1].params must be a non-negative integer",
      "models[2].name 'm' appears twice",
    ]);
    expect((error as Error).message).toMatch(/^eval\/scores\.json: /);
  });

  it("rejects text that is not JSON, naming the file", () => {
    expect(() => parseScoresFile("{", "s.json")).toThrow(/s\.json: not JSON/);
  });
});

describe("thresholds and ordering", () => {
  it("names each figure that misses its threshold", () => {
    const thresholds = { exact_match: 0.9, cer: 0.05 };
    expect(thresholdFailure(modelScores(), thresholds)).toBeNull();
    expect(thresholdFailure(modelScores({ exact_match: 0.8, cer: 0.07 }), thresholds)).toBe(
      "exact match 0.8 < 0.9, CER 0.07 > 0.05",
    );
  });

  it("orders by exact match first, then by lower CER", () => {
    expect(compareScores({ exact_match: 0.9, cer: 0.5 }, { exact_match: 0.8, cer: 0.01 })).toBeGreaterThan(0);
    expect(compareScores({ exact_match: 0.9, cer: 0.02 }, { exact_match: 0.9, cer: 0.01 })).toBeLessThan(0);
    expect(compareScores({ exact_match: 0.9, cer: 0.01 }, { exact_match: 0.9, cer: 0.01 })).toBe(0);
  });
});
