// Reads the parameter values a stage depends on (`params:` in dvc.yaml), with in-memory `-S file:key=value`
// overrides applied, in the flat `{file: {dotted.key: value}}` shape that dvc.lock records.
import { existsSync } from "node:fs";
import { join, posix } from "node:path";
import { applyParamOverrides, PARAM_OVERRIDES_ENV, type ParamOverridesByFile } from "./config.ts";
import { pickKey, readParamsFile, type StageDef } from "./dvcyaml.ts";

/** file (repo-relative) → dotted key → value; applied on top of the files' contents. */
export type ParamOverrides = ParamOverridesByFile;

export { PARAM_OVERRIDES_ENV };

export interface StageParams {
  values: Record<string, Record<string, unknown>>;
  /** Human-readable problems: a missing file or key, which makes the stage fail before running. */
  errors: string[];
}

/** Caches parsed params files for one engine invocation (many stages read the same file). */
export class ParamsReader {
  private readonly files = new Map<string, unknown>();

  constructor(
    private readonly root: string,
    private readonly overrides: ParamOverrides = {},
  ) {}

  /** Content of a repo-relative params file with overrides applied; undefined when it does not exist. */
  file(repoRelative: string): unknown {
    if (this.files.has(repoRelative)) return this.files.get(repoRelative);
    const abs = join(this.root, repoRelative);
    let value: unknown;
    if (existsSync(abs)) {
      value = applyParamOverrides(
        readParamsFile(abs, repoRelative) ?? {},
        this.overrides[repoRelative] ?? {},
      );
    }
    this.files.set(repoRelative, value);
    return value;
  }

  forStage(stage: StageDef): StageParams {
    const values: Record<string, Record<string, unknown>> = {};
    const errors: string[] = [];
    for (const def of stage.params) {
      const repoRelative = posix.normalize(posix.join(stage.wdir, def.file));
      let content: unknown;
      try {
        content = this.file(repoRelative);
      } catch (error) {
        errors.push((error as Error).message);
        continue;
      }
      if (content === undefined) {
        errors.push(`params file '${repoRelative}' does not exist`);
        continue;
      }
      const recorded: Record<string, unknown> = {};
      if (def.keys === null) {
        if (content !== null && typeof content === "object") Object.assign(recorded, content);
      } else {
        const missing: string[] = [];
        for (const key of def.keys) {
          const value = pickKey(content, key);
          if (value === undefined) missing.push(key);
          else recorded[key] = value;
        }
        if (missing.length > 0)
          errors.push(
            `parameters ${missing.map((k) => `'${k}'`).join(", ")} are missing from '${repoRelative}'`,
          );
      }
      // dvc.lock names the file as written in dvc.yaml (relative to the stage's wdir).
      values[def.file] = recorded;
    }
    return { values, errors };
  }
}

/** Deep equality on plain YAML values (the param comparison DVC does key by key). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
