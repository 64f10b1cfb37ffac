#!/usr/bin/env node
// Entry point of the `ocrflow` command: runs the compiled CLI, or the TypeScript sources through tsx
// when no build exists yet (a fresh checkout before `npm run build`).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "stages", "cli.js");
if (existsSync(compiled) && !process.env.OCRFLOW_FROM_SOURCE) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "stages", "cli.ts")).href);
}
