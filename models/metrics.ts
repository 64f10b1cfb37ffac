// Recognition scores: exact match, character error rate (Levenshtein over code points), and their running sums
// over a validation or test set.

/** Edit distance between two strings, counted in code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  let cur = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[y.length] as number;
}

export interface RecognitionScores {
  count: number;
  exact_match: number;
  /** Edits / reference characters, over the whole set. */
  cer: number;
  /** Mean confidence of the predictions. */
  confidence: number;
}

/** Scores of predictions against their references, in order (a missing confidence counts as 0). */
export function scoreTexts(
  predictions: ReadonlyArray<{ text: string; confidence?: number }>,
  references: readonly string[],
): RecognitionScores {
  if (predictions.length !== references.length)
    throw new Error(`${predictions.length} predictions for ${references.length} references`);
  const acc = new ScoreAccumulator();
  predictions.forEach((p, i) => {
    acc.add(p.text, references[i] as string, p.confidence ?? 0);
  });
  return acc.scores();
}

export class ScoreAccumulator {
  private count = 0;
  private exact = 0;
  private edits = 0;
  private chars = 0;
  private confidence = 0;

  add(prediction: string, reference: string, confidence = 0): void {
    this.count++;
    if (prediction === reference) this.exact++;
    this.edits += editDistance(prediction, reference);
    this.chars += [...reference].length;
    this.confidence += confidence;
  }

  scores(): RecognitionScores {
    return {
      count: this.count,
      exact_match: this.count ? this.exact / this.count : 0,
      cer: this.chars ? this.edits / this.chars : 0,
      confidence: this.count ? this.confidence / this.count : 0,
    };
  }
}
