// Levenshtein alignment of a prediction against its reference, in code points: which characters were
// substituted, dropped or added. The evaluate stage counts these as the report's character confusions.

/** One step of an alignment; `""` stands for "no character" (an insertion's ref, a deletion's hyp). */
export interface AlignmentStep {
  op: "match" | "substitute" | "delete" | "insert";
  ref: string;
  hyp: string;
}

/**
 * A minimal-cost alignment (unit costs). Ties prefer a substitution over a deletion + insertion, so "rn" read as
 * "m" shows as r→m plus a dropped n, which is how OCR confusions are usually read.
 */
export function alignCharacters(reference: string, prediction: string): AlignmentStep[] {
  const ref = [...reference];
  const hyp = [...prediction];
  const cols = hyp.length + 1;
  const cost = new Uint32Array((ref.length + 1) * cols);
  for (let j = 0; j <= hyp.length; j++) cost[j] = j;
  for (let i = 1; i <= ref.length; i++) {
    cost[i * cols] = i;
    for (let j = 1; j <= hyp.length; j++) {
      const diagonal = (cost[(i - 1) * cols + j - 1] as number) + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      const up = (cost[(i - 1) * cols + j] as number) + 1;
      const left = (cost[i * cols + j - 1] as number) + 1;
      cost[i * cols + j] = Math.min(diagonal, up, left);
    }
  }
  const steps: AlignmentStep[] = [];
  let i = ref.length;
  let j = hyp.length;
  while (i > 0 || j > 0) {
    const here = cost[i * cols + j] as number;
    if (i > 0 && j > 0) {
      const same = ref[i - 1] === hyp[j - 1];
      if (here === (cost[(i - 1) * cols + j - 1] as number) + (same ? 0 : 1)) {
        steps.push({
          op: same ? "match" : "substitute",
          ref: ref[i - 1] as string,
          hyp: hyp[j - 1] as string,
        });
        i--;
        j--;
        continue;
      }
    }
    if (i > 0 && here === (cost[(i - 1) * cols + j] as number) + 1) {
      steps.push({ op: "delete", ref: ref[i - 1] as string, hyp: "" });
      i--;
    } else {
      steps.push({ op: "insert", ref: "", hyp: hyp[j - 1] as string });
      j--;
    }
  }
  return steps.reverse();
}

/** A character confusion and how often it happened. */
export interface Confusion {
  /** The reference character; "" when the model added a character. */
  ref: string;
  /** What the model read; "" when it dropped the character. */
  hyp: string;
  count: number;
}

/** Counts substitutions, deletions and insertions over many lines. */
export class ConfusionCounter {
  private readonly counts = new Map<string, Confusion>();

  add(reference: string, prediction: string): void {
    for (const step of alignCharacters(reference, prediction)) {
      if (step.op === "match") continue;
      const key = `${step.ref}\u0000${step.hyp}`;
      const entry = this.counts.get(key);
      if (entry) entry.count++;
      else this.counts.set(key, { ref: step.ref, hyp: step.hyp, count: 1 });
    }
  }

  /** The `n` most frequent, ties in code-point order of ref then hyp so the list is stable. */
  top(n: number): Confusion[] {
    return [...this.counts.values()]
      .sort((a, b) => b.count - a.count || compareStrings(a.ref, b.ref) || compareStrings(a.hyp, b.hyp))
      .slice(0, n);
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
