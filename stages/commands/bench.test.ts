// `ocrflow bench train --json` prints one JSON object with the figures and the backend it ran on.
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { registerBenchCommand } from "./bench.ts";

describe("bench train", () => {
  it("prints images/s, GFLOP/s and the backend as JSON", async () => {
    const program = new Command("ocrflow").exitOverride();
    registerBenchCommand(program);
    const written: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await program.parseAsync(
        ["bench", "train", "--batch", "2", "--steps", "1", "--warmup", "0", "--json"],
        {
          from: "user",
        },
      );
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const report = JSON.parse(written.join(""));
    expect(report).toMatchObject({ arch: "synthetic", batch: 2, steps: 1 });
    expect(["native", "wasm"]).toContain(report.backendId);
    expect(report.imagesPerSecond).toBeGreaterThan(0);
    expect(report.gflopsPerSecond).toBeGreaterThan(0);
    // 21.7 GFLOP per step at batch 32, linear in the batch.
    expect(report.flopsPerStep).toBeCloseTo(((21.704 * 2) / 32) * 1e9, -7);
    expect(report.tensorsAfterLastStep).toBe(report.tensorsAfterFirstStep);
  });
});
