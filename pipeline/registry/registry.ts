// The ModelRegistry interface that the publish stage talks to, and what every backend shares: listing a
// model directory's files, their digest, and the per-model scores.json a published copy carries.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { ModelScores, Publication, ScoresFile } from "./scores.ts";

/** The fields that identify a model to a registry (its folder or Hub repo). */
export type ModelRef = Pick<ModelScores, "name" | "architecture" | "size">;

export interface PublishRequest {
  /** The model's entry from scores.json. */
  model: ModelScores;
  /** The evaluation the figures come from (split, dataset); copied into the published scores.json and card. */
  evaluation: Pick<ScoresFile, "split" | "dataset">;
  /** The model directory to publish (model.json + weights, charset.json, config.json…). */
  dir: string;
  /** Extra line for the commit message or the version record, e.g. the git revision it was trained at. */
  note?: string;
}

export interface PublishedModel {
  publication: Publication;
  scores: ModelScores;
  /** Where this version is: a folder for the local registry, a commit URL on the Hub. */
  location: string;
}

/** Where published models go. Implementations: LocalRegistry (a folder), HuggingFaceRegistry (the Hub). */
export interface ModelRegistry {
  readonly kind: "local" | "huggingface";
  /** Where a model's versions are kept (a folder, a repo URL), for messages. */
  locate(model: ModelRef): string;
  /** The newest published version of a model, or null when none was published. */
  latest(model: ModelRef): Promise<PublishedModel | null>;
  /** Publishes a new version: the model directory, a scores.json with this model only, and a model card. */
  publish(request: PublishRequest): Promise<PublishedModel>;
}

/** Files the registry writes itself into every published copy; a model directory's own are replaced. */
export const GENERATED_FILES = ["README.md", "scores.json"] as const;

export interface ModelFile {
  /** Relative to the model directory, with `/` separators. */
  path: string;
  absolute: string;
  size: number;
}

/** Every file under a model directory (sorted by path), without the ones the registry generates. */
export function listModelFiles(dir: string): ModelFile[] {
  const out: ModelFile[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const absolute = join(current, entry.name);
      if (entry.isDirectory()) pending.push(absolute);
      else if (entry.isFile()) {
        const path = relative(dir, absolute).split(sep).join("/");
        if (!(GENERATED_FILES as readonly string[]).includes(path))
          out.push({ path, absolute, size: statSync(absolute).size });
      }
    }
  }
  if (!out.some((f) => f.path === "model.json"))
    throw new Error(`${dir} holds no model.json: not a model directory`);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** sha256 over the files' paths and contents: the same model gives the same digest wherever it lies. */
export function digestOfModelFiles(files: readonly ModelFile[]): string {
  const hash = createHash("sha256");
  for (const file of files) {
    const content = createHash("sha256").update(readFileSync(file.absolute)).digest("hex");
    hash.update(`${file.path}\0${content}\n`);
  }
  return hash.digest("hex");
}

/** The scores.json that goes with one published model: its figures, the evaluation context, the version. */
export function publishedScoresFile(request: PublishRequest, publication: Publication): ScoresFile {
  return {
    split: request.evaluation.split,
    ...(request.evaluation.dataset ? { dataset: request.evaluation.dataset } : {}),
    models: [request.model],
    publication,
  };
}

/** Replaces every occurrence of each secret (4 characters or more) in text. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join("<redacted>");
  return out;
}

/** The model directory's config.json as an object, or undefined when it is missing or not an object. */
export function readModelConfig(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, "config.json");
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
