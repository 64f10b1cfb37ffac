// The native backend recycles output arrays: these tests prove a recycled array is never one somebody can
// still see (a dataSync result, a slice view, a tensor alive elsewhere), and that training stays exact.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { NATIVE_BACKEND, type NativeBackendCPU, registerNativeBackend } from "./native-backend.ts";
import { SyntheticRecognizer } from "./synthetic-model.ts";

const load = registerNativeBackend();
if (!load.addon) console.warn(`[models/backend] skipping output-pool tests: ${load.reason}`);
tf.enableProdMode();

/** Churns the pool: many outputs of the given size, created and disposed. */
function churn(shape: number[]): void {
  for (let i = 0; i < 20; i++) {
    tf.tidy(() => {
      tf.mul(tf.add(tf.ones(shape), 5), 3);
    });
  }
}

describe.skipIf(!load.addon)("native backend output pool", () => {
  it("recycles the output array of a disposed tensor nobody read", async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const backend = tf.backend() as NativeBackendCPU;
    const t = tf.add(tf.ones([33, 17]), 1);
    const values = backend.data.get(t.dataId)?.values;
    t.dispose();
    expect(backend.alloc(33 * 17)).toBe(values);
  });

  it("never recycles an array a caller got from dataSync", async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const t = tf.add(tf.ones([64, 64]), 1);
    const seen = t.dataSync();
    t.dispose();
    churn([64, 64]);
    expect(seen.every((v) => v === 2)).toBe(true);
  });

  it("never recycles an array a slice view still points into", async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const whole = tf.add(tf.ones([32, 64]), 1);
    const part = tf.slice(whole, [0, 0], [16, 64]);
    whole.dispose();
    churn([32, 64]);
    expect(Array.from(part.dataSync()).every((v) => v === 2)).toBe(true);
    part.dispose();
  });

  it("keeps a tensor's data while a reshape or a clone of it is alive", async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const a = tf.mul(tf.ones([50, 40]), 7);
    const r = tf.reshape(a, [2000]);
    const c = tf.clone(a);
    a.dispose();
    churn([50, 40]);
    expect(Array.from(r.dataSync()).every((v) => v === 7)).toBe(true);
    expect(Array.from(c.dataSync()).every((v) => v === 7)).toBe(true);
    tf.dispose([r, c]);
  });

  it("trains exactly like the cpu backend over 6 SGD steps (losses within 1e-4)", async () => {
    const losses = async (backend: string) => {
      await tf.setBackend(backend);
      const model = new SyntheticRecognizer(
        {
          height: 16,
          width: 32,
          dModel: 32,
          heads: 2,
          ffn: 64,
          vocab: 17,
          maxLength: 6,
          channels: [4, 8, 8, 8],
        },
        21,
      );
      const optimizer = tf.train.sgd(0.05);
      const inputs = model.makeBatch(2, 9);
      const out: number[] = [];
      for (let i = 0; i < 6; i++) {
        const loss = optimizer.minimize(() => model.loss(inputs), true, model.variables) as tf.Scalar;
        out.push(loss.dataSync()[0] as number);
        loss.dispose();
      }
      tf.dispose(inputs);
      optimizer.dispose();
      model.dispose();
      return out;
    };
    const reference = await losses("cpu");
    const native = await losses(NATIVE_BACKEND);
    for (const [i, l] of native.entries()) expect(Math.abs(l - (reference[i] as number))).toBeLessThan(1e-4);
  });
});
