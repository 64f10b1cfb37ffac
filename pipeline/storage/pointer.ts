// `.dvc` pointer files as `dvc add` writes them: `outs: - {md5, size, [nfiles], [isexec], hash: md5, path}`
// in DVC's key order (Output.dumpd), other keys (desc, meta, remote, push, deps…) kept as they were.
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { writeFileAtomic } from "../atomic.ts";
import { type Problem, ProblemsError } from "../errors.ts";
import { parseYamlSource } from "../yaml-source.ts";

export interface PointerOut {
  /** Path relative to the directory holding the `.dvc` file (its wdir), `/`-separated. */
  path: string;
  /** The file md5 or `<md5>.dir`; absent in a pointer written before the data was committed. */
  md5?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** `md5` for DVC 3 entries; absent means a 2.x entry hashed with dos2unix. */
  hash?: "md5";
  /** Keys this module does not interpret (desc, type, labels, meta, cache, persist, remote, push), in order. */
  extra: Record<string, unknown>;
}

export interface PointerFile {
  outs: PointerOut[];
  /** Top-level keys other than `outs` (deps, wdir, frozen, md5 of 2.x files, meta), kept on rewrite. */
  extra: Record<string, unknown>;
}

const OWN_OUT_KEYS = new Set(["md5", "size", "nfiles", "isexec", "hash", "path"]);

/** Parses the text of a `.dvc` file; every problem is reported with its line. */
export function parsePointerFile(text: string, displayName: string): PointerFile {
  const src = parseYamlSource(text, displayName);
  const problems: Problem[] = [];
  const where = (key: string) => ({ file: displayName, line: src.lineOf([key]), key });
  const doc = src.value;
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ProblemsError([
      {
        kind: "schema",
        message: "a .dvc file must be a mapping with `outs`",
        location: { file: displayName },
      },
    ]);
  }
  const raw = doc as Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (k !== "outs") extra[k] = v;
  const outs: PointerOut[] = [];
  if (!Array.isArray(raw.outs)) {
    problems.push({ kind: "schema", message: "`outs` must be a list", location: where("outs") });
  } else {
    raw.outs.forEach((item, i) => {
      const key = `outs[${i}]`;
      const loc = { file: displayName, line: src.lineOf(["outs", i]), key };
      if (
        item === null ||
        typeof item !== "object" ||
        typeof (item as { path?: unknown }).path !== "string"
      ) {
        problems.push({ kind: "schema", message: "an out needs a `path`", location: loc });
        return;
      }
      const o = item as Record<string, unknown>;
      const out: PointerOut = { path: o.path as string, extra: {} };
      if (typeof o.md5 === "string") out.md5 = o.md5;
      if (typeof o.size === "number") out.size = o.size;
      if (typeof o.nfiles === "number") out.nfiles = o.nfiles;
      if (o.isexec === true) out.isexec = true;
      if (o.hash === "md5") out.hash = "md5";
      else if (o.hash !== undefined) {
        problems.push({
          kind: "schema",
          message: `unsupported hash '${String(o.hash)}'`,
          location: loc,
          expected: "hash: md5",
        });
      }
      if (out.md5 !== undefined && !/^[0-9a-f]{32}(\.dir)?$/.test(out.md5)) {
        problems.push({ kind: "schema", message: `bad md5 '${out.md5}'`, location: loc });
      }
      for (const [k, v] of Object.entries(o)) if (!OWN_OUT_KEYS.has(k)) out.extra[k] = v;
      outs.push(out);
    });
  }
  if (problems.length > 0) throw new ProblemsError(problems);
  return { outs, extra };
}

export function readPointerFile(absPath: string, displayName = absPath): PointerFile {
  return parsePointerFile(readFileSync(absPath, "utf8"), displayName);
}

/** The out as DVC's Output.dumpd orders it: hash info and meta, `hash: md5`, `path`, then the flags. */
function orderedOut(out: PointerOut): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (out.md5 !== undefined) o.md5 = out.md5;
  if (out.size !== undefined) o.size = out.size;
  if (out.nfiles !== undefined) o.nfiles = out.nfiles;
  if (out.isexec) o.isexec = true;
  if (out.hash !== undefined) o.hash = out.hash;
  o.path = out.path;
  for (const [k, v] of Object.entries(out.extra)) o[k] = v;
  return o;
}

/** Text of a `.dvc` file: `outs` first (as DVC writes a fresh one), then the other keys it had. */
export function serializePointerFile(pointer: PointerFile): string {
  const doc: Record<string, unknown> = { outs: pointer.outs.map(orderedOut) };
  for (const [k, v] of Object.entries(pointer.extra)) doc[k] = v;
  return stringify(doc, { singleQuote: true, indentSeq: false, lineWidth: 0, compat: "yaml-1.1" });
}

export function writePointerFile(absPath: string, pointer: PointerFile): void {
  writeFileAtomic(absPath, serializePointerFile(pointer));
}
