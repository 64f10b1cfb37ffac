// End to end through the stage programs dvc.yaml calls: generate → split → convert → preview, with small
// overrides passed the way the engine passes `-S` (OCRFLOW_SET_PARAMS).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDelimited, parseLabelsCsv, parseLabelsJson } from "../datasets/labels.ts";
import { PARAM_OVERRIDES_ENV } from "../pipeline/config.ts";
import { main as convert } from "./convert.ts";
import { main as generate } from "./generate.ts";
import { main as importStage } from "./import.ts";
import { main as preview } from "./preview.ts";
import { main as split } from "./split.ts";

const dir = mkdtempSync(join(tmpdir(), "ocrflow-data-stages-"));
const previous = process.env[PARAM_OVERRIDES_ENV];

beforeAll(() => {
  process.env[PARAM_OVERRIDES_ENV] = JSON.stringify({
    "pipeline.config.yaml": {
      profile: "smoke",
      "generate.count": 120,
      "generate.shard_size": 64,
      "generate.preview": 8,
      "generate.fonts.families": ["pt-sans", "fira-code"],
      "convert.export_images": true,
    },
  });
});
afterAll(() => {
  if (previous === undefined) delete process.env[PARAM_OVERRIDES_ENV];
  else process.env[PARAM_OVERRIDES_ENV] = previous;
});

describe("data stages", () => {
  it("generate → split → convert → preview produce consistent outputs", async () => {
    const out = (p: string) => join(dir, p);
    expect(
      await generate(["--out", out("generated"), "--stats", out("stats/generate.json"), "--workers", "1"]),
    ).toBe(0);
    const genStats = JSON.parse(readFileSync(out("stats/generate.json"), "utf8"));
    expect(genStats.count).toBe(120);
    expect(genStats.shards).toBe(2);
    expect(Object.keys(genStats.fonts).every((f: string) => /^(pt-sans|fira-code)-/.test(f))).toBe(true);
    expect(existsSync(out("generated/preview.png"))).toBe(true);

    expect(await split([out("generated"), "--out", out("splits"), "--stats", out("stats/split.json")])).toBe(
      0,
    );
    const splitStats = JSON.parse(readFileSync(out("stats/split.json"), "utf8"));
    expect(splitStats.train.count + splitStats.val.count + splitStats.test.count).toBe(120);
    expect(splitStats.train.count).toBeGreaterThan(splitStats.val.count);

    expect(await convert([out("splits"), "--out", out("labels"), "--stats", out("stats/convert.json")])).toBe(
      0,
    );
    const generated = parseLabelsCsv(readFileSync(out("generated/labels.csv"), "utf8"));
    const byName = new Map(generated.map((l) => [l.name, l.text]));
    const seen = new Map<string, string>();
    for (const name of ["train", "val", "test"]) {
      const json = parseLabelsJson(readFileSync(out(`labels/${name}.json`), "utf8"));
      const csv = parseLabelsCsv(readFileSync(out(`labels/${name}.csv`), "utf8"));
      expect(csv).toEqual(json);
      for (const l of json) {
        expect(byName.get(l.name)).toBe(l.text);
        expect(seen.get(l.text) ?? name, `"${l.text}" leaks`).toBe(name);
        seen.set(l.text, name);
        expect(existsSync(out(`labels/images/${name}/${l.name}`))).toBe(true);
      }
    }
    expect(seen.size).toBeGreaterThan(0);

    expect(await preview([out("splits/val.jsonl"), "--count", "4", "--out", out("val.png")])).toBe(0);
    expect(readFileSync(out("val.png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it("split refuses a dataset whose labels leave the charset, naming the characters", async () => {
    process.env[PARAM_OVERRIDES_ENV] = JSON.stringify({
      "pipeline.config.yaml": {
        profile: "smoke",
        "generate.count": 16,
        "generate.shard_size": 16,
        "generate.preview": 0,
        "generate.fonts.families": ["pt-sans"],
      },
    });
    const out = (p: string) => join(dir, "bad", p);
    expect(await generate(["--out", out("generated"), "--stats", out("g.json"), "--workers", "1"])).toBe(0);
    // Same data, read with a charset that lost the digits and ₽.
    process.env[PARAM_OVERRIDES_ENV] = JSON.stringify({
      "pipeline.config.yaml": { profile: "smoke", "charset.digits": false, "charset.symbols": "" },
    });
    await expect(split([out("generated"), "--out", out("splits"), "--stats", out("s.json")])).rejects.toThrow(
      /outside the charset: "/,
    );
  });

  it("import → split takes generated and imported data together, reporting skipped rows", async () => {
    process.env[PARAM_OVERRIDES_ENV] = JSON.stringify({
      "pipeline.config.yaml": {
        profile: "smoke",
        "generate.count": 40,
        "generate.shard_size": 40,
        "generate.preview": 0,
        "generate.fonts.families": ["pt-sans"],
      },
    });
    const out = (p: string) => join(dir, "mixed", p);
    mkdirSync(out("source"), { recursive: true });
    const canvas = createCanvas(80, 24);
    canvas.getContext("2d").fillRect(2, 2, 40, 10);
    writeFileSync(out("source/a.png"), canvas.toBuffer("image/png"));
    writeFileSync(
      out("source/labels.csv"),
      formatDelimited(
        ["image", "text"],
        [
          ["a.png", "Импорт, «1»"],
          ["gone.png", "нет"],
        ],
      ),
    );
    expect(await importStage([out("source"), "--out", out("imported"), "--stats", out("i.json")])).toBe(0);
    const importStats = JSON.parse(readFileSync(out("i.json"), "utf8"));
    expect(importStats.count).toBe(1);
    expect(importStats.skipped).toBe(1);
    expect(importStats.issues).toEqual({ missing_file: 1 });
    expect(await generate(["--out", out("generated"), "--stats", out("g.json"), "--workers", "1"])).toBe(0);
    expect(
      await split([out("generated"), out("imported"), "--out", out("splits"), "--stats", out("s.json")]),
    ).toBe(0);
    const splitStats = JSON.parse(readFileSync(out("s.json"), "utf8"));
    expect(splitStats.train.count + splitStats.val.count + splitStats.test.count).toBe(41);
    const all = ["train", "val", "test"].flatMap((n) =>
      readFileSync(out(`splits/${n}.jsonl`), "utf8")
        .trim()
        .split("\n"),
    );
    expect(all.some((l) => l.includes('"imp-000000000.png"'))).toBe(true);
  });
});
