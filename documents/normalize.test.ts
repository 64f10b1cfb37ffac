// Tests of normalization and tokenization: Cyrillic words stay whole, grouped thousands are one number,
// quotes/dashes/spaces unified, ё and case folded only in the comparison key.
import { describe, expect, it } from "vitest";
import { DEFAULT_NORMALIZE, normalizeLine, tokenizeLine } from "./normalize.ts";

const tokens = (text: string, options = DEFAULT_NORMALIZE) =>
  tokenizeLine(normalizeLine(text), 1, 1, options).map((t) => [t.text, t.kind]);

describe("normalizeLine", () => {
  it("unifies quotes, dashes, spaces and ligatures and applies NFC", () => {
    expect(normalizeLine("  «Ромашка»\u00a0— “fine”  ﬁle\u00ad ")).toBe('"Ромашка" - "fine" file');
    expect(normalizeLine("е\u0308")).toBe("ё");
  });
});

describe("tokenizeLine", () => {
  it("keeps Cyrillic words whole and makes each punctuation mark a token", () => {
    expect(tokens("Счёт № 42, г. Москва")).toEqual([
      ["Счёт", "word"],
      ["№", "punctuation"],
      ["42", "number"],
      [",", "punctuation"],
      ["г", "word"],
      [".", "punctuation"],
      ["Москва", "word"],
    ]);
  });

  it("joins digit groups separated by single spaces into one number", () => {
    expect(tokens("Итого 1 234 567,89 руб и 2 шт")).toEqual([
      ["Итого", "word"],
      ["1 234 567,89", "number"],
      ["руб", "word"],
      ["и", "word"],
      ["2", "number"],
      ["шт", "word"],
    ]);
  });

  it("folds ё and case in the key only, as configured", () => {
    const [t] = tokenizeLine("Ёлка", 1, 1, { foldYo: true, ignoreCase: true, ignorePunctuation: false });
    expect(t?.text).toBe("Ёлка");
    expect(t?.key).toBe("елка");
    const [u] = tokenizeLine("Ёлка", 1, 1, { ...DEFAULT_NORMALIZE, foldYo: false });
    expect(u?.key).toBe("Ёлка");
  });

  it("drops punctuation when asked", () => {
    expect(tokens("a, b.", { ...DEFAULT_NORMALIZE, ignorePunctuation: true })).toEqual([
      ["a", "word"],
      ["b", "word"],
    ]);
  });
});
