// Maps label text to token ids and back for every recognizer: [EOS]=0, the charset's characters from 1, then
// [BOS] and [PAD] (inputs only). The heads predict EOS + characters; the order follows baudm/parseq's tokenizer.

/** Labels encoded for teacher forcing: `ids[b][0]` is BOS, then the characters, EOS, then PAD. */
export interface EncodedBatch {
  /** [batch, length + 2] as row-major int32. */
  ids: Int32Array;
  batch: number;
  /** Sequence length including BOS and EOS (the longest label + 2). */
  length: number;
}

export class Tokenizer {
  readonly chars: readonly string[];
  readonly eos = 0;
  readonly bos: number;
  readonly pad: number;
  private readonly index: Map<string, number>;

  constructor(chars: readonly string[]) {
    this.chars = [...chars];
    this.index = new Map(this.chars.map((c, i) => [c, i + 1]));
    if (this.index.size !== this.chars.length)
      throw new Error("tokenizer: duplicate characters in the charset");
    this.bos = this.chars.length + 1;
    this.pad = this.chars.length + 2;
  }

  /** Classes a head predicts: EOS and the characters. */
  get classes(): number {
    return this.chars.length + 1;
  }

  /** Token ids an embedding table covers: classes plus BOS and PAD. */
  get tokens(): number {
    return this.chars.length + 3;
  }

  /** Character ids of one label; throws naming the first character outside the charset. */
  encodeText(text: string): number[] {
    const ids: number[] = [];
    for (const c of text) {
      const id = this.index.get(c);
      if (id === undefined)
        throw new Error(`tokenizer: ${JSON.stringify(c)} in ${JSON.stringify(text)} is not in the charset`);
      ids.push(id);
    }
    return ids;
  }

  /** BOS + ids + EOS, padded to the longest label of the batch (or `minChars` characters, if longer). */
  encodeBatch(texts: readonly string[], minChars = 0): EncodedBatch {
    const encoded = texts.map((t) => this.encodeText(t));
    const maxChars = Math.max(minChars, ...encoded.map((e) => e.length));
    const length = maxChars + 2;
    const ids = new Int32Array(texts.length * length).fill(this.pad);
    encoded.forEach((e, b) => {
      const row = b * length;
      ids[row] = this.bos;
      for (let i = 0; i < e.length; i++) ids[row + 1 + i] = e[i] as number;
      ids[row + 1 + e.length] = this.eos;
    });
    return { ids, batch: texts.length, length };
  }

  /**
   * Text and confidence from per-position class probabilities ([positions, classes] row-major): characters up
   * to the first EOS; confidence is the product of the chosen probabilities, EOS included (as parseq does).
   */
  decodeProbabilities(
    probs: Float32Array,
    positions: number,
    offset = 0,
  ): { text: string; confidence: number } {
    const classes = this.classes;
    let text = "";
    let confidence = 1;
    for (let t = 0; t < positions; t++) {
      const row = offset + t * classes;
      let best = 0;
      let bestP = -1;
      for (let c = 0; c < classes; c++) {
        const p = probs[row + c] as number;
        if (p > bestP) {
          bestP = p;
          best = c;
        }
      }
      confidence *= bestP;
      if (best === this.eos) break;
      text += this.chars[best - 1];
    }
    return { text, confidence };
  }
}
