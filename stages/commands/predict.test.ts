// `ocrflow predict` prints one JSON line per readable image (any format, any size) and an error line for each
// unreadable one, then exits non-zero.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createModel } from "../../models/architectures.ts";
import { chooseBackend } from "../../models/backend/index.ts";
import { saveModelDirectory } from "../../models/io.ts";
import { MINI, TOY_CHARS } from "../../models/toy.ts";
import { registerPredictCommand } from "./predict.ts";

let dir: string;
beforeAll(async () => {
  await chooseBackend({ log: () => {} });
  dir = mkdtempSync(join(tmpdir(), "ocrflow-predict-"));
  const model = createModel(MINI.master, [...TOY_CHARS], 5);
  await saveModelDirectory(join(dir, "model"), model, { description: MINI.master });
  model.dispose();
  mkdirSync(join(dir, "images"));
  const grey = Buffer.alloc(40 * 120, 255);
  await sharp(grey, { raw: { width: 120, height: 40, channels: 1 } })
    .png()
    .toFile(join(dir, "images", "a.png"));
  await sharp(Buffer.alloc(20 * 50 * 3, 200), { raw: { width: 50, height: 20, channels: 3 } })
    .jpeg()
    .toFile(join(dir, "images", "b.jpg"));
  writeFileSync(join(dir, "images", "broken.png"), "not an image");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("predict", () => {
  it("prints a JSON line per image and an error line for an unreadable one, then fails", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const errors = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const program = new Command().exitOverride();
    registerPredictCommand(program);
    try {
      await program.parseAsync(
        ["predict", "--model", join(dir, "model"), "--batch", "2", join(dir, "images")],
        { from: "user" },
      );
    } finally {
      spy.mockRestore();
      errors.mockRestore();
    }
    const records = lines
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.file)).toEqual(
      ["a.png", "b.jpg", "broken.png"].map((f) => join(dir, "images", f)),
    );
    for (const r of records.slice(0, 2)) {
      expect(typeof r.text).toBe("string");
      expect(r.confidence).toBeGreaterThanOrEqual(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
    }
    expect(records[2].error).toBeTruthy();
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
  });
});
