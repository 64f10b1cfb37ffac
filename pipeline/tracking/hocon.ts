// A parser for the subset of HOCON that clearml.conf uses: nested `{}` blocks, `key: value`, `key = value`,
// `key { }`, dotted keys, quoted and unquoted strings, arrays, `#`/`//` comments and `${VAR}`/`${?VAR}`.
// The npm HOCON parsers are single-maintainer and fetch URL includes; this subset is all clearml.conf needs.

export type HoconValue = string | number | boolean | null | HoconValue[] | HoconObject;
export interface HoconObject {
  [key: string]: HoconValue;
}

export class HoconError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly file?: string,
  ) {
    super(`${file ?? "<hocon>"}:${line}:${column} ${message}`);
    this.name = "HoconError";
  }
}

export interface HoconOptions {
  /** Looked up by `${VAR}` when the path is not a key of the document (HOCON's fallback to the environment). */
  env?: Record<string, string | undefined>;
  /** Named in error messages. */
  file?: string;
}

/** A piece of a value before concatenation; `optionalMissing` marks a `${?X}` that resolved to nothing. */
type Piece =
  | { kind: "value"; value: HoconValue; quoted: boolean }
  | { kind: "space"; text: string }
  | { kind: "missing" };

const UNQUOTED_STOP = new Set(["\n", ",", "{", "}", "[", "]", "#", '"', "$", ":", "=", "\r", " ", "\t"]);

export function parseHocon(text: string, options: HoconOptions = {}): HoconObject {
  return new Parser(text, options).parseDocument();
}

class Parser {
  private pos = 0;
  private readonly root: HoconObject = {};

  constructor(
    private readonly text: string,
    private readonly options: HoconOptions,
  ) {}

  parseDocument(): HoconObject {
    this.skipBlank();
    if (this.peek() === "{") {
      this.pos++;
      this.parseFields(this.root, "}");
      this.expect("}");
    } else {
      this.parseFields(this.root, undefined);
    }
    this.skipBlank();
    if (this.pos < this.text.length) this.fail(`unexpected ${JSON.stringify(this.peek())}`);
    return this.root;
  }

  /** Fields up to `close` (or the end of the text); `target` is merged into, so repeated blocks combine. */
  private parseFields(target: HoconObject, close: "}" | undefined, prefix: string[] = []): void {
    for (;;) {
      this.skipBlank(true);
      const ch = this.peek();
      if (ch === undefined) {
        if (close) this.fail(`missing "${close}"`);
        return;
      }
      if (ch === close) return;
      if (ch === "}" || ch === "]") this.fail(`unexpected "${ch}"`);
      if (
        this.text.startsWith("include", this.pos) &&
        /^include\s+"/.test(this.text.slice(this.pos, this.pos + 20))
      )
        this.fail("include is not supported");
      const path = this.parseKey();
      this.skipInline();
      let value: HoconValue | undefined;
      const sep = this.peek();
      if (sep === "{") {
        value = this.parseValue(prefix.concat(path));
      } else if (sep === ":" || sep === "=") {
        this.pos++;
        this.skipInline();
        value = this.parseValue(prefix.concat(path));
      } else if (sep === "+" && this.text[this.pos + 1] === "=") {
        this.fail("+= is not supported");
      } else {
        this.fail(`expected ":", "=" or "{" after key ${path.join(".")}`);
      }
      if (value !== undefined) setPath(target, path, value);
      this.skipInline();
      const after = this.peek();
      if (after === ",") this.pos++;
      else if (
        after !== undefined &&
        after !== "\n" &&
        after !== "\r" &&
        after !== close &&
        !this.atComment()
      )
        this.fail(`unexpected ${JSON.stringify(after)} after value of ${path.join(".")}`);
    }
  }

  private parseKey(): string[] {
    const segments: string[] = [];
    let current = "";
    let any = false;
    for (;;) {
      const ch = this.peek();
      if (ch === '"') {
        current += this.parseQuoted();
        any = true;
      } else if (ch === ".") {
        if (!any) this.fail("empty key segment");
        segments.push(current);
        current = "";
        any = false;
        this.pos++;
      } else if (ch !== undefined && /[A-Za-z0-9_-]/.test(ch)) {
        current += ch;
        any = true;
        this.pos++;
      } else {
        break;
      }
    }
    if (!any) this.fail("expected a key");
    segments.push(current);
    return segments;
  }

  /** A value: an object, an array, or a concatenation of strings/substitutions up to the end of the field. */
  private parseValue(path: string[]): HoconValue | undefined {
    const ch = this.peek();
    if (ch === "{") {
      this.pos++;
      const obj: HoconObject = {};
      this.parseFields(obj, "}", path);
      this.expect("}");
      return obj;
    }
    if (ch === "[") return this.parseArray(path);
    const pieces: Piece[] = [];
    for (;;) {
      const c = this.peek();
      if (
        c === undefined ||
        c === "\n" ||
        c === "\r" ||
        c === "," ||
        c === "}" ||
        c === "]" ||
        this.atComment()
      )
        break;
      if (c === " " || c === "\t") {
        const start = this.pos;
        while (this.peek() === " " || this.peek() === "\t") this.pos++;
        pieces.push({ kind: "space", text: this.text.slice(start, this.pos) });
      } else if (c === '"') {
        pieces.push({ kind: "value", value: this.parseQuoted(), quoted: true });
      } else if (c === "$" && this.text[this.pos + 1] === "{") {
        pieces.push(this.parseSubstitution());
      } else if (c === "{" || c === "[") {
        this.fail("objects and arrays cannot be concatenated with strings");
      } else {
        pieces.push({ kind: "value", value: this.parseUnquoted(), quoted: false });
      }
    }
    while (pieces.length > 0 && pieces[pieces.length - 1]?.kind === "space") pieces.pop();
    if (pieces.length === 0) this.fail("expected a value");
    if (pieces.length === 1) {
      const only = pieces[0] as Piece;
      if (only.kind === "missing") return undefined;
      if (only.kind === "value") return only.quoted ? only.value : scalarOf(String(only.value));
    }
    let out = "";
    for (const piece of pieces) {
      if (piece.kind === "space") out += piece.text;
      else if (piece.kind === "value") {
        if (typeof piece.value === "object" && piece.value !== null)
          this.fail("cannot concatenate an object");
        out += piece.value === null ? "null" : String(piece.value);
      }
    }
    return out;
  }

  private parseArray(path: string[]): HoconValue[] {
    this.expect("[");
    const items: HoconValue[] = [];
    for (;;) {
      this.skipBlank(true);
      if (this.peek() === "]") {
        this.pos++;
        return items;
      }
      if (this.peek() === undefined) this.fail('missing "]"');
      const value = this.parseValue(path);
      if (value !== undefined) items.push(value);
      this.skipInline();
      if (this.peek() === ",") this.pos++;
    }
  }

  private parseSubstitution(): Piece {
    const at = this.pos;
    this.pos += 2;
    const optional = this.peek() === "?";
    if (optional) this.pos++;
    const close = this.text.indexOf("}", this.pos);
    if (close < 0) this.fail('missing "}" of substitution');
    const name = this.text.slice(this.pos, close).trim();
    this.pos = close + 1;
    const fromDoc = getPath(this.root, name.split("."));
    if (fromDoc !== undefined) return { kind: "value", value: fromDoc, quoted: true };
    const fromEnv = this.options.env?.[name];
    if (fromEnv !== undefined) return { kind: "value", value: fromEnv, quoted: true };
    if (optional) return { kind: "missing" };
    this.pos = at;
    return this.fail(`\${${name}} is not defined`);
  }

  private parseQuoted(): string {
    if (this.text.startsWith('"""', this.pos)) {
      const end = this.text.indexOf('"""', this.pos + 3);
      if (end < 0) this.fail('missing closing """');
      const body = this.text.slice(this.pos + 3, end);
      this.pos = end + 3;
      return body;
    }
    let end = this.pos + 1;
    while (end < this.text.length && this.text[end] !== '"') {
      if (this.text[end] === "\\") end++;
      if (this.text[end] === "\n") break;
      end++;
    }
    if (this.text[end] !== '"') this.fail("unterminated string");
    const raw = this.text.slice(this.pos, end + 1);
    this.pos = end + 1;
    try {
      return JSON.parse(raw) as string;
    } catch {
      return this.fail(`bad string ${raw}`);
    }
  }

  /** Unquoted text; `//` inside it (as in `http://host`) is text, a comment needs whitespace before it. */
  private parseUnquoted(): string {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] as string;
      if (c === ":" || c === "=" || (c === "$" && this.text[this.pos + 1] !== "{")) {
        // Allowed inside a value (URLs, `a=b`, a lone `$`); the field's separator was already consumed.
        this.pos++;
        continue;
      }
      if (UNQUOTED_STOP.has(c)) break;
      this.pos++;
    }
    if (this.pos === start) this.fail(`unexpected ${JSON.stringify(this.peek())}`);
    return this.text.slice(start, this.pos);
  }

  /** Whitespace and comments; newlines and commas too when `separators`. */
  private skipBlank(separators = true): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\uFEFF" || (separators && c === ","))
        this.pos++;
      else if (this.atComment()) this.skipComment();
      else return;
    }
  }

  private skipInline(): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t") this.pos++;
      else return;
    }
  }

  private atComment(): boolean {
    const c = this.peek();
    return c === "#" || (c === "/" && this.text[this.pos + 1] === "/");
  }

  private skipComment(): void {
    const nl = this.text.indexOf("\n", this.pos);
    this.pos = nl < 0 ? this.text.length : nl;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected "${ch}"`);
    this.pos++;
  }

  private fail(message: string): never {
    const before = this.text.slice(0, this.pos);
    const line = before.split("\n").length;
    const column = this.pos - before.lastIndexOf("\n");
    throw new HoconError(message, line, column, this.options.file);
  }
}

function scalarOf(text: string): HoconValue {
  if (text === "true") return true;
  if (text === "false") return false;
  if (text === "null") return null;
  if (/^-?(\d+)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return text;
}

function isObject(value: HoconValue | undefined): value is HoconObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects merge key by key (a later block adds to an earlier one); anything else replaces. */
function setPath(target: HoconObject, path: string[], value: HoconValue): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (!isObject(next)) node[segment] = {};
    node = node[segment] as HoconObject;
  }
  const last = path[path.length - 1] as string;
  const existing = node[last];
  if (isObject(existing) && isObject(value)) {
    for (const [k, v] of Object.entries(value)) setPath(existing, [k], v);
  } else {
    node[last] = value;
  }
}

/** The value at a dotted path of a parsed document, or undefined. */
export function getPath(root: HoconObject, path: string[]): HoconValue | undefined {
  let node: HoconValue | undefined = root;
  for (const segment of path) {
    if (!isObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}
