// AdamW with decoupled weight decay and global-norm gradient clipping, and the warm-up + decay learning-rate
// schedule; its moments are named tensors so a checkpoint can save and restore them exactly.
import * as tf from "@tensorflow/tfjs";
import { ADAM_KERNEL } from "./backend/fused-adam.ts";
import type { ParameterStore } from "./nn.ts";

export interface OptimizerSettings {
  name: "adamw" | "adam";
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weight_decay: number;
}

export interface ScheduleSettings {
  warmup_fraction: number;
  decay: "cosine" | "linear" | "constant";
  min_lr_ratio: number;
}

/** Learning rate at `step` (0-based) of `total`: linear warm-up from 0, then cosine/linear decay to min_lr_ratio. */
export function learningRate(step: number, total: number, peak: number, schedule: ScheduleSettings): number {
  const warmup = Math.max(1, Math.round(schedule.warmup_fraction * total));
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const floor = peak * schedule.min_lr_ratio;
  const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  switch (schedule.decay) {
    case "constant":
      return peak;
    case "linear":
      return floor + (peak - floor) * (1 - progress);
    case "cosine":
      return floor + ((peak - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
  }
}

export class AdamW {
  /** Completed steps (bias correction uses it). */
  step = 0;
  /** Use the backend's fused Adam kernel when it has one (false: tfjs element-wise ops, for tests). */
  fused = true;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ParameterStore,
    readonly settings: OptimizerSettings,
    /** 0 = no clipping. */
    readonly clipNorm: number,
  ) {
    for (const [name, p] of params.params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /**
   * Applies one update from gradients keyed by tfjs variable name; returns the global gradient norm before
   * clipping.
   */
  apply(grads: tf.NamedTensorMap, lr: number): number {
    const s = this.settings;
    const entries = [...this.params.params].map(([name, p]) => {
      const g = grads[this.params.variableName(name)];
      if (!g) throw new Error(`no gradient for ${name}`);
      return { name, p, g };
    });
    const normTensor = tf.tidy(() => tf.sqrt(tf.addN(entries.map((e) => tf.sum(tf.square(e.g))))));
    const norm = normTensor.dataSync()[0] as number;
    normTensor.dispose();
    const scale = this.clipNorm > 0 && norm > this.clipNorm ? this.clipNorm / (norm + 1e-6) : 1;
    this.step++;
    const c1 = 1 - s.beta1 ** this.step;
    const c2 = 1 - s.beta2 ** this.step;
    const decay = s.name === "adamw" ? s.weight_decay : 0;
    // On the native backend one fused kernel per variable does Adam's moments and step (tfjs' arithmetic, ours
    // too); decoupled decay pre-scales the value: p (1 - lr wd) - lr adam(g) = p - lr (adam(g) + wd p).
    const fused = this.fused && tf.getKernel(ADAM_KERNEL, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const { name, p, g } of entries) {
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        const gs = scale === 1 ? g : tf.mul(g, scale);
        const decays = decay > 0 && this.params.decayed.has(name);
        if (fused) {
          const value = decays ? tf.mul(p, 1 - lr * decay) : p;
          const attrs = { learningRate: lr, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, c1, c2 };
          const [next, nextM, nextV] = tf
            .engine()
            .runKernel(ADAM_KERNEL, { value, gradient: gs, m, v }, attrs) as unknown as tf.Tensor[];
          m.assign(nextM as tf.Tensor);
          v.assign(nextV as tf.Tensor);
          p.assign(next as tf.Tensor);
          continue;
        }
        m.assign(tf.add(tf.mul(m, s.beta1), tf.mul(gs, 1 - s.beta1)));
        v.assign(tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(gs), 1 - s.beta2)));
        let update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), s.epsilon));
        if (decays) update = tf.add(update, tf.mul(p, decay));
        p.assign(tf.sub(p, tf.mul(update, lr)));
      }
    });
    return norm;
  }

  /** Moments by name (`m.<param>`, `v.<param>`), for checkpoints. */
  named(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, t] of this.m) out.set(`m.${name}`, t);
    for (const [name, t] of this.v) out.set(`v.${name}`, t);
    return out;
  }

  restore(tensors: Record<string, tf.Tensor>, step: number): void {
    for (const [name, t] of this.named()) {
      const saved = tensors[name];
      if (!saved) throw new Error(`optimizer state lacks ${name}`);
      t.assign(saved);
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of this.named().values()) t.dispose();
  }
}
