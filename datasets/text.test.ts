// The text sampler covers every source, stays in the charset and length limits, and char_balance makes rare
// characters (ё, ъ, №, ₽, «») common.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadPipelineConfig } from "../stages/config.ts";
import { buildCharset } from "./charset.ts";
import { Random } from "./random.ts";
import { readWordList, TextSampler } from "./text.ts";

const config = loadPipelineConfig({ env: {} });
const charset = buildCharset(config.charset);
const sampler = (charBalance: number) =>
  new TextSampler({
    text: { ...config.generate.text, char_balance: charBalance },
    charset,
    minLength: 1,
    maxLength: config.input.max_label_length,
  });

function count(lines: string[], chars: string): number {
  return lines.reduce((n, l) => n + [...l].filter((c) => chars.includes(c)).length, 0);
}

describe("word lists", () => {
  it("list each word once (a repeated line would be a silent no-op: readWordList keeps the first)", () => {
    for (const name of ["ru", "en"]) {
      const words = readFileSync(new URL(`./words/${name}.txt`, import.meta.url), "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
      expect(
        words.filter((w, i) => words.indexOf(w) !== i),
        `${name}.txt`,
      ).toEqual([]);
      expect(readWordList(name as "ru" | "en")).toEqual(words);
    }
  });
});

describe("TextSampler", () => {
  it("draws labels inside the charset and the length limits, the same for the same seed", () => {
    const s = sampler(0.3);
    const a = Array.from(
      { length: 2000 },
      (
        (rng) => () =>
          s.sample(rng)
      )(new Random(5)),
    );
    const b = Array.from(
      { length: 2000 },
      (
        (rng) => () =>
          s.sample(rng)
      )(new Random(5)),
    );
    expect(a).toEqual(b);
    for (const line of a) {
      expect(
        [...line].every((c) => charset.has(c)),
        line,
      ).toBe(true);
      expect([...line].length).toBeGreaterThanOrEqual(1);
      expect([...line].length).toBeLessThanOrEqual(config.input.max_label_length);
      expect(line).toBe(line.trim());
    }
    // Every kind of content shows up.
    expect(a.some((l) => /ИНН \d{10}/.test(l))).toBe(true);
    expect(a.some((l) => /@/.test(l))).toBe(true);
    expect(a.some((l) => /\d{2}\.\d{2}\.\d{4}/.test(l))).toBe(true);
    expect(a.some((l) => /[a-z]{3}/.test(l) && /[а-я]{3}/.test(l))).toBe(true);
  });

  it("raises the rarest characters' counts with char_balance (uniform extra character per line)", () => {
    const rarest = (balance: number) => {
      const rng = new Random(9);
      const s = sampler(balance);
      const lines = Array.from({ length: 3000 }, () => s.sample(rng));
      return Math.min(...charset.chars.filter((c) => c !== " ").map((c) => count(lines, c)));
    };
    expect(rarest(1)).toBeGreaterThanOrEqual(2 * rarest(0));
    expect(rarest(1)).toBeGreaterThan(20);
  });

  it("draws the short words every page is full of, alone and inside lines, as compare crops them one by one", () => {
    const rng = new Random(13);
    const s = sampler(0);
    const words = Array.from({ length: 3000 }, () => s.sample(rng)).flatMap((l) => l.split(" "));
    const bare = words.map((w) => w.replace(/[.,:;!?)]+$/, "").toLowerCase());
    for (const word of ["и", "в", "на", "по", "до", "не", "the", "of"]) expect(bare, word).toContain(word);
    expect(words).toContain("шт.");
    expect(words).toContain("—");
  });

  it("draws people's initials after and before a surname, Cyrillic and Latin («Иванов И. И.», «И.И. Иванов», «J. Smith»)", () => {
    const rng = new Random(17);
    const s = sampler(0);
    const lines = Array.from({ length: 6000 }, () => s.sample(rng));
    const after = lines.filter((l) => /^[А-ЯЁ][а-яё]+ [А-Я]\. [А-Я]\.$/u.test(l));
    const before = lines.filter((l) => /^[А-Я]\. ?[А-Я]\. [А-ЯЁ][а-яё]+$/u.test(l));
    const latin = lines.filter((l) => /^[A-Z]\. [A-Z][a-z]+$/u.test(l));
    expect(after.length).toBeGreaterThan(5);
    expect(before.length).toBeGreaterThan(5);
    expect(latin.length).toBeGreaterThan(5);
    // Many capitals, not a fixed few: the model is to read the letter, not to guess it.
    expect(new Set(after.flatMap((l) => l.match(/[А-Я](?=\.)/gu) ?? [])).size).toBeGreaterThan(15);
  });

  it("only returns labels the caller accepts, e.g. those a face without ₽ can draw", () => {
    const s = sampler(1);
    const rng = new Random(11);
    for (let i = 0; i < 500; i++) expect(s.sample(rng, (l) => !l.includes("₽"))).not.toContain("₽");
  });
});
