// Which evaluated models get published: those that pass the thresholds and are not worse than the version
// already in the registry (unless forced); an unchanged model is never published twice.
import { isAbsolute, join } from "node:path";
import { digestOfModelFiles, listModelFiles, type ModelRegistry } from "./registry.ts";
import { compareScores, type ScoresFile, type Thresholds, thresholdFailure } from "./scores.ts";

export type PublishAction =
  | "published"
  | "below-thresholds"
  | "worse-than-published"
  | "unchanged"
  | "failed";

export interface PublishOutcome {
  name: string;
  action: PublishAction;
  /** Why, in words (the figures that decided). */
  reason: string;
  /** Version now published (new or kept); null when none. */
  version: number | null;
  /** Folder or URL of the new version, or of the one kept. */
  location: string | null;
}

export interface PublishModelsOptions {
  thresholds: Thresholds;
  /** Publish models that are worse than the published version too. */
  force: boolean;
  /** Base for the relative `dir` of each model in scores.json. */
  root: string;
  note?: string;
  /** Decide and report only. */
  dryRun?: boolean;
  /** One line per model as it is decided. */
  log?: (line: string) => void;
}

/** Goes through every model of an evaluation; a failure on one model does not stop the others. */
export async function publishModels(
  registry: ModelRegistry,
  scores: ScoresFile,
  options: PublishModelsOptions,
): Promise<PublishOutcome[]> {
  const outcomes: PublishOutcome[] = [];
  const evaluation = { split: scores.split, ...(scores.dataset ? { dataset: scores.dataset } : {}) };
  // Two models in one place would overwrite each other (a repo_id template without {name}, say).
  const owners = new Map<string, string>();
  for (const model of scores.models) {
    const decide = async (): Promise<PublishOutcome> => {
      const location = registry.locate(model);
      const owner = owners.get(location);
      if (owner) throw new Error(`${model.name} would be published to ${location} too, where ${owner} goes`);
      owners.set(location, model.name);
      const below = thresholdFailure(model, options.thresholds);
      if (below)
        return { name: model.name, action: "below-thresholds", reason: below, version: null, location: null };
      const dir = isAbsolute(model.dir) ? model.dir : join(options.root, model.dir);
      const digest = digestOfModelFiles(listModelFiles(dir));
      const latest = await registry.latest(model);
      if (latest && latest.publication.digest === digest)
        return {
          name: model.name,
          action: "unchanged",
          reason: `the same files are published as v${latest.publication.version}`,
          version: latest.publication.version,
          location: latest.location,
        };
      if (latest && compareScores(model, latest.scores) < 0 && !options.force)
        return {
          name: model.name,
          action: "worse-than-published",
          reason:
            `exact match ${model.exact_match} / CER ${model.cer} is worse than v${latest.publication.version}'s ` +
            `${latest.scores.exact_match} / ${latest.scores.cer} (publish.force or --force publishes it anyway)`,
          version: latest.publication.version,
          location: latest.location,
        };
      const why = latest
        ? `${compareScores(model, latest.scores) < 0 ? "forced over" : "not worse than"} v${latest.publication.version}`
        : "first version";
      if (options.dryRun)
        return {
          name: model.name,
          action: "published",
          reason: `${why} (dry run)`,
          version: null,
          location: null,
        };
      const published = await registry.publish({
        model,
        evaluation,
        dir,
        ...(options.note ? { note: options.note } : {}),
      });
      return {
        name: model.name,
        action: "published",
        reason: why,
        version: published.publication.version,
        location: published.location,
      };
    };
    let outcome: PublishOutcome;
    try {
      outcome = await decide();
    } catch (error) {
      outcome = {
        name: model.name,
        action: "failed",
        reason: (error as Error).message,
        version: null,
        location: null,
      };
    }
    options.log?.(
      `${outcome.name}: ${outcome.action}${outcome.version !== null ? ` v${outcome.version}` : ""} — ${outcome.reason}` +
        (outcome.location ? ` (${outcome.location})` : ""),
    );
    outcomes.push(outcome);
  }
  return outcomes;
}
