import { fitInto, type GreyImage } from "../datasets/augment.ts";
import { readDataset, ShardReader } from "../datasets/shards.ts";
import { chooseBackend } from "../models/backend/index.ts";
import { loadModelDirectory } from "../models/io.ts";
import { asRecognizer } from "../models/recognizer.ts";
await chooseBackend({ log: () => {} });
const samples = readDataset("/tmp/hv/set");
const reader = new ShardReader();
const imgs = samples.map((s) => reader.read(s));
const toInk = (g: GreyImage) => ({ width: g.width, height: g.height, data: Float32Array.from(g.data, (v) => 1 - v / 255) });
const toGrey = (i: { width: number; height: number; data: Float32Array }): GreyImage => ({ width: i.width, height: i.height, data: Uint8Array.from(i.data, (v) => Math.round(255 * (1 - Math.min(1, Math.max(0, v))))) });
// bounding box of ink
function bbox(g: GreyImage) { let x0 = g.width, x1 = -1, y0 = g.height, y1 = -1; for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) if ((g.data[y * g.width + x] as number) < 160) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; } return x1 < 0 ? null : { x0, x1, y0, y1 }; }
function crop(g: GreyImage, x0: number, y0: number, x1: number, y1: number): GreyImage { const w = x1 - x0, h = y1 - y0; const d = new Uint8Array(w * h); for (let y = 0; y < h; y++) d.set(g.data.subarray((y0 + y) * g.width + x0, (y0 + y) * g.width + x0 + w), y * w); return { width: w, height: h, data: d }; }
const shift = (n: number) => (g: GreyImage): GreyImage => { const d = new Uint8Array(g.data.length); for (let y = 0; y < g.height; y++) { d.set(g.data.subarray(y * g.width, (y + 1) * g.width - n), y * g.width + n); for (let x = 0; x < n; x++) d[y * g.width + x] = g.data[y * g.width] as number; } return { ...g, data: d }; };
const variants: Record<string, (g: GreyImage) => GreyImage> = { orig: (g) => g, shift2: shift(2), shift4: shift(4), shift8: shift(8) };
const roomy = imgs.map((g) => { const b = bbox(g); return b !== null && b.x1 < 110; });
console.log("roomy lines", roomy.filter(Boolean).length);
function fitIntoScaled(g: GreyImage, s: number): { width: number; height: number; data: Float32Array } {
  const inner = fitInto(toInk(g), Math.round(128 * s), Math.round(32 * s));
  const out = new Float32Array(128 * 32); const top = Math.round((32 - inner.height) / 2);
  for (let y = 0; y < inner.height; y++) out.set(inner.data.subarray(y * inner.width, (y + 1) * inner.width), (top + y) * 128);
  return { width: 128, height: 32, data: out };
}
for (const dir of process.argv.slice(2)) {
  const { model } = loadModelDirectory(dir);
  const rec = asRecognizer(model, 64);
  const res: Record<string, { text: string; confidence: number }[]> = {};
  for (const [k, f] of Object.entries(variants)) {
    res[k] = await rec.recognize(imgs.map(f));
    const ex = res[k].filter((r, i) => roomy[i] && r.text === samples[i]?.text).length / roomy.filter(Boolean).length;
    console.log(dir, k, ex.toFixed(3));
  }
  const keys = Object.keys(variants);
  let oracle = 0, maxc = 0, vote = 0;
  samples.forEach((s, i) => {
    const rs = keys.map((k) => res[k]![i]!);
    if (rs.some((r) => r.text === s.text)) oracle++;
    const best = rs.reduce((a, b) => (b.confidence > a.confidence ? b : a));
    if (best.text === s.text) maxc++;
    const tally = new Map<string, number>(); for (const r of rs) tally.set(r.text, (tally.get(r.text) ?? 0) + r.confidence + 1);
    const v = [...tally.entries()].sort((a, b) => b[1] - a[1])[0]![0]; if (v === s.text) vote++;
  });
  console.log(dir, "oracle", oracle / samples.length, "maxconf", maxc / samples.length, "vote", vote / samples.length);
}
