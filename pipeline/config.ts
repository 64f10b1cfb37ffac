// Params files (YAML): loading, JSON Schema validation with every problem as file:line key, `-S key=value`
// overrides passed to stages through OCRFLOW_SET_PARAMS, and `profile`/`profiles` resolution. Knows nothing about OCR.
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { AnySchemaObject, ErrorObject, ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";
import { type Problem, ProblemsError } from "./errors.ts";
import { formatKeyPath, type KeyPath, loadYamlSource, type YamlSource } from "./yaml-source.ts";

/** Environment variable through which the engine hands `-S file:key=value` overrides to stage processes. */
export const PARAM_OVERRIDES_ENV = "OCRFLOW_SET_PARAMS";

/** Dotted key (`train.parseq.size`, `a.list[0]`) → value, for one params file. */
export type ParamOverrides = Record<string, unknown>;

/** Overrides for several params files: `{ "<params file>": { "<dotted key>": value } }`, the env var's JSON. */
export type ParamOverridesByFile = Record<string, ParamOverrides>;

/** One `-S` argument, parsed. */
export interface ParamOverride {
  file: string;
  key: string;
  value: unknown;
}

export interface LoadParamsOptions {
  /** How the file is named in problems; defaults to the path as given. */
  displayName?: string;
  /** JSON Schema to validate against; defaults to the file's `# yaml-language-server: $schema=` modeline. */
  schemaPath?: string;
  /** Applied to the document before validation (and again after the profile, so they always win). */
  overrides?: ParamOverrides;
  /** Profile to activate; same as the override `profile=<name>`. */
  profile?: string;
}

export interface LoadedParams {
  file: string;
  /** Absolute path of the schema used, or undefined when the file names none (then nothing was checked). */
  schemaPath: string | undefined;
  /** The document with overrides applied: the values DVC-style params tracking should record. */
  raw: unknown;
  /** What stages use: `raw` deep-merged with `profiles[profile]`, overrides on top, without `profiles`. */
  value: unknown;
  /** The active profile, if the document has `profiles`. */
  profile: string | undefined;
}

const MODELINE = /^#\s*yaml-language-server:\s*\$schema=(\S+)/;

/** The schema path named by a `# yaml-language-server: $schema=<path>` line among the file's leading comments. */
export function findSchemaModeline(text: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (!trimmed.startsWith("#")) return undefined;
    const match = MODELINE.exec(trimmed);
    if (match) return match[1];
  }
  return undefined;
}

/** Reads a params file, validates it (and its profile-resolved form) and returns it; throws ProblemsError with all problems. */
export function loadParams(path: string, options: LoadParamsOptions = {}): LoadedParams {
  const { loaded, problems } = inspectParams(path, options);
  if (problems.length > 0 || loaded === undefined) throw new ProblemsError(problems);
  return loaded;
}

/** Every problem of a params file (syntax, schema, profile, overrides); an empty list means it is valid. */
export function validateParamsFile(path: string, options: LoadParamsOptions = {}): Problem[] {
  return inspectParams(path, options).problems;
}

function inspectParams(
  path: string,
  options: LoadParamsOptions,
): { loaded: LoadedParams | undefined; problems: Problem[] } {
  const file = options.displayName ?? path;
  let source: YamlSource;
  try {
    source = loadYamlSource(path, file);
  } catch (error) {
    if (error instanceof ProblemsError) return { loaded: undefined, problems: error.problems };
    throw error;
  }
  const overrides: ParamOverrides = { ...options.overrides };
  if (options.profile !== undefined) overrides.profile = options.profile;
  const raw = applyParamOverrides(source.value, overrides);

  const modeline = findSchemaModeline(source.text);
  const schemaPath =
    options.schemaPath !== undefined
      ? resolve(options.schemaPath)
      : modeline !== undefined
        ? resolve(dirname(resolve(path)), modeline)
        : undefined;
  let validate: ValidateFunction | undefined;
  if (schemaPath !== undefined) {
    try {
      validate = compileSchemaFile(schemaPath);
    } catch (error) {
      const problem: Problem = {
        kind: error instanceof SchemaFileMissing ? "missing-file" : "schema",
        message: `cannot use schema ${modeline ?? schemaPath}: ${(error as Error).message}`,
        location: { file, line: 1 },
      };
      return { loaded: undefined, problems: [problem] };
    }
  }

  const note = overrideNote(overrides);
  const locateRaw: Locate = (keyPath) => ({ line: source.lineOf(keyPath), key: formatKeyPath(keyPath) });
  if (validate) {
    const problems = schemaProblems(validate, raw, file, locateRaw, note);
    if (problems.length > 0) return { loaded: undefined, problems };
  }

  const resolved = resolveProfile(raw, file, source, overrides);
  if ("problems" in resolved) return { loaded: undefined, problems: resolved.problems };
  if (validate && resolved.patchPath !== undefined) {
    const patch = getIn(raw, resolved.patchPath);
    const patchPath = resolved.patchPath;
    const locateMerged: Locate = (keyPath) => {
      for (let n = keyPath.length; n > 0; n--) {
        if (getIn(patch, keyPath.slice(0, n)) !== undefined) return locateRaw([...patchPath, ...keyPath]);
      }
      return locateRaw(keyPath);
    };
    const profileNote = (keyPath: KeyPath): string =>
      [`after applying profile \`${resolved.profile}\``, note(keyPath)].filter((s) => s !== "").join(", ");
    const problems = schemaProblems(validate, resolved.value, file, locateMerged, profileNote);
    if (problems.length > 0) return { loaded: undefined, problems };
  }
  return {
    loaded: { file, schemaPath, raw, value: withoutProfiles(resolved.value), profile: resolved.profile },
    problems: [],
  };
}

/**
 * `profile: <name>` selects `profiles[<name>]`, a partial document deep-merged over the rest; overrides are
 * re-applied on top so `-S train.epochs=3` beats the profile. Documents without `profiles` pass through unchanged.
 */
function resolveProfile(
  raw: unknown,
  file: string,
  source: YamlSource,
  overrides: ParamOverrides,
): { value: unknown; profile: string | undefined; patchPath: KeyPath | undefined } | { problems: Problem[] } {
  if (!isPlainObject(raw) || !isPlainObject(raw.profiles)) {
    return { value: raw, profile: undefined, patchPath: undefined };
  }
  const { profiles, profile, ...rest } = raw;
  if (profile === undefined || profile === null)
    return { value: raw, profile: undefined, patchPath: undefined };
  const known = Object.keys(profiles);
  if (typeof profile !== "string" || !Object.hasOwn(profiles, profile)) {
    const problem: Problem = {
      kind: "schema",
      message: `unknown profile ${JSON.stringify(profile)}${withNote(overrideText(overrides, ["profile"]))}`,
      location: { file, line: source.lineOf(["profile"]), key: "profile" },
      expected: `a key of \`profiles\`: ${known.map((name) => JSON.stringify(name)).join(", ")}`,
    };
    return { problems: [problem] };
  }
  const patch = profiles[profile];
  // `profiles` stays in for validation (the schema requires it) and is dropped by the caller afterwards.
  const merged = deepMerge({ ...rest, profile, profiles }, isPlainObject(patch) ? patch : {});
  const laterOverrides = Object.fromEntries(
    Object.entries(overrides).filter(([key]) => key !== "profile" && !key.startsWith("profiles.")),
  );
  return { value: applyParamOverrides(merged, laterOverrides), profile, patchPath: ["profiles", profile] };
}

function withoutProfiles(value: unknown): unknown {
  if (!isPlainObject(value) || !Object.hasOwn(value, "profiles")) return value;
  const { profiles: _profiles, ...rest } = value;
  return rest;
}

/** Deep merge: mappings merge key by key, anything else in `patch` (lists included) replaces `base`. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    out[key] = Object.hasOwn(out, key) ? deepMerge(out[key], value) : structuredClone(value);
  }
  return out;
}

/** Returns a copy of `value` with each dotted key (`a.b.c`, `a.list[0]` or `a.list.0`) set, creating mappings as needed. */
export function applyParamOverrides(value: unknown, overrides: ParamOverrides): unknown {
  let root: unknown = structuredClone(value ?? {});
  for (const [dotted, newValue] of Object.entries(overrides)) {
    const path = parseDottedKey(dotted);
    if (path.length === 0) continue;
    if (!isContainer(root)) root = {};
    let node = root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) {
      const part = path[i] as string | number;
      const next = node[part];
      if (!isContainer(next)) node[part] = {};
      node = node[part] as Record<string | number, unknown>;
    }
    node[path[path.length - 1] as string | number] = structuredClone(newValue);
  }
  return root;
}

/** `a.b[2].c` or `a.b.2.c` → ["a", "b", 2, "c"]. */
export function parseDottedKey(dotted: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const segment of dotted.split(".")) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (!match) {
      parts.push(segment);
      continue;
    }
    const [, name = "", indices = ""] = match;
    if (name !== "") parts.push(/^\d+$/.test(name) ? Number(name) : name);
    for (const index of indices.matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]));
  }
  return parts;
}

/**
 * Parses one `-S` argument, as `dvc exp run -S` takes it: `[file:]key=value`; the value is read as YAML
 * (`3` → number, `true` → boolean, `[a, b]` → list, anything else → string).
 */
export function parseParamOverride(argument: string, defaultFile: string): ParamOverride {
  const equals = argument.indexOf("=");
  const left = equals < 0 ? argument : argument.slice(0, equals);
  const colon = left.lastIndexOf(":");
  const file = colon < 0 ? defaultFile : left.slice(0, colon);
  const key = colon < 0 ? left : left.slice(colon + 1);
  if (equals < 0 || key === "" || file === "") {
    throw new ProblemsError([
      {
        kind: "syntax",
        message: `cannot read parameter override ${JSON.stringify(argument)}`,
        expected: "[file:]key=value, e.g. pipeline.config.yaml:train.epochs=3",
      },
    ]);
  }
  const text = argument.slice(equals + 1);
  let value: unknown;
  try {
    value = text === "" ? "" : parseYaml(text);
  } catch {
    value = text;
  }
  return { file, key, value };
}

/** Groups parsed `-S` arguments by file, the shape of OCRFLOW_SET_PARAMS. */
export function groupParamOverrides(overrides: readonly ParamOverride[]): ParamOverridesByFile {
  const byFile: ParamOverridesByFile = {};
  for (const { file, key, value } of overrides) {
    const forFile = byFile[file] ?? {};
    forFile[key] = value;
    byFile[file] = forFile;
  }
  return byFile;
}

/** The overrides the engine passed for `file` (matched by resolved path); `{}` when there are none. */
export function readParamOverridesFromEnv(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): ParamOverrides {
  const text = env[PARAM_OVERRIDES_ENV];
  if (text === undefined || text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProblemsError([
      {
        kind: "syntax",
        message: `${PARAM_OVERRIDES_ENV} is not valid JSON: ${(error as Error).message}`,
        expected: '{"<params file>": {"<dotted key>": value}}',
      },
    ]);
  }
  if (!isPlainObject(parsed)) {
    throw new ProblemsError([
      {
        kind: "syntax",
        message: `${PARAM_OVERRIDES_ENV} must be a JSON object`,
        expected: '{"<params file>": {"<dotted key>": value}}',
      },
    ]);
  }
  const wanted = resolve(file);
  const result: ParamOverrides = {};
  for (const [name, overrides] of Object.entries(parsed)) {
    if (resolve(name) !== wanted || !isPlainObject(overrides)) continue;
    Object.assign(result, overrides);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Schema validation and human-readable problems.

/** Where a key path of the validated value lives in the file. */
type Locate = (keyPath: KeyPath) => { line: number; key: string };

class SchemaFileMissing extends Error {}

const compiled = new Map<string, { mtimeMs: number; validate: ValidateFunction }>();

/**
 * Compiles a JSON Schema file (draft 2020-12). Besides the standard keywords it knows `sumEquals: <n>` on a
 * mapping of numbers (e.g. split ratios), which JSON Schema itself cannot express.
 */
export function compileSchemaFile(schemaPath: string): ValidateFunction {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(schemaPath).mtimeMs;
  } catch {
    throw new SchemaFileMissing("file not found");
  }
  const cached = compiled.get(schemaPath);
  if (cached && cached.mtimeMs === mtimeMs) return cached.validate;
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as AnySchemaObject;
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
  });
  ajv.addKeyword({
    keyword: "sumEquals",
    type: "object",
    schemaType: "number",
    validate: (target: number, data: Record<string, unknown>) => {
      const values = Object.values(data);
      if (!values.every((v) => typeof v === "number")) return true; // type errors are reported on their own
      return Math.abs(sumOf(values as number[]) - target) <= 1e-9;
    },
  });
  const validate = ajv.compile(schema);
  compiled.set(schemaPath, { mtimeMs, validate });
  return validate;
}

/** Validates `value` and turns every ajv error into a Problem located with `locate`. */
function schemaProblems(
  validate: ValidateFunction,
  value: unknown,
  file: string,
  locate: Locate,
  note: (keyPath: KeyPath) => string,
): Problem[] {
  if (validate(value)) return [];
  const root = validate.schema as AnySchemaObject;
  const errors = dropBranchErrors(validate.errors ?? []);
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const problem = problemOf(error, value, root, file, locate, note);
    const id = `${problem.location?.key}|${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(problem);
  }
  return problems.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0));
}

/** For anyOf/oneOf, the errors of each branch are noise: keep only the one error saying no branch matched. */
function dropBranchErrors(errors: ErrorObject[]): ErrorObject[] {
  const branchRoots = errors
    .filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf")
    .map((e) => `${e.schemaPath}/`);
  return errors.filter((e) => !branchRoots.some((prefix) => e.schemaPath.startsWith(prefix)));
}

function problemOf(
  error: ErrorObject,
  value: unknown,
  root: AnySchemaObject,
  file: string,
  locate: Locate,
  note: (keyPath: KeyPath) => string,
): Problem {
  const path = keyPathOfPointer(error.instancePath, value);
  const parent = (error.parentSchema ?? {}) as AnySchemaObject;
  const params = error.params as Record<string, unknown>;
  let target: KeyPath = path;
  let message: string;
  let expected: string | undefined = describeSchema(parent, root);
  switch (error.keyword) {
    case "additionalProperties": {
      const name = String(params.additionalProperty);
      target = [...path, name];
      const known = Object.keys(collectProperties(parent, root));
      const guess = closestName(name, known);
      message = `unknown key \`${name}\`${guess ? `, did you mean \`${guess}\`?` : ""}`;
      expected = known.length > 0 ? `one of the keys ${known.join(", ")}` : "no keys here";
      break;
    }
    case "required": {
      const name = String(params.missingProperty);
      const where = locate(path);
      const child = schemaAt(root, [...path, name]);
      return {
        kind: "schema",
        message: `required key \`${name}\` is missing${withNote(note(path))}`,
        location: { file, line: where.line, key: formatKeyPath([...path, name]) },
        ...(child ? { expected: describeSchema(child, root) } : {}),
      };
    }
    case "type":
      message = `must be ${typeNames(params.type)}, not ${describeValue(error.data)}`;
      break;
    case "enum":
      message = `${describeValue(error.data)} is not allowed`;
      break;
    case "const":
      message = `must be ${JSON.stringify(params.allowedValue)}, not ${describeValue(error.data)}`;
      break;
    case "sumEquals": {
      const entries = Object.entries((error.data ?? {}) as Record<string, number>);
      const sum = sumOf(entries.map(([, v]) => v));
      message = `${entries.map(([k]) => k).join(" + ")} = ${formatNumber(sum)}, must add up to ${error.schema}`;
      expected = `values that add up to ${error.schema}`;
      break;
    }
    case "anyOf":
    case "oneOf":
      message = `${describeValue(error.data)} does not fit`;
      break;
    default:
      message = error.message ?? `fails ${error.keyword}`;
      if (
        error.data !== undefined &&
        ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"].includes(error.keyword)
      ) {
        message += `, got ${describeValue(error.data)}`;
      }
  }
  const where = locate(target);
  return {
    kind: "schema",
    message: `${message}${withNote(note(target))}`,
    location: { file, line: where.line, key: where.key },
    ...(expected ? { expected } : {}),
  };
}

function withNote(text: string): string {
  return text === "" ? "" : ` (${text})`;
}

/** Says which overrides touched a key, so a bad `-S` value is not blamed on the file. */
function overrideNote(overrides: ParamOverrides): (keyPath: KeyPath) => string {
  return (keyPath) => overrideText(overrides, keyPath);
}

function overrideText(overrides: ParamOverrides, keyPath: KeyPath): string {
  const key = formatKeyPath(keyPath);
  const touching = Object.entries(overrides).filter(([dotted]) => {
    const other = formatKeyPath(parseDottedKey(dotted));
    return (
      other === key ||
      other.startsWith(`${key}.`) ||
      other.startsWith(`${key}[`) ||
      key.startsWith(`${other}.`)
    );
  });
  if (touching.length === 0) return "";
  return `set by override ${touching.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}`;
}

/** `/a/b/0/c` → ["a", "b", 0, "c"], numbers only where the value there is a list. */
function keyPathOfPointer(pointer: string, value: unknown): KeyPath {
  if (pointer === "") return [];
  const path: Array<string | number> = [];
  let node = value;
  for (const raw of pointer.slice(1).split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node) && /^\d+$/.test(part)) {
      path.push(Number(part));
      node = node[Number(part)];
    } else {
      path.push(part);
      node = isPlainObject(node) ? node[part] : undefined;
    }
  }
  return path;
}

/** Follows a local `$ref` (`#/$defs/x`), keeping the referring schema's own keywords on top. */
function deref(schema: AnySchemaObject, root: AnySchemaObject): AnySchemaObject {
  let current = schema;
  for (let hops = 0; hops < 20 && typeof current.$ref === "string" && current.$ref.startsWith("#"); hops++) {
    const { $ref, ...siblings } = current;
    const target = getIn(root, pointerParts($ref as string));
    if (!isPlainObject(target)) break;
    current = { ...(target as AnySchemaObject), ...siblings };
  }
  return current;
}

/**
 * All `properties` a schema declares, through `$ref` and `allOf`; where a `$ref` and its siblings both declare
 * a property (the `required` overlay style), the two are combined with `allOf`.
 */
function collectProperties(schema: AnySchemaObject, root: AnySchemaObject): Record<string, AnySchemaObject> {
  const out: Record<string, AnySchemaObject> = {};
  const add = (name: string, property: AnySchemaObject): void => {
    const existing = out[name];
    out[name] = existing ? { allOf: [existing, property] } : property;
  };
  if (typeof schema.$ref === "string" && schema.$ref.startsWith("#")) {
    const target = getIn(root, pointerParts(schema.$ref));
    if (isPlainObject(target)) {
      for (const [name, property] of Object.entries(collectProperties(target, root))) add(name, property);
    }
  }
  for (const part of (schema.allOf ?? []) as AnySchemaObject[]) {
    for (const [name, property] of Object.entries(collectProperties(part, root))) add(name, property);
  }
  for (const [name, property] of Object.entries(
    (schema.properties ?? {}) as Record<string, AnySchemaObject>,
  )) {
    add(name, property);
  }
  return out;
}

/** The schema that applies at a key path of the document, or undefined where none is declared. */
function schemaAt(root: AnySchemaObject, keyPath: KeyPath): AnySchemaObject | undefined {
  let schema: AnySchemaObject | undefined = root;
  for (const part of keyPath) {
    if (schema === undefined) return undefined;
    if (typeof part === "number") {
      const items: unknown = deref(schema, root).items;
      schema = isPlainObject(items) ? items : undefined;
      continue;
    }
    const additional: unknown = deref(schema, root).additionalProperties;
    schema = collectProperties(schema, root)[part] ?? (isPlainObject(additional) ? additional : undefined);
  }
  return schema;
}

function pointerParts(ref: string): string[] {
  return ref
    .slice(1)
    .split("/")
    .filter((p) => p !== "")
    .map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A short English description of what a schema accepts: "a number between 0 and 1", "one of "a", "b"". */
export function describeSchema(schema: AnySchemaObject, root: AnySchemaObject = schema): string | undefined {
  const s = deref(schema, root);
  if (Array.isArray(s.allOf)) {
    const parts = (s.allOf as AnySchemaObject[]).map((part) => describeSchema(part, root));
    const own = describeSchema({ ...s, allOf: undefined }, root);
    return own ?? parts.find((d) => d !== undefined);
  }
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  const branches = (s.anyOf ?? s.oneOf) as AnySchemaObject[] | undefined;
  if (Array.isArray(branches)) {
    const parts = branches.map((b) => describeSchema(b, root)).filter((d): d is string => d !== undefined);
    return parts.length > 0 ? parts.join(" or ") : undefined;
  }
  const types: string[] = Array.isArray(s.type) ? s.type : typeof s.type === "string" ? [s.type] : [];
  if (types.length === 0) return undefined;
  return types.map((type) => describeType(type, s, root)).join(" or ");
}

function describeType(type: string, s: AnySchemaObject, root: AnySchemaObject): string {
  switch (type) {
    case "integer":
    case "number": {
      const noun = type === "integer" ? "an integer" : "a number";
      const low = s.minimum as number | undefined;
      const high = s.maximum as number | undefined;
      if (low !== undefined && high !== undefined) return `${noun} between ${low} and ${high}`;
      const bounds: string[] = [];
      if (low !== undefined) bounds.push(`>= ${low}`);
      if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
      if (high !== undefined) bounds.push(`<= ${high}`);
      if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
      return bounds.length > 0 ? `${noun} ${bounds.join(" and ")}` : noun;
    }
    case "string": {
      if (typeof s.pattern === "string") return `a string matching /${s.pattern}/`;
      return s.minLength !== undefined && s.minLength > 0 ? "a non-empty string" : "a string";
    }
    case "boolean":
      return "true or false";
    case "null":
      return "null";
    case "array": {
      const items = isPlainObject(s.items) ? describeSchema(s.items as AnySchemaObject, root) : undefined;
      const size =
        s.minItems !== undefined && s.minItems === s.maxItems
          ? ` of ${s.minItems}`
          : s.minItems !== undefined && s.minItems > 0
            ? " (not empty)"
            : "";
      return items ? `a list${size} of ${stripArticle(items)}` : `a list${size}`;
    }
    case "object":
      return "a mapping";
    default:
      return type;
  }
}

/** The known key a typo most likely meant: at most a third of its letters wrong. */
function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Edits (insert, delete, replace, swap of neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const above = rows[i - 1] ?? [];
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row[j] = best;
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

function stripArticle(text: string): string {
  return text.replace(/^(an?) /, "");
}

function typeNames(type: unknown): string {
  const names = String(type)
    .split(",")
    .map((t) =>
      t === "integer"
        ? "an integer"
        : t === "object"
          ? "a mapping"
          : t === "array"
            ? "a list"
            : t === "null"
              ? "null"
              : `a ${t}`,
    );
  return names.join(" or ");
}

function describeValue(data: unknown): string {
  if (data === null) return "null";
  if (Array.isArray(data)) return "a list";
  if (typeof data === "object") return "a mapping";
  const text = JSON.stringify(data);
  return text.length > 40 ? `${text.slice(0, 37)}..."` : text;
}

function sumOf(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function formatNumber(n: number): string {
  return String(Number(n.toPrecision(12)));
}

function getIn(value: unknown, path: KeyPath): unknown {
  let node = value;
  for (const part of path) {
    if (Array.isArray(node) && typeof part === "number") node = node[part];
    else if (isPlainObject(node)) node = node[String(part)];
    else return undefined;
  }
  return node;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isContainer(value: unknown): value is Record<string | number, unknown> {
  return typeof value === "object" && value !== null;
}
