// The registry package's surface and the choice of backend from config: a local folder by default, the
// Hugging Face Hub when `registry.backend` is `huggingface` (with HF_TOKEN from the environment).
import { resolve } from "node:path";
import { HuggingFaceRegistry, hubTokenFromEnv } from "./huggingface.ts";
import { LocalRegistry } from "./local.ts";
import type { ModelRegistry } from "./registry.ts";

export { HubTokenError, HuggingFaceRegistry, hubTokenFromEnv } from "./huggingface.ts";
export { LocalRegistry } from "./local.ts";
export { modelCardMetadata, renderModelCard } from "./model-card.ts";
export {
  type PublishAction,
  type PublishModelsOptions,
  type PublishOutcome,
  publishModels,
} from "./policy.ts";
export type { ModelRef, ModelRegistry, PublishedModel, PublishRequest } from "./registry.ts";
export {
  compareScores,
  type ModelScores,
  type Publication,
  parseScoresFile,
  type ScoresFile,
  ScoresFormatError,
  type Thresholds,
  thresholdFailure,
} from "./scores.ts";

/** The `registry` section of pipeline.config.yaml, as far as the backends need it. */
export interface RegistrySettings {
  backend: "local" | "huggingface";
  local: { dir: string };
  huggingface: { repo_id: string; private: boolean; hub_url: string; license: string };
}

export interface CreateRegistryOptions {
  /** Base for a relative `local.dir`; defaults to the current folder (the repo root, where stages run). */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Injected by tests. */
  fetch?: typeof fetch;
  now?: () => Date;
}

export function createRegistry(
  settings: RegistrySettings,
  options: CreateRegistryOptions = {},
): ModelRegistry {
  const now = options.now ? { now: options.now } : {};
  if (settings.backend === "huggingface") {
    const hf = settings.huggingface;
    return new HuggingFaceRegistry({
      repoId: hf.repo_id,
      private: hf.private,
      hubUrl: hf.hub_url,
      license: hf.license,
      token: hubTokenFromEnv(options.env),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...now,
    });
  }
  return new LocalRegistry(resolve(options.root ?? ".", settings.local.dir), {
    license: settings.huggingface.license,
    ...now,
  });
}
