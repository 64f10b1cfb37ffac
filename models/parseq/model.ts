// PARSeq-style recognizer (after baudm/parseq's model.py): a ViT encoder over image patches and a two-stream
// transformer decoder trained with permutation language modelling; autoregressive decoding with refinement,
// or non-autoregressive decoding. The training loop is models/train.ts; this file is the network alone.
import * as tf from "@tensorflow/tfjs";
import type { ParseqConfig, ParseqSizeConfig } from "../../stages/config.ts";
import { defineColumnCtc, withColumnCtc } from "../ctc.ts";
import {
  attention,
  convBatchNorm,
  defineAttention,
  defineBatchNorm,
  defineConv,
  defineLayerNorm,
  defineLinear,
  defineMlp,
  dropout,
  embed,
  type ForwardContext,
  type KeyValue,
  layerNorm,
  linear,
  mlp,
  ParameterStore,
  projectKeyValue,
  sinusoid2d,
} from "../nn.ts";
import type { InputShape } from "../preprocess.ts";
import {
  GreedyLines,
  type IdentityBlock,
  type LossOptions,
  type SequenceModel,
  smoothedCrossEntropy,
} from "../recognizer.ts";
import { Tokenizer } from "../tokenizer.ts";
import { permutationMasks, trainingPermutations } from "./permutations.ts";

/** The architecture of one size plus the decoding and permutation settings (train.parseq in the config). */
export interface ParseqSettings extends ParseqSizeConfig {
  permutations: ParseqConfig["permutations"];
  perm_forward: boolean;
  perm_mirrored: boolean;
  decode: ParseqConfig["decode"];
  refine_iters: number;
}

const NEG = -1e9;

export class ParseqModel implements SequenceModel {
  readonly architecture = "parseq" as const;
  readonly params: ParameterStore;
  readonly tokenizer: Tokenizer;
  private readonly grid: { rows: number; cols: number };
  /** Strides of the conv stem's layers (empty: linear patch embedding). */
  private readonly stemStrides: Array<[number, number]> = [];
  /** 3x3 convs per stem stride, the first strided. */
  private get stemDepth(): number {
    return this.settings.stem_depth ?? 1;
  }
  /** Runs the K permutations of a one-layer decoder as one stacked pass (false: one pass each, for tests). */
  stackPermutations = true;
  /** Decodes a one-layer decoder with its keys and values cached (false: the general path, for tests). */
  cachedDecoding = true;

  constructor(
    readonly settings: ParseqSettings,
    readonly input: InputShape,
    chars: readonly string[],
    seed = 1,
  ) {
    this.tokenizer = new Tokenizer(chars);
    this.params = new ParameterStore(seed);
    const s = settings;
    const { height: ph, width: pw } = s.patch;
    if (input.height % ph || input.width % pw)
      throw new Error(
        `parseq: input ${input.height}x${input.width} is not a multiple of the patch ${ph}x${pw}`,
      );
    this.grid = { rows: input.height / ph, cols: input.width / pw };
    const d = s.embed_dim;
    const p = this.params;
    let cin = 1;
    if (s.stem === "conv") {
      if (!isPowerOfTwo(ph) || !isPowerOfTwo(pw))
        throw new Error(`parseq: a conv stem needs a patch of powers of 2, not ${ph}x${pw}`);
      for (let h = ph, w = pw; h > 1 || w > 1; h = Math.max(1, h / 2), w = Math.max(1, w / 2))
        this.stemStrides.push([h > 1 ? 2 : 1, w > 1 ? 2 : 1]);
      this.stemStrides.forEach((_, i) => {
        const cout = Math.min(d, 32 * 2 ** i);
        defineConv(p, `enc.stem.${i}.conv`, 3, 3, cin, cout);
        defineBatchNorm(p, `enc.stem.${i}.bn`, cout);
        for (let j = 1; j < this.stemDepth; j++) {
          defineConv(p, `enc.stem.${i}.${j}.conv`, 3, 3, cout, cout);
          defineBatchNorm(p, `enc.stem.${i}.${j}.bn`, cout);
        }
        cin = cout;
      });
    }
    // With sinusoidal positions (about unit size) the tokens are brought to about unit size too (a LeCun-scaled
    // projection of the stem's features or the patch pixels): otherwise the positions drown them.
    const patchIn = s.stem === "conv" ? cin : ph * pw;
    defineLinear(p, "enc.patch", patchIn, d, s.positions === "sinusoid" ? Math.sqrt(1 / patchIn) : 0.02);
    if (s.positions === "sinusoid") p.initialised("enc.pos", sinusoid2d(this.grid.rows, this.grid.cols, d));
    else p.normal("enc.pos", [this.grid.rows * this.grid.cols, d], 0.02);
    for (let i = 0; i < s.encoder.depth; i++) {
      defineLayerNorm(p, `enc.${i}.ln1`, d);
      defineAttention(p, `enc.${i}.attn`, d);
      defineLayerNorm(p, `enc.${i}.ln2`, d);
      defineMlp(p, `enc.${i}.mlp`, d, d * s.encoder.mlp_ratio);
    }
    defineLayerNorm(p, "enc.norm", d);
    p.normal("dec.embed", [this.tokenizer.tokens, d], 1);
    p.normal("dec.pos", [input.maxLength + 1, d], 0.02);
    for (let i = 0; i < s.decoder.depth; i++) {
      defineLayerNorm(p, `dec.${i}.normq`, d);
      defineLayerNorm(p, `dec.${i}.normc`, d);
      defineAttention(p, `dec.${i}.self`, d);
      defineLayerNorm(p, `dec.${i}.norm1`, d);
      defineAttention(p, `dec.${i}.cross`, d);
      defineLayerNorm(p, `dec.${i}.norm2`, d);
      defineMlp(p, `dec.${i}.mlp`, d, d * s.decoder.mlp_ratio);
    }
    defineLayerNorm(p, "dec.norm", d);
    defineLinear(p, "head", d, this.tokenizer.classes);
    defineColumnCtc(p, d, this.tokenizer, s.ctc_weight);
  }

  describe(): Record<string, unknown> {
    return { ...this.settings };
  }

  /** The encoder's layers (pre-norm: attention and MLP branches added to the tokens). */
  identityBlocks(): IdentityBlock[] {
    return Array.from({ length: this.settings.encoder.depth }, (_, i) => ({
      prefix: `enc.${i}.`,
      zero: [`enc.${i}.attn.o.w`, `enc.${i}.attn.o.b`, `enc.${i}.mlp.fc2.w`, `enc.${i}.mlp.fc2.b`],
    }));
  }

  /** Visual features [B, patches, D]. */
  encode(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor3D {
    const { height: ph, width: pw } = this.settings.patch;
    const { rows, cols } = this.grid;
    const n = images.shape[0];
    const d = this.settings.embed_dim;
    const p = this.params;
    let patches: tf.Tensor2D;
    if (this.stemStrides.length > 0) {
      // Early convolutions (Xiao et al., 2021): a few strided 3x3 convs instead of one linear map per patch make
      // the small ViT train much faster; each output pixel is one patch of the grid.
      let y: tf.Tensor4D = images;
      this.stemStrides.forEach((stride, i) => {
        y = convBatchNorm(p, `enc.stem.${i}.conv`, `enc.stem.${i}.bn`, y, ctx, { stride, relu: true });
        for (let j = 1; j < this.stemDepth; j++)
          y = convBatchNorm(p, `enc.stem.${i}.${j}.conv`, `enc.stem.${i}.${j}.bn`, y, ctx, { relu: true });
      });
      patches = tf.reshape(y, [n * rows * cols, y.shape[3]]);
    } else
      patches = tf.reshape(tf.transpose(tf.reshape(images, [n, rows, ph, cols, pw]), [0, 1, 3, 2, 4]), [
        n * rows * cols,
        ph * pw,
      ]);
    let x = tf.add(tf.reshape(linear(p, "enc.patch", patches), [n, rows * cols, d]), p.get("enc.pos"));
    const rate = this.settings.dropout;
    x = dropout(x, rate, ctx);
    for (let i = 0; i < this.settings.encoder.depth; i++) {
      const a = layerNorm(p, `enc.${i}.ln1`, x) as tf.Tensor3D;
      x = tf.add(
        x,
        dropout(
          attention(p, `enc.${i}.attn`, a, a, this.settings.encoder.heads, undefined, 0, ctx),
          rate,
          ctx,
        ),
      );
      x = tf.add(x, dropout(mlp(p, `enc.${i}.mlp`, layerNorm(p, `enc.${i}.ln2`, x), rate, ctx), rate, ctx));
    }
    return layerNorm(p, "enc.norm", x) as tf.Tensor3D;
  }

  /** Cross-attention keys and values of the memory for each decoder layer (reused by every query). */
  private memoryKeyValues(memory: tf.Tensor3D): KeyValue[] {
    const heads = this.settings.decoder.heads;
    return Array.from({ length: this.settings.decoder.depth }, (_, i) =>
      projectKeyValue(this.params, `dec.${i}.cross`, memory, heads),
    );
  }

  /**
   * Decoder output [B, Q, D] (parseq's Model.decode): the query stream `query` [B, Q, D] over the content stream
   * built from `tokens` [B, L] (BOS first); masks are additive.
   */
  private decodeStreams(
    tokens: tf.Tensor2D,
    query: tf.Tensor3D,
    memoryKV: KeyValue[],
    queryMask: tf.Tensor | undefined,
    contentMask: tf.Tensor | undefined,
    paddingMask: tf.Tensor | undefined,
    ctx: ForwardContext,
  ): tf.Tensor3D {
    const p = this.params;
    const s = this.settings;
    const d = s.embed_dim;
    const l = tokens.shape[1];
    // BOS carries no position (parseq's null context); character t gets position query t-1. The positions are
    // shifted down one row in [L, D] and broadcast over the batch: slicing and concatenating [B, L, D] activations
    // costs far more than the attention itself (their gradients are element-by-element Slice/SplitV kernels).
    const embedded = tf.mul(embed(p.get("dec.embed") as tf.Tensor2D, tokens), Math.sqrt(d));
    let content = embedded as tf.Tensor3D;
    if (l > 1) {
      const shifted = tf.pad(tf.slice(p.get("dec.pos"), [0, 0], [l - 1, d]), [
        [1, 0],
        [0, 0],
      ]);
      content = tf.add(embedded, shifted) as tf.Tensor3D;
    }
    content = dropout(content, s.dropout, ctx) as tf.Tensor3D;
    let q = dropout(query, s.dropout, ctx) as tf.Tensor3D;
    const selfMaskQ = combine(queryMask, paddingMask);
    const selfMaskC = combine(contentMask, paddingMask);
    for (let i = 0; i < s.decoder.depth; i++) {
      const last = i === s.decoder.depth - 1;
      const qNorm = layerNorm(p, `dec.${i}.normq`, q) as tf.Tensor3D;
      const cNorm = layerNorm(p, `dec.${i}.normc`, content) as tf.Tensor3D;
      const contentKV = projectKeyValue(p, `dec.${i}.self`, cNorm, s.decoder.heads);
      const next = this.stream(i, q, qNorm, contentKV, memoryKV[i] as KeyValue, selfMaskQ, ctx);
      if (!last) content = this.stream(i, content, cNorm, contentKV, memoryKV[i] as KeyValue, selfMaskC, ctx);
      q = next;
    }
    return layerNorm(p, "dec.norm", q) as tf.Tensor3D;
  }

  /** parseq's DecoderLayer.forward_stream: self-attention over the content, cross-attention, MLP. */
  private stream(
    i: number,
    target: tf.Tensor3D,
    targetNorm: tf.Tensor3D,
    contentKV: KeyValue,
    memoryKV: KeyValue,
    mask: tf.Tensor | undefined,
    ctx: ForwardContext,
  ): tf.Tensor3D {
    const p = this.params;
    const s = this.settings;
    const rate = s.dropout;
    let x = tf.add(
      target,
      dropout(attention(p, `dec.${i}.self`, targetNorm, contentKV, s.decoder.heads, mask, 0, ctx), rate, ctx),
    );
    x = tf.add(
      x,
      dropout(
        attention(
          p,
          `dec.${i}.cross`,
          layerNorm(p, `dec.${i}.norm1`, x) as tf.Tensor3D,
          memoryKV,
          s.decoder.heads,
          undefined,
          0,
          ctx,
        ),
        rate,
        ctx,
      ),
    );
    x = tf.add(x, dropout(mlp(p, `dec.${i}.mlp`, layerNorm(p, `dec.${i}.norm2`, x), rate, ctx), rate, ctx));
    return x as tf.Tensor3D;
  }

  /**
   * Position queries `from..from+count-1` [B, count, D], repeated `repeats` times along the query axis
   * ([B, repeats * count, D]); broadcast rather than tiled, so the gradient is one sum rather than B slices.
   */
  private positionQueries(n: number, from: number, count: number, repeats = 1): tf.Tensor3D {
    const d = this.settings.embed_dim;
    let pos: tf.Tensor = tf.reshape(tf.slice(this.params.get("dec.pos"), [from, 0], [count, d]), [
      1,
      count,
      d,
    ]);
    if (repeats > 1) pos = tf.reshape(tf.broadcastTo(pos, [repeats, count, d]), [1, repeats * count, d]);
    return tf.broadcastTo(pos, [n, repeats * count, d]) as tf.Tensor3D;
  }

  /**
   * Permutation language modelling (parseq's system.py training_step): the loss averaged over K permutations of
   * the target order, forward and mirrored first; EOS is predicted only under those two.
   */
  loss(images: tf.Tensor4D, labels: readonly string[], options: LossOptions): tf.Scalar {
    const { ctx } = options;
    const n = images.shape[0];
    const tok = this.tokenizer;
    const encoded = tok.encodeBatch(labels);
    const length = encoded.length; // BOS + chars + EOS
    const inIds = new Int32Array(n * (length - 1));
    const outIds = new Int32Array(n * (length - 1));
    const padding = new Float32Array(n * (length - 1));
    const weightsAll = new Float32Array(n * (length - 1));
    const weightsNoEos = new Float32Array(n * (length - 1));
    for (let b = 0; b < n; b++) {
      for (let t = 0; t < length - 1; t++) {
        const i = b * (length - 1) + t;
        const cur = encoded.ids[b * length + t] as number;
        const nxt = encoded.ids[b * length + t + 1] as number;
        inIds[i] = cur;
        outIds[i] = nxt === tok.pad ? 0 : nxt;
        padding[i] = cur === tok.pad || cur === tok.eos ? NEG : 0;
        weightsAll[i] = nxt === tok.pad ? 0 : 1;
        weightsNoEos[i] = nxt === tok.pad || nxt === tok.eos ? 0 : 1;
      }
    }
    const memory = this.encode(images, ctx);
    const memoryKV = this.memoryKeyValues(memory);
    const t = length - 1;
    const tokens = tf.tensor2d(inIds, [n, t], "int32");
    const paddingMask = tf.tensor4d(padding, [n, 1, 1, t]);
    const perms = trainingPermutations(length - 2, this.settings, options.seed);
    // The query stream's positions are independent of one another (they attend to the content and the memory
    // only), so with one decoder layer, whose content stream is never updated, the K orders run as one pass of
    // K * T queries with the K query masks stacked: the content stream, its keys and values are built once.
    // Deeper decoders update the content under each order's content mask, so each order runs on its own.
    const groups =
      this.settings.decoder.depth === 1 && this.stackPermutations ? [perms] : perms.map((p) => [p]);
    let total: tf.Scalar = tf.scalar(0);
    let count = 0;
    let first = 0;
    for (const group of groups) {
      const k = group.length;
      const queryMask = new Float32Array(k * t * t);
      const contentMask = new Float32Array(k * t * t);
      const targets = new Int32Array(n * k * t);
      const weights = new Float32Array(n * k * t);
      group.forEach((perm, j) => {
        const masks = permutationMasks(perm);
        queryMask.set(masks.queryMask, j * t * t);
        contentMask.set(masks.contentMask, j * t * t);
        // EOS is predicted only under the forward and mirrored orders (the first two).
        const w = first + j < 2 ? weightsAll : weightsNoEos;
        for (let b = 0; b < n; b++) {
          targets.set(outIds.subarray(b * t, (b + 1) * t), (b * k + j) * t);
          weights.set(w.subarray(b * t, (b + 1) * t), (b * k + j) * t);
        }
      });
      first += k;
      const out = this.decodeStreams(
        tokens,
        this.positionQueries(n, 0, t, k),
        memoryKV,
        tf.tensor2d(queryMask, [k * t, t]),
        k === 1 ? tf.tensor2d(contentMask, [t, t]) : undefined,
        paddingMask,
        ctx,
      );
      const logits = tf.reshape(linear(this.params, "head", out), [n * k * t, tok.classes]) as tf.Tensor2D;
      const counted = weights.reduce((a, b) => a + b, 0);
      const ce = smoothedCrossEntropy(
        logits,
        tf.tensor1d(targets, "int32"),
        tf.tensor1d(weights),
        options.labelSmoothing,
      );
      total = tf.add(total, tf.mul(ce, counted));
      count += counted;
    }
    const ce = tf.div(total, Math.max(count, 1)) as tf.Scalar;
    return withColumnCtc(ce, this.settings.ctc_weight, ctx, this.params, memory, this.grid, labels, tok);
  }

  /** Class probabilities [B, maxLength + 1, classes]. */
  decode(images: tf.Tensor4D): tf.Tensor3D {
    const ctx: ForwardContext = { training: false };
    const n = images.shape[0];
    const tok = this.tokenizer;
    const steps = this.input.maxLength + 1;
    const memory = this.encode(images, ctx);
    const memoryKV = this.memoryKeyValues(memory);
    const bos = tf.fill([n, 1], tok.bos, "int32") as tf.Tensor2D;
    let logits: tf.Tensor3D;
    if (this.settings.decode === "non-autoregressive") {
      const out = this.decodeStreams(
        bos,
        this.positionQueries(n, 0, steps),
        memoryKV,
        undefined,
        undefined,
        undefined,
        ctx,
      );
      logits = linear(this.params, "head", out) as tf.Tensor3D;
    } else if (this.settings.decoder.depth === 1 && this.cachedDecoding) {
      logits = this.decodeCached(memoryKV[0] as KeyValue, n, steps);
    } else {
      // One position at a time; the query at step i sees the content BOS..i (a causal row).
      let tokens = bos;
      const stepLogits: tf.Tensor3D[] = [];
      for (let i = 0; i < steps; i++) {
        const out = this.decodeStreams(
          tokens,
          this.positionQueries(n, i, 1),
          memoryKV,
          undefined,
          undefined,
          undefined,
          ctx,
        );
        const step = linear(this.params, "head", out) as tf.Tensor3D;
        stepLogits.push(step);
        const next = tf.cast(tf.argMax(step, -1), "int32") as tf.Tensor2D;
        tokens = tf.concat([tokens, next], 1);
        // Stop once every line has produced EOS (a data read per step, cheap next to the decoder).
        if (i % 4 === 3 && allEnded(tokens.dataSync() as Int32Array, n, i + 2, tok.eos)) break;
      }
      logits = tf.concat(stepLogits, 1) as tf.Tensor3D;
    }
    const produced = logits.shape[1];
    if (produced < steps) {
      // Positions never decoded: EOS with certainty, so the text ends where every line already ended.
      const eos = tf.oneHot(tf.fill([n, steps - produced], tok.eos, "int32"), tok.classes);
      logits = tf.concat([logits, tf.mul(eos, 1e4)], 1) as tf.Tensor3D;
    }
    for (let r = 0; r < this.settings.refine_iters; r++) logits = this.refine(logits, memoryKV, ctx);
    return tf.softmax(logits) as tf.Tensor3D;
  }

  /**
   * Greedy autoregressive decoding of a one-layer decoder, the same function as decodeStreams one position at a
   * time, in a third of the kernels: with one layer the content stream is never updated, so each token's keys
   * and values are computed once and cached, and the query stream's inputs (the position queries) are the same
   * for every line, so their norm and projection run once for all steps. Lines that produced EOS are retired
   * from the batch (GreedyLines). Logits [B, produced, classes], up to the step where every line has produced
   * EOS.
   */
  private decodeCached(lineMemory: KeyValue, n: number, steps: number): tf.Tensor3D {
    let memory = lineMemory;
    const p = this.params;
    const s = this.settings;
    const d = s.embed_dim;
    const heads = s.decoder.heads;
    const dh = d / heads;
    const tok = this.tokenizer;
    const positions = tf.slice(p.get("dec.pos"), [0, 0], [steps, d]) as tf.Tensor2D;
    const selfQueries = tf.mul(
      linear(p, "dec.0.self.q", layerNorm(p, "dec.0.normq", positions)),
      1 / Math.sqrt(dh),
    );
    const table = p.get("dec.embed") as tf.Tensor2D;
    const lines = new GreedyLines(n, tok.eos);
    let token: tf.Tensor1D = tf.fill([n], tok.bos, "int32");
    let keys: tf.Tensor4D | undefined;
    let values: tf.Tensor4D | undefined;
    // [B, D] rows as [B, heads, 1, dh] (one position: the same memory layout as splitHeads).
    const split = (x: tf.Tensor) => tf.reshape(x, [-1, heads, 1, dh]) as tf.Tensor4D;
    const attend = (query: tf.Tensor4D, kv: KeyValue) =>
      tf.reshape(tf.matMul(tf.softmax(tf.matMul(query, kv.k, false, true)), kv.v), [-1, d]);
    for (let i = 0; i < steps; i++) {
      // The newest token's content: its embedding plus the position of the character before it (BOS has none).
      let content = tf.mul(embed(table, token), Math.sqrt(d));
      if (i > 0) content = tf.add(content, tf.slice(positions, [i - 1, 0], [1, d]));
      const contentNorm = layerNorm(p, "dec.0.normc", content);
      const k = split(linear(p, "dec.0.self.k", contentNorm));
      const v = split(linear(p, "dec.0.self.v", contentNorm));
      keys = keys ? (tf.concat([keys, k], 2) as tf.Tensor4D) : k;
      values = values ? (tf.concat([values, v], 2) as tf.Tensor4D) : v;
      const query = split(tf.slice(selfQueries, [i, 0], [1, d]));
      let x = tf.add(
        tf.slice(positions, [i, 0], [1, d]),
        linear(p, "dec.0.self.o", attend(query, { k: keys, v: values })),
      );
      const crossQuery = split(
        tf.mul(linear(p, "dec.0.cross.q", layerNorm(p, "dec.0.norm1", x)), 1 / Math.sqrt(dh)),
      );
      x = tf.add(x, linear(p, "dec.0.cross.o", attend(crossQuery, memory)));
      x = tf.add(x, mlp(p, "dec.0.mlp", layerNorm(p, "dec.0.norm2", x), 0, { training: false }));
      const next = lines.step(linear(p, "head", layerNorm(p, "dec.norm", x)) as tf.Tensor2D);
      if (next.done) break;
      token = next.token;
      const keep = lines.retire();
      if (keep) {
        token = tf.gather(token, keep);
        keys = tf.gather(keys, keep) as tf.Tensor4D;
        values = tf.gather(values, keep) as tf.Tensor4D;
        memory = { k: tf.gather(memory.k, keep) as tf.Tensor4D, v: tf.gather(memory.v, keep) as tf.Tensor4D };
      }
    }
    return lines.logits(tok.classes);
  }

  /** parseq's iterative refinement: every position sees all predicted tokens except itself (a cloze mask). */
  private refine(logits: tf.Tensor3D, memoryKV: KeyValue[], ctx: ForwardContext): tf.Tensor3D {
    const n = logits.shape[0];
    const steps = logits.shape[1];
    const tok = this.tokenizer;
    const predicted = tf.cast(
      tf.argMax(tf.slice(logits, [0, 0, 0], [n, steps - 1, tok.classes]), -1),
      "int32",
    );
    const tokens = tf.concat([tf.fill([n, 1], tok.bos, "int32"), predicted], 1) as tf.Tensor2D;
    // Padding: every content position after the first EOS.
    const isEos = tf.cast(tf.equal(tokens, tok.eos), "float32");
    const padding = tf.reshape(tf.mul(tf.cast(tf.greater(tf.cumsum(isEos, 1), 0), "float32"), NEG), [
      n,
      1,
      1,
      steps,
    ]);
    const cloze = new Float32Array(steps * steps);
    for (let i = 0; i < steps; i++) if (i + 1 < steps) cloze[i * steps + i + 1] = NEG;
    const out = this.decodeStreams(
      tokens,
      this.positionQueries(n, 0, steps),
      memoryKV,
      tf.tensor2d(cloze, [steps, steps]),
      undefined,
      padding,
      ctx,
    );
    return linear(this.params, "head", out) as tf.Tensor3D;
  }

  dispose(): void {
    this.params.dispose();
  }
}

function isPowerOfTwo(v: number): boolean {
  return Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;
}

function combine(a: tf.Tensor | undefined, b: tf.Tensor | undefined): tf.Tensor | undefined {
  if (a && b) return tf.add(a, b);
  return a ?? b;
}

function allEnded(tokens: Int32Array, n: number, length: number, eos: number): boolean {
  for (let b = 0; b < n; b++) {
    let ended = false;
    for (let t = 1; t < length; t++) {
      if (tokens[b * length + t] === eos) {
        ended = true;
        break;
      }
    }
    if (!ended) return false;
  }
  return true;
}
