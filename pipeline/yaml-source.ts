// Loads a YAML file keeping the source positions, so any later check can point at file:line for a key path.
import { readFileSync } from "node:fs";
import { type Document, isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { type Problem, ProblemsError } from "./errors.ts";

export type KeyPath = ReadonlyArray<string | number>;

export interface YamlSource {
  file: string;
  text: string;
  /** Plain JS value of the document (`null` for an empty file). */
  value: unknown;
  /** 1-based line of the node at `path`; falls back to the deepest existing parent, then line 1. */
  lineOf(path: KeyPath): number;
}

/** Formats a key path as `a.b[2].c`, the style used in every error message. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** Parses YAML text; syntax errors become problems with their line. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document.Parsed = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: Problem[] = doc.errors.map((error) => ({
      kind: "syntax",
      message: error.message.split("\n")[0] ?? error.message,
      location: { file, line: lineCounter.linePos(error.pos[0]).line },
    }));
    throw new ProblemsError(problems);
  }
  const lineOf = (path: KeyPath): number => {
    let node: unknown = doc.contents;
    let line = 1;
    const lineOfNode = (n: unknown): number | undefined => {
      const range = (n as Node | null)?.range;
      return range ? lineCounter.linePos(range[0]).line : undefined;
    };
    line = lineOfNode(node) ?? line;
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => {
          const key = item.key as { value?: unknown } | null;
          return key !== null && typeof key === "object" && String(key.value) === String(part);
        });
        if (!pair) break;
        line = lineOfNode(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof part === "number") {
        const item = node.items[part];
        if (item === undefined) break;
        line = lineOfNode(item) ?? line;
        node = item;
      } else {
        break;
      }
    }
    return line;
  };
  return { file, text, value: doc.toJS({ maxAliasCount: 1000 }) ?? null, lineOf };
}

/** Reads and parses a YAML file; a missing file is a `missing-file` problem naming it. */
export function loadYamlSource(path: string, displayName = path): YamlSource {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ProblemsError([
      {
        kind: "missing-file",
        message: code === "ENOENT" ? "file not found" : `cannot read file (${code ?? String(error)})`,
        location: { file: displayName },
      },
    ]);
  }
  return parseYamlSource(text, displayName);
}
