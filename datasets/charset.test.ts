// The charset holds what the config asks for (ё, №, ₽ …), and labels outside it are an error naming the characters.
import { describe, expect, it } from "vitest";
import { loadPipelineConfig } from "../stages/config.ts";
import {
  assertLabelInCharset,
  buildCharset,
  charactersOutside,
  LabelOutsideCharsetError,
  labelLength,
} from "./charset.ts";

const config = loadPipelineConfig({ env: {} });

describe("buildCharset", () => {
  it("has Russian and Latin letters in both cases, digits, space and the business symbols, once each", () => {
    const charset = buildCharset(config.charset);
    for (const c of "ёЁъЪщЩAzZ09 .,:;!?-–—()[]\"'«»/\\%№#&+=*@$€₽_") expect(charset.has(c), c).toBe(true);
    expect(new Set(charset.chars).size).toBe(charset.chars.length);
    expect(charset.chars.length).toBe(66 + 52 + 10 + 1 + [...config.charset.symbols].length);
  });

  it("follows the switches and extra characters", () => {
    const charset = buildCharset({ ...config.charset, latin: false, extra: "§" });
    expect(charset.has("a")).toBe(false);
    expect(charset.has("§")).toBe(true);
    expect(charset.has("ж")).toBe(true);
  });
});

describe("labels outside the charset", () => {
  const charset = buildCharset(config.charset);

  it("are an error that names each offending character once, with its code point", () => {
    expect(() => assertLabelInCharset("Café № 5 ½ ½", charset)).toThrow(LabelOutsideCharsetError);
    try {
      assertLabelInCharset("Café № 5 ½ ½", charset, "row 3");
    } catch (error) {
      const e = error as LabelOutsideCharsetError;
      expect(e.characters).toEqual(["é", "½"]);
      expect(e.message).toContain("row 3");
      expect(e.message).toContain("U+00E9");
      expect(e.message).toContain("U+00BD");
    }
  });

  it("are never silently accepted: a tab or a decomposed ё (е + U+0308) is outside", () => {
    expect(charactersOutside("a\tb", charset)).toEqual(["\t"]);
    expect(charactersOutside("е\u0308", charset)).toEqual(["\u0308"]);
    expect(() => assertLabelInCharset("ёлка «Ёж» 100 ₽", charset)).not.toThrow();
  });

  it("counts length in code points", () => {
    expect(labelLength("₽😀a")).toBe(3);
  });
});
