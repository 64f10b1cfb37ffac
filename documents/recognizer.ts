// Finds and loads the recognizer used for scans: a model directory (models/io.ts) wrapped as a Recognizer on
// the best tfjs backend, loaded only when a page actually needs recognition.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Recognizer } from "../models/recognizer.ts";

/** Where `ocrflow compare` looks for a model when --model is not given. */
export const DEFAULT_MODEL_DIR = join("models", "pretrained", "parseq-tiny");

/**
 * The model directory to use: the one given, else the default under `cwd`, else the one shipped with ocrflow
 * itself (next to its sources or dist/), else undefined.
 */
export function resolveModelDir(given: string | undefined, cwd = process.cwd()): string | undefined {
  if (given) return resolve(cwd, given);
  const roots = [resolve(cwd)];
  const own = packageRoot();
  if (own && own !== roots[0]) roots.push(own);
  for (const root of roots) {
    const candidate = resolve(root, DEFAULT_MODEL_DIR);
    if (existsSync(join(candidate, "model.json"))) return candidate;
  }
  return undefined;
}

export async function loadRecognizer(dir: string, backend?: string): Promise<Recognizer> {
  if (!existsSync(join(dir, "model.json"))) throw new Error(`${dir}: no model.json (not a model directory)`);
  const { chooseBackend } = await import("../models/backend/index.ts");
  await chooseBackend({ force: backend, log: () => {} });
  const { loadModelDirectory } = await import("../models/io.ts");
  const { asRecognizer } = await import("../models/recognizer.ts");
  return asRecognizer(loadModelDirectory(dir).model);
}

/** ocrflow's own folder: the nearest one above this module with a package.json (sources or dist/). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
