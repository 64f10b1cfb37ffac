// Reads dvc.yaml the way DVC 3 does (dvc/schema.py, dvc/parsing): vars and `${}` interpolation,
// foreach/do and matrix expansion into `name@key` stages, and every stage's deps, params and outs.
import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, join, posix } from "node:path";
import type { Location, Problem } from "./errors.ts";
import { type Context, InterpolationError, interpolateString, interpolateValue } from "./interpolate.ts";
import {
  formatKeyPath,
  type KeyPath,
  loadYamlSource,
  parseYamlSource,
  type YamlSource,
} from "./yaml-source.ts";

export type StageName = string & { __brand: "StageName" };

/** Which section of the stage an output came from; all three are outputs to the engine and to dvc.lock. */
export type OutKind = "outs" | "metrics" | "plots";

export interface OutDef {
  /** Path as written (after interpolation), relative to the stage's wdir. */
  path: string;
  kind: OutKind;
  /** `cache: false` outputs are hashed and recorded but not stored in the DVC cache. */
  cache: boolean;
  /** `persist: true` outputs are not deleted before the stage runs (checkpoints, incremental work). */
  persist: boolean;
  remote?: string;
  push?: boolean;
}

export interface ParamsDef {
  /** Params file relative to the stage's wdir (`params.yaml` by default). */
  file: string;
  /** Keys (dotted) to track; `null` tracks the whole file. */
  keys: string[] | null;
}

export interface StageDef {
  name: StageName;
  /** Commands in order; `cmdIsList` keeps DVC's distinction for dvc.lock (string vs list). */
  cmd: string[];
  cmdIsList: boolean;
  /** Working directory relative to the repo root, posix, "." for the root. */
  wdir: string;
  deps: string[];
  params: ParamsDef[];
  outs: OutDef[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
  location: Location;
}

export interface PipelineDef {
  /** Absolute directory holding dvc.yaml; every relative path is resolved against it. */
  root: string;
  file: string;
  stages: StageDef[];
  problems: Problem[];
}

const STAGE_KEYS = new Set([
  "cmd",
  "wdir",
  "deps",
  "params",
  "outs",
  "metrics",
  "plots",
  "frozen",
  "always_changed",
  "desc",
  "meta",
  "vars",
]);
const TOP_KEYS = new Set(["stages", "vars", "params", "metrics", "plots", "artifacts", "datasets"]);
const OUT_FLAG_KEYS = new Set([
  "cache",
  "persist",
  "remote",
  "push",
  "desc",
  "type",
  "labels",
  "meta",
  "checkpoint",
]);
const PLOT_KEYS = new Set(["x", "y", "template", "title", "x_label", "y_label", "header"]);

export const DEFAULT_PARAMS_FILE = "params.yaml";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Loads a params/vars file (YAML or JSON) as a plain value; other formats are reported as unsupported. */
export function readParamsFile(path: string, displayName: string): unknown {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") {
    try {
      return JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new InterpolationError(`${displayName}: ${(error as Error).message}`);
    }
  }
  if (ext === ".yaml" || ext === ".yml" || ext === "") return loadYamlSource(path, displayName).value;
  throw new InterpolationError(
    `${displayName}: params files of type '${ext}' are not supported (use YAML or JSON)`,
  );
}

/** Picks `a.b` from a nested value; undefined when absent. */
export function pickKey(value: unknown, dotted: string): unknown {
  let node: unknown = value;
  for (const part of dotted.split(".")) {
    if (isRecord(node) && Object.hasOwn(node, part)) node = node[part];
    else if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
    else return undefined;
  }
  return node;
}

class Parser {
  readonly problems: Problem[] = [];
  readonly stages: StageDef[] = [];

  constructor(
    readonly src: YamlSource,
    readonly root: string,
  ) {}

  problem(kind: Problem["kind"], path: KeyPath, message: string, expected?: string): void {
    const location: Location = { file: this.src.file, line: this.src.lineOf(path), key: formatKeyPath(path) };
    this.problems.push(
      expected === undefined ? { kind, message, location } : { kind, message, location, expected },
    );
  }

  /** Merges `vars` entries (file names, `file:k1,k2`, inline dicts) into a context; collisions are errors. */
  loadVars(vars: unknown, base: Context, wdir: string, path: KeyPath): Context {
    const context: Context = { ...base };
    if (vars === undefined || vars === null) return context;
    if (!Array.isArray(vars)) {
      this.problem("schema", path, "vars must be a list", "a list of file names or dicts");
      return context;
    }
    vars.forEach((entry, index) => {
      let values: unknown;
      if (typeof entry === "string") {
        const [file, keyList] = entry.split(":", 2) as [string, string | undefined];
        const abs = join(this.root, wdir, file);
        if (!existsSync(abs)) {
          this.problem("missing-file", [...path, index], `vars file '${file}' not found`);
          return;
        }
        try {
          const loaded = readParamsFile(abs, posix.join(wdir, file));
          if (keyList) {
            const picked: Record<string, unknown> = {};
            for (const key of keyList.split(",").map((k) => k.trim())) picked[key] = pickKey(loaded, key);
            values = picked;
          } else values = loaded;
        } catch (error) {
          this.problem("syntax", [...path, index], (error as Error).message);
          return;
        }
      } else if (isRecord(entry)) {
        values = entry;
      } else {
        this.problem("schema", [...path, index], "vars entry must be a file name or a dict");
        return;
      }
      if (!isRecord(values)) return;
      for (const [key, value] of Object.entries(values)) {
        if (Object.hasOwn(context, key)) {
          this.problem("interpolation", [...path, index], `cannot redefine '${key}': it is already defined`);
          continue;
        }
        context[key] = value;
      }
    });
    return context;
  }

  /** Interpolates, reporting failures at `path` and returning undefined on error. */
  resolve<T = unknown>(value: unknown, context: Context, path: KeyPath, inCmd = false): T | undefined {
    try {
      return interpolateValue(value, context, inCmd) as T;
    } catch (error) {
      if (error instanceof InterpolationError) {
        this.problem("interpolation", path, error.message);
        return undefined;
      }
      throw error;
    }
  }

  parseTop(value: unknown, defaultContext: Context): void {
    if (value === null) return;
    if (!isRecord(value)) {
      this.problem("schema", [], "dvc.yaml must be a mapping", "a mapping with a `stages` key");
      return;
    }
    for (const key of Object.keys(value)) {
      if (!TOP_KEYS.has(key)) this.problem("schema", [key], `unknown key '${key}'`, [...TOP_KEYS].join(", "));
    }
    const context = this.loadVars(value.vars, defaultContext, ".", ["vars"]);
    const stages = value.stages;
    if (stages === undefined || stages === null) return;
    if (!isRecord(stages)) {
      this.problem("schema", ["stages"], "stages must be a mapping of stage names", "a mapping");
      return;
    }
    for (const [name, body] of Object.entries(stages)) this.parseStageEntry(name, body, context);
  }

  parseStageEntry(name: string, body: unknown, context: Context): void {
    const path: KeyPath = ["stages", name];
    if (name.includes("@") || !/^[^\s:/\\]+$/.test(name)) {
      this.problem("schema", path, `invalid stage name '${name}'`, "a name without '@', ':', '/', spaces");
      return;
    }
    if (!isRecord(body)) {
      this.problem("schema", path, "a stage must be a mapping", "a mapping with `cmd`");
      return;
    }
    if ("foreach" in body || "matrix" in body) {
      this.expandGenerated(name, body, context);
      return;
    }
    this.parseStage(name, body, context, path);
  }

  expandGenerated(name: string, body: Record<string, unknown>, context: Context): void {
    const path: KeyPath = ["stages", name];
    const template = body.do;
    if ("foreach" in body) {
      if (!isRecord(template)) {
        this.problem("schema", [...path, "do"], "foreach needs a `do` mapping");
        return;
      }
      let items = body.foreach;
      if (typeof items === "string") items = this.resolve(items, context, [...path, "foreach"]);
      if (items === undefined) return;
      const entries: Array<[string, unknown]> = [];
      if (Array.isArray(items)) {
        const complex = items.some((item) => item !== null && typeof item === "object");
        items.forEach((item, index) => {
          entries.push([complex ? String(index) : String(item), item]);
        });
      } else if (isRecord(items)) {
        entries.push(...Object.entries(items));
      } else {
        this.problem(
          "schema",
          [...path, "foreach"],
          "foreach must be a list, a dict or a `${}` that gives one",
        );
        return;
      }
      for (const [key, item] of entries) {
        const local: Context = { ...context, item, key };
        this.parseStage(`${name}@${key}`, template, local, [...path, "do"]);
      }
      return;
    }
    const matrix = body.matrix;
    if (!isRecord(matrix)) {
      this.problem("schema", [...path, "matrix"], "matrix must be a mapping of variable → list");
      return;
    }
    const dims: Array<{ variable: string; values: Array<{ key: string; value: unknown }> }> = [];
    for (const [variable, raw] of Object.entries(matrix)) {
      const values =
        typeof raw === "string" ? this.resolve(raw, context, [...path, "matrix", variable]) : raw;
      if (values === undefined) return;
      if (!Array.isArray(values)) {
        this.problem("schema", [...path, "matrix", variable], "matrix values must be a list");
        return;
      }
      dims.push({
        variable,
        values: values.map((value, index) => ({
          key: value !== null && typeof value === "object" ? `${variable}${index}` : String(value),
          value,
        })),
      });
    }
    let combos: Array<Array<{ variable: string; key: string; value: unknown }>> = [[]];
    for (const dim of dims) {
      combos = combos.flatMap((combo) => dim.values.map((v) => [...combo, { variable: dim.variable, ...v }]));
    }
    const stageBody: Record<string, unknown> = { ...body };
    delete stageBody.matrix;
    for (const combo of combos) {
      const item: Record<string, unknown> = {};
      for (const { variable, value } of combo) item[variable] = value;
      const key = combo.map((c) => c.key).join("-");
      this.parseStage(`${name}@${key}`, stageBody, { ...context, item, key }, path);
    }
  }

  parseStage(name: string, body: unknown, context: Context, path: KeyPath): void {
    if (!isRecord(body)) {
      this.problem("schema", path, "a stage must be a mapping", "a mapping with `cmd`");
      return;
    }
    const before = this.problems.length;
    for (const key of Object.keys(body)) {
      if (!STAGE_KEYS.has(key)) {
        this.problem("schema", [...path, key], `unknown stage key '${key}'`, [...STAGE_KEYS].join(", "));
      }
    }
    let wdir = ".";
    if (body.wdir !== undefined) {
      const resolved = this.resolve(body.wdir, context, [...path, "wdir"]);
      if (typeof resolved !== "string") {
        if (resolved !== undefined) this.problem("schema", [...path, "wdir"], "wdir must be a string");
      } else wdir = posix.normalize(resolved.replaceAll("\\", "/")).replace(/\/$/, "") || ".";
    }
    const local = this.loadVars(body.vars, context, wdir, [...path, "vars"]);

    const cmd: string[] = [];
    let cmdIsList = false;
    if (body.cmd === undefined || body.cmd === null) {
      this.problem("schema", path, "missing `cmd`", "a command string or a list of commands");
    } else {
      const rawCmds = Array.isArray(body.cmd) ? body.cmd : [body.cmd];
      cmdIsList = Array.isArray(body.cmd);
      rawCmds.forEach((raw, index) => {
        const itemPath = cmdIsList ? [...path, "cmd", index] : [...path, "cmd"];
        if (typeof raw !== "string") {
          this.problem("schema", itemPath, "cmd must be a string");
          return;
        }
        try {
          const value = interpolateString(raw, local, true);
          cmd.push(typeof value === "string" ? value : String(value));
        } catch (error) {
          if (!(error instanceof InterpolationError)) throw error;
          this.problem("interpolation", itemPath, error.message);
        }
      });
      if (cmd.length === 0 && rawCmds.length === 0) this.problem("schema", [...path, "cmd"], "cmd is empty");
    }

    const deps = this.stringList(body.deps, local, [...path, "deps"]);
    const params = this.parseParams(body.params, local, [...path, "params"]);
    const outs: OutDef[] = [];
    for (const kind of ["outs", "metrics", "plots"] as const) {
      outs.push(...this.parseOuts(body[kind], kind, local, [...path, kind]));
    }
    const frozen = this.bool(body.frozen, local, [...path, "frozen"]);
    const alwaysChanged = this.bool(body.always_changed, local, [...path, "always_changed"]);
    if (this.problems.length > before) return;
    const stage: StageDef = {
      name: name as StageName,
      cmd,
      cmdIsList,
      wdir,
      deps,
      params,
      outs,
      frozen,
      alwaysChanged,
      location: { file: this.src.file, line: this.src.lineOf(path), key: formatKeyPath(["stages", name]) },
    };
    if (typeof body.desc === "string") stage.desc = body.desc;
    this.stages.push(stage);
  }

  bool(value: unknown, context: Context, path: KeyPath): boolean {
    if (value === undefined || value === null) return false;
    const resolved = this.resolve(value, context, path);
    if (typeof resolved !== "boolean") {
      if (resolved !== undefined) this.problem("schema", path, "must be true or false", "a boolean");
      return false;
    }
    return resolved;
  }

  stringList(value: unknown, context: Context, path: KeyPath): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.problem("schema", path, "must be a list of paths", "a list");
      return [];
    }
    const out: string[] = [];
    value.forEach((item, index) => {
      const resolved = this.resolve(item, context, [...path, index]);
      if (typeof resolved === "string" && resolved !== "") out.push(resolved);
      else if (resolved !== undefined) this.problem("schema", [...path, index], "must be a path string");
    });
    return out;
  }

  parseParams(value: unknown, context: Context, path: KeyPath): ParamsDef[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.problem("schema", path, "params must be a list", "a list of keys or {file: [keys]}");
      return [];
    }
    const byFile = new Map<string, string[] | null>();
    const add = (file: string, keys: string[] | null) => {
      const existing = byFile.get(file);
      if (keys === null || existing === null) byFile.set(file, null);
      else byFile.set(file, [...new Set([...(existing ?? []), ...keys])]);
    };
    value.forEach((item, index) => {
      const itemPath = [...path, index];
      const resolved = this.resolve(item, context, itemPath);
      if (resolved === undefined) return;
      if (typeof resolved === "string") add(DEFAULT_PARAMS_FILE, [resolved]);
      else if (isRecord(resolved)) {
        for (const [file, keys] of Object.entries(resolved)) {
          if (keys === null) add(file, null);
          else if (Array.isArray(keys) && keys.every((k) => typeof k === "string"))
            add(file, keys as string[]);
          else this.problem("schema", [...itemPath, file], "must be a list of keys or null (whole file)");
        }
      } else this.problem("schema", itemPath, "must be a key or {file: [keys]}");
    });
    return [...byFile].map(([file, keys]) => ({ file, keys }));
  }

  parseOuts(value: unknown, kind: OutKind, context: Context, path: KeyPath): OutDef[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.problem("schema", path, `${kind} must be a list`, "a list of paths or {path: {flags}}");
      return [];
    }
    const outs: OutDef[] = [];
    value.forEach((item, index) => {
      const itemPath = [...path, index];
      const resolved = this.resolve(item, context, itemPath);
      if (resolved === undefined) return;
      const defaults: OutDef = { path: "", kind, cache: kind === "outs", persist: false };
      if (typeof resolved === "string") {
        outs.push({ ...defaults, path: resolved });
        return;
      }
      if (!isRecord(resolved) || Object.keys(resolved).length !== 1) {
        this.problem("schema", itemPath, `invalid ${kind} entry`, "a path or {path: {cache, persist, …}}");
        return;
      }
      const [outPath, flags] = Object.entries(resolved)[0] as [string, unknown];
      const out: OutDef = { ...defaults, path: outPath };
      if (flags !== null && flags !== undefined) {
        if (!isRecord(flags)) {
          this.problem("schema", [...itemPath, outPath], "output flags must be a mapping");
          return;
        }
        for (const [flag, flagValue] of Object.entries(flags)) {
          if (!OUT_FLAG_KEYS.has(flag) && !(kind === "plots" && PLOT_KEYS.has(flag))) {
            this.problem(
              "schema",
              [...itemPath, outPath, flag],
              `unknown output flag '${flag}'`,
              "cache, persist, remote, push, desc",
            );
          } else if (
            (flag === "cache" || flag === "persist" || flag === "push") &&
            typeof flagValue !== "boolean"
          ) {
            this.problem("schema", [...itemPath, outPath, flag], `${flag} must be true or false`);
          }
        }
        if (typeof flags.cache === "boolean") out.cache = flags.cache;
        if (typeof flags.persist === "boolean") out.persist = flags.persist;
        if (typeof flags.push === "boolean") out.push = flags.push;
        if (typeof flags.remote === "string") out.remote = flags.remote;
      }
      outs.push(out);
    });
    return outs;
  }
}

/** Parses dvc.yaml text (the default context comes from `params.yaml` beside it when present). */
export function parseDvcYaml(text: string, root: string, file = "dvc.yaml"): PipelineDef {
  let src: YamlSource;
  try {
    src = parseYamlSource(text, file);
  } catch (error) {
    const problems = (error as { problems?: Problem[] }).problems;
    if (problems) return { root, file, stages: [], problems };
    throw error;
  }
  const parser = new Parser(src, root);
  let defaultContext: Context = {};
  const paramsPath = join(root, DEFAULT_PARAMS_FILE);
  if (existsSync(paramsPath)) {
    try {
      const loaded = readParamsFile(paramsPath, DEFAULT_PARAMS_FILE);
      if (isRecord(loaded)) defaultContext = loaded;
    } catch (error) {
      const problems = (error as { problems?: Problem[] }).problems;
      parser.problems.push(
        ...(problems ?? [
          {
            kind: "syntax" as const,
            message: (error as Error).message,
            location: { file: DEFAULT_PARAMS_FILE },
          },
        ]),
      );
    }
  }
  parser.parseTop(src.value, defaultContext);
  const seen = new Map<string, StageDef>();
  for (const stage of parser.stages) {
    const previous = seen.get(stage.name);
    if (previous) {
      parser.problems.push({
        kind: "schema",
        message: `stage '${stage.name}' is defined twice (also at line ${previous.location.line})`,
        location: stage.location,
      });
    }
    seen.set(stage.name, stage);
  }
  return { root, file, stages: parser.stages, problems: parser.problems };
}

/** Reads and parses `<root>/dvc.yaml`. */
export function loadDvcYaml(dvcYamlPath: string): PipelineDef {
  const root = dirname(dvcYamlPath);
  let text: string;
  try {
    text = readFileSync(dvcYamlPath, "utf8");
  } catch {
    return {
      root,
      file: "dvc.yaml",
      stages: [],
      problems: [{ kind: "missing-file", message: "no dvc.yaml here", location: { file: dvcYamlPath } }],
    };
  }
  return parseDvcYaml(text, root);
}
