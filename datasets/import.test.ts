// Import reports every bad row (missing file, escaping path, corrupt image, empty label, characters outside
// the charset) with its row number, skips and counts them or fails as configured, and reads parquet bytes.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { loadPipelineConfig } from "../stages/config.ts";
import { buildCharset } from "./charset.ts";
import { ImportError, importDataset } from "./import.ts";
import { formatDelimited } from "./labels.ts";
import { readDataset, ShardReader } from "./shards.ts";

const config = loadPipelineConfig({ env: {} });
const charset = buildCharset(config.charset);

/** A dark-text-on-white PNG of the given size. */
function png(width: number, height: number): Buffer {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#000";
  ctx.fillRect(4, 4, width / 2, height / 2);
  return canvas.toBuffer("image/png");
}

function folderDataset(): string {
  const root = mkdtempSync(join(tmpdir(), "ocrflow-import-"));
  const dir = join(root, "set");
  mkdirSync(join(dir, "img"), { recursive: true });
  writeFileSync(join(dir, "img", "ok1.png"), png(200, 40));
  writeFileSync(join(dir, "img", "ok2.png"), png(60, 30));
  writeFileSync(join(dir, "img", "broken.png"), Buffer.from("not a png at all"));
  writeFileSync(join(root, "outside.png"), png(60, 30));
  const rows = [
    ["img/ok1.png", "Счёт № 12, «ООО»"], // line 2
    ["img/missing.png", "нет файла"], // line 3
    ["../outside.png", "escape"], // line 4
    ["img/broken.png", "битый"], // line 5
    ["img/ok2.png", "  "], // line 6: empty label
    ["img/ok2.png", "naïve"], // line 7: ï outside the charset
    ["/etc/passwd", "absolute"], // line 8
    ["img/ok2.png", "две\nстроки?"], // line 9: newline outside the charset (quoted, spans lines 9-10)
    ["img/ok2.png", "ok ₽"], // line 11
  ];
  writeFileSync(join(dir, "labels.csv"), formatDelimited(["image", "text"], rows));
  return dir;
}

const settings = { ...config.import, on_error: "skip" as const };

describe("importDataset", () => {
  it("imports the good rows and reports each bad one with its row number", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "ocrflow-import-out-")), "imported");
    const result = await importDataset({
      settings,
      input: config.input,
      charset,
      source: folderDataset(),
      outDir: out,
    });
    expect(result.imported).toBe(2);
    expect(result.issues.map((i) => [i.row, i.kind])).toEqual([
      [3, "missing_file"],
      [4, "escaping_path"],
      [5, "corrupt_image"],
      [6, "empty_label"],
      [7, "outside_charset"],
      [8, "escaping_path"],
      [9, "outside_charset"],
    ]);
    expect(result.issues.find((i) => i.row === 7)?.message).toContain("U+00EF");
    expect(result.stats.issues).toEqual({
      missing_file: 1,
      escaping_path: 2,
      corrupt_image: 1,
      empty_label: 1,
      outside_charset: 2,
    });
    const samples = readDataset(out);
    expect(samples.map((s) => s.text)).toEqual(["Счёт № 12, «ООО»", "ok ₽"]);
    const reader = new ShardReader();
    const image = reader.read(samples[0] as (typeof samples)[0]);
    reader.close();
    expect([image.width, image.height]).toEqual([config.input.width, config.input.height]);
    expect(Math.min(...image.data)).toBeLessThan(50);
  });

  it("stops at the first bad row when on_error is fail, naming the row", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "ocrflow-import-out-")), "imported");
    const run = importDataset({
      settings: { ...settings, on_error: "fail" },
      input: config.input,
      charset,
      source: folderDataset(),
      outDir: out,
    });
    await expect(run).rejects.toThrow(ImportError);
    await expect(
      importDataset({
        settings: { ...settings, on_error: "fail" },
        input: config.input,
        charset,
        source: folderDataset(),
        outDir: out,
      }),
    ).rejects.toThrow(/row 3: image "img\/missing.png" does not exist/);
  });

  it("honours limit", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "ocrflow-import-out-")), "imported");
    const result = await importDataset({
      settings: { ...settings, limit: 1 },
      input: config.input,
      charset,
      source: folderDataset(),
      outDir: out,
    });
    expect(result.imported).toBe(1);
  });

  it("reads a parquet file of image bytes and text, reporting a corrupt row by its index", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocrflow-import-parquet-"));
    const file = join(dir, "train.parquet");
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: "image", data: [png(120, 32), Buffer.from("junk"), png(90, 30)], type: "BYTE_ARRAY" },
        { name: "text", data: ["Привет, мир", "плохо", "ёлка 2024"], type: "STRING" },
      ],
    });
    writeFileSync(file, Buffer.from(buffer));
    const out = join(dir, "imported");
    const result = await importDataset({ settings, input: config.input, charset, source: file, outDir: out });
    expect(result.imported).toBe(2);
    expect(result.issues.map((i) => [i.row, i.kind])).toEqual([[2, "corrupt_image"]]);
    expect(readDataset(out).map((s) => s.text)).toEqual(["Привет, мир", "ёлка 2024"]);
  });

  it("reads the Hugging Face Image layout: a struct column {bytes, path}", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocrflow-import-hf-"));
    const file = join(dir, "data.parquet");
    const buffer = parquetWriteBuffer({
      columnData: [
        {
          name: "image",
          data: [
            { bytes: png(100, 32), path: "0.png" },
            { bytes: png(64, 32), path: "1.png" },
          ],
        },
        { name: "text", data: ["Москва 2024", ""] },
      ],
      schema: [
        { name: "root", num_children: 2 },
        { name: "image", repetition_type: "OPTIONAL", num_children: 2 },
        { name: "bytes", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" },
        { name: "path", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
        { name: "text", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      ],
    });
    writeFileSync(file, Buffer.from(buffer));
    const result = await importDataset({
      settings,
      input: config.input,
      charset,
      source: file,
      outDir: join(dir, "out"),
    });
    expect(result.imported).toBe(1);
    expect(result.issues).toEqual([{ row: 2, kind: "empty_label", message: "empty label" }]);
    expect(readDataset(join(dir, "out")).map((s) => s.text)).toEqual(["Москва 2024"]);
  });

  it("reports a CSV record with the wrong number of fields by its line, in a TSV file too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocrflow-import-tsv-"));
    writeFileSync(join(dir, "a.png"), png(50, 20));
    writeFileSync(join(dir, "labels.tsv"), "image\ttext\na.png\tодин\na.png\tдва\tлишнее\na.png\tтри\n");
    const result = await importDataset({
      settings,
      input: config.input,
      charset,
      source: dir,
      outDir: join(dir, "out"),
    });
    expect(result.imported).toBe(2);
    expect(result.issues.map((i) => [i.row, i.kind])).toEqual([[3, "bad_row"]]);
  });
});
