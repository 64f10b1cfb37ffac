// MASTER-style recognizer (after mindee/doctr's MASTER): a residual CNN whose stages end in multi-aspect global
// context (MAGC) blocks, flattened into a sequence with sinusoidal positions, and a pre-norm transformer decoder
// decoding autoregressively (with cached keys and values at inference).
import * as tf from "@tensorflow/tfjs";
import type { MasterSizeConfig } from "../../stages/config.ts";
import { defineColumnCtc, withColumnCtc } from "../ctc.ts";
import {
  attention,
  causalMask,
  convBatchNorm,
  defineAttention,
  defineBatchNorm,
  defineConv,
  defineLayerNorm,
  defineLinear,
  dropout,
  embed,
  type ForwardContext,
  gelu,
  type KeyValue,
  layerNorm,
  linear,
  ParameterStore,
  projectKeyValue,
  sinusoid,
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

export type MasterSettings = MasterSizeConfig;

/** Pooling after each stage: 32x128 → 16x64 → 8x32 → 4x32 → 4x32 (H/8 x W/4, as doctr's MASTER). */
const STAGE_POOL: Array<[number, number] | null> = [[2, 2], [2, 2], [2, 1], null];

export class MasterModel implements SequenceModel {
  readonly architecture = "master" as const;
  readonly params: ParameterStore;
  readonly tokenizer: Tokenizer;
  private readonly positions: tf.Tensor2D;
  private readonly textPositions: tf.Tensor2D;
  private readonly featureLength: number;
  private readonly grid: { rows: number; cols: number };

  constructor(
    readonly settings: MasterSettings,
    readonly input: InputShape,
    chars: readonly string[],
    seed = 1,
  ) {
    this.tokenizer = new Tokenizer(chars);
    this.params = new ParameterStore(seed);
    const s = settings;
    const p = this.params;
    const channels = s.encoder.channels;
    if (channels.length !== 4 || s.encoder.blocks.length !== 4)
      throw new Error("master: encoder.channels and encoder.blocks need 4 stages");
    const stem = Math.max(8, Math.floor((channels[0] as number) / 2));
    defineConv(p, "stem.conv", 3, 3, 1, stem);
    defineBatchNorm(p, "stem.bn", stem);
    let cin = stem;
    channels.forEach((cout, stage) => {
      for (let b = 0; b < (s.encoder.blocks[stage] as number); b++) {
        const name = `s${stage}.b${b}`;
        defineConv(p, `${name}.conv1`, 3, 3, cin, cout);
        defineBatchNorm(p, `${name}.bn1`, cout);
        defineConv(p, `${name}.conv2`, 3, 3, cout, cout);
        defineBatchNorm(p, `${name}.bn2`, cout);
        if (cin !== cout) {
          defineConv(p, `${name}.down`, 1, 1, cin, cout);
          defineBatchNorm(p, `${name}.bnd`, cout);
        }
        cin = cout;
      }
      this.defineMagc(`s${stage}.gc`, cout);
    });
    const d = s.d_model;
    // Scaled like the features it projects (BN + ReLU, about unit size), not 0.02, or the positions drown them.
    defineLinear(p, "proj", cin, d, Math.sqrt(1 / cin));
    let h = input.height;
    let w = input.width;
    for (const pool of STAGE_POOL) {
      if (pool) {
        h = Math.floor(h / pool[0]);
        w = Math.floor(w / pool[1]);
      }
    }
    this.featureLength = h * w;
    this.positions = sinusoid(this.featureLength, d);
    this.textPositions = sinusoid(input.maxLength + 2, d);
    p.normal("dec.embed", [this.tokenizer.tokens, d], 1 / Math.sqrt(d));
    for (let i = 0; i < s.decoder.depth; i++) {
      defineLayerNorm(p, `dec.${i}.ln1`, d);
      defineAttention(p, `dec.${i}.self`, d);
      defineLayerNorm(p, `dec.${i}.ln2`, d);
      defineAttention(p, `dec.${i}.cross`, d);
      defineLayerNorm(p, `dec.${i}.ln3`, d);
      defineLinear(p, `dec.${i}.ff1`, d, s.decoder.ff_dim);
      defineLinear(p, `dec.${i}.ff2`, s.decoder.ff_dim, d);
    }
    defineLayerNorm(p, "dec.norm", d);
    defineLinear(p, "head", d, this.tokenizer.classes);
    defineColumnCtc(p, d, this.tokenizer, s.ctc_weight);
    this.grid = { rows: h, cols: w };
  }

  describe(): Record<string, unknown> {
    return { ...this.settings };
  }

  /** The decoder's layers (pre-norm: self-attention, cross-attention and feed-forward branches added). */
  identityBlocks(): IdentityBlock[] {
    return Array.from({ length: this.settings.decoder.depth }, (_, i) => ({
      prefix: `dec.${i}.`,
      zero: ["self.o", "cross.o", "ff2"].flatMap((part) => [`dec.${i}.${part}.w`, `dec.${i}.${part}.b`]),
    }));
  }

  private defineMagc(name: string, channels: number): void {
    const heads = this.settings.encoder.gc.heads;
    if (channels % heads)
      throw new Error(`master: ${channels} channels do not split into ${heads} MAGC heads`);
    const planes = Math.max(1, Math.round(channels * this.settings.encoder.gc.ratio));
    this.params.normal(`${name}.mask`, [channels / heads, 1], 0.02, true);
    this.params.constant(`${name}.maskb`, [1], 0);
    defineLinear(this.params, `${name}.t1`, channels, planes, Math.sqrt(2 / channels));
    defineLayerNorm(this.params, `${name}.ln`, planes);
    defineLinear(this.params, `${name}.t2`, planes, channels);
  }

  /**
   * Multi-aspect global context (doctr's MAGC): per head, a 1x1 conv scores every pixel, a softmax over the
   * image pools the pixels into one context vector, a bottleneck transforms it, and it is added to every pixel.
   */
  private magc(name: string, x: tf.Tensor4D): tf.Tensor4D {
    const p = this.params;
    const [n, h, w, c] = x.shape;
    const heads = this.settings.encoder.gc.heads;
    const ch = c / heads;
    const perHead = tf.transpose(tf.reshape(x, [n, h * w, heads, ch]), [0, 2, 1, 3]); // [n, heads, hw, ch]
    const scores = tf.add(
      tf.matMul(tf.reshape(perHead, [-1, ch]), p.get(`${name}.mask`) as tf.Tensor2D),
      p.get(`${name}.maskb`),
    );
    const weights = tf.softmax(tf.reshape(scores, [n, heads, 1, h * w]));
    const context = tf.reshape(tf.matMul(weights as tf.Tensor4D, perHead as tf.Tensor4D), [n, c]);
    const t = tf.relu(layerNorm(p, `${name}.ln`, linear(p, `${name}.t1`, context)));
    const transformed = linear(p, `${name}.t2`, t);
    return tf.add(x, tf.reshape(transformed, [n, 1, 1, c])) as tf.Tensor4D;
  }

  /** Visual features [B, H/8 * W/4, d_model] with positions added. */
  encode(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor3D {
    const p = this.params;
    const s = this.settings;
    let x = convBatchNorm(p, "stem.conv", "stem.bn", images, ctx, { relu: true });
    s.encoder.channels.forEach((cout, stage) => {
      for (let b = 0; b < (s.encoder.blocks[stage] as number); b++) {
        const name = `s${stage}.b${b}`;
        let y = convBatchNorm(p, `${name}.conv1`, `${name}.bn1`, x, ctx, { relu: true });
        y = convBatchNorm(p, `${name}.conv2`, `${name}.bn2`, y, ctx);
        const shortcut = x.shape[3] === cout ? x : convBatchNorm(p, `${name}.down`, `${name}.bnd`, x, ctx);
        x = tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
      }
      x = this.magc(`s${stage}.gc`, x);
      const pool = STAGE_POOL[stage];
      if (pool) x = tf.maxPool(x, pool, pool, "valid");
    });
    const [n, h, w, c] = x.shape;
    const seq = tf.reshape(linear(p, "proj", tf.reshape(x, [n * h * w, c])), [n, h * w, s.d_model]);
    return dropout(tf.add(seq, this.positions), s.dropout, ctx) as tf.Tensor3D;
  }

  private embedTokens(tokens: tf.Tensor2D, from: number): tf.Tensor3D {
    const d = this.settings.d_model;
    const l = tokens.shape[1];
    const e = tf.mul(embed(this.params.get("dec.embed") as tf.Tensor2D, tokens), Math.sqrt(d));
    return tf.add(e, tf.slice(this.textPositions, [from, 0], [l, d])) as tf.Tensor3D;
  }

  private feedForward(i: number, x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const p = this.params;
    const h = dropout(
      gelu(linear(p, `dec.${i}.ff1`, layerNorm(p, `dec.${i}.ln3`, x))),
      this.settings.dropout,
      ctx,
    );
    return linear(p, `dec.${i}.ff2`, h);
  }

  /** Teacher-forced decoder output [B, L, D] over tokens [B, L] (BOS first), causal. */
  private decodeAll(tokens: tf.Tensor2D, memoryKV: KeyValue[], ctx: ForwardContext): tf.Tensor3D {
    const p = this.params;
    const s = this.settings;
    const rate = s.dropout;
    const l = tokens.shape[1];
    const mask = causalMask(l);
    let x = dropout(this.embedTokens(tokens, 0), rate, ctx) as tf.Tensor3D;
    for (let i = 0; i < s.decoder.depth; i++) {
      const a = layerNorm(p, `dec.${i}.ln1`, x) as tf.Tensor3D;
      x = tf.add(x, dropout(attention(p, `dec.${i}.self`, a, a, s.decoder.heads, mask, 0, ctx), rate, ctx));
      const b = layerNorm(p, `dec.${i}.ln2`, x) as tf.Tensor3D;
      x = tf.add(
        x,
        dropout(
          attention(p, `dec.${i}.cross`, b, memoryKV[i] as KeyValue, s.decoder.heads, undefined, 0, ctx),
          rate,
          ctx,
        ),
      );
      x = tf.add(x, dropout(this.feedForward(i, x, ctx), rate, ctx));
    }
    return layerNorm(p, "dec.norm", x) as tf.Tensor3D;
  }

  private memoryKeyValues(memory: tf.Tensor3D): KeyValue[] {
    return Array.from({ length: this.settings.decoder.depth }, (_, i) =>
      projectKeyValue(this.params, `dec.${i}.cross`, memory, this.settings.decoder.heads),
    );
  }

  /** Next-token cross-entropy with teacher forcing, EOS included, PAD ignored. */
  loss(images: tf.Tensor4D, labels: readonly string[], options: LossOptions): tf.Scalar {
    const n = images.shape[0];
    const tok = this.tokenizer;
    const { ids, length } = tok.encodeBatch(labels);
    const l = length - 1;
    const inIds = new Int32Array(n * l);
    const outIds = new Int32Array(n * l);
    const weights = new Float32Array(n * l);
    for (let b = 0; b < n; b++) {
      for (let t = 0; t < l; t++) {
        inIds[b * l + t] = ids[b * length + t] as number;
        const next = ids[b * length + t + 1] as number;
        outIds[b * l + t] = next === tok.pad ? 0 : next;
        weights[b * l + t] = next === tok.pad ? 0 : 1;
      }
    }
    const memory = this.encode(images, options.ctx);
    const out = this.decodeAll(
      tf.tensor2d(inIds, [n, l], "int32"),
      this.memoryKeyValues(memory),
      options.ctx,
    );
    const logits = tf.reshape(linear(this.params, "head", out), [n * l, tok.classes]) as tf.Tensor2D;
    const ce = smoothedCrossEntropy(
      logits,
      tf.tensor1d(outIds, "int32"),
      tf.tensor1d(weights),
      options.labelSmoothing,
    );
    return withColumnCtc(
      ce,
      this.settings.ctc_weight,
      options.ctx,
      this.params,
      memory,
      this.grid,
      labels,
      tok,
    );
  }

  /**
   * Greedy autoregressive decoding, one position per step with cached self-attention keys and values; lines that
   * produced EOS are retired from the batch (GreedyLines).
   */
  decode(images: tf.Tensor4D): tf.Tensor3D {
    const ctx: ForwardContext = { training: false };
    const p = this.params;
    const s = this.settings;
    const tok = this.tokenizer;
    const n = images.shape[0];
    const steps = this.input.maxLength + 1;
    let memoryKV = this.memoryKeyValues(this.encode(images, ctx));
    let cache: Array<{ k: tf.Tensor4D | null; v: tf.Tensor4D | null }> = memoryKV.map(() => ({
      k: null,
      v: null,
    }));
    const lines = new GreedyLines(n, tok.eos);
    let token = tf.fill([n, 1], tok.bos, "int32") as tf.Tensor2D;
    for (let t = 0; t < steps; t++) {
      let x = this.embedTokens(token, t);
      for (let i = 0; i < s.decoder.depth; i++) {
        const a = layerNorm(p, `dec.${i}.ln1`, x) as tf.Tensor3D;
        const kv = projectKeyValue(p, `dec.${i}.self`, a, s.decoder.heads);
        const c = cache[i] as { k: tf.Tensor4D | null; v: tf.Tensor4D | null };
        c.k = c.k ? (tf.concat([c.k, kv.k], 2) as tf.Tensor4D) : kv.k;
        c.v = c.v ? (tf.concat([c.v, kv.v], 2) as tf.Tensor4D) : kv.v;
        x = tf.add(
          x,
          attention(p, `dec.${i}.self`, a, { k: c.k, v: c.v }, s.decoder.heads, undefined, 0, ctx),
        ) as tf.Tensor3D;
        const b = layerNorm(p, `dec.${i}.ln2`, x) as tf.Tensor3D;
        x = tf.add(
          x,
          attention(p, `dec.${i}.cross`, b, memoryKV[i] as KeyValue, s.decoder.heads, undefined, 0, ctx),
        ) as tf.Tensor3D;
        x = tf.add(x, this.feedForward(i, x, ctx)) as tf.Tensor3D;
      }
      const logits = linear(p, "head", layerNorm(p, "dec.norm", x)) as tf.Tensor3D;
      const next = lines.step(tf.reshape(logits, [lines.rows, tok.classes]) as tf.Tensor2D);
      if (next.done) break;
      const keep = lines.retire();
      token = tf.reshape(keep ? tf.gather(next.token, keep) : next.token, [-1, 1]) as tf.Tensor2D;
      if (keep) {
        // Every tensor held per line: the self-attention caches and the memory's keys and values.
        const rows = <T extends tf.Tensor | null>(x: T): T => (x ? (tf.gather(x, keep) as T) : x);
        cache = cache.map((c) => ({ k: rows(c.k), v: rows(c.v) }));
        memoryKV = memoryKV.map((kv) => ({ k: rows(kv.k), v: rows(kv.v) }));
      }
    }
    let logits = lines.logits(tok.classes);
    if (logits.shape[1] < steps) {
      const eos = tf.oneHot(tf.fill([n, steps - logits.shape[1]], tok.eos, "int32"), tok.classes);
      logits = tf.concat([logits, tf.mul(eos, 1e4)], 1) as tf.Tensor3D;
    }
    return tf.softmax(logits) as tf.Tensor3D;
  }

  dispose(): void {
    this.params.dispose();
    this.positions.dispose();
    this.textPositions.dispose();
  }
}
