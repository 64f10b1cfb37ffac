// Stage `publish`: every model in scores.json that passes publish.thresholds and is not worse than the
// version already published (unless forced) goes to the configured registry; writes a report of what happened.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { createRegistry, parseScoresFile, publishModels } from "../pipeline/registry/index.ts";
import { redactSecrets } from "../pipeline/registry/registry.ts";
import { loadDvcConfig } from "../pipeline/storage/dvc-config.ts";
import { push } from "../pipeline/storage/sync.ts";
import { loadPipelineConfig, type PublishConfig } from "./config.ts";

const USAGE =
  "usage: ocrflow stage publish [scores.json] [--report data/stats/publish.json] [--force] [--dry-run]\n" +
  "  --force     publish models worse than the published version too (as publish.force: true)\n" +
  "  --dry-run   decide and report, publish nothing";

/** The commit the models were trained at, for the version record; null outside a git checkout. */
function gitRevision(env: NodeJS.ProcessEnv): string | null {
  if (env.GITHUB_SHA) return env.GITHUB_SHA;
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/**
 * `publish.push_data`: pushes the trained models (the train stages' cached outs in dvc.lock) to the DVC
 * remote, so `dvc pull` / `ocrflow pull` elsewhere gets exactly what was published. With no remote
 * configured it says so and goes on: the embedded default keeps everything local.
 */
async function pushModelData(settings: PublishConfig, say: (line: string) => void): Promise<string> {
  if (!settings.push_data) return "off";
  const root = process.cwd();
  const dvcConfig = loadDvcConfig(root);
  const remote = settings.dvc_remote ?? dvcConfig.defaultRemote;
  if (!remote) {
    say(
      "publish: no DVC remote configured (ocrflow remote add -d NAME URL): model data stays in the local cache",
    );
    return "no remote";
  }
  const result = await push({ root, targets: ["train"], remote });
  const sent = result.reports.reduce((n, r) => n + r.transferred, 0);
  say(`publish: pushed the models' data to DVC remote '${remote}' (${sent} object(s) sent)`);
  if (!result.ok) throw new Error(`pushing the models' data to DVC remote '${remote}' did not complete`);
  return `pushed to ${remote}`;
}

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      report: { type: "string", default: "data/stats/publish.json" },
      force: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Whatever a library or server puts in a message, the token never reaches the terminal or the CI log.
  const say = (stream: NodeJS.WritableStream, line: string) =>
    stream.write(`${redactSecrets(line, [env.HF_TOKEN?.trim()])}\n`);
  const scoresFile = positionals[0] ?? "scores.json";
  if (!existsSync(scoresFile)) {
    say(process.stderr, `publish: ${scoresFile} does not exist: run the evaluate stage first`);
    return 1;
  }
  try {
    const config = loadPipelineConfig({ env });
    const scores = parseScoresFile(readFileSync(scoresFile, "utf8"), scoresFile);
    const registry = createRegistry(config.registry, { env });
    const force = values.force || config.publish.force;
    const revision = gitRevision(env);
    say(
      process.stderr,
      `publish: ${scores.models.length} model(s) from ${scoresFile} → ${registry.kind} registry` +
        ` (exact match ≥ ${config.publish.thresholds.exact_match}, CER ≤ ${config.publish.thresholds.cer}` +
        `${force ? ", forced" : ""}${values["dry-run"] ? ", dry run" : ""})`,
    );
    const outcomes = await publishModels(registry, scores, {
      thresholds: config.publish.thresholds,
      force,
      root: process.cwd(),
      dryRun: values["dry-run"],
      ...(revision ? { note: `trained at ${revision}` } : {}),
      log: (line) => say(process.stderr, `publish: ${line}`),
    });
    const report = {
      registry: registry.kind,
      scores: scoresFile,
      forced: force,
      dry_run: values["dry-run"],
      published: outcomes.filter((o) => o.action === "published").length,
      models: outcomes,
    };
    const pushed = values["dry-run"]
      ? "dry run"
      : await pushModelData(config.publish, (line) => say(process.stderr, line));
    Object.assign(report, { dvc_push: pushed });
    mkdirSync(dirname(values.report), { recursive: true });
    const tmp = `${values.report}.tmp-${process.pid}`;
    writeFileSync(tmp, redactSecrets(`${JSON.stringify(report, null, 2)}\n`, [env.HF_TOKEN?.trim()]));
    renameSync(tmp, values.report);
    return outcomes.some((o) => o.action === "failed") ? 1 : 0;
  } catch (error) {
    say(process.stderr, `publish: ${(error as Error).message}`);
    return 1;
  }
}
