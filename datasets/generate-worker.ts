// Child-process entry of parallel generation: receives the plan, then renders the shards it is handed, one at
// a time, replying with their index entries and stats (processes, not threads: see MACHINE.md on font locks).
import { type GenerationPlan, ShardGenerator } from "./generate.ts";

let generator: ShardGenerator | undefined;
let outDir = "";

process.on(
  "message",
  (
    message:
      | { type: "init"; plan: GenerationPlan; dir: string }
      | { type: "shard"; index: number }
      | { type: "exit" },
  ) => {
    try {
      if (message.type === "init") {
        generator = new ShardGenerator(message.plan);
        outDir = message.dir;
      } else if (message.type === "shard") {
        if (!generator) throw new Error("shard before init");
        const result = generator.generate(outDir, message.index, (lines) =>
          process.send?.({ type: "lines", lines }),
        );
        process.send?.({ type: "shard", index: message.index, ...result });
      } else {
        process.disconnect?.();
        process.exit(0);
      }
    } catch (error) {
      process.send?.({
        type: "error",
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  },
);
