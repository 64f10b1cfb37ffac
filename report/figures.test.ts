// The evaluation figures: text classes, word and in-place accuracy, partial match, and the character
// alignment behind the report's confusion list.
import { describe, expect, it } from "vitest";
import { alignCharacters, ConfusionCounter } from "./alignment.ts";
import { charactersInPlace, FigureAccumulator, lineFigures, textClass, wordEditDistance } from "./figures.ts";

describe("textClass", () => {
  it("sorts lines into Cyrillic, Latin, digits, mixed and other", () => {
    expect(textClass("Привет, мир!")).toBe("cyrillic");
    expect(textClass("Ёлка")).toBe("cyrillic");
    expect(textClass("Hello world.")).toBe("latin");
    expect(textClass("12.05.2024")).toBe("digits");
    expect(textClass("+7 (495) 123-45-67")).toBe("digits");
    expect(textClass("ООО Sigma")).toBe("mixed");
    expect(textClass("page 5")).toBe("mixed");
    expect(textClass("№ 12 от мая")).toBe("mixed");
    expect(textClass("«—»")).toBe("other");
  });
});

describe("line figures", () => {
  it("counts word edits over whitespace-separated words", () => {
    expect(wordEditDistance("один два три", "один две три")).toBe(1);
    expect(wordEditDistance("a b", "a  b")).toBe(0);
    expect(wordEditDistance("a b c", "")).toBe(3);
  });

  it("scores characters in place over the longer string, so a shift costs what follows", () => {
    expect(charactersInPlace("abcd", "abcd")).toEqual({ same: 4, of: 4 });
    expect(charactersInPlace("abcd", "xabcd")).toEqual({ same: 0, of: 5 });
    expect(charactersInPlace("abcd", "abxd")).toEqual({ same: 3, of: 4 });
  });

  it("adds up exact, caseless, partial, CER and WER over a set", () => {
    const acc = new FigureAccumulator(0.5);
    acc.add(lineFigures("Москва", "Москва"), 0.9);
    acc.add(lineFigures("Москва", "москва"), 0.7);
    acc.add(lineFigures("Hello", "Hxllx"), 0.5); // 3/5 right: partial
    acc.add(lineFigures("Hello", "xxxlo"), 0.3); // 2/5 right: not partial
    const f = acc.figures();
    expect(f.count).toBe(4);
    expect(f.exact_match).toBe(0.25);
    expect(f.caseless_exact_match).toBe(0.5);
    expect(f.partial_match).toBe(0.75);
    expect(f.cer).toBeCloseTo((0 + 1 + 2 + 3) / 22, 6);
    expect(f.wer).toBe(0.75);
    expect(f.confidence).toBeCloseTo(0.6, 6);
    expect(f.char_accuracy_in_place).toBeCloseTo((6 + 5 + 3 + 2) / 22, 6);
  });

  it("keeps CER within 0..1 even when a model babbles", () => {
    const acc = new FigureAccumulator(0.5);
    acc.add(lineFigures("a", "bbbbbbbb"), 0);
    expect(acc.figures().cer).toBe(1);
  });
});

describe("alignment and confusions", () => {
  it("aligns substitutions, deletions and insertions in code points", () => {
    expect(alignCharacters("кот", "кит").map((s) => s.op)).toEqual(["match", "substitute", "match"]);
    expect(alignCharacters("abc", "ac").filter((s) => s.op !== "match")).toEqual([
      { op: "delete", ref: "b", hyp: "" },
    ]);
    expect(alignCharacters("ac", "abc").filter((s) => s.op !== "match")).toEqual([
      { op: "insert", ref: "", hyp: "b" },
    ]);
  });

  it("lists the most frequent confusions first", () => {
    const counter = new ConfusionCounter();
    counter.add("ОО0", "000");
    counter.add("О", "0");
    counter.add("abc", "ab");
    expect(counter.top(2)).toEqual([
      { ref: "О", hyp: "0", count: 3 },
      { ref: "c", hyp: "", count: 1 },
    ]);
  });
});
