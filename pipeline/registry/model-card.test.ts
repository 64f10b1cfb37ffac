// The model card: YAML front matter the Hub reads (library, tags, datasets, metrics, model-index with the
// test results) and a body with usage, training data, figures and limitations.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderModelCard } from "./model-card.ts";
import { modelScores, scoresFile } from "./model-fixture.ts";

const publication = {
  name: "parseq-tiny",
  version: 3,
  digest: "d".repeat(64),
  published_at: "2026-01-02T03:04:05.000Z",
};

function splitCard(card: string): { front: Record<string, unknown>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(card);
  if (!match) throw new Error("no front matter");
  return { front: parse(match[1] as string) as Record<string, unknown>, body: match[2] as string };
}

describe("renderModelCard", () => {
  const { split, dataset } = scoresFile([]);
  const card = renderModelCard({
    model: modelScores(),
    evaluation: { split, ...(dataset ? { dataset } : {}) },
    publication,
    license: "mit",
    repoId: "acme/ocrflow-parseq-tiny",
    files: [{ path: "group1-shard1of1.bin", absolute: "/x", size: 2_500_000 }],
    modelConfig: { input: { height: 32, width: 128 } },
  });
  const { front, body } = splitCard(card);

  it("has the Hub's metadata keys with the test results in model-index", () => {
    expect(front).toMatchObject({
      license: "mit",
      library_name: "tfjs",
      pipeline_tag: "image-to-text",
      language: ["ru", "en"],
      datasets: ["ocrflow-synthetic-ru-en"],
      metrics: ["exact_match", "cer"],
    });
    expect(front.tags).toEqual(expect.arrayContaining(["ocr", "tfjs", "parseq"]));
    const [entry] = front["model-index"] as Array<{ name: string; results: Array<Record<string, unknown>> }>;
    expect(entry?.name).toBe("parseq-tiny");
    const result = entry?.results[0] as {
      task: { type: string };
      dataset: { type: string; name: string; split: string; revision: string };
      metrics: Array<{ type: string; value: number; name: string }>;
    };
    expect(result.task.type).toBe("image-to-text");
    expect(result.dataset).toEqual({
      type: "ocrflow-synthetic-ru-en",
      name: "ocrflow-synthetic-ru-en",
      split: "test",
      revision: "0123456789abcdef0123456789abcdef",
    });
    // Test results only: parameter count and throughput are no metric of the split.
    expect(result.metrics.map((m) => [m.type, m.value])).toEqual([
      ["exact_match", 0.93],
      ["cer", 0.012],
      ["wer", 0.05],
    ]);
  });

  it("tells people how to use it, what it was trained on, its figures and limits", () => {
    expect(body).toContain("# parseq-tiny");
    expect(body).toContain("Version 3, published 2026-01-02T03:04:05.000Z");
    expect(body).toContain("huggingface-cli download acme/ocrflow-parseq-tiny");
    expect(body).toContain("ocrflow predict --model parseq-tiny");
    expect(body).toContain("## Training data");
    expect(body).toContain("Input: 32×128 grey pixels");
    expect(body).toContain("grey/255 for light text on a dark background");
    expect(body).toContain("| Exact match | 93.00% |");
    expect(body).toContain("| Character error rate (CER) | 1.20% |");
    expect(body).toContain("| Parameters | 1,370,000 |");
    expect(body).toContain("| Throughput (lines/s) | 412.50 |");
    expect(body).toContain("Weights: 1 file(s), 2.50 MB.");
    expect(body).toContain("## Limitations");
  });
});
