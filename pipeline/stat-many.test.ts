// Parallel stat gives exactly the sequential answer, including missing paths and non-files.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KIND_FILE, KIND_MISSING, KIND_OTHER, statMany, statManySync } from "./stat-many.ts";

describe("statMany", () => {
  it("matches statManySync when spread over threads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocrflow-stat-"));
    const paths: string[] = [];
    for (let i = 0; i < 300; i++) {
      writeFileSync(join(dir, `f${i}`), "x".repeat(i));
      paths.push(`f${i}`);
    }
    mkdirSync(join(dir, "sub"));
    symlinkSync(join(dir, "nowhere"), join(dir, "dangling"));
    paths.push("sub", "dangling", "gone");
    const sequential = statManySync(dir, paths);
    const parallel = await statMany(dir, paths, { threads: 3, threshold: 0 });
    expect([...parallel]).toEqual([...sequential]);
    expect(parallel[4 * 7 + 2]).toBe(7);
    expect(parallel[4 * 7 + 3]).toBe(KIND_FILE);
    expect(parallel[4 * 300 + 3]).toBe(KIND_OTHER);
    expect(parallel[4 * 301 + 3]).toBe(KIND_MISSING);
    expect(parallel[4 * 302 + 3]).toBe(KIND_MISSING);
  });
});
