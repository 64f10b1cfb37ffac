// A synthetic ~1.6M-parameter recognizer for backend benchmarks and tests: a conv backbone over 32x128 grey
// lines and a 2-layer transformer decoder (causal self-attention, cross-attention, GELU FFN), in raw tfjs ops.
import * as tf from "@tensorflow/tfjs";

export interface SyntheticConfig {
  height: number;
  width: number;
  /** Decoder width, heads and feed-forward width. */
  dModel: number;
  heads: number;
  ffn: number;
  layers: number;
  /** Output classes (a Cyrillic+Latin charset with specials is about this size). */
  vocab: number;
  /** Decoded positions per line (BOS + characters). */
  maxLength: number;
  /** Backbone channels of the four 3x3 convolutions. */
  channels: [number, number, number, number];
}

export const SYNTHETIC_DEFAULT: SyntheticConfig = {
  height: 32,
  width: 128,
  dModel: 192,
  heads: 4,
  ffn: 768,
  layers: 2,
  vocab: 180,
  maxLength: 26,
  channels: [32, 64, 128, 128],
};

/** A small deterministic generator, so a given seed always builds the same weights. */
function seededNormal(shape: number[], std: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, std, "float32", seed);
}

/** Variable names must be unique in the tfjs engine, across models too. */
let instances = 0;

export class SyntheticRecognizer {
  readonly config: SyntheticConfig;
  readonly variables: tf.Variable[] = [];
  private readonly w: Record<string, tf.Variable> = {};
  private readonly causalMask: tf.Tensor2D;
  private seed: number;
  private readonly prefix = `synthetic${instances++}`;

  constructor(config: Partial<SyntheticConfig> = {}, seed = 1) {
    this.config = { ...SYNTHETIC_DEFAULT, ...config };
    this.seed = seed;
    const c = this.config;
    const [c1, c2, c3, c4] = c.channels;
    this.conv("c1", 3, 3, 1, c1);
    this.conv("c2", 3, 3, c1, c2);
    this.conv("c3", 3, 3, c2, c3);
    this.conv("c4", 3, 3, c3, c4);
    // Collapses the remaining height (H/8) into one row of dModel features per column.
    this.conv("collapse", c.height / 8, 1, c4, c.dModel);
    this.param("visualPos", [c.width / 4, c.dModel], 0.02);
    this.param("embed", [c.vocab, c.dModel], 0.02);
    this.param("textPos", [c.maxLength, c.dModel], 0.02);
    for (let l = 0; l < c.layers; l++) {
      for (const name of ["ln1", "ln2", "ln3"]) this.layerNormParams(`l${l}.${name}`);
      for (const name of ["q", "k", "v", "o", "cq", "ck", "cv", "co"])
        this.dense(`l${l}.${name}`, c.dModel, c.dModel);
      this.dense(`l${l}.ff1`, c.dModel, c.ffn);
      this.dense(`l${l}.ff2`, c.ffn, c.dModel);
    }
    this.layerNormParams("lnOut");
    this.dense("head", c.dModel, c.vocab);
    const t = c.maxLength;
    this.causalMask = tf.tidy(() => {
      const upper = tf.sub(tf.linalg.bandPart(tf.ones([t, t]), 0, -1), tf.eye(t));
      return tf.mul(upper, -1e9) as tf.Tensor2D;
    });
  }

  parameterCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /** Random grey lines and random label sequences for one batch: [images, inputIds, targetIds]. */
  makeBatch(batch: number, seed = 7): tf.Tensor[] {
    const c = this.config;
    return tf.tidy(() => [
      tf.randomUniform([batch, c.height, c.width, 1], 0, 1, "float32", seed),
      tf.randomUniform([batch, c.maxLength], 0, c.vocab, "int32", seed + 1),
      tf.randomUniform([batch, c.maxLength], 0, c.vocab, "int32", seed + 2),
    ]);
  }

  /** Mean cross-entropy of the next-token predictions (teacher forcing). */
  loss(batch: tf.Tensor[]): tf.Scalar {
    const [images, inputIds, targetIds] = batch as [tf.Tensor4D, tf.Tensor2D, tf.Tensor2D];
    const logits = this.forward(images, inputIds);
    const labels = tf.oneHot(targetIds, this.config.vocab);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  }

  /** Logits [batch, maxLength, vocab]. */
  forward(images: tf.Tensor4D, inputIds: tf.Tensor2D): tf.Tensor3D {
    const c = this.config;
    const n = images.shape[0];
    let x: tf.Tensor4D = this.convBlock(images, "c1");
    x = tf.maxPool(x, 2, 2, "valid");
    x = this.convBlock(x, "c2");
    x = tf.maxPool(x, 2, 2, "valid");
    x = this.convBlock(x, "c3");
    x = this.convBlock(x, "c4");
    x = tf.maxPool(x, [2, 1], [2, 1], "valid");
    x = this.convBlock(x, "collapse", "valid");
    const s = c.width / 4;
    let memory = tf.add(tf.reshape(x, [n, s, c.dModel]), this.w.visualPos as tf.Tensor) as tf.Tensor3D;
    memory = tf.reshape(memory, [n * s, c.dModel]) as unknown as tf.Tensor3D;

    const t = c.maxLength;
    const ids = tf.reshape(inputIds, [n * t]);
    let h = tf.gather(this.w.embed as tf.Tensor2D, ids) as tf.Tensor2D;
    h = tf.reshape(tf.add(tf.reshape(h, [n, t, c.dModel]), this.w.textPos as tf.Tensor), [n * t, c.dModel]);
    for (let l = 0; l < c.layers; l++) {
      const p = `l${l}`;
      const a = this.layerNorm(h, `${p}.ln1`);
      h = tf.add(h, this.attention(a, a, n, t, t, `${p}.q`, `${p}.k`, `${p}.v`, `${p}.o`, this.causalMask));
      const b = this.layerNorm(h, `${p}.ln2`);
      h = tf.add(
        h,
        this.attention(
          b,
          memory as unknown as tf.Tensor2D,
          n,
          t,
          s,
          `${p}.cq`,
          `${p}.ck`,
          `${p}.cv`,
          `${p}.co`,
        ),
      );
      const f = this.layerNorm(h, `${p}.ln3`);
      h = tf.add(h, this.linear(this.gelu(this.linear(f, `${p}.ff1`)), `${p}.ff2`));
    }
    const logits = this.linear(this.layerNorm(h, "lnOut"), "head");
    return tf.reshape(logits, [n, t, c.vocab]);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.causalMask.dispose();
  }

  /* -------------------------------------------------------------------------------------------- */

  private attention(
    query: tf.Tensor2D,
    keyValue: tf.Tensor2D,
    n: number,
    t: number,
    s: number,
    wq: string,
    wk: string,
    wv: string,
    wo: string,
    mask?: tf.Tensor2D,
  ): tf.Tensor2D {
    const c = this.config;
    const dh = c.dModel / c.heads;
    const split = (x: tf.Tensor2D, len: number) =>
      tf.transpose(tf.reshape(x, [n, len, c.heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
    const q = split(this.linear(query, wq), t);
    const k = split(this.linear(keyValue, wk), s);
    const v = split(this.linear(keyValue, wv), s);
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
    if (mask) scores = tf.add(scores, mask);
    const attended = tf.matMul(tf.softmax(scores), v);
    const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [n * t, c.dModel]) as tf.Tensor2D;
    return this.linear(merged, wo);
  }

  private linear(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.fused.matMul({
      a: x,
      b: this.w[`${name}.w`] as tf.Tensor2D,
      bias: this.w[`${name}.b`] as tf.Tensor1D,
    }) as tf.Tensor2D;
  }

  private gelu(x: tf.Tensor2D): tf.Tensor2D {
    // tanh approximation; x*x*x instead of pow, which is slow on some backends.
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  }

  private layerNorm(x: tf.Tensor2D, name: string): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(normed, this.w[`${name}.g`] as tf.Tensor), this.w[`${name}.b`] as tf.Tensor);
  }

  private convBlock(x: tf.Tensor4D, name: string, pad: "same" | "valid" = "same"): tf.Tensor4D {
    return tf.fused.conv2d({
      x,
      filter: this.w[`${name}.w`] as tf.Tensor4D,
      bias: this.w[`${name}.b`] as tf.Tensor1D,
      strides: 1,
      pad,
      activation: "relu",
    });
  }

  private param(name: string, shape: number[], std: number): void {
    this.addVariable(name, seededNormal(shape, std, this.seed++));
  }

  private constant(name: string, shape: number[], value: number): void {
    this.addVariable(name, tf.fill(shape, value));
  }

  private addVariable(name: string, initial: tf.Tensor): void {
    const v = tf.variable(initial, true, `${this.prefix}.${name}`);
    initial.dispose(); // the variable holds its own reference to the data
    this.w[name] = v;
    this.variables.push(v);
  }

  private conv(name: string, kh: number, kw: number, cin: number, cout: number): void {
    this.param(`${name}.w`, [kh, kw, cin, cout], Math.sqrt(2 / (kh * kw * cin)));
    this.constant(`${name}.b`, [cout], 0);
  }

  private dense(name: string, cin: number, cout: number): void {
    this.param(`${name}.w`, [cin, cout], Math.sqrt(1 / cin));
    this.constant(`${name}.b`, [cout], 0);
  }

  private layerNormParams(name: string): void {
    this.constant(`${name}.g`, [this.config.dModel], 1);
    this.constant(`${name}.b`, [this.config.dModel], 0);
  }
}
