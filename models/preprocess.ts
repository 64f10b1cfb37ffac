// Turns grey text-line images of any size into the models' input tensor: fitted into height x width keeping the
// aspect ratio (datasets' fitInto, so training and inference see the same geometry), as ink 0..1 on 0 background;
// light text on a dark background is read as dark on light (the ink is the light).
import * as tf from "@tensorflow/tfjs";
import { fitInto, type GreyImage, isLightOnDark } from "../datasets/augment.ts";

export interface InputShape {
  height: number;
  width: number;
  /** Longest label, in characters. */
  maxLength: number;
}

/**
 * Ink plane of `image` (1 = black, or 1 = white for light text on a dark background: isLightOnDark), fitted into
 * the input unless it already has the input's size.
 */
export function inkPlane(image: GreyImage, input: Pick<InputShape, "height" | "width">): Float32Array {
  const ink = new Float32Array(image.width * image.height);
  if (isLightOnDark(image)) for (let i = 0; i < ink.length; i++) ink[i] = (image.data[i] as number) / 255;
  else for (let i = 0; i < ink.length; i++) ink[i] = 1 - (image.data[i] as number) / 255;
  if (image.width === input.width && image.height === input.height) return ink;
  return fitInto({ width: image.width, height: image.height, data: ink }, input.width, input.height).data;
}

/** [B, H, W, 1] float32 ink. */
export function imagesToTensor(
  images: readonly GreyImage[],
  input: Pick<InputShape, "height" | "width">,
): tf.Tensor4D {
  const size = input.height * input.width;
  const values = new Float32Array(images.length * size);
  images.forEach((image, b) => {
    values.set(inkPlane(image, input), b * size);
  });
  return tf.tensor4d(values, [images.length, input.height, input.width, 1]);
}
