// Singles out the differences that matter most in invoices and contracts: changed dates, amounts (numbers next
// to a currency) and other numbers, apart from changes of words and of punctuation.
import type { Token } from "./normalize.ts";

export type DifferenceCategory = "amount" | "date" | "number" | "text" | "punctuation";

/** From most to least significant: a difference takes the first category any of its tokens has. */
export const CATEGORY_ORDER: readonly DifferenceCategory[] = [
  "amount",
  "date",
  "number",
  "text",
  "punctuation",
];

/** Categories a reader must not miss: what the summary lists first and `significant` counts. */
export const SIGNIFICANT: ReadonlySet<DifferenceCategory> = new Set(["amount", "date", "number"]);

const DATE = /^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2})$/u;
const CURRENCY = new Set([
  "₽",
  "$",
  "€",
  "£",
  "¥",
  "₸",
  "₴",
  "руб",
  "рубль",
  "рубля",
  "рублей",
  "р",
  "коп",
  "копеек",
  "копейки",
  "usd",
  "eur",
  "rub",
  "rur",
  "gbp",
  "тенге",
  "грн",
  "евро",
  "долл",
  "долларов",
]);

export function isDate(token: Token): boolean {
  return token.kind === "number" && DATE.test(token.text);
}

export function isCurrency(token: Token | undefined): boolean {
  return token !== undefined && CURRENCY.has(token.text.toLocaleLowerCase("ru"));
}

/** The category of one token, looking at its neighbours in its own document for a currency. */
export function tokenCategory(tokens: readonly Token[], index: number): DifferenceCategory {
  const token = tokens[index] as Token;
  if (token.kind === "punctuation") return isCurrency(token) ? "amount" : "punctuation";
  if (token.kind === "word") return isCurrency(token) ? "amount" : "text";
  if (isDate(token)) return "date";
  if (isCurrency(tokens[index + 1]) || isCurrency(tokens[index - 1])) return "amount";
  return "number";
}

/** The most significant category among tokens [from, to) of each side. */
export function chunkCategory(
  sides: Array<{ tokens: readonly Token[]; from: number; to: number }>,
): DifferenceCategory {
  let best = CATEGORY_ORDER.length - 1;
  for (const { tokens, from, to } of sides) {
    for (let i = from; i < to; i++) best = Math.min(best, CATEGORY_ORDER.indexOf(tokenCategory(tokens, i)));
  }
  return CATEGORY_ORDER[best] as DifferenceCategory;
}
