// Profiles the real training step of a recognizer (models/train.ts: variableGrads + our AdamW, labels of 1-24
// characters): wall and CPU ms per step, images/s, and the kernels of one step by time and count.
// Run: OCRFLOW_BACKEND=native npx tsx models/profile-step.ts [parseq|master] [batch] [steps] [--kernels]
import * as tf from "@tensorflow/tfjs";
import { BENCH_CHARS, createModel, defaultDescription, randomLabels } from "./architectures.ts";
import { chooseBackend, kernelTimes } from "./backend/index.ts";
import { SeedSequence } from "./nn.ts";
import { AdamW } from "./optimizer.ts";

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const arch = (args[0] ?? "parseq") as "parseq" | "master";
  const batch = Number(args[1] ?? 32);
  const steps = Number(args[2] ?? 8);
  await chooseBackend();
  const model = createModel(defaultDescription(arch, "tiny"), BENCH_CHARS);
  const optimizer = new AdamW(
    model.params,
    { name: "adamw", lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weight_decay: 0.05 },
    1,
  );
  const trainable = model.params.trainable();
  const images = tf.randomUniform([batch, 32, 128, 1], 0, 1, "float32", 7) as tf.Tensor4D;
  let step = 0;
  const times = { grads: 0, apply: 0 };
  const run = () => {
    const texts = randomLabels(batch, 7 + step);
    const seed = step++;
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(
      () =>
        model.loss(images, texts, {
          labelSmoothing: 0.1,
          ctx: { training: true, seeds: new SeedSequence(seed + 1) },
          seed,
        }),
      trainable,
    );
    const t1 = performance.now();
    optimizer.apply(grads, 1e-3);
    const loss = value.dataSync()[0] as number;
    times.grads += t1 - t0;
    times.apply += performance.now() - t1;
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return loss;
  };
  run();
  run();
  times.grads = 0;
  times.apply = 0;
  const wall: number[] = [];
  const cpu: number[] = [];
  const tensors0 = tf.memory().numTensors;
  let loss = 0;
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    loss = run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const ms = median(wall);
  console.log(
    `${arch}-tiny batch ${batch} on ${tf.getBackend()}: median ${ms.toFixed(0)} ms/step ` +
      `(${wall.map((w) => w.toFixed(0)).join(" ")}), ${((batch * 1000) / ms).toFixed(1)} images/s, ` +
      `CPU ${median(cpu).toFixed(0)} ms/step; forward+backward ${(times.grads / steps).toFixed(0)} ms, ` +
      `optimizer ${(times.apply / steps).toFixed(0)} ms; loss ${loss.toFixed(3)}; ` +
      `tensors leaked/step ${(tf.memory().numTensors - tensors0) / steps}`,
  );
  if (process.argv.includes("--kernels")) {
    const profile = await tf.profile(() => {
      run();
    });
    const { totalMs, rows } = kernelTimes(profile.kernels, process.argv.includes("--shapes"));
    if (process.env.TRACE) {
      const ks = profile.kernels;
      ks.forEach((k, i) => {
        if (k.name === process.env.TRACE)
          console.log(
            ks
              .slice(Math.max(0, i - 3), i + 2)
              .map((x) => `${x.name}${JSON.stringify(x.inputShapes)}`)
              .join(" | "),
          );
      });
    }
    console.log(`${profile.kernels.length} kernels, ${totalMs.toFixed(0)} ms inside kernels (profiled step)`);
    for (const { key, ms, count } of rows.slice(0, 40))
      console.log(`  ${key.padEnd(60)} ${ms.toFixed(1).padStart(8)} ms ${String(count).padStart(6)}x`);
  }
}

await main();
