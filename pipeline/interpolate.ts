// `${…}` interpolation as DVC 3 does it (dvc/parsing/interpolate.py): dotted and indexed lookups in a
// context, type-preserving when a string is exactly one `${…}`, `\${` escapes, dicts as `--k v` flags in cmd.

export type Context = Record<string, unknown>;

/** Matches `${inner}` unless preceded by a backslash; the backslash form is unescaped afterwards. */
const PLACEHOLDER = /(\\)?\$\{(.*?)\}/g;

export class InterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InterpolationError";
  }
}

/** True when the string holds at least one unescaped `${…}`. */
export function hasPlaceholder(text: string): boolean {
  for (const match of text.matchAll(PLACEHOLDER)) if (!match[1]) return true;
  return false;
}

/** Splits `a.b[0].c` into `["a", "b", 0, "c"]`. */
export function parseLookup(expression: string): Array<string | number> {
  const parts: Array<string | number> = [];
  const trimmed = expression.trim();
  if (trimmed === "") throw new InterpolationError("empty `${}`");
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let consumed = 0;
  for (const match of trimmed.matchAll(re)) {
    if (match[1] !== undefined) parts.push(match[1]);
    else parts.push(Number(match[2]));
    consumed += match[0].length;
  }
  const dots = (trimmed.match(/\./g) ?? []).length;
  if (consumed + dots !== trimmed.length || parts.length === 0) {
    throw new InterpolationError(`cannot parse \`\${${expression}}\``);
  }
  return parts;
}

/** Looks an expression up in the context; a missing key is an error naming the full expression. */
export function lookup(context: Context, expression: string): unknown {
  let value: unknown = context;
  for (const part of parseLookup(expression)) {
    if (typeof part === "number" && Array.isArray(value) && part < value.length) {
      value = value[part];
    } else if (
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      Object.hasOwn(value, String(part))
    ) {
      value = (value as Record<string, unknown>)[String(part)];
    } else if (Array.isArray(value) && typeof part === "string" && /^\d+$/.test(part)) {
      value = value[Number(part)];
      if (value === undefined) throw new InterpolationError(`Could not find '${expression}'`);
    } else {
      throw new InterpolationError(`Could not find '${expression}'`);
    }
  }
  return value;
}

/** DVC's `--key value` rendering of a dict inside `cmd` (parsing.bool = store_true, parsing.list = nargs). */
function dictToFlags(dict: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(dict)) {
    if (value === true) parts.push(`--${key}`);
    else if (value === false || value === null || value === undefined) continue;
    else if (Array.isArray(value)) {
      if (value.length > 0) parts.push(`--${key} ${value.map((v) => scalarToString(v, key)).join(" ")}`);
    } else if (typeof value === "object") {
      throw new InterpolationError(`Cannot interpolate nested dict '${key}' into cmd`);
    } else parts.push(`--${key} ${scalarToString(value, key)}`);
  }
  return parts.join(" ");
}

function scalarToString(value: unknown, expression: string): string {
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null || value === undefined) return "None";
  if (typeof value === "string" || typeof value === "number") return String(value);
  throw new InterpolationError(
    `Cannot interpolate data of type '${Array.isArray(value) ? "list" : "dict"}' from '${expression}'`,
  );
}

/**
 * Resolves every `${…}` in `text`. A string that is exactly one placeholder returns the looked-up value
 * with its type; otherwise values are rendered into the string. `inCmd` enables DVC's dict-to-flags form.
 */
export function interpolateString(text: string, context: Context, inCmd = false): unknown {
  const whole = /^\$\{(.*?)\}$/.exec(text);
  if (whole && whole[1] !== undefined && !whole[1].includes("${")) {
    const value = lookup(context, whole[1]);
    if (inCmd && value !== null && typeof value === "object" && !Array.isArray(value)) {
      return dictToFlags(value as Record<string, unknown>);
    }
    return value;
  }
  return text.replace(PLACEHOLDER, (all, backslash: string | undefined, inner: string) => {
    if (backslash) return all.slice(1);
    const value = lookup(context, inner);
    if (inCmd && value !== null && typeof value === "object" && !Array.isArray(value)) {
      return dictToFlags(value as Record<string, unknown>);
    }
    return scalarToString(value, inner);
  });
}

/** Interpolates strings anywhere inside a YAML value, mapping keys included (`- \${item}.json: {cache: false}`). */
export function interpolateValue(value: unknown, context: Context, inCmd = false): unknown {
  if (typeof value === "string") return interpolateString(value, context, inCmd);
  if (Array.isArray(value)) return value.map((item) => interpolateValue(item, context, inCmd));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolvedKey = hasPlaceholder(key) ? interpolateString(key, context) : key;
      if (typeof resolvedKey !== "string" && typeof resolvedKey !== "number") {
        throw new InterpolationError(`key '${key}' must interpolate to a string`);
      }
      out[String(resolvedKey)] = interpolateValue(item, context, inCmd);
    }
    return out;
  }
  return value;
}
