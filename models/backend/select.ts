// Chooses the tfjs backend at start-up: tfjs-node-gpu, tfjs-node, our native OpenBLAS backend, wasm with
// the missing training kernels, then pure JS; logs the choice and honours a forced one (flag or env).
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { describeNativeAddon } from "./native-addon.ts";
import { NATIVE_BACKEND, registerNativeBackend } from "./native-backend.ts";
import { registerWasmBackend, WASM_BACKEND } from "./wasm-backend.ts";

/** Our names for the backends, best first. */
export const BACKEND_ORDER = ["tensorflow-gpu", "tensorflow", "native", "wasm", "cpu"] as const;
export type BackendId = (typeof BACKEND_ORDER)[number];

/** The environment variable that forces a backend, like `--backend`. */
export const BACKEND_ENV = "OCRFLOW_BACKEND";

const ALIASES: Record<string, BackendId> = {
  "tensorflow-gpu": "tensorflow-gpu",
  "tfjs-node-gpu": "tensorflow-gpu",
  gpu: "tensorflow-gpu",
  tensorflow: "tensorflow",
  "tfjs-node": "tensorflow",
  node: "tensorflow",
  native: "native",
  openblas: "native",
  wasm: "wasm",
  cpu: "cpu",
  js: "cpu",
};

export function parseBackendId(name: string): BackendId {
  const id = ALIASES[name.trim().toLowerCase()];
  if (!id) throw new Error(`unknown backend "${name}"; use one of ${BACKEND_ORDER.join(", ")}`);
  return id;
}

export interface BackendChoice {
  id: BackendId;
  /** The name tfjs knows it by (tf.getBackend()). */
  tfjsName: string;
  detail: string;
  forced: boolean;
  /** Better backends that were not used, and why. */
  skipped: { id: BackendId; reason: string }[];
  /** Something the user may want to change about the chosen backend (pinnedKernelNote). */
  note?: string;
}

type Attempt = { ok: true; tfjsName: string; detail: string; note?: string } | { ok: false; reason: string };

/** OpenBLAS's kernel sets for AVX-512 processors, as its config string names them. */
const AVX512_KERNELS = /\b(SkylakeX|Cooperlake|SapphireRapids)\b/i;

/**
 * A note when OPENBLAS_CORETYPE holds OpenBLAS to kernels older than the processor's: on an AVX-512 CPU, the
 * Haswell (AVX2) kernels ran our matrix products 2.3x slower than the Cooperlake ones OpenBLAS picks itself
 * (README, Training backends). Some machines set it on purpose (older OpenBLAS builds computed wrong results on
 * some processors), so ocrflow only says so and never changes it.
 */
export function pinnedKernelNote(
  config: string,
  env: Readonly<Record<string, string | undefined>>,
  cpuFlags: () => ReadonlySet<string>,
): string | undefined {
  const pinned = env.OPENBLAS_CORETYPE;
  // The CPU's flags last: read only when a pin to another kernel set is there to judge.
  if (!pinned || AVX512_KERNELS.test(config) || !cpuFlags().has("avx512f")) return undefined;
  return (
    `OPENBLAS_CORETYPE=${pinned} holds OpenBLAS to older kernels than this AVX-512 CPU runs; unsetting it ` +
    "(with OPENBLAS_L2_SIZE) made matrix products about 2x faster on such CPUs, if your OpenBLAS computes right " +
    "there (the models/backend tests check it)"
  );
}

/** The processor's feature flags (Linux /proc/cpuinfo); empty elsewhere. */
function cpuFlags(): Set<string> {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m);
    return new Set(line?.[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

async function importOptional(specifier: string): Promise<string | undefined> {
  try {
    // A variable specifier: these packages are optional and absent from package.json.
    await import(specifier);
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND")
      return `${specifier} is not installed`;
    return `${specifier} failed to load: ${(error as Error).message.split("\n")[0]}`;
  }
}

async function tryBackend(id: BackendId): Promise<Attempt> {
  switch (id) {
    case "tensorflow-gpu":
    case "tensorflow": {
      const pkg = id === "tensorflow-gpu" ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
      const failure = await importOptional(pkg);
      if (failure) return { ok: false, reason: failure };
      if (!tf.findBackendFactory("tensorflow")) return { ok: false, reason: `${pkg} registered no backend` };
      return { ok: true, tfjsName: "tensorflow", detail: `${pkg} (libtensorflow)` };
    }
    case "native": {
      const load = registerNativeBackend();
      if (!load.addon) return { ok: false, reason: load.reason };
      return {
        ok: true,
        tfjsName: NATIVE_BACKEND,
        detail: describeNativeAddon(load.addon),
        note: pinnedKernelNote(load.addon.config(), process.env, cpuFlags),
      };
    }
    case "wasm": {
      const r = await registerWasmBackend();
      if (!r.ok) return r;
      return {
        ok: true,
        tfjsName: WASM_BACKEND,
        detail: "tfjs-backend-wasm with ocrflow's training kernels",
      };
    }
    case "cpu":
      return { ok: true, tfjsName: "cpu", detail: "pure JavaScript (very slow for training)" };
  }
}

export interface ChooseBackendOptions {
  /** A backend to use and nothing else (overrides OCRFLOW_BACKEND). */
  force?: string;
  /** Where the one-line report goes; stderr by default, so JSON on stdout stays clean. */
  log?: (line: string) => void;
  /** CPU threads of the native backend (train.threads); 0 or absent = OCRFLOW_THREADS, else every core. */
  threads?: number;
}

/** Sets the best available backend (or the forced one) and reports it. */
export async function chooseBackend(options: ChooseBackendOptions = {}): Promise<BackendChoice> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Read by the native addon when it loads; an OCRFLOW_THREADS the user set wins.
  if (options.threads && options.threads > 0) process.env.OCRFLOW_THREADS ??= String(options.threads);
  const forcedName = options.force ?? process.env[BACKEND_ENV];
  const forced = forcedName ? parseBackendId(forcedName) : undefined;
  // tfjs' cpu backend prints a "use tfjs-node" banner on first use; prod mode silences it and skips debug checks.
  tf.enableProdMode();
  const skipped: { id: BackendId; reason: string }[] = [];
  for (const id of forced ? [forced] : BACKEND_ORDER) {
    const attempt = await tryBackend(id);
    if (attempt.ok && (await tf.setBackend(attempt.tfjsName))) {
      await tf.ready();
      const choice = {
        id,
        tfjsName: attempt.tfjsName,
        detail: attempt.detail,
        forced: Boolean(forced),
        skipped,
        ...(attempt.note ? { note: attempt.note } : {}),
      };
      log(describeChoice(choice));
      return choice;
    }
    const reason = attempt.ok ? `tfjs could not initialise "${attempt.tfjsName}"` : attempt.reason;
    if (forced)
      throw new Error(
        `backend "${forced}" was forced (--backend or ${BACKEND_ENV}) but is unavailable: ${reason}`,
      );
    skipped.push({ id, reason });
  }
  throw new Error("no tfjs backend could be initialised");
}

export function describeChoice(choice: BackendChoice): string {
  const how = choice.forced ? "forced" : "auto";
  let line = `[ocrflow] tfjs backend: ${choice.id} (${choice.detail}) [${how}]`;
  if (choice.note) line += `\n[ocrflow] note: ${choice.note}`;
  const nativeSkip = choice.skipped.find((s) => s.id === "native");
  if (nativeSkip)
    line += `\n[ocrflow] warning: native CPU backend unavailable, training will be slower: ${nativeSkip.reason}`;
  const others = choice.skipped.filter((s) => s.id !== "native");
  if (others.length > 0)
    line += `\n[ocrflow] skipped: ${others.map((s) => `${s.id} (${s.reason})`).join("; ")}`;
  return line;
}
