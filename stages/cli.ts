// Main entry of the `ocrflow` command: the engine's commands (run, status, dag), the stage programs that
// dvc.yaml calls (`ocrflow stage <name>`), and the OCR commands.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createProgram, reportError } from "../pipeline/cli.ts";
import { registerMetricsCommands } from "../pipeline/metrics/commands.ts";
import { registerBenchCommand } from "./commands/bench.ts";
import { registerCompareCommand } from "./commands/compare.ts";
import { registerPredictCommand } from "./commands/predict.ts";

/** A stage program: `stages/<name>.ts` exporting `main(args)`; returns the process exit code. */
export interface StageModule {
  main(args: string[]): Promise<number>;
}

const here = dirname(fileURLToPath(import.meta.url));
const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

const program = createProgram();
program
  .command("stage")
  .description("run one pipeline stage program (what dvc.yaml's cmd calls), e.g. `ocrflow stage generate`")
  .argument("<name>", "stage program in stages/ (generate, split, convert, train, …)")
  .argument("[args...]", "arguments for the stage program")
  .allowUnknownOption(true)
  .helpOption(false)
  .action(async (name: string, args: string[]) => {
    const file = join(here, `${name}${extension}`);
    if (!/^[a-z][a-z0-9-]*$/.test(name) || !existsSync(file)) {
      process.stderr.write(`ocrflow: no stage program '${name}' (looked for ${file})\n`);
      process.exitCode = 2;
      return;
    }
    try {
      const stage = (await import(pathToFileURL(file).href)) as StageModule;
      process.exitCode = await stage.main(args);
    } catch (error) {
      reportError(error);
    }
  });

registerBenchCommand(program);
registerPredictCommand(program);
registerMetricsCommands(program);
registerCompareCommand(program);

await program.parseAsync(process.argv);
