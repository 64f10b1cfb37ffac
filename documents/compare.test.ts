// Tests of alignment and scoring on in-memory documents: differences with kinds, categories and positions,
// the similarity score as documents/README.md defines it, and the normalization options.
import { describe, expect, it } from "vitest";
import { compareDocuments } from "./compare.ts";
import type { DocumentText } from "./document.ts";
import { DEFAULT_NORMALIZE } from "./normalize.ts";

const doc = (...pages: string[][]): DocumentText => ({
  file: "mem",
  format: "pdf",
  pages: pages.map((lines, i) => ({
    number: i + 1,
    source: "text-layer",
    lines: lines.map((text) => ({ text })),
  })),
});

describe("compareDocuments", () => {
  it("scores identical text 1 whatever the line breaks and quotes", () => {
    const { report } = compareDocuments(
      doc(["Договор «А»", "от 1 мая"]),
      doc(['Договор "А" от', "1 мая"]),
      DEFAULT_NORMALIZE,
    );
    expect(report.identical).toBe(true);
    expect(report.similarity).toBe(1);
    expect(report.words).toEqual({ inserted: 0, deleted: 0, replaced: 0, unchanged: 5 });
  });

  it("scores 1 − character edits / characters of the longer document", () => {
    // 10 visible characters each; one replaced → 0.9.
    const { report } = compareDocuments(doc(["abcde fghij"]), doc(["abcde fghiX"]), DEFAULT_NORMALIZE);
    expect(report.characters).toEqual({ inserted: 0, deleted: 0, replaced: 1 });
    expect(report.similarity).toBeCloseTo(0.9, 10);
    // Insertion of a 5-letter word into 10 characters: 5 edits of 15.
    const ins = compareDocuments(doc(["abcde fghij"]), doc(["abcde klmno fghij"]), DEFAULT_NORMALIZE).report;
    expect(ins.characters).toEqual({ inserted: 5, deleted: 0, replaced: 0 });
    expect(ins.similarity).toBeCloseTo(1 - 5 / 15, 10);
  });

  it("reports each change with its category and its page and line in both documents", () => {
    const a = doc(["Счёт № 5 от 01.02.2024", "Сумма 1 000,00 руб."], ["Подпись: Иванов"]);
    const b = doc(["Счёт № 5 от 01.03.2024", "Сумма 1 500,00 руб!"], ["Подпись: Петров"]);
    const { report } = compareDocuments(a, b, DEFAULT_NORMALIZE);
    expect(
      report.differences.map((d) => [d.kind, d.category, d.original, d.copy, d.originalAt, d.copyAt]),
    ).toEqual([
      ["replace", "date", "01.02.2024", "01.03.2024", { page: 1, line: 1 }, { page: 1, line: 1 }],
      ["replace", "amount", "1 000,00", "1 500,00", { page: 1, line: 2 }, { page: 1, line: 2 }],
      ["replace", "punctuation", ".", "!", { page: 1, line: 2 }, { page: 1, line: 2 }],
      ["replace", "text", "Иванов", "Петров", { page: 2, line: 1 }, { page: 2, line: 1 }],
    ]);
    expect(report.significant).toBe(2);
    expect(report.byCategory).toEqual({ amount: 1, date: 1, number: 0, text: 1, punctuation: 1 });
    expect(report.words).toEqual({ inserted: 0, deleted: 0, replaced: 3, unchanged: 6 });
    expect(report.punctuationChanges).toBe(2);
  });

  it("places an insertion at the token it comes before, or at the end", () => {
    const { report } = compareDocuments(
      doc(["один", "три"]),
      doc(["один два", "три четыре"]),
      DEFAULT_NORMALIZE,
    );
    expect(report.differences.map((d) => [d.kind, d.copy, d.originalAt, d.copyAt])).toEqual([
      ["insert", "два", { page: 1, line: 2 }, { page: 1, line: 1 }],
      ["insert", "четыре", { page: 1, line: 2 }, { page: 1, line: 2 }],
    ]);
  });

  it("tells ё from е and upper from lower case only when asked", () => {
    const a = doc(["Ёлка Зелёная"]);
    const b = doc(["Елка зеленая"]);
    expect(compareDocuments(a, b, DEFAULT_NORMALIZE).report.differences.map((d) => d.original)).toEqual([
      "Зелёная",
    ]);
    expect(compareDocuments(a, b, { ...DEFAULT_NORMALIZE, ignoreCase: true }).report.identical).toBe(true);
    // Adjacent changed words are one difference.
    const strict = compareDocuments(a, b, {
      foldYo: false,
      ignoreCase: true,
      ignorePunctuation: false,
      foldLookalikes: false,
    }).report;
    expect(strict.differences.map((d) => [d.original, d.copy])).toEqual([["Ёлка Зелёная", "Елка зеленая"]]);
    expect(strict.words.replaced).toBe(2);
  });
});
