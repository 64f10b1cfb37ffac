// The `ocrflow metrics show` and `ocrflow metrics diff [a_rev] [b_rev]` commands, like DVC's: metrics files
// declared in dvc.yaml (or given with --targets), in the working tree and at git revisions.
import { resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { diffMetrics, type MetricsSource, showMetrics, sourceName, WORKSPACE } from "./metrics.ts";
import { type MetricsFormat, renderDiff, renderShow } from "./render.ts";

interface OutputOptions {
  json?: boolean;
  md?: boolean;
  precision: number;
  targets?: string[];
  cwd: string;
}

function format(options: OutputOptions): MetricsFormat {
  return options.json ? "json" : options.md ? "md" : "table";
}

function precision(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 20)
    throw new InvalidArgumentError("expected a whole number 0..20");
  return n;
}

/** `workspace` (DVC's name for the working tree) or a git revision. */
function source(rev: string | undefined, fallback: MetricsSource): MetricsSource {
  if (rev === undefined) return fallback;
  return rev === "workspace" ? WORKSPACE : { kind: "rev", rev };
}

function fail(error: unknown): void {
  process.stderr.write(`ocrflow: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}

export function registerMetricsCommands(program: Command): void {
  const metrics = program
    .command("metrics")
    .description("show and compare the metrics files dvc.yaml declares (as `dvc metrics show/diff`)");
  const common = (command: Command) =>
    command
      .option("--json", "print JSON")
      .option("--md", "print a Markdown table")
      .option("--precision <n>", "decimals of numbers", precision, 5)
      .option("--targets <paths...>", "metrics files to read instead of those dvc.yaml declares")
      .option("-C, --cwd <dir>", "repository root (where dvc.yaml is)", ".");

  common(
    metrics
      .command("show")
      .description("print the metrics of the working tree, or of a git revision with --rev")
      .option("--rev <rev>", "git revision to read instead of the working tree"),
  ).action((options: OutputOptions & { rev?: string }) => {
    try {
      const files = showMetrics(resolve(options.cwd), source(options.rev, WORKSPACE), options.targets ?? []);
      process.stdout.write(`${renderShow(files, format(options), options.precision)}\n`);
    } catch (error) {
      fail(error);
    }
  });

  common(
    metrics
      .command("diff")
      .description(
        "compare metrics between a git revision (default HEAD) and the working tree or another revision",
      )
      .argument("[a_rev]", "old revision", "HEAD")
      .argument("[b_rev]", "new revision (default: the working tree)")
      .option("-a, --all", "list unchanged metrics too"),
  ).action((aRev: string, bRev: string | undefined, options: OutputOptions & { all?: boolean }) => {
    try {
      const a = source(aRev, { kind: "rev", rev: "HEAD" });
      const b = source(bRev, WORKSPACE);
      const changes = diffMetrics(resolve(options.cwd), {
        a,
        b,
        targets: options.targets ?? [],
        all: Boolean(options.all),
      });
      const names = { a: sourceName(a), b: sourceName(b) };
      process.stdout.write(`${renderDiff(changes, format(options), names, options.precision)}\n`);
    } catch (error) {
      fail(error);
    }
  });
}
