// Synthetic text-line sampler: Russian and English words, mixed phrases, numbers, amounts, dates, document
// tokens (ИНН, КПП, № 12/2024, ООО «…»), e-mails and phones, with rare characters boosted by char_balance.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { GenerateConfig, TextSource } from "../stages/config.ts";
import { type Charset, labelLength } from "./charset.ts";
import type { Random } from "./random.ts";

/** Reads a shipped word list (one word a line, `#` comments). */
export function readWordList(name: "ru" | "en"): string[] {
  // Beside this module in the sources; from a build, back in the source tree or the working folder (tsc copies
  // no .txt files).
  const candidates = [
    new URL(`./words/${name}.txt`, import.meta.url),
    new URL(`../../datasets/words/${name}.txt`, import.meta.url),
    pathToFileURL(join(process.cwd(), "datasets", "words", `${name}.txt`)),
  ];
  const file = candidates.find((url) => existsSync(url));
  if (!file) throw new Error(`word list ${name}.txt not found beside ${import.meta.url}`);
  const text = readFileSync(file, "utf8");
  return [
    ...new Set(
      text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#")),
    ),
  ];
}

export interface TextSamplerOptions {
  text: GenerateConfig["text"];
  charset: Charset;
  minLength: number;
  maxLength: number;
  words?: { ru: string[]; en: string[] };
}

/** Draws one label; `accept` lets the caller refuse labels (e.g. a font lacking a glyph) and get another. */
export class TextSampler {
  private readonly ru: string[];
  private readonly en: string[];
  /** Words (and their capitalised forms) holding each character, for char_balance. */
  private readonly wordsWithChar = new Map<string, string[]>();
  /** The charset without the space, drawn from by char_balance. */
  private readonly visibleChars: string[];

  constructor(private readonly options: TextSamplerOptions) {
    const words = options.words ?? { ru: readWordList("ru"), en: readWordList("en") };
    this.ru = words.ru;
    this.en = words.en;
    this.visibleChars = options.charset.chars.filter((c) => c !== " ");
    for (const word of [...this.ru, ...this.en]) {
      for (const form of [word, capitalize(word), word.toUpperCase()]) {
        for (const c of new Set(form)) {
          const list = this.wordsWithChar.get(c);
          if (list) list.push(form);
          else this.wordsWithChar.set(c, [form]);
        }
      }
    }
  }

  /**
   * A label in the charset within the length limits that `accept` takes. After many refusals it falls back to
   * a random string over the characters `accept` takes one by one, so it always returns.
   */
  sample(rng: Random, accept: (label: string) => boolean = () => true): string {
    const { charset, minLength, maxLength } = this.options;
    for (let attempt = 0; attempt < 64; attempt++) {
      const line = this.fitLength(this.draw(rng));
      if (line === undefined) continue;
      if (labelLength(line) < minLength) continue;
      let inCharset = true;
      for (const c of line) if (!charset.has(c)) inCharset = false;
      if (inCharset && accept(line)) return line;
    }
    const allowed = charset.chars.filter((c) => c !== " " && accept(c));
    if (allowed.length === 0) throw new Error("TextSampler: no character of the charset is accepted");
    const length = rng.int(Math.max(1, minLength), Math.max(minLength, Math.min(maxLength, 12)));
    let out = "";
    for (let i = 0; i < length; i++) out += rng.pick(allowed);
    return out;
  }

  /** Drops trailing words until the line fits; undefined when even one word is too long. */
  private fitLength(line: string): string | undefined {
    const max = this.options.maxLength;
    let text = line.replace(/\s+/g, " ").trim();
    while (labelLength(text) > max) {
      const cut = text.lastIndexOf(" ");
      if (cut <= 0) return undefined;
      text = text.slice(0, cut).trimEnd();
    }
    return text;
  }

  private draw(rng: Random): string {
    const { text } = this.options;
    const source = rng.weighted<TextSource>(text.sources);
    let line = this.fromSource(source, rng);
    if (source === "words_ru" || source === "words_en" || source === "phrases") {
      if (rng.chance(text.upper_case)) line = line.toUpperCase();
      else if (rng.chance(text.title_case)) line = capitalize(line);
    }
    if (rng.chance(text.char_balance)) line = this.withRareCharacter(line, rng);
    return line;
  }

  /** Puts one character drawn uniformly from the charset into the line, so rare ones (ё, ъ, №, ₽, «») get seen. */
  private withRareCharacter(line: string, rng: Random): string {
    const target = rng.pick(this.visibleChars);
    const words = this.wordsWithChar.get(target);
    const parts = line.split(" ");
    const at = rng.int(0, parts.length);
    if (words && words.length > 0) {
      parts.splice(at, 0, rng.pick(words));
      // Keep the line short enough that the inserted word survives fitLength.
      while (parts.length > 1 && labelLength(parts.join(" ")) > this.options.maxLength) {
        parts.splice(parts.length - 1 === at ? 0 : parts.length - 1, 1);
      }
      return parts.join(" ");
    }
    const neighbour = rng.chance(0.5)
      ? String(rng.int(0, 999))
      : rng.pick(rng.chance(0.5) ? this.ru : this.en);
    const token = rng.pick([
      `${neighbour}${target}`,
      `${target}${neighbour}`,
      `${target} ${neighbour}`,
      `${neighbour} ${target}`,
    ]);
    return rng.chance(0.5) ? token : `${token} ${rng.pick(this.ru)}`.slice(0, this.options.maxLength + 8);
  }

  private words(list: string[], rng: Random): string {
    const { min, max } = this.options.text.words_per_line;
    const n = rng.int(min, max);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(rng.pick(list));
    return out.join(" ");
  }

  private fromSource(source: TextSource, rng: Random): string {
    switch (source) {
      case "words_ru":
        return punctuate(this.words(this.ru, rng), rng);
      case "words_en":
        return punctuate(this.words(this.en, rng), rng);
      case "phrases":
        return this.phrase(rng);
      case "numbers":
        return numberText(rng);
      case "amounts":
        return amountText(rng);
      case "dates":
        return dateText(rng);
      case "document_tokens":
        return this.documentToken(rng);
      case "emails":
        return emailText(rng, this.en);
      case "phones":
        return phoneText(rng);
      case "random":
        return this.randomText(rng);
    }
  }

  private phrase(rng: Random): string {
    const ru = () => rng.pick(this.ru);
    const en = () => rng.pick(this.en);
    return rng.pick([
      () => `${capitalize(ru())} ${en()} ${ru()}`,
      () => `${capitalize(ru())} (${en()})`,
      () => `${capitalize(ru())}: ${numberText(rng)}`,
      () => `${capitalize(en())} - ${ru()}`,
      () => `${capitalize(ru())} ${ru()}, ${en()}!`,
      () => `"${capitalize(en())}" ${ru()}`,
      () => `${ru()} / ${en()}`,
      () => `${capitalize(ru())} ${dateText(rng)}`,
      () => `${ru()} ${ru()}?`,
      () => `${capitalize(en())} ${en()} ${amountText(rng)}`,
      () => `${ru()}; ${ru()}`,
      () => `[${rng.int(1, 99)}] ${ru()} ${en()}`,
      () => `${ru()} ${rng.int(2, 99)}%`,
      () => `${en()}_${en()}`,
      () => `${ru()} & ${ru()}`,
      () => `${ru()} + ${ru()} = ${ru()}`,
      () => `${capitalize(ru())} — ${ru()}`,
      () => `${rng.int(1990, 2030)}–${rng.int(1990, 2030)} ${ru()}`,
      () => `${ru()} * ${rng.int(1, 9)}`,
      () => `${en()}\\${en()}`,
      () => `${capitalize(ru())}'s ${en()}`,
    ])();
  }

  private documentToken(rng: Random): string {
    const name = () => capitalize(rng.pick(this.ru));
    const initial = () => rng.pick(CYRILLIC_INITIALS);
    const digits = (n: number) => {
      let s = String(rng.int(1, 9));
      while (s.length < n) s += String(rng.int(0, 9));
      return s;
    };
    return rng.pick([
      () => `ИНН ${digits(rng.chance(0.5) ? 10 : 12)}`,
      () => `КПП ${digits(9)}`,
      () => `БИК ${digits(9)}`,
      () => `ОГРН ${digits(13)}`,
      () => `р/с ${digits(20)}`,
      () => `№ ${rng.int(1, 999)}/${rng.int(2000, 2030)}`,
      () => `№${rng.int(1, 99999)}`,
      () => `Счёт № ${rng.int(1, 9999)} от ${dateText(rng)}`,
      () => `${rng.pick(["ООО", "АО", "ПАО", "ЗАО", "НКО"])} «${name()}»`,
      () => `${rng.pick(["ООО", "АО"])} «${name()} ${capitalize(rng.pick(this.en))}»`,
      () =>
        `ИП ${name()} ${rng.pick(["А", "В", "Е", "И", "О", "С", "Ю"])}.${rng.pick(["А", "В", "Н", "П", "Ф"])}.`,
      // Initials, as documents sign and address people: «Иванов И. И.», «И.И. Иванов», «J. Smith».
      () => `${name()} ${initial()}. ${initial()}.`,
      () => `${initial()}.${rng.chance(0.5) ? " " : ""}${initial()}. ${name()}`,
      () => `${rng.pick(LATIN_INITIALS)}. ${capitalize(rng.pick(this.en))}`,
      () => `ст. ${rng.int(1, 500)}, п. ${rng.int(1, 9)}.${rng.int(1, 9)}`,
      () => `#${String.fromCharCode(65 + rng.int(0, 25))}-${rng.int(1, 999)}`,
      () =>
        `Дог. № ${rng.int(1, 99)}-${String(rng.int(1, 99)).padStart(2, "0")}/${String(rng.int(0, 30)).padStart(2, "0")}`,
      () => `Итого: ${amountText(rng)}`,
      () => `НДС ${rng.pick([0, 10, 20])}%`,
      () => `ОКПО ${digits(8)}`,
    ])();
  }

  private randomText(rng: Random): string {
    const chars = this.options.charset.chars;
    const n = rng.int(1, Math.min(12, this.options.maxLength));
    let out = "";
    for (let i = 0; i < n; i++) out += rng.pick(chars);
    return out.trim() || rng.pick(chars.filter((c) => c !== " "));
  }
}

export function capitalize(text: string): string {
  const first = text.charAt(0);
  return first.toUpperCase() + text.slice(1);
}

function punctuate(line: string, rng: Random): string {
  if (!rng.chance(0.3)) return line;
  return `${line}${rng.pick([".", ",", ":", ";", "!", "?", "...", ")"])}`;
}

/** Capitals that begin Russian given names and patronymics (no Ё, Ъ, Ы, Ь, Й). */
const CYRILLIC_INITIALS = [..."АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"];
const LATIN_INITIALS = [..."ABCDEFGHIJKLMNOPRSTW"];

const RU_MONTHS = [
  "января",
  "февраля",
  "марта",
  "апреля",
  "мая",
  "июня",
  "июля",
  "августа",
  "сентября",
  "октября",
  "ноября",
  "декабря",
];
const EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

export function dateText(rng: Random): string {
  const d = rng.int(1, 28);
  const m = rng.int(1, 12);
  const y = rng.int(1995, 2035);
  return rng.pick([
    () => `${pad2(d)}.${pad2(m)}.${y}`,
    () => `${y}-${pad2(m)}-${pad2(d)}`,
    () => `${pad2(d)}/${pad2(m)}/${String(y).slice(2)}`,
    () => `${d} ${RU_MONTHS[m - 1]} ${y} г.`,
    () => `«${pad2(d)}» ${RU_MONTHS[m - 1]} ${y} г.`,
    () => `${EN_MONTHS[m - 1]} ${d}, ${y}`,
    () => `${pad2(d)}-${EN_MONTHS[m - 1]}-${y}`,
    () => `${pad2(d)}.${pad2(m)}.${String(y).slice(2)}`,
  ])();
}

/** Groups thousands with `sep` ("1 234 567"). */
function grouped(n: number, sep: string): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

export function numberText(rng: Random): string {
  const magnitude = 10 ** rng.int(0, 7);
  const n = rng.int(0, magnitude);
  return rng.pick([
    () => String(n),
    () => grouped(n, " "),
    () => `${n},${pad2(rng.int(0, 99))}`,
    () => `${n}.${rng.int(0, 999)}`,
    () => `-${n}`,
    () => `${rng.int(0, 100)}%`,
    () => `${rng.int(1, 99)}/${rng.int(1, 99)}`,
    () => `+${n}`,
    () => `${grouped(n, ",")}.${pad2(rng.int(0, 99))}`,
    () => `(${n})`,
  ])();
}

export function amountText(rng: Random): string {
  const n = rng.int(0, 10 ** rng.int(1, 7));
  const cents = pad2(rng.int(0, 99));
  return rng.pick([
    () => `${grouped(n, " ")},${cents} ₽`,
    () => `${grouped(n, " ")} ₽`,
    () => `${grouped(n, " ")} руб. ${cents} коп.`,
    () => `$${grouped(n, ",")}.${cents}`,
    () => `€${grouped(n, " ")},${cents}`,
    () => `${grouped(n, ".")},${cents} €`,
    () => `${grouped(n, " ")},${cents} RUB`,
    () => `USD ${grouped(n, ",")}.${cents}`,
    () => `= ${grouped(n, " ")},${cents}`,
  ])();
}

const TOP_LEVEL_DOMAINS = ["ru", "com", "org", "net", "рф"];

export function emailText(rng: Random, words: string[]): string {
  const user = () => rng.pick(words).replace(/[^a-z]/g, "") || "info";
  const local = rng.pick([
    () => user(),
    () => `${user()}.${user()}`,
    () => `${user()}_${rng.int(1, 99)}`,
    () => `${user()}${rng.int(1, 2030)}`,
  ])();
  const domain = `${user()}.${rng.pick(TOP_LEVEL_DOMAINS)}`;
  return `${local}@${domain}`;
}

export function phoneText(rng: Random): string {
  const d = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
    return s;
  };
  return rng.pick([
    () => `+7 (${d(3)}) ${d(3)}-${d(2)}-${d(2)}`,
    () => `8-${d(3)}-${d(3)}-${d(2)}-${d(2)}`,
    () => `+7${d(10)}`,
    () => `8 (${d(4)}) ${d(2)}-${d(2)}-${d(2)}`,
    () => `+1 ${d(3)} ${d(3)} ${d(4)}`,
    () => `тел. ${d(3)}-${d(2)}-${d(2)}`,
    () => `+44 ${d(2)} ${d(4)} ${d(4)}`,
  ])();
}
