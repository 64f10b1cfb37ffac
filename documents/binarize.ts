// Otsu's global threshold: splits a grey page into ink and background, which printed documents on a plain
// background separate cleanly.
import type { GreyImage } from "../datasets/augment.ts";

/** The grey level t (ink = value <= t) that maximises the between-class variance. */
export function otsuThreshold(image: GreyImage): number {
  const histogram = new Float64Array(256);
  for (const v of image.data) histogram[v] = (histogram[v] as number) + 1;
  const total = image.data.length;
  let sumAll = 0;
  for (let v = 0; v < 256; v++) sumAll += v * (histogram[v] as number);
  let weightLow = 0;
  let sumLow = 0;
  let best = 127;
  let bestVariance = -1;
  for (let t = 0; t < 256; t++) {
    weightLow += histogram[t] as number;
    if (weightLow === 0) continue;
    const weightHigh = total - weightLow;
    if (weightHigh === 0) break;
    sumLow += t * (histogram[t] as number);
    const meanLow = sumLow / weightLow;
    const meanHigh = (sumAll - sumLow) / weightHigh;
    const variance = weightLow * weightHigh * (meanLow - meanHigh) ** 2;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = t;
    }
  }
  return best;
}

/** 1 where there is ink. A page of one grey level has no ink. */
export function binarize(image: GreyImage, threshold = otsuThreshold(image)): Uint8Array {
  const ink = new Uint8Array(image.data.length);
  let min = 255;
  let max = 0;
  for (const v of image.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // Too little contrast to be print: a blank (or uniformly noisy) page.
  if (max - min < 32) return ink;
  for (let i = 0; i < ink.length; i++) ink[i] = (image.data[i] as number) <= threshold ? 1 : 0;
  return ink;
}
