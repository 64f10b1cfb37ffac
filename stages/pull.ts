// Stage `pull`: brings the base dataset (pull.dataset, tracked by its `.dvc` file) from the DVC remote into
// the workspace; with no pointer file or no remote it says so and succeeds, so the pipeline uses generated data.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { progressPrinter } from "../datasets/progress.ts";
import { loadDvcConfig } from "../pipeline/storage/dvc-config.ts";
import { readPointerFile } from "../pipeline/storage/pointer.ts";
import { RemoteError, redact, secretsOf } from "../pipeline/storage/remote.ts";
import { pull } from "../pipeline/storage/sync.ts";
import { loadPipelineConfig } from "./config.ts";

const USAGE = "usage: ocrflow stage pull [--stats data/stats/pull.json] [--jobs N]";

/** What happened, recorded in the stats file: deterministic, so an unchanged pull changes nothing downstream. */
type PullStatus = "pulled" | "no-pointer" | "no-remote" | "unavailable";

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      stats: { type: "string", default: "data/stats/pull.json" },
      jobs: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const root = process.cwd();
  const { pull: settings } = loadPipelineConfig();
  const pointer = `${settings.dataset.replace(/\/+$/, "")}.dvc`;
  const stats: Record<string, unknown> = { dataset: settings.dataset, pointer };
  const finish = (status: PullStatus, message: string, failed = false): number => {
    (failed ? process.stderr : process.stdout).write(`pull: ${message}\n`);
    stats.status = status;
    mkdirSync(dirname(values.stats), { recursive: true });
    writeFileSync(values.stats, `${JSON.stringify(stats, null, 2)}\n`);
    return failed && settings.required ? 1 : 0;
  };

  if (!existsSync(join(root, pointer))) {
    return finish(
      "no-pointer",
      `no ${pointer}: nothing to pull, going on with generated data only`,
      settings.required,
    );
  }
  const out = readPointerFile(join(root, pointer), pointer).outs[0];
  if (out?.md5) Object.assign(stats, { md5: out.md5, size: out.size ?? null, nfiles: out.nfiles ?? null });
  const dvcConfig = loadDvcConfig(root);
  const remoteName = settings.remote ?? dvcConfig.defaultRemote;
  if (!remoteName) {
    return finish(
      "no-remote",
      "no DVC remote configured (pull.remote or core.remote): going on with generated data only",
      settings.required,
    );
  }
  stats.remote = remoteName;
  const jobs = values.jobs !== undefined ? Number(values.jobs) : settings.jobs;
  const progress = progressPrinter("files");
  try {
    const report = await pull({
      root,
      targets: [pointer],
      remote: remoteName,
      ...(jobs > 0 ? { jobs } : {}),
      onProgress: (p) => {
        if (p.filesTotal > 0) progress(p.filesDone, p.filesTotal);
      },
    });
    const problems = report.reports.flatMap((r) => [...r.missing, ...r.corrupted, ...r.failed]);
    for (const p of problems.slice(0, 20)) process.stderr.write(`pull: ${p.path}: ${p.reason}\n`);
    if (problems.length > 20) process.stderr.write(`pull: … and ${problems.length - 20} more\n`);
    if (!report.ok) {
      const why =
        problems.length > 0 ? `${problems.length} object(s) could not be pulled` : "checkout failed";
      return finish("unavailable", `${settings.dataset} from '${remoteName}': ${why}`, true);
    }
    const moved = report.reports.reduce((n, r) => n + r.transferred, 0);
    return finish(
      "pulled",
      `${settings.dataset} is up to date from '${remoteName}' (${moved} file(s) downloaded)`,
    );
  } catch (error) {
    const remote = dvcConfig.remotes.get(remoteName);
    const message = redact(error instanceof Error ? error.message : String(error), secretsOf(remote));
    if (!(error instanceof RemoteError) && settings.required) throw new Error(message);
    return finish("unavailable", message, true);
  }
}
