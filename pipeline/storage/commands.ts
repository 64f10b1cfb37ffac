// The data commands of the `ocrflow` CLI, as DVC names them: add, push, pull, fetch, checkout, remote
// add|default|modify|remove|list, and `cloudStatus` for `ocrflow status -c`. Messages never carry secrets.
import { posix, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { formatProblem, ProblemsError } from "../errors.ts";
import { addPath } from "./add.ts";
import type { CheckoutResult } from "./checkout.ts";
import {
  type ConfigLevel,
  ConfigObjFile,
  configPath,
  loadDvcConfig,
  remoteSection,
  SECRET_OPTIONS,
  urlForConfig,
} from "./dvc-config.ts";
import { createProgressRenderer, formatBytes } from "./progress.ts";
import { RemoteError, redact, secretsOf } from "./remote.ts";
import {
  checkout,
  collectCloudStatus,
  type DataOptions,
  fetch,
  pull,
  push,
  type SyncReport,
} from "./sync.ts";

/** Exit codes, as the engine's: 1 = some data could not be moved, 2 = bad input or configuration. */
const EXIT_INCOMPLETE = 1;
const EXIT_BAD_INPUT = 2;

interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const defaultIo = (): Io => ({ out: process.stdout, err: process.stderr, env: process.env });

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}

/** Prints an error once, with every configured or AWS_* secret masked; returns the exit code. */
function fail(error: unknown, io: Io, root?: string): number {
  let secrets: string[] = secretsOf(undefined, io.env);
  try {
    if (root)
      for (const r of loadDvcConfig(root).remotes.values()) secrets = secrets.concat(secretsOf(r, io.env));
  } catch {
    // the config itself may be what failed
  }
  if (error instanceof ProblemsError) {
    io.err.write(`ocrflow: ${error.problems.length} problem(s) found:\n`);
    for (const p of error.problems) io.err.write(`  ${redact(formatProblem(p), secrets)}\n`);
    return EXIT_BAD_INPUT;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err.write(`ocrflow: ${redact(message, secrets)}\n`);
  return error instanceof RemoteError ? EXIT_BAD_INPUT : EXIT_INCOMPLETE;
}

function describeCheckout(results: readonly CheckoutResult[], io: Io): void {
  for (const r of results) {
    if (r.outcome === "restored") io.out.write(`A       ${r.path}\n`);
    else if (r.outcome === "missing") io.err.write(`ocrflow: ${r.path}: not in the cache (fetch it first)\n`);
    else if (r.outcome === "modified") {
      io.err.write(
        `ocrflow: ${r.path}: has changes that are not in the cache; kept (use --force to discard)\n`,
      );
    } else if (r.outcome === "unsupported") {
      io.err.write(`ocrflow: ${r.path}: a DVC 2.x entry (md5-dos2unix) is not supported; re-add it\n`);
    }
  }
}

/** Prints what a transfer did and what it could not do; returns the exit code. */
function describeSync(report: SyncReport, io: Io, verb: "pushed" | "fetched"): number {
  let moved = 0;
  for (const r of report.reports) {
    moved += r.transferred;
    const what = `${r.transferred} file(s) ${verb} (${formatBytes(r.bytes)}), ${r.skipped} already there`;
    io.out.write(`${r.remote}: ${what}${r.retries > 0 ? `, ${r.retries} retried` : ""}\n`);
    for (const m of r.missing) io.err.write(`  missing    ${m.path} (${m.oid}): ${m.reason}\n`);
    for (const c of r.corrupted) io.err.write(`  corrupted  ${c.path} (${c.oid}): ${c.reason}\n`);
    for (const f of r.failed) io.err.write(`  failed     ${f.path} (${f.oid}): ${f.reason}\n`);
  }
  for (const u of report.unsupported) io.err.write(`  skipped    ${u}\n`);
  if (report.reports.length === 0) io.out.write("Nothing tracked to transfer.\n");
  else if (moved === 0 && report.ok) io.out.write("Everything is up to date.\n");
  if (report.checkout) describeCheckout(report.checkout, io);
  return report.ok ? 0 : EXIT_INCOMPLETE;
}

interface TransferFlags {
  cwd: string;
  remote?: string;
  jobs?: number;
  force?: boolean;
}

async function runTransfer(
  kind: "push" | "pull" | "fetch",
  targets: string[],
  flags: TransferFlags,
  io: Io,
): Promise<number> {
  const root = resolve(flags.cwd);
  const progress = createProgressRenderer(io.err);
  try {
    const options: DataOptions & { force?: boolean } = {
      root,
      targets,
      env: io.env,
      onProgress: (p) => progress.update(p),
    };
    if (flags.remote) options.remote = flags.remote;
    if (flags.jobs) options.jobs = flags.jobs;
    if (flags.force) options.force = true;
    const report =
      kind === "push" ? await push(options) : kind === "pull" ? await pull(options) : await fetch(options);
    progress.stop();
    return describeSync(report, io, kind === "push" ? "pushed" : "fetched");
  } catch (error) {
    progress.stop();
    return fail(error, io, root);
  }
}

export interface CloudStatusOptions {
  /** Repository root (default: the current folder). */
  root?: string;
  targets?: readonly string[];
  remote?: string;
  jobs?: number;
  json?: boolean;
}

/**
 * `ocrflow status -c`: compares the cache with the remote(s) and prints, as `dvc status -c` does,
 * `new` (only in the cache), `deleted` (only on the remote) and `missing` (in neither) per tracked path;
 * a directory whose files all agree is one line. Returns the exit code (0 unless it could not check).
 */
export async function cloudStatus(options: CloudStatusOptions = {}, io: Io = defaultIo()): Promise<number> {
  const root = resolve(options.root ?? ".");
  try {
    const dataOptions: DataOptions = { root, targets: options.targets ?? [], env: io.env };
    if (options.remote) dataOptions.remote = options.remote;
    if (options.jobs) dataOptions.jobs = options.jobs;
    const reports = await collectCloudStatus(dataOptions);
    const json: Record<string, string> = {};
    for (const report of reports) {
      const lines: Array<[string, string]> = [];
      const byOut = new Map<string, typeof report.entries>();
      for (const e of report.entries) byOut.set(e.out, [...(byOut.get(e.out) ?? []), e]);
      for (const [out, entries] of byOut) {
        const states = new Set(entries.map((e) => e.state));
        if (states.size === 1) {
          const state = entries[0]?.state ?? "ok";
          if (state !== "ok") lines.push([state, out]);
        } else {
          for (const e of entries)
            if (e.state !== "ok" && !e.oid.endsWith(".dir")) lines.push([e.state, e.path]);
        }
      }
      for (const [state, path] of lines) json[path] = state;
      if (options.json) continue;
      if (lines.length === 0) io.out.write(`Cache and remote '${report.remote}' are in sync.\n`);
      for (const [state, path] of lines) io.out.write(`\t${`${state}:`.padEnd(12)}${path}\n`);
    }
    if (options.json) io.out.write(`${JSON.stringify(json, null, 2)}\n`);
    else if (reports.length === 0)
      io.out.write("There are no data or pipelines tracked in this project yet.\n");
    return 0;
  } catch (error) {
    return fail(error, io, root);
  }
}

function levelOf(raw: { local?: boolean }): ConfigLevel {
  return raw.local ? "local" : "repo";
}

function editConfig(root: string, level: ConfigLevel, edit: (file: ConfigObjFile) => void): void {
  const file = ConfigObjFile.load(configPath(root, level));
  edit(file);
  file.save();
}

function registerRemoteCommands(program: Command, io: () => Io): void {
  const remote = program.command("remote").description("manage DVC remotes in .dvc/config (as `dvc remote`)");
  const run = (fn: (io: Io) => number | undefined) => {
    const streams = io();
    try {
      process.exitCode = fn(streams) ?? 0;
    } catch (error) {
      process.exitCode = fail(error, streams);
    }
  };

  remote
    .command("add")
    .description("add a remote: a folder path, s3://bucket/prefix or gdrive://folder")
    .argument("<name>")
    .argument("<url>")
    .option("-d, --default", "make it the default remote (core.remote)", false)
    .option("-f, --force", "replace a remote of the same name", false)
    .option("--local", "write to .dvc/config.local (kept out of git)", false)
    .option("-C, --cwd <dir>", "repository root", ".")
    .action((name: string, url: string, raw: Record<string, unknown>) =>
      run(() => {
        const root = resolve(String(raw.cwd));
        const level = levelOf(raw);
        const existing = ConfigObjFile.load(configPath(root, level));
        if (existing.sections().includes(remoteSection(name)) && raw.force !== true) {
          throw new RemoteError(`remote '${name}' already exists (use --force to replace it)`);
        }
        editConfig(root, level, (file) => {
          file.removeSection(remoteSection(name));
          file.set(remoteSection(name), "url", urlForConfig(root, url, root));
          if (raw.default === true) file.set("core", "remote", name);
        });
        return 0;
      }),
    );

  remote
    .command("default")
    .description("show or set the default remote")
    .argument("[name]")
    .option("--unset", "remove the default", false)
    .option("--local", "use .dvc/config.local", false)
    .option("-C, --cwd <dir>", "repository root", ".")
    .action((name: string | undefined, raw: Record<string, unknown>) =>
      run((streams) => {
        const root = resolve(String(raw.cwd));
        if (raw.unset === true) {
          editConfig(root, levelOf(raw), (file) => file.unset("core", "remote"));
          return 0;
        }
        if (name === undefined) {
          const current = loadDvcConfig(root).defaultRemote;
          if (!current) throw new RemoteError("no default remote set");
          streams.out.write(`${current}\n`);
          return 0;
        }
        if (!loadDvcConfig(root).remotes.has(name)) throw new RemoteError(`remote '${name}' does not exist`);
        editConfig(root, levelOf(raw), (file) => file.set("core", "remote", name));
        return 0;
      }),
    );

  remote
    .command("modify")
    .description("set or unset an option of a remote (url, endpointurl, region, access_key_id, …)")
    .argument("<name>")
    .argument("<option>")
    .argument("[value]")
    .option("-u, --unset", "remove the option", false)
    .option("--local", "write to .dvc/config.local (the place for secrets)", false)
    .option("-C, --cwd <dir>", "repository root", ".")
    .action((name: string, option: string, value: string | undefined, raw: Record<string, unknown>) =>
      run((streams) => {
        const root = resolve(String(raw.cwd));
        if (!loadDvcConfig(root).remotes.has(name)) throw new RemoteError(`remote '${name}' does not exist`);
        if (raw.unset === true) {
          editConfig(root, levelOf(raw), (file) => file.unset(remoteSection(name), option));
          return 0;
        }
        if (value === undefined) throw new RemoteError(`a value is needed for '${option}' (or --unset)`);
        const stored = option === "url" ? urlForConfig(root, value, root) : value;
        editConfig(root, levelOf(raw), (file) => file.set(remoteSection(name), option, stored));
        if (SECRET_OPTIONS.has(option) && raw.local !== true) {
          streams.err.write(
            `ocrflow: warning: '${option}' is a secret; .dvc/config is committed, prefer --local\n`,
          );
        }
        return 0;
      }),
    );

  remote
    .command("remove")
    .description("remove a remote")
    .argument("<name>")
    .option("--local", "from .dvc/config.local", false)
    .option("-C, --cwd <dir>", "repository root", ".")
    .action((name: string, raw: Record<string, unknown>) =>
      run(() => {
        const root = resolve(String(raw.cwd));
        let removed = false;
        editConfig(root, levelOf(raw), (file) => {
          removed = file.removeSection(remoteSection(name));
          if (file.get("core", "remote") === name) file.unset("core", "remote");
        });
        if (!removed) throw new RemoteError(`remote '${name}' does not exist`);
        return 0;
      }),
    );

  remote
    .command("list")
    .description("list remotes (name, url; secrets are never shown)")
    .option("-C, --cwd <dir>", "repository root", ".")
    .action((raw: Record<string, unknown>) =>
      run((streams) => {
        const config = loadDvcConfig(resolve(String(raw.cwd)));
        for (const r of config.remotes.values()) {
          const mark = r.name === config.defaultRemote ? "  (default)" : "";
          streams.out.write(`${r.name}\t${r.url}${mark}\n`);
        }
        return 0;
      }),
    );
}

/** Adds add, push, pull, fetch, checkout and remote to the program; `status -c` is wired by its owner. */
export function registerStorageCommands(program: Command, io: () => Io = defaultIo): void {
  program
    .command("add")
    .description("track files or directories with DVC: cache them and write PATH.dvc (as `dvc add`)")
    .argument("<paths...>")
    .option("-C, --cwd <dir>", "repository root", ".")
    .action(async (paths: string[], raw: Record<string, unknown>) => {
      const streams = io();
      const root = resolve(String(raw.cwd));
      try {
        const added: string[] = [];
        for (const path of paths) {
          const r = await addPath(root, path, { cwd: root });
          const files = r.nfiles !== undefined ? `, ${r.nfiles} files` : "";
          streams.out.write(
            `Added ${r.path} → ${r.pointerFile} (${r.md5}${files}, ${formatBytes(r.size)})\n`,
          );
          added.push(r.pointerFile, posix.join(posix.dirname(r.path), ".gitignore"));
        }
        streams.out.write(
          `To track the changes with git, run:\n\tgit add ${[...new Set(added)].join(" ")}\n`,
        );
      } catch (error) {
        process.exitCode = fail(error, streams, root);
      }
    });

  const transfer = (name: "push" | "pull" | "fetch", description: string) => {
    const command = program
      .command(name)
      .description(description)
      .argument("[targets...]", ".dvc files, tracked paths or stages; default: everything tracked")
      .option("-r, --remote <name>", "remote to use instead of each out's own or the default")
      .option("-j, --jobs <n>", "objects to transfer at once (default 4 per core)", positiveInt)
      .option("-C, --cwd <dir>", "repository root", ".");
    if (name === "pull")
      command.option("-f, --force", "overwrite workspace changes that are not cached", false);
    command.action(async (targets: string[], raw: Record<string, unknown>) => {
      const flags: TransferFlags = { cwd: String(raw.cwd) };
      if (typeof raw.remote === "string") flags.remote = raw.remote;
      if (typeof raw.jobs === "number") flags.jobs = raw.jobs;
      if (raw.force === true) flags.force = true;
      process.exitCode = await runTransfer(name, targets, flags, io());
    });
  };
  transfer("push", "upload cached data of .dvc files and dvc.lock outs to the remote");
  transfer("pull", "download tracked data from the remote and check it out into the workspace");
  transfer("fetch", "download tracked data from the remote into the cache only");

  program
    .command("checkout")
    .description("restore tracked paths in the workspace from the cache")
    .argument("[targets...]", ".dvc files, tracked paths or stages; default: everything tracked")
    .option("-f, --force", "overwrite workspace changes that are not cached", false)
    .option("-C, --cwd <dir>", "repository root", ".")
    .action(async (targets: string[], raw: Record<string, unknown>) => {
      const streams = io();
      const root = resolve(String(raw.cwd));
      try {
        const results = await checkout({ root, targets, force: raw.force === true });
        describeCheckout(results, streams);
        const bad = results.some(
          (r) => r.outcome === "missing" || r.outcome === "modified" || r.outcome === "unsupported",
        );
        process.exitCode = bad ? EXIT_INCOMPLETE : 0;
      } catch (error) {
        process.exitCode = fail(error, streams, root);
      }
    });

  registerRemoteCommands(program, io);
}
