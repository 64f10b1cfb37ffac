// The 3x3 filter gradients of master-tiny's encoder at batch 32, straight through the native addon: the minimum of
// 7 calls per shape, and the total. One thread unless OCRFLOW_THREADS says otherwise; OCRFLOW_NATIVE_ADDON picks
// another build (an older checkout's) to compare.
//   npx tsx bench/conv-filter-grad.ts
import { loadNativeAddon } from "../models/backend/native-addon.ts";

process.env.OCRFLOW_THREADS ??= "1";
const load = loadNativeAddon();
if (!load.addon) throw new Error(`native addon: ${load.reason}`);
const addon = load.addon;
// [batch, height, width, channels in, channels out], "same" padding.
const SHAPES = [
  [32, 32, 128, 16, 32],
  [32, 32, 128, 32, 32],
  [32, 16, 64, 32, 64],
  [32, 16, 64, 64, 64],
  [32, 8, 32, 64, 96],
  [32, 8, 32, 96, 96],
  [32, 4, 32, 96, 128],
  [32, 4, 32, 128, 128],
] as const;
let total = 0;
for (const [n, h, w, c, oc] of SHAPES) {
  const x = new Float32Array(n * h * w * c).map(() => Math.random() - 0.5);
  const dy = new Float32Array(n * h * w * oc).map(() => Math.random() - 0.5);
  const dw = new Float32Array(9 * c * oc);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    addon.conv2dBackpropFilter(n, h, w, c, 3, 3, oc, 1, 1, 1, 1, 1, 1, h, w, x, dy, dw);
    best = Math.min(best, performance.now() - t0);
  }
  total += best;
  console.log(`${c}->${oc} at ${h}x${w}: ${best.toFixed(1)} ms`);
}
console.log(`total ${total.toFixed(1)} ms (batch 32, ${process.env.OCRFLOW_THREADS} thread(s))`);
