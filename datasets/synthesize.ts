// One synthetic sample from its label and face: draw (with rotation, shear and scale), fit into the model
// input keeping the aspect ratio, perspective, background and degradations; every choice from one Random.
import type { AugmentConfig, GenerateConfig, InputConfig } from "../stages/config.ts";
import { compose, degrade, fitInto, type GreyImage, perspective, range, toGrey } from "./augment.ts";
import type { FontFace } from "./fonts.ts";
import type { Random } from "./random.ts";
import type { LineRenderer } from "./render.ts";

export interface SynthesisSettings {
  input: InputConfig;
  /** Font size range as a fraction of the input height. */
  size: GenerateConfig["fonts"]["size"];
  augment: AugmentConfig;
}

/** Renders `text` with `face` into an `input.height x input.width` grey image. */
export function synthesizeLine(
  renderer: LineRenderer,
  face: FontFace,
  text: string,
  rng: Random,
  settings: SynthesisSettings,
  /** Font size as a fraction of the input height; drawn from settings.size when absent. */
  sizeFraction?: number,
): GreyImage {
  const { input, augment } = settings;
  const augmenting = rng.chance(augment.probability);
  const fontPx = (sizeFraction ?? range(rng, settings.size)) * input.height;
  const transform = { rotation: 0, shear: 0, scaleX: 1, scaleY: 1 };
  if (augmenting) {
    if (rng.chance(augment.rotation.probability)) {
      transform.rotation = (rng.float(-1, 1) * augment.rotation.max_degrees * Math.PI) / 180;
    }
    if (rng.chance(augment.shear.probability)) transform.shear = rng.float(-1, 1) * augment.shear.max;
    if (rng.chance(augment.scale.probability)) {
      transform.scaleX = range(rng, augment.scale.factor);
      transform.scaleY = range(rng, augment.scale.factor);
    }
  }
  let pad = 0;
  if (augmenting && rng.chance(augment.padding.probability)) pad = rng.int(0, augment.padding.max_pixels);
  const room = { width: Math.max(4, input.width - 2 * pad), height: Math.max(4, input.height - 2 * pad) };
  const drawn = renderer.render(text, face, fontPx, transform, room);
  let dy = 0;
  if (augmenting) {
    dy = rng.float(-1, 1) * Math.max(0, (input.height - 2 * pad - drawn.height) / 2);
  }
  let ink = fitInto(drawn, input.width, input.height, { pad, dy, upscale: false });
  if (augmenting && rng.chance(augment.perspective.probability))
    ink = perspective(ink, rng, augment.perspective.max);
  const pixels = compose(ink, rng, augment, augmenting);
  if (augmenting) degrade(pixels, input.width, input.height, rng, augment);
  return toGrey(pixels, input.width, input.height);
}
