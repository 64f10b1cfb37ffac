// The embedded default registry: a folder with one sub-folder per model, a complete copy per version
// (`<root>/<name>/v<N>/`: model files, scores.json, README.md) and `<root>/<name>/versions.json`.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
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
} from "./registry.ts";
import type { Publication } from "./scores.ts";

export interface LocalRegistryOptions {
  /** License named in the model cards. */
  license: string;
  /** Injected by tests for stable timestamps. */
  now?: () => Date;
}

/** One line of versions.json: a publication and the figures it was published with. */
interface VersionRecord extends PublishedModel {
  note?: string;
}

/** Writes through a temporary name and a rename, so readers never see half a file. */
function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export class LocalRegistry implements ModelRegistry {
  readonly kind = "local" as const;
  readonly #now: () => Date;

  constructor(
    readonly root: string,
    private readonly options: LocalRegistryOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  locate(model: ModelRef): string {
    return join(this.root, model.name);
  }

  /** Every version of a model, oldest first; [] when it was never published. */
  versions(model: ModelRef): VersionRecord[] {
    const file = join(this.locate(model), "versions.json");
    if (!existsSync(file)) return [];
    const records = JSON.parse(readFileSync(file, "utf8")) as VersionRecord[];
    if (!Array.isArray(records)) throw new Error(`${file}: expected an array of versions`);
    return records;
  }

  async latest(model: ModelRef): Promise<PublishedModel | null> {
    const records = this.versions(model);
    const last = records[records.length - 1];
    if (!last) return null;
    return { publication: last.publication, scores: last.scores, location: last.location };
  }

  async publish(request: PublishRequest): Promise<PublishedModel> {
    const files = listModelFiles(request.dir);
    const records = this.versions(request.model);
    const version = records.reduce((max, r) => Math.max(max, r.publication.version), 0) + 1;
    const publication: Publication = {
      name: request.model.name,
      version,
      digest: digestOfModelFiles(files),
      published_at: this.#now().toISOString(),
    };
    const modelRoot = this.locate(request.model);
    const target = join(modelRoot, `v${version}`);
    if (existsSync(target))
      throw new Error(`${target} already exists: versions.json is out of step with the folder`);
    const tmp = join(modelRoot, `.v${version}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    try {
      for (const file of files) {
        const to = join(tmp, ...file.path.split("/"));
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(file.absolute, to);
      }
      writeFileSync(
        join(tmp, "scores.json"),
        `${JSON.stringify(publishedScoresFile(request, publication), null, 2)}\n`,
      );
      const modelConfig = readModelConfig(request.dir);
      writeFileSync(
        join(tmp, "README.md"),
        renderModelCard({
          model: request.model,
          evaluation: request.evaluation,
          publication,
          license: this.options.license,
          files,
          ...(modelConfig ? { modelConfig } : {}),
        }),
      );
      renameSync(tmp, target);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw error;
    }
    const published: VersionRecord = {
      publication,
      scores: request.model,
      location: target,
      ...(request.note ? { note: request.note } : {}),
    };
    writeFileAtomic(
      join(modelRoot, "versions.json"),
      `${JSON.stringify([...records, published], null, 2)}\n`,
    );
    return { publication, scores: request.model, location: target };
  }
}
