// The engine's command line (`ocrflow run | status | dag`): parses arguments, calls engine.ts, renders
// results. Other parts of the product add their own commands to the same program.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isAbsolute, posix, relative, resolve, sep } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { groupParamOverrides, parseParamOverride } from "./config.ts";
import { type DagFormat, renderDag } from "./dag.ts";
import { loadPipeline, pipelineStatus, runPipeline } from "./engine.ts";
import { formatProblem, ProblemsError } from "./errors.ts";
import { createTerminalLogger } from "./logging/terminal.ts";
import type { ParamOverrides } from "./params.ts";
import { RepoLockedError } from "./repo-lock.ts";
import { describeReason } from "./status.ts";
import { cloudStatus, registerStorageCommands } from "./storage/commands.ts";

/** The version in package.json (two levels up from both pipeline/ and dist/pipeline/). */
function packageVersion(): string {
  for (const candidate of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "ocrflow" && pkg.version) return pkg.version;
    } catch {
      // Try the next location.
    }
  }
  return "unknown";
}

/** Exit codes: 1 = a stage failed, 2 = bad input (dvc.yaml, params, arguments), 3 = repo locked, 130 = Ctrl-C. */
export const EXIT = { stageFailed: 1, badInput: 2, locked: 3, interrupted: 130 } as const;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Prints problems and sets the exit code; every command funnels its errors through here. */
export function reportError(error: unknown): void {
  if (error instanceof ProblemsError) {
    process.stderr.write(`ocrflow: ${error.problems.length} problem(s) found:\n`);
    for (const problem of error.problems) process.stderr.write(`  ${formatProblem(problem)}\n`);
    process.exitCode = EXIT.badInput;
  } else if (error instanceof RepoLockedError) {
    process.stderr.write(`ocrflow: ${error.message}\n`);
    process.exitCode = EXIT.locked;
  } else {
    process.stderr.write(`ocrflow: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.stageFailed;
  }
}

interface CommonOptions {
  cwd: string;
  set: string[];
  profile?: string;
  config: string;
}

/**
 * `-S` and `--profile` overrides by params file, the file as dvc.yaml names it (repo-relative, normalised), so that
 * `./pipeline.config.yaml` or an absolute path reach validation, dvc.lock and the stages alike.
 */
function overridesFrom(options: CommonOptions): ParamOverrides {
  const parsed = options.set.map((arg) => parseParamOverride(arg, "params.yaml"));
  if (options.profile) parsed.push({ file: options.config, key: "profile", value: options.profile });
  const repoPath = (file: string) =>
    posix.normalize((isAbsolute(file) ? relative(options.cwd, file) : file).split(sep).join("/"));
  return groupParamOverrides(parsed.map((o) => ({ ...o, file: repoPath(o.file) })));
}

function addCommonOptions(command: Command): Command {
  return command
    .option("-C, --cwd <dir>", "repository root holding dvc.yaml", ".")
    .option(
      "-S, --set-param <file:key=value>",
      "override a parameter for this run (repeatable), like `dvc exp run -S`",
      collect,
      [],
    )
    .option("-p, --profile <name>", "activate a profile of the config file (e.g. smoke, full)")
    .option("--config <file>", "the params file that holds `profile`/`profiles`", "pipeline.config.yaml");
}

function common(raw: Record<string, unknown>): CommonOptions {
  const options: CommonOptions = {
    cwd: resolve(String(raw.cwd ?? ".")),
    set: (raw.setParam as string[]) ?? [],
    config: String(raw.config ?? "pipeline.config.yaml"),
  };
  if (typeof raw.profile === "string") options.profile = raw.profile;
  return options;
}

export function createProgram(): Command {
  const program = new Command("ocrflow")
    .description("DVC-compatible pipeline runner and OCR training toolkit")
    .version(packageVersion(), "-V, --version")
    .addHelpText(
      "after",
      `
Examples:
  ocrflow run                       run every stale stage, in parallel
  ocrflow run --profile smoke       a CI-sized run
  ocrflow run train -S pipeline.config.yaml:train.epochs=3
  ocrflow status --json             what is stale and why
  ocrflow dag --mermaid             the stage graph as a Mermaid flowchart`,
    )
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (text, write) => write(text) });

  addCommonOptions(
    program
      .command("run")
      .description("run the stale stages of dvc.yaml (and their upstream stages), in parallel")
      .argument("[targets...]", "stages or stage groups (e.g. train, train@parseq); default: all")
      .option("-j, --jobs <n>", "stages to run at once", positiveInt, availableParallelism())
      .option("-f, --force", "run the selected stages even if they are up to date", false)
      .option("--dry", "only show what would run", false)
      .option("-s, --single-item", "run only the targets, not their upstream stages", false)
      .option("--wait", "wait for another run holding the repo lock instead of failing", false)
      .option("-q, --quiet", "do not echo stage output (it still goes to each stage's log)", false)
      .addOption(
        new Option("--json", "print the run summary as JSON on stdout (progress goes to stderr)").default(
          false,
        ),
      ),
  ).action(async (targets: string[], raw: Record<string, unknown>) => {
    try {
      const options = common(raw);
      const json = raw.json === true;
      const out = json ? process.stderr : process.stdout;
      const logger = createTerminalLogger({ out, tty: out.isTTY === true, showOutput: raw.quiet !== true });
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        interrupts++;
        if (interrupts > 1) process.exit(EXIT.interrupted);
        process.stderr.write(
          `\nocrflow: ${signal} received, stopping running stages (again to quit at once)…\n`,
        );
        controller.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const summary = await runPipeline({
        root: options.cwd,
        targets,
        overrides: overridesFrom(options),
        jobs: raw.jobs as number,
        force: raw.force === true,
        dry: raw.dry === true,
        singleItem: raw.singleItem === true,
        wait: raw.wait === true,
        signal: controller.signal,
        emit: logger,
      });
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      if (controller.signal.aborted) process.exitCode = EXIT.interrupted;
      else if (!summary.ok) process.exitCode = EXIT.stageFailed;
    } catch (error) {
      reportError(error);
    }
  });

  addCommonOptions(
    program
      .command("status")
      .description("show which stages are stale and why, as `dvc status` does")
      .argument("[targets...]", "stages or stage groups; default: all")
      .option("-s, --single-item", "only the targets, not their upstream stages", false)
      .option("-c, --cloud", "compare the cache with the remote instead (dvc status -c)", false)
      .option("-r, --remote <name>", "remote for --cloud")
      .option("-j, --jobs <n>", "parallel checks for --cloud", positiveInt)
      .option("--json", "print as JSON", false),
  ).action(async (targets: string[], raw: Record<string, unknown>) => {
    try {
      const options = common(raw);
      if (raw.cloud === true) {
        process.exitCode = await cloudStatus({
          root: options.cwd,
          targets,
          ...(typeof raw.remote === "string" ? { remote: raw.remote } : {}),
          ...(typeof raw.jobs === "number" ? { jobs: raw.jobs } : {}),
          json: raw.json === true,
        });
        return;
      }
      const statuses = await pipelineStatus({
        root: options.cwd,
        targets,
        overrides: overridesFrom(options),
        singleItem: raw.singleItem === true,
      });
      if (raw.json === true) {
        const json: Record<string, unknown> = {};
        for (const s of statuses) {
          if (s.changed || s.errors.length > 0)
            json[s.name] = { changed: s.reasons.map(describeReason), errors: s.errors };
        }
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return;
      }
      const stale = statuses.filter((s) => s.changed || s.errors.length > 0);
      if (stale.length === 0) {
        process.stdout.write("Data and pipelines are up to date.\n");
        return;
      }
      for (const s of stale) {
        process.stdout.write(`${s.name}:\n`);
        for (const r of s.reasons) process.stdout.write(`\t${describeReason(r)}\n`);
        for (const e of s.errors) process.stdout.write(`\terror: ${e}\n`);
      }
    } catch (error) {
      reportError(error);
    }
  });

  program
    .command("dag")
    .description("show the stage graph")
    .argument("[targets...]", "stages or stage groups; default: all")
    .option("-C, --cwd <dir>", "repository root holding dvc.yaml", ".")
    .option("--mermaid", "Mermaid flowchart", false)
    .option("--dot", "Graphviz DOT", false)
    .action((targets: string[], raw: Record<string, unknown>) => {
      try {
        const loaded = loadPipeline({ root: resolve(String(raw.cwd)), targets });
        const format: DagFormat = raw.mermaid ? "mermaid" : raw.dot ? "dot" : "text";
        process.stdout.write(renderDag(loaded.graph, loaded.selected, format));
      } catch (error) {
        reportError(error);
      }
    });

  registerStorageCommands(program);
  return program;
}
