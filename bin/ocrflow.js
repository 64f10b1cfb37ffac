#!/usr/bin/env node
// Entry point of the `ocrflow` command: runs the compiled CLI from dist/, or the TypeScript sources through
// tsx when there is no build or a source file is newer than it (a checkout being edited), so a stage
// never runs stale code. OCRFLOW_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "stages", "cli.js");
const SOURCE_DIRS = ["pipeline", "stages", "datasets", "models", "documents", "report"];

/** Newest mtime of the .ts files under the source folders (a few hundred stats: about a millisecond). */
function newestSourceMtime() {
  let newest = 0;
  const pending = SOURCE_DIRS.map((d) => join(root, d)).filter((d) => existsSync(d));
  while (pending.length > 0) {
    const dir = pending.pop();
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "fixtures") pending.push(join(dir, entry.name));
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
        newest = Math.max(newest, statSync(join(dir, entry.name)).mtimeMs);
      }
    }
  }
  return newest;
}

const useBuild =
  !process.env.OCRFLOW_FROM_SOURCE &&
  existsSync(compiled) &&
  statSync(compiled).mtimeMs >= newestSourceMtime();
if (useBuild) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "stages", "cli.ts")).href);
}
