// The Hugging Face Hub registry: one model repo per model (created when missing), one commit per publication
// with the model files (weights through LFS, as the Hub decides), scores.json and a generated model card.
import { readFileSync } from "node:fs";
import { commit, createRepo, downloadFile, type RepoId, repoExists } from "@huggingface/hub";
import { renderModelCard } from "./model-card.ts";
import {
  digestOfModelFiles,
  listModelFiles,
  type ModelRef,
  type ModelRegistry,
  type PublishedModel,
  type PublishRequest,
  publishedScoresFile,
  readModelConfig,
  redactSecrets,
} from "./registry.ts";
import { type Publication, parseScoresFile } from "./scores.ts";

export interface HuggingFaceRegistryOptions {
  /** `ns/name`; `{model}` is replaced by the architecture, `{size}` by the size, `{name}` by the model name. */
  repoId: string;
  private: boolean;
  /** Hub endpoint, `https://huggingface.co` or a self-hosted / test server. */
  hubUrl: string;
  license: string;
  /** An `hf_…` access token with write access (HF_TOKEN). Kept private and redacted from every error. */
  token: string;
  /** Injected by tests. */
  fetch?: typeof fetch;
  now?: () => Date;
}

/** Why the Hub registry cannot be used: no token, or not one the Hub library accepts. */
export class HubTokenError extends Error {
  override name = "HubTokenError";
}

/** Reads HF_TOKEN; throws HubTokenError (never quoting the value) when it is missing or malformed. */
export function hubTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const token = env.HF_TOKEN?.trim();
  if (!token)
    throw new HubTokenError("registry.backend is huggingface but HF_TOKEN is not set: export a write token");
  if (!token.startsWith("hf_")) throw new HubTokenError("HF_TOKEN does not look like a Hub token (hf_…)");
  return token;
}

export class HuggingFaceRegistry implements ModelRegistry {
  readonly kind = "huggingface" as const;
  /** Private so that neither JSON.stringify nor util.inspect of the registry shows it. */
  readonly #token: string;
  readonly #now: () => Date;
  readonly #options: Omit<HuggingFaceRegistryOptions, "token">;

  constructor(options: HuggingFaceRegistryOptions) {
    const { token, ...rest } = options;
    this.#token = token;
    this.#options = { ...rest, hubUrl: rest.hubUrl.replace(/\/+$/, "") };
    this.#now = options.now ?? (() => new Date());
  }

  /** The Hub repo of a model: the configured template with its placeholders filled in. */
  repoIdFor(model: ModelRef): string {
    const id = this.#options.repoId
      .replaceAll("{model}", model.architecture)
      .replaceAll("{size}", model.size ?? "base")
      .replaceAll("{name}", model.name);
    if (!/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(id))
      throw new Error(
        `registry.huggingface.repo_id gives '${id}' for ${model.name}: not a Hub repo id (ns/name)`,
      );
    return id;
  }

  locate(model: ModelRef): string {
    return `${this.#options.hubUrl}/${this.repoIdFor(model)}`;
  }

  async latest(model: ModelRef): Promise<PublishedModel | null> {
    return this.#guard(async () => {
      const repo = this.#repo(model);
      if (!(await repoExists({ repo, ...this.#common() }))) return null;
      return this.#readPublished(model, repo);
    });
  }

  async publish(request: PublishRequest): Promise<PublishedModel> {
    return this.#guard(async () => {
      const repo = this.#repo(request.model);
      const exists = await repoExists({ repo, ...this.#common() });
      const previous = exists ? await this.#readPublished(request.model, repo) : null;
      if (!exists)
        await createRepo({
          repo,
          ...this.#common(),
          private: this.#options.private,
          license: this.#options.license,
        });
      const files = listModelFiles(request.dir);
      const publication: Publication = {
        name: request.model.name,
        version: (previous?.publication.version ?? 0) + 1,
        digest: digestOfModelFiles(files),
        published_at: this.#now().toISOString(),
      };
      const modelConfig = readModelConfig(request.dir);
      const card = renderModelCard({
        model: request.model,
        evaluation: request.evaluation,
        publication,
        license: this.#options.license,
        repoId: repo.name,
        files,
        ...(modelConfig ? { modelConfig } : {}),
      });
      const scores = `${JSON.stringify(publishedScoresFile(request, publication), null, 2)}\n`;
      const output = await commit({
        repo,
        ...this.#common(),
        title: `Publish ${request.model.name} v${publication.version}`,
        description: [
          `exact match ${request.model.exact_match}, CER ${request.model.cer} (${request.evaluation.split})`,
          `digest ${publication.digest}`,
          ...(request.note ? [request.note] : []),
        ].join("\n"),
        operations: [
          ...files.map((file) => ({
            operation: "addOrUpdate" as const,
            path: file.path,
            content: new Blob([readFileSync(file.absolute)]),
          })),
          { operation: "addOrUpdate" as const, path: "scores.json", content: new Blob([scores]) },
          { operation: "addOrUpdate" as const, path: "README.md", content: new Blob([card]) },
        ],
      });
      const location = output?.commit.url ?? this.locate(request.model);
      return { publication, scores: request.model, location };
    });
  }

  #repo(model: ModelRef): RepoId {
    return { type: "model", name: this.repoIdFor(model) };
  }

  #common(): { accessToken: string; hubUrl: string; fetch?: typeof fetch } {
    return {
      accessToken: this.#token,
      hubUrl: this.#options.hubUrl,
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    };
  }

  /** The published scores.json of a repo, or null when the repo has none (created by hand, say). */
  async #readPublished(model: ModelRef, repo: RepoId): Promise<PublishedModel | null> {
    const blob = await downloadFile({ repo, path: "scores.json", ...this.#common() });
    if (!blob) return null;
    const scores = parseScoresFile(await blob.text(), `${repo.name}/scores.json`);
    const entry = scores.models.find((m) => m.name === model.name) ?? scores.models[0];
    if (!entry) return null;
    // A scores.json put there by other means counts as version 0: the next publication is v1.
    const publication = scores.publication ?? { name: entry.name, version: 0, digest: "", published_at: "" };
    return { publication, scores: entry, location: `${this.#options.hubUrl}/${repo.name}` };
  }

  /** Runs a Hub call; any error comes out with the token redacted from its message and stack. */
  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const original = error instanceof Error ? error : new Error(String(error));
      const redacted = new Error(redactSecrets(`Hugging Face Hub: ${original.message}`, [this.#token]));
      redacted.name = original.name;
      redacted.stack = redactSecrets(original.stack ?? redacted.message, [this.#token]);
      throw redacted;
    }
  }
}
