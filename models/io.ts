// The model directory (tfjs model.json + weights.bin, charset.json, config.json, metrics.json, README.md) and
// training checkpoints (weights, optimizer moments, loop state), written through a temporary name and renamed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createModel, type ModelDescription } from "./architectures.ts";
import type { SequenceModel } from "./recognizer.ts";

export const MODEL_FORMAT = "ocrflow-recognizer";

/** model.json: a tfjs weights manifest (tf.io.loadWeights reads it in a browser) plus the network description. */
export interface ModelJson {
  format: typeof MODEL_FORMAT;
  generatedBy: string;
  convertedBy: null;
  modelTopology: ModelDescription;
  weightsManifest: tf.io.WeightsManifestConfig;
}

export interface CharsetJson {
  chars: string[];
  /** Token ids of the specials; characters are 1..chars.length in order. */
  specials: { eos: number; bos: number; pad: number };
}

/** config.json: everything needed to rebuild and to trace the model. */
export interface ModelConfigJson extends ModelDescription {
  training?: Record<string, unknown>;
  dataset?: Record<string, unknown>;
  parameters: number;
  created: string;
}

async function encodeNamed(
  tensors: Map<string, tf.Tensor>,
): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const named = [...tensors].map(([name, tensor]) => ({ name, tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  return { data: new Uint8Array(data as ArrayBuffer), specs };
}

/** The bytes of the one weights group of `manifest` (its files in order) and their entries. */
function readWeightBytes(
  dir: string,
  manifest: tf.io.WeightsManifestConfig,
): { bytes: Buffer<ArrayBuffer>; specs: tf.io.WeightsManifestEntry[] } {
  const group = manifest[0];
  if (!group || manifest.length !== 1) throw new Error(`${dir}: expected one weights group in model.json`);
  return { bytes: Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p)))), specs: group.weights };
}

function decodeWeightBytes({ bytes, specs }: ReturnType<typeof readWeightBytes>): tf.NamedTensorMap {
  return tf.io.decodeWeights(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    specs,
  );
}

function decodeNamed(dir: string, manifest: tf.io.WeightsManifestConfig): tf.NamedTensorMap {
  return decodeWeightBytes(readWeightBytes(dir, manifest));
}

/** model.json of a model directory, checked to be an ocrflow recognizer's. */
function readModelJson(dir: string): ModelJson {
  const modelJson = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as ModelJson;
  if (modelJson.format !== MODEL_FORMAT)
    throw new Error(`${dir}/model.json: not an ocrflow recognizer (format ${modelJson.format})`);
  return modelJson;
}

/** Writes `tmp`, then swaps it in for `dir`. */
function replaceDirectory(dir: string, write: (tmp: string) => void): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  write(tmp);
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export interface SaveModelOptions {
  description: ModelDescription;
  training?: Record<string, unknown>;
  dataset?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  /** Model card; a short generated one when absent. */
  readme?: string;
}

export async function saveModelDirectory(
  dir: string,
  model: SequenceModel,
  options: SaveModelOptions,
): Promise<void> {
  const { data, specs } = await encodeNamed(model.params.named());
  const tok = model.tokenizer;
  const modelJson: ModelJson = {
    format: MODEL_FORMAT,
    generatedBy: "ocrflow",
    convertedBy: null,
    modelTopology: options.description,
    weightsManifest: [{ paths: ["weights.bin"], weights: specs }],
  };
  const config: ModelConfigJson = {
    ...options.description,
    ...(options.training ? { training: options.training } : {}),
    ...(options.dataset ? { dataset: options.dataset } : {}),
    parameters: model.params.parameterCount(),
    created: new Date().toISOString(),
  };
  const charset: CharsetJson = {
    chars: [...tok.chars],
    specials: { eos: tok.eos, bos: tok.bos, pad: tok.pad },
  };
  replaceDirectory(dir, (tmp) => {
    writeFileSync(join(tmp, "weights.bin"), data);
    writeFileSync(join(tmp, "model.json"), json(modelJson));
    writeFileSync(join(tmp, "charset.json"), json(charset));
    writeFileSync(join(tmp, "config.json"), json(config));
    writeFileSync(join(tmp, "metrics.json"), json(options.metrics ?? {}));
    writeFileSync(join(tmp, "README.md"), options.readme ?? defaultModelCard(config, options.metrics));
  });
}

export interface LoadedModel {
  model: SequenceModel;
  config: ModelConfigJson;
  metrics: Record<string, unknown>;
}

export function loadModelDirectory(dir: string): LoadedModel {
  const modelJson = readModelJson(dir);
  const charset = JSON.parse(readFileSync(join(dir, "charset.json"), "utf8")) as CharsetJson;
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as ModelConfigJson;
  const metricsFile = join(dir, "metrics.json");
  const metrics = existsSync(metricsFile)
    ? (JSON.parse(readFileSync(metricsFile, "utf8")) as Record<string, unknown>)
    : {};
  const model = createModel(modelJson.modelTopology, charset.chars);
  const weights = decodeNamed(dir, modelJson.weightsManifest);
  try {
    model.params.assign(weights);
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
  return { model, config, metrics };
}

/**
 * Starts `model` from the weights of the model directory `dir` (fine-tuning, or training on): the directory must
 * hold the same architecture, input and charset, and every parameter with the same shape. A deeper model may start
 * from a shallower one: the residual blocks the source lacks entirely (SequenceModel.identityBlocks) are added as
 * identities, so the deeper model first computes what the source did. Returns an md5 of the weights, for the
 * training run's fingerprint, and the prefixes of the blocks added. Errors name the directory and what differs.
 */
export function initialiseFromDirectory(
  model: SequenceModel,
  input: ModelDescription["input"],
  dir: string,
): { md5: string; added: string[] } {
  for (const file of ["model.json", "charset.json"])
    if (!existsSync(join(dir, file))) throw new Error(`${dir}: no ${file} (not a model directory)`);
  const modelJson = readModelJson(dir);
  const source = modelJson.modelTopology;
  if (source.architecture !== model.architecture)
    throw new Error(`${dir}: a ${source.architecture} model, not ${model.architecture}`);
  if (JSON.stringify(source.input) !== JSON.stringify(input))
    throw new Error(`${dir}: input ${JSON.stringify(source.input)}, not ${JSON.stringify(input)}`);
  const charset = JSON.parse(readFileSync(join(dir, "charset.json"), "utf8")) as CharsetJson;
  if (charset.chars.join("") !== model.tokenizer.chars.join(""))
    throw new Error(`${dir}: charset.json differs from the configured charset`);
  // One read of the weight files: decoded for the model, hashed for the run's fingerprint.
  const bytes = readWeightBytes(dir, modelJson.weightsManifest);
  const weights = decodeWeightBytes(bytes);
  const params = model.params.named();
  try {
    const extra = Object.keys(weights).filter((name) => !params.has(name));
    if (extra.length > 0)
      throw new Error(
        `${dir}: weights this model does not have: ${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", …" : ""} (another size or settings?)`,
      );
    // Blocks the source lacks as a whole; a block it holds in part is another configuration.
    const added = (model.identityBlocks?.() ?? []).filter(
      (block) => !Object.keys(weights).some((name) => name.startsWith(block.prefix)),
    );
    const isAdded = (name: string) => added.some((block) => name.startsWith(block.prefix));
    for (const [name, v] of params) {
      const w = weights[name];
      if (!w) {
        if (isAdded(name)) continue;
        throw new Error(`${dir}: no weights for ${name} (another size or settings?)`);
      }
      if (w.shape.join("x") !== v.shape.join("x"))
        throw new Error(`${dir}: ${name} is ${w.shape.join("x")}, not ${v.shape.join("x")}`);
      v.assign(w);
    }
    for (const block of added)
      for (const name of block.zero) {
        const v = model.params.get(name);
        tf.tidy(() => v.assign(tf.zerosLike(v)));
      }
    return {
      md5: createHash("md5").update(bytes.bytes).digest("hex"),
      added: added.map((block) => block.prefix.replace(/\.$/, "")),
    };
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
}

function defaultModelCard(config: ModelConfigJson, metrics?: Record<string, unknown>): string {
  return [
    `# ocrflow ${config.architecture}-${config.size}`,
    "",
    `A ${config.architecture} text-line recognizer (Cyrillic + Latin) trained by ocrflow with TensorFlow.js.`,
    "",
    `- input: ${config.input.height}x${config.input.width} grey, up to ${config.input.maxLength} characters`,
    "- preprocessing: the line image fitted into the input keeping its aspect ratio, then padded, as ink 0..1 " +
      "with 0 for the background (1 - grey/255, or grey/255 for light text on a dark background)",
    `- parameters: ${config.parameters}`,
    "- files: model.json (tfjs weights manifest + network description), weights.bin, charset.json, config.json, metrics.json",
    "",
    "```sh",
    "ocrflow predict --model <this folder> line.png",
    "```",
    "",
    "## Metrics",
    "",
    "```json",
    JSON.stringify(metrics ?? {}, null, 2),
    "```",
    "",
  ].join("\n");
}

/* ---------------------------------------------------------------------------------------------- */
/* Checkpoints: enough to continue a killed run where it stopped.                                  */

export interface CheckpointFiles<S> {
  state: S;
  tensors: tf.NamedTensorMap;
}

export async function saveCheckpoint<S>(
  dir: string,
  tensors: Map<string, tf.Tensor>,
  state: S,
): Promise<void> {
  const { data, specs } = await encodeNamed(tensors);
  replaceDirectory(dir, (tmp) => {
    writeFileSync(join(tmp, "tensors.bin"), data);
    writeFileSync(join(tmp, "manifest.json"), json([{ paths: ["tensors.bin"], weights: specs }]));
    writeFileSync(join(tmp, "state.json"), json(state));
  });
}

/** The checkpoint in `dir`, or undefined when there is none; the caller disposes the tensors. */
export function loadCheckpoint<S>(dir: string): CheckpointFiles<S> | undefined {
  if (!existsSync(join(dir, "state.json"))) return undefined;
  const manifest = JSON.parse(
    readFileSync(join(dir, "manifest.json"), "utf8"),
  ) as tf.io.WeightsManifestConfig;
  return {
    state: JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as S,
    tensors: decodeNamed(dir, manifest),
  };
}
