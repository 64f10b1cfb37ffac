// Finds and loads the recognizer used for scans: a model directory (models/io.ts) wrapped as a Recognizer on
// the best tfjs backend, loaded only when a page actually needs recognition.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { GreyImage } from "../datasets/augment.ts";
import type { Recognition, Recognizer } from "../models/recognizer.ts";

/**
 * Where `ocrflow compare` and `predict` look for a model when --model is not given: master-tiny, the more accurate
 * of the two shipped models (README, "Pretrained models").
 */
export const DEFAULT_MODEL_DIR = join("models", "pretrained", "master-tiny");

/**
 * The model directory to use: the one given, else the default under `cwd`, else the one shipped with ocrflow
 * itself (next to its sources or dist/), else undefined.
 */
export function resolveModelDir(given: string | undefined, cwd = process.cwd()): string | undefined {
  if (given) return resolve(cwd, given);
  return findModelDir(DEFAULT_MODEL_DIR, cwd);
}

/** `relative` (a model directory) under `cwd`, else under ocrflow's own folder, else undefined. */
function findModelDir(relative: string, cwd: string): string | undefined {
  const roots = [resolve(cwd)];
  const own = packageRoot();
  if (own && own !== roots[0]) roots.push(own);
  for (const root of roots) {
    const candidate = resolve(root, relative);
    if (existsSync(join(candidate, "model.json"))) return candidate;
  }
  return undefined;
}

/** A reading with, when a second model read the image differently, that model's reading. */
export interface CheckedRecognition extends Recognition {
  alternative?: string;
}

/**
 * Reads every image with `primary` and `second`: the texts and confidences are the primary's, and an image the
 * two read differently carries the second's reading as `alternative`. Models of different architectures make
 * different mistakes, so a disagreement marks a likely misreading (bench/cross-check.ts, documents/README.md).
 */
export function crossChecked(
  primary: Recognizer,
  second: Recognizer,
): Recognizer & { recognize(images: readonly GreyImage[]): Promise<CheckedRecognition[]> } {
  return {
    input: primary.input,
    async recognize(images) {
      const first = await primary.recognize(images);
      const other = await second.recognize(images);
      return first.map((r, i) => {
        const alternative = other[i]?.text.trim() ?? "";
        return alternative === r.text.trim() ? r : { ...r, alternative };
      });
    },
  };
}

/**
 * The model that cross-checks `primary` (a model directory) when `compare --cross-check` names none: the shipped
 * model of another architecture than the primary's (config.json), so that the two make different mistakes.
 */
export function defaultCrossCheckDir(primary: string, cwd = process.cwd()): string | undefined {
  const architecture = architectureOf(primary);
  for (const name of ["master-tiny", "parseq-tiny"]) {
    const dir = findModelDir(join(dirname(DEFAULT_MODEL_DIR), name), cwd);
    if (dir && resolve(dir) !== resolve(primary) && architectureOf(dir) !== architecture) return dir;
  }
  return undefined;
}

/** The `architecture` of a model directory's config.json; undefined when it cannot be read. */
function architectureOf(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { architecture?: string })
      .architecture;
  } catch {
    return undefined;
  }
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
