// `ocrflow predict --model DIR FILES_OR_DIRS...`: recognizes text-line images of any format sharp reads and any
// size, printing one JSON line per image {file, text, confidence}; unreadable files get an error line and a
// non-zero exit at the end, while the others are still recognized.
import { readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { GreyImage } from "../../datasets/augment.ts";

const IMAGE_EXTENSIONS = new Set([
  ".png",
  ".jpg",
  ".jpeg",
  ".webp",
  ".tif",
  ".tiff",
  ".gif",
  ".bmp",
  ".avif",
  ".heic",
  ".svg",
]);

/** Files as given, and the images inside folders (recursively, sorted). */
export function expandInputs(inputs: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(path);
    }
  };
  for (const input of inputs) {
    let isDir = false;
    try {
      isDir = statSync(input).isDirectory();
    } catch {
      // A missing path is reported as an unreadable file.
    }
    if (isDir) walk(input);
    else files.push(input);
  }
  return files;
}

/** Decodes any image sharp reads into one grey channel (alpha flattened onto white). */
export async function readGreyImage(file: string): Promise<GreyImage> {
  const sharp = (await import("sharp")).default;
  const { data, info } = await sharp(file)
    .flatten({ background: "#ffffff" })
    .toColourspace("b-w")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1)
    throw new Error(`${file}: expected one channel after conversion, got ${info.channels}`);
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}

interface PredictOptions {
  model?: string;
  batch: number;
  backend?: string;
  jsonl?: boolean;
}

export function registerPredictCommand(program: Command): void {
  program
    .command("predict")
    .description("recognize text-line images with a trained model; one JSON line per image")
    .option(
      "--model <dir>",
      "model directory (model.json, weights.bin, charset.json, config.json); default: models/pretrained/master-tiny",
    )
    .option("--batch <n>", "images per forward pass", positiveInt, 32)
    .option("--backend <name>", "force a tfjs backend: native, wasm, cpu… (else OCRFLOW_BACKEND or the best)")
    .option("--jsonl", "one JSON object per line (the default output; kept for scripts that pass it)")
    .argument("<inputs...>", "image files or folders of images")
    .action(async (inputs: string[], options: PredictOptions) => {
      const { chooseBackend } = await import("../../models/backend/index.ts");
      const { loadModelDirectory } = await import("../../models/io.ts");
      const { asRecognizer } = await import("../../models/recognizer.ts");
      await chooseBackend({ force: options.backend });
      const { resolveModelDir } = await import("../../documents/recognizer.ts");
      const dir = resolveModelDir(options.model);
      if (!dir) {
        process.stderr.write(
          "ocrflow predict: no --model given and no model at models/pretrained/master-tiny: pass --model DIR\n",
        );
        process.exitCode = 2;
        return;
      }
      const { model } = loadModelDirectory(dir);
      const recognizer = asRecognizer(model, options.batch);
      const files = expandInputs(inputs);
      let failures = 0;
      const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
      for (let start = 0; start < files.length; start += options.batch) {
        const chunk = files.slice(start, start + options.batch);
        const loaded = await Promise.all(
          chunk.map(async (file) => {
            try {
              return { file, image: await readGreyImage(file) };
            } catch (error) {
              return { file, error: (error as Error).message.split("\n")[0] as string };
            }
          }),
        );
        const readable = loaded.filter((l): l is { file: string; image: GreyImage } => "image" in l);
        const results = await recognizer.recognize(readable.map((l) => l.image));
        const byFile = new Map(readable.map((l, i) => [l.file, results[i]]));
        for (const l of loaded) {
          const r = byFile.get(l.file);
          if (r) print({ file: l.file, text: r.text, confidence: Number(r.confidence.toFixed(6)) });
          else {
            failures++;
            print({ file: l.file, error: "error" in l ? l.error : "not recognized" });
          }
        }
      }
      model.dispose();
      if (failures > 0) {
        process.stderr.write(`predict: ${failures} of ${files.length} images could not be read\n`);
        process.exitCode = 1;
      }
    });
}
