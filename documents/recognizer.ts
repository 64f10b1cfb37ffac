// Finds and loads the recognizer used for scans: a model directory (models/io.ts) wrapped as a Recognizer on
// the best tfjs backend, loaded only when a page actually needs recognition.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Recognizer } from "../models/recognizer.ts";

/** Where `ocrflow compare` looks for a model when --model is not given. */
export const DEFAULT_MODEL_DIR = join("models", "pretrained", "parseq-tiny");

/** The model directory to use: the one given, else the default when it exists, else undefined. */
export function resolveModelDir(given: string | undefined, cwd = process.cwd()): string | undefined {
  if (given) return resolve(cwd, given);
  const fallback = resolve(cwd, DEFAULT_MODEL_DIR);
  return existsSync(join(fallback, "model.json")) ? fallback : undefined;
}

export async function loadRecognizer(dir: string, backend?: string): Promise<Recognizer> {
  if (!existsSync(join(dir, "model.json"))) throw new Error(`${dir}: no model.json (not a model directory)`);
  const { chooseBackend } = await import("../models/backend/index.ts");
  await chooseBackend({ force: backend, log: () => {} });
  const { loadModelDirectory } = await import("../models/io.ts");
  const { asRecognizer } = await import("../models/recognizer.ts");
  return asRecognizer(loadModelDirectory(dir).model);
}
