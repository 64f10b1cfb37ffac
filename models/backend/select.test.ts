// Backend choice: the fallback order, forcing by option or OCRFLOW_BACKEND, and the logged line.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { loadNativeAddon } from "./native-addon.ts";
import { BACKEND_ENV, chooseBackend, describeChoice, parseBackendId, pinnedKernelNote } from "./select.ts";

const nativeBuilt = Boolean(loadNativeAddon().addon);
const here = dirname(fileURLToPath(import.meta.url));

describe("chooseBackend", () => {
  afterEach(() => {
    delete process.env[BACKEND_ENV];
  });

  it("accepts the usual names for each backend", () => {
    expect(parseBackendId("tfjs-node-gpu")).toBe("tensorflow-gpu");
    expect(parseBackendId("node")).toBe("tensorflow");
    expect(parseBackendId("OpenBLAS")).toBe("native");
    expect(parseBackendId("wasm")).toBe("wasm");
    expect(() => parseBackendId("webgl")).toThrow(/unknown backend/);
  });

  it("without tfjs-node installed, picks the native backend (or wasm when the addon is missing) and logs why", async () => {
    const lines: string[] = [];
    const choice = await chooseBackend({ log: (l) => lines.push(l) });
    expect(choice.id).toBe(nativeBuilt ? "native" : "wasm");
    expect(tf.getBackend()).toBe(choice.tfjsName);
    expect(choice.skipped.map((s) => s.id)).toContain("tensorflow-gpu");
    expect(lines.join("\n")).toMatch(/tfjs backend: (native|wasm)/);
    if (!nativeBuilt) expect(lines.join("\n")).toMatch(/warning: native CPU backend unavailable/);
  });

  it("is forced by OCRFLOW_BACKEND and by the option, which wins", async () => {
    process.env[BACKEND_ENV] = "cpu";
    expect((await chooseBackend({ log: () => {} })).id).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    const forced = await chooseBackend({ force: "wasm", log: () => {} });
    expect(forced).toMatchObject({ id: "wasm", forced: true });
  });

  it.skipIf(!nativeBuilt)(
    `threads: the native backend runs the given number of threads (train.threads)${
      nativeBuilt ? "" : " — skipped: the native addon is not built"
    }`,
    () => {
      // A process of its own: OpenMP's thread count is fixed once the addon is loaded.
      const script = `import { chooseBackend } from ${JSON.stringify(join(here, "select.ts"))};
const choice = await chooseBackend({ threads: 1, log: () => {} });
console.log(choice.detail);`;
      const env = { ...process.env };
      delete env.OCRFLOW_THREADS;
      const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        encoding: "utf8",
        env,
      });
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(/, 1 threads/);
    },
  );

  it("fails loudly when a forced backend is unavailable", async () => {
    await expect(chooseBackend({ force: "tensorflow-gpu", log: () => {} })).rejects.toThrow(
      /forced.*not installed/,
    );
  });

  it("notes an OPENBLAS_CORETYPE that holds an AVX-512 CPU to older kernels, and only then", () => {
    const avx512 = () => new Set(["fma", "avx2", "avx512f"]);
    const haswell = "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY USE_OPENMP Haswell MAX_THREADS=64";
    const note = pinnedKernelNote(haswell, { OPENBLAS_CORETYPE: "Haswell" }, avx512);
    expect(note).toMatch(/^OPENBLAS_CORETYPE=Haswell holds OpenBLAS to older kernels/);
    // Not pinned: OpenBLAS chose its kernels itself.
    expect(pinnedKernelNote(haswell, {}, avx512)).toBeUndefined();
    // No AVX-512 on the CPU: Haswell's kernels are the best it has.
    expect(
      pinnedKernelNote(haswell, { OPENBLAS_CORETYPE: "Haswell" }, () => new Set(["avx2"])),
    ).toBeUndefined();
    // Pinned to AVX-512 kernels already.
    const cooperlake = haswell.replace("Haswell", "Cooperlake");
    expect(pinnedKernelNote(cooperlake, { OPENBLAS_CORETYPE: "COOPERLAKE" }, avx512)).toBeUndefined();
    const line = describeChoice({
      id: "native",
      tfjsName: "ocrflow-native",
      detail: "OpenBLAS 0.3.21 USE_OPENMP Haswell, 2 threads",
      forced: false,
      skipped: [],
      ...(note ? { note } : {}),
    });
    expect(line.split("\n")).toEqual([
      "[ocrflow] tfjs backend: native (OpenBLAS 0.3.21 USE_OPENMP Haswell, 2 threads) [auto]",
      `[ocrflow] note: ${note}`,
    ]);
  });
});
