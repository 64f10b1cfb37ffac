// Import of an external labelled dataset: a folder of images with a CSV/TSV/JSON labels file, or a Hugging
// Face parquet file (image bytes + text) on disk. Every bad row is reported with its row number and skipped
// (counted) or made fatal, as configured; good images are fitted to the input size and written as shards.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import type { ImportConfig, InputConfig } from "../stages/config.ts";
import { fitInto, type GreyImage } from "./augment.ts";
import { type Charset, charactersOutside, describeCharacter, labelLength } from "./charset.ts";
import { formatLabelsCsv, parseDelimited, parseLabelsJson } from "./labels.ts";
import { writeShard } from "./shards.ts";
import { countLabel, type DatasetStats, emptyStats, sortedStats } from "./stats.ts";

export type ImportIssueKind =
  | "missing_file"
  | "escaping_path"
  | "corrupt_image"
  | "empty_label"
  | "outside_charset"
  | "too_long"
  | "bad_row";

/** One rejected row: `row` is the 1-based line of a CSV/TSV record, or the 1-based entry of JSON or parquet. */
export interface ImportIssue {
  row: number;
  kind: ImportIssueKind;
  message: string;
}

export class ImportError extends Error {
  constructor(
    readonly issue: ImportIssue,
    file: string,
  ) {
    super(`${file}: row ${issue.row}: ${issue.message}`);
    this.name = "ImportError";
  }
}

/** A row as read from the labels source, before any check. */
interface RawRow {
  row: number;
  text: string;
  /** Image path relative to the dataset folder (files) … */
  path?: string;
  /** … or its bytes (parquet). */
  bytes?: Uint8Array;
  /** A CSV/TSV record with another number of fields than the header. */
  bad?: boolean;
}

export interface ImportOptions {
  settings: ImportConfig;
  input: InputConfig;
  charset: Charset;
  /** The folder or parquet file; defaults to settings.source. */
  source: string;
  outDir: string;
  /** Prefix of the image names; default "imp". Give each imported set its own when splitting several together. */
  namePrefix?: string;
  shardSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ImportResult {
  imported: number;
  issues: ImportIssue[];
  stats: DatasetStats & { issues: Record<string, number>; source: string };
}

const LABEL_FILES = ["labels.csv", "labels.tsv", "labels.json"];

/** The labels file and its format for a source folder or file. */
export function resolveLabelsSource(
  source: string,
  settings: Pick<ImportConfig, "labels" | "format">,
): { file: string; root: string; format: "csv" | "tsv" | "json" | "parquet" } {
  if (!existsSync(source)) throw new Error(`import source ${source} does not exist`);
  const isDir = statSync(source).isDirectory();
  let file: string;
  if (!isDir) file = source;
  else if (settings.labels) file = join(source, settings.labels);
  else {
    const found = LABEL_FILES.map((f) => join(source, f)).find((f) => existsSync(f));
    if (!found) throw new Error(`import source ${source} has none of ${LABEL_FILES.join(", ")}`);
    file = found;
  }
  if (!existsSync(file)) throw new Error(`labels file ${file} does not exist`);
  const ext = extname(file).slice(1).toLowerCase();
  const format = settings.format === "auto" ? ext : settings.format;
  if (format !== "csv" && format !== "tsv" && format !== "json" && format !== "parquet") {
    throw new Error(`cannot tell the labels format of ${file}: set import.format`);
  }
  return { file, root: isDir ? source : dirname(file), format };
}

async function readRows(
  file: string,
  format: "csv" | "tsv" | "json" | "parquet",
  columns: ImportConfig["columns"],
): Promise<RawRow[]> {
  if (format === "parquet") return readParquetRows(file, columns);
  const text = readFileSync(file, "utf8");
  if (format === "json") {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) {
      return value.map((v, i) => {
        const o = (v ?? {}) as Record<string, unknown>;
        return { row: i + 1, path: String(o[columns.image] ?? ""), text: String(o[columns.text] ?? "") };
      });
    }
    return parseLabelsJson(text, file).map((l, i) => ({ row: i + 1, path: l.name, text: l.text }));
  }
  const table = parseDelimited(text, format === "tsv" ? "\t" : ",", file);
  const imageAt = table.columns.indexOf(columns.image);
  const textAt = table.columns.indexOf(columns.text);
  if (imageAt < 0 || textAt < 0) {
    throw new Error(
      `${file}: header needs the columns ${columns.image} and ${columns.text} (import.columns)`,
    );
  }
  return table.rows.map((r) => ({
    row: r.line,
    path: r.values[imageAt] ?? "",
    text: r.values[textAt] ?? "",
    ...(r.values.length !== table.columns.length ? { bad: true } : {}),
  }));
}

async function readParquetRows(file: string, columns: ImportConfig["columns"]): Promise<RawRow[]> {
  const { asyncBufferFromFile, parquetReadObjects } = await import("hyparquet");
  const rows = (await parquetReadObjects({
    file: await asyncBufferFromFile(file),
    columns: [columns.image, columns.text],
    // Plain binary columns as bytes, not strings; columns annotated as UTF-8 text still come as strings.
    utf8: false,
  })) as Array<Record<string, unknown>>;
  return rows.map((r, i) => {
    const cell = r[columns.image];
    // Hugging Face's Image feature is a struct {bytes, path}; plain binary columns are bytes.
    const bytes =
      cell instanceof Uint8Array
        ? cell
        : cell && typeof cell === "object" && (cell as { bytes?: unknown }).bytes instanceof Uint8Array
          ? ((cell as { bytes: Uint8Array }).bytes as Uint8Array)
          : undefined;
    const path =
      cell && typeof cell === "object" && typeof (cell as { path?: unknown }).path === "string"
        ? (cell as { path: string }).path
        : typeof cell === "string"
          ? cell
          : undefined;
    const row: RawRow = { row: i + 1, text: String(r[columns.text] ?? "") };
    if (bytes) row.bytes = bytes;
    else if (path !== undefined) row.path = path;
    return row;
  });
}

/** Where `path` points inside `root`, or undefined when it escapes it (`..`, absolute, or a link out). */
export function resolveInside(root: string, path: string): string | undefined {
  if (isAbsolute(path) || path.includes("\0")) return undefined;
  const full = resolve(root, path);
  const inside = (p: string, r: string) => {
    const rel = relative(r, p);
    return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
  };
  if (!inside(full, resolve(root))) return undefined;
  if (existsSync(full) && !inside(realpathSync(full), realpathSync(root))) return undefined;
  return full;
}

/** Decodes PNG/JPEG/WebP/GIF/BMP bytes to grey (Rec. 601 luma). */
export async function decodeGrey(bytes: Uint8Array): Promise<GreyImage> {
  const image = await loadImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const { width, height } = image;
  if (!width || !height) throw new Error("image has no pixels");
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(image, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.round(
      0.299 * (rgba[i * 4] as number) +
        0.587 * (rgba[i * 4 + 1] as number) +
        0.114 * (rgba[i * 4 + 2] as number),
    );
  }
  return { width, height, data };
}

/** Resizes keeping the aspect ratio and pads with white to the model input size. */
export function fitGrey(image: GreyImage, input: InputConfig): GreyImage {
  const ink = new Float32Array(image.data.length);
  for (let i = 0; i < ink.length; i++) ink[i] = 1 - (image.data[i] as number) / 255;
  const fitted = fitInto({ width: image.width, height: image.height, data: ink }, input.width, input.height);
  const data = new Uint8Array(fitted.data.length);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.round(255 * (1 - Math.min(1, Math.max(0, fitted.data[i] as number))));
  return { width: input.width, height: input.height, data };
}

/** `<prefix>-000000017.png`; the prefix keeps names unique when several imported sets are split together. */
export function importedName(index: number, prefix = "imp"): string {
  return `${prefix}-${String(index).padStart(9, "0")}.png`;
}

/** Imports into `outDir` (replacing it): shards, labels.csv and stats.json with the issue counts. */
export async function importDataset(options: ImportOptions): Promise<ImportResult> {
  const { settings, input, charset, outDir } = options;
  const { file, root, format } = resolveLabelsSource(options.source, settings);
  const rows = await readRows(file, format, settings.columns);
  const shardSize = options.shardSize ?? 5000;
  const issues: ImportIssue[] = [];
  const stats = emptyStats();
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const labels: Array<{ name: string; text: string }> = [];
  let pending: Parameters<typeof writeShard>[2] = [];
  let shard = 0;
  const limit = settings.limit ?? Number.POSITIVE_INFINITY;
  const reject = (issue: ImportIssue) => {
    if (settings.on_error === "fail") throw new ImportError(issue, file);
    issues.push(issue);
  };
  try {
    for (const [done, raw] of rows.entries()) {
      if (labels.length >= limit) break;
      options.onProgress?.(done, rows.length);
      if (raw.bad) {
        reject({ row: raw.row, kind: "bad_row", message: "wrong number of fields" });
        continue;
      }
      const text = settings.normalization === "none" ? raw.text : raw.text.normalize(settings.normalization);
      if (text.trim() === "") {
        reject({ row: raw.row, kind: "empty_label", message: "empty label" });
        continue;
      }
      const outside = charactersOutside(text, charset);
      if (outside.length > 0) {
        reject({
          row: raw.row,
          kind: "outside_charset",
          message: `label ${JSON.stringify(text)} has characters outside the charset: ${outside.map(describeCharacter).join(", ")}`,
        });
        continue;
      }
      if (labelLength(text) > input.max_label_length) {
        reject({
          row: raw.row,
          kind: "too_long",
          message: `label has ${labelLength(text)} characters, more than input.max_label_length ${input.max_label_length}`,
        });
        continue;
      }
      let bytes = raw.bytes;
      if (!bytes) {
        const path = raw.path ?? "";
        const full = path ? resolveInside(root, path) : undefined;
        if (!full) {
          reject({
            row: raw.row,
            kind: "escaping_path",
            message: `image path ${JSON.stringify(path)} leaves the dataset folder`,
          });
          continue;
        }
        if (!existsSync(full) || !statSync(full).isFile()) {
          reject({
            row: raw.row,
            kind: "missing_file",
            message: `image ${JSON.stringify(path)} does not exist`,
          });
          continue;
        }
        bytes = readFileSync(full);
      }
      let grey: GreyImage;
      try {
        grey = await decodeGrey(bytes);
      } catch (error) {
        reject({
          row: raw.row,
          kind: "corrupt_image",
          message: `image ${raw.path ? JSON.stringify(raw.path) : "bytes"} cannot be decoded (${error instanceof Error ? error.message : String(error)})`,
        });
        continue;
      }
      const name = importedName(labels.length, options.namePrefix);
      pending.push({ name, text, image: fitGrey(grey, input) });
      labels.push({ name, text });
      countLabel(stats, text);
      if (pending.length === shardSize) {
        writeShard(tmp, shard++, pending);
        pending = [];
      }
    }
    if (pending.length > 0) writeShard(tmp, shard++, pending);
    options.onProgress?.(rows.length, rows.length);
    writeFileSync(join(tmp, "labels.csv"), formatLabelsCsv(labels));
    const issueCounts: Record<string, number> = {};
    for (const i of issues) issueCounts[i.kind] = (issueCounts[i.kind] ?? 0) + 1;
    const result: ImportResult = {
      imported: labels.length,
      issues,
      stats: { ...sortedStats(stats), issues: issueCounts, source: basename(file) },
    };
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
    return result;
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
