// Builds the optional native training backend (native/ → build/Release/ocrflow_blas.node) at install time.
// A failed build only prints a warning: the pipeline then falls back to the wasm or pure-JS backend.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function warn(message) {
  console.warn(`[ocrflow] native backend not built: ${message}`);
  console.warn("[ocrflow] training will use the wasm or pure-JS backend (slower). Install libopenblas-dev,");
  console.warn("[ocrflow] g++ and make, then run `npm run build:native` to enable it.");
}

function findNodeGyp() {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve("node-gyp/bin/node-gyp.js");
  } catch {}
  // npm ships its own node-gyp; find it beside the npm that runs us or beside node.
  const candidates = [];
  if (process.env.npm_execpath)
    candidates.push(join(dirname(process.env.npm_execpath), "..", "node_modules"));
  candidates.push(join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules"));
  for (const dir of candidates) {
    const file = join(dir, "node-gyp", "bin", "node-gyp.js");
    if (existsSync(file)) return file;
  }
  return undefined;
}

function main() {
  if (process.env.OCRFLOW_SKIP_NATIVE === "1") {
    console.warn("[ocrflow] OCRFLOW_SKIP_NATIVE=1: native backend build skipped");
    return;
  }
  if (process.platform !== "linux") {
    warn(`platform ${process.platform} is not supported by binding.gyp (Linux only)`);
    return;
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    warn("node-gyp was not found");
    return;
  }
  const args = [nodeGyp, "rebuild"];
  // Use the installed Node headers when present, so no download is needed.
  const headers = join(dirname(process.execPath), "..", "include", "node", "node_api.h");
  if (existsSync(headers)) args.push(`--nodedir=${join(dirname(process.execPath), "..")}`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    warn(`node-gyp exited with ${result.status ?? result.signal}`);
    return;
  }
  const addon = join(root, "build", "Release", "ocrflow_blas.node");
  const check = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(addon)}).getThreads()`], {
    cwd: root,
    stdio: "inherit",
  });
  if (check.status !== 0) {
    warn("the addon built but does not load");
    return;
  }
  console.log(`[ocrflow] native backend built: ${addon}`);
}

try {
  main();
} catch (error) {
  warn(error instanceof Error ? error.message : String(error));
}
process.exit(0);
