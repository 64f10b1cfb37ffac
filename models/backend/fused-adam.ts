// Adam with one fused native kernel per variable on the `native` backend (tfjs' Adam runs ~13 element-wise
// kernels per variable); the same arithmetic, state and serialisation as tf.train.adam, which it extends.

import type { KernelFunc, MathBackendCPU, TensorInfo } from "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.ts";

export const ADAM_KERNEL = "OcrflowAdam";

/** The fields of tfjs' AdamOptimizer this subclass reads (private there, but part of its saved state). */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

/** The kernel: inputs value, gradient, m, v; outputs the new value, m and v (fresh tensors, like tfjs). */
export function adamKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  const kernelFunc = (({ inputs, backend, attrs }) => {
    const b = backend as MathBackendCPU;
    const { value, gradient, m, v } = inputs as Record<string, TensorInfo>;
    const a = attrs as Record<string, number>;
    const arrays = [value, gradient, m, v].map((t) => {
      const vals = b.data.get((t as TensorInfo).dataId)?.values;
      return vals instanceof Float32Array ? vals : Float32Array.from(vals as ArrayLike<number>);
    }) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const n = arrays[0].length;
    const pooled = b as Partial<{ alloc(n: number): Float32Array }>;
    const make = () => (pooled.alloc ? pooled.alloc(n) : new Float32Array(n));
    const out = [make(), make(), make()] as const;
    addon.adam(
      ...arrays,
      ...out,
      Number(a.learningRate),
      Number(a.beta1),
      Number(a.beta2),
      Number(a.epsilon),
      [Number(a.c1), Number(a.c2)],
    );
    const shape = (value as TensorInfo).shape;
    return out.map((values) => b.makeTensorInfo(shape, "float32", values));
  }) as KernelFunc;
  return { kernelName: ADAM_KERNEL, backendName, kernelFunc };
}

type VariableGradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

/** tf.train.adam whose update is one native kernel per variable when the native backend is active. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    const backendName = tf.getBackend();
    if (!tf.getKernel(ADAM_KERNEL, backendName)) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    tf.tidy(() => {
      const c1 = 1 - (self.accBeta1.dataSync()[0] as number);
      const c2 = 1 - (self.accBeta2.dataSync()[0] as number);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name] as tf.Variable;
        self.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        self.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients)
          ? variableGradients[i]?.tensor
          : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        const attrs = {
          learningRate: this.learningRate,
          beta1: this.beta1,
          beta2: this.beta2,
          epsilon: this.epsilon,
          c1,
          c2,
        };
        const [newValue, newM, newV] = tf
          .engine()
          .runKernel(ADAM_KERNEL, { value, gradient, m, v }, attrs) as unknown as tf.Tensor[];
        m.assign(newM as tf.Tensor);
        v.assign(newV as tf.Tensor);
        value.assign(newValue as tf.Tensor);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/** Adam for training loops: fused on the native backend, tfjs' own elsewhere. */
export function createAdam(
  learningRate = 1e-3,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon?: number,
): tf.AdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
