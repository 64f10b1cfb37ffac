// Tests of normalization and tokenization: Cyrillic words stay whole, grouped thousands are one number,
// quotes/dashes/spaces unified, ё and case folded only in the comparison key.
import { describe, expect, it } from "vitest";
import type { DocumentText, RecognizedWord } from "./document.ts";
import { DEFAULT_NORMALIZE, normalizeLine, tokenizeDocument, tokenizeLine } from "./normalize.ts";

const tokens = (text: string, options = DEFAULT_NORMALIZE) =>
  tokenizeLine(normalizeLine(text), 1, 1, options).map((t) => [t.text, t.kind]);

describe("normalizeLine", () => {
  it("unifies quotes, dashes, spaces and ligatures and applies NFC", () => {
    expect(normalizeLine("  «Ромашка»\u00a0— “fine”  ﬁle\u00ad ")).toBe('"Ромашка" - "fine" file');
    expect(normalizeLine("е\u0308")).toBe("ё");
  });
});

describe("tokenizeDocument", () => {
  const box = { x: 0, y: 0, width: 1, height: 1 };
  const page = (words: RecognizedWord[]): DocumentText => ({
    file: "scan.png",
    format: "png",
    pages: [
      {
        number: 1,
        source: "recognized",
        lines: [{ text: words.map((w) => w.text).join(" "), words }],
      },
    ],
  });

  it("gives every token of a word the second model's reading, and nothing to the words both read alike", () => {
    const { tokens } = tokenizeDocument(
      page([
        { text: "ООО", box, confidence: 0.9 },
        { text: "«Ромашка»,", box, confidence: 0.2, alternative: "«Ромашка»." },
        { text: "ИНН", box, confidence: 0.9 },
        { text: "7701", box, confidence: 0.3, alternative: "7707" },
      ]),
      DEFAULT_NORMALIZE,
    );
    expect(tokens.map((t) => [t.text, t.alternative])).toEqual([
      ["ООО", undefined],
      ['"', "«Ромашка»."],
      ["Ромашка", "«Ромашка»."],
      ['"', "«Ромашка»."],
      [",", "«Ромашка»."],
      ["ИНН", undefined],
      ["7701", "7707"],
    ]);
  });

  it("gives the whole line's readings to every token when normalization moved the word offsets", () => {
    // A word that normalizes to nothing (a zero-width space) leaves two spaces between its neighbours in the
    // joined words, one in the normalized line: the offsets no longer match, and no doubt may be lost.
    const { tokens } = tokenizeDocument(
      page([
        { text: "x", box, confidence: 0.9 },
        { text: "\u200b", box, confidence: 0.1 },
        { text: "y", box, confidence: 0.1, alternative: "yy" },
      ]),
      DEFAULT_NORMALIZE,
    );
    expect(tokens.map((t) => [t.text, t.alternative])).toEqual([
      ["x", "yy"],
      ["y", "yy"],
    ]);
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
    const [t] = tokenizeLine("Ёлка", 1, 1, {
      ...DEFAULT_NORMALIZE,
      foldYo: true,
      ignoreCase: true,
    });
    expect(t?.text).toBe("Ёлка");
    expect(t?.key).toBe("елка");
    const [u] = tokenizeLine("Ёлка", 1, 1, { ...DEFAULT_NORMALIZE, foldYo: false });
    expect(u?.key).toBe("Ёлка");
  });

  it("folds Cyrillic and Latin look-alikes when asked, case too with --ignore-case", () => {
    const key = (text: string, options: Partial<typeof DEFAULT_NORMALIZE>) =>
      tokenizeLine(text, 1, 1, { ...DEFAULT_NORMALIZE, ...options })[0]?.key;
    // "АКТ Сору" in Cyrillic letters, then in Latin ones.
    const cyrillic = "\u0410\u041a\u0422\u0441\u043e\u0440\u0443";
    const latin = "AKTcopy";
    expect(key(cyrillic, { foldLookalikes: true })).toBe(latin);
    expect(key(latin, { foldLookalikes: true })).toBe(latin);
    expect(key(cyrillic, {})).toBe(cyrillic);
    // Without case folding в is not b (it does not look like it); with it, В, в, B and b are one letter.
    expect(key("\u0432", { foldLookalikes: true })).toBe("\u0432");
    const caseless = ["\u0412", "\u0432", "B", "b"].map((c) =>
      key(c, { foldLookalikes: true, ignoreCase: true }),
    );
    expect(new Set(caseless)).toEqual(new Set(["b"]));
    // Letters with no look-alike stay: ж here, while у and к become y and k.
    expect(key("Жук", { foldLookalikes: true, ignoreCase: true })).toBe("жyk");
  });

  it("drops punctuation when asked", () => {
    expect(tokens("a, b.", { ...DEFAULT_NORMALIZE, ignorePunctuation: true })).toEqual([
      ["a", "word"],
      ["b", "word"],
    ]);
  });
});
