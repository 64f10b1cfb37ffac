// Counts what a recognizer costs: parameters, and FLOPs per image for inference (the full decoding of a line)
// and for one training step (forward + backward), measured from the kernels tfjs runs on the current backend.
import * as tf from "@tensorflow/tfjs";
import { countFlops } from "./backend/index.ts";
import type { SequenceModel } from "./recognizer.ts";

export interface ModelCost {
  parameters: number;
  /** Greedy decoding of a line of `labelLength` characters (autoregressive steps stop at EOS only in batches). */
  inferenceFlopsPerImage: number;
  trainingFlopsPerImage: number;
  labelLength: number;
}

export async function measureCost(model: SequenceModel, batch = 4, labelLength = 12): Promise<ModelCost> {
  const { height, width } = model.input;
  const images = tf.randomUniform([batch, height, width, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  const label = (model.tokenizer.chars[0] ?? "a").repeat(labelLength);
  const labels = Array.from({ length: batch }, () => label);
  try {
    const inference = await countFlops(() => {
      tf.tidy(() => model.decode(images));
    });
    const training = await countFlops(() => {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => model.loss(images, labels, { labelSmoothing: 0, ctx: { training: false }, seed: 1 }),
          model.params.trainable(),
        );
        return [value, ...Object.values(grads)];
      });
    });
    return {
      parameters: model.params.parameterCount(),
      inferenceFlopsPerImage: inference.flops / batch,
      trainingFlopsPerImage: training.flops / batch,
      labelLength,
    };
  } finally {
    images.dispose();
  }
}

export function describeCost(cost: ModelCost): string {
  return (
    `${(cost.parameters / 1e6).toFixed(2)}M parameters, ${(cost.inferenceFlopsPerImage / 1e6).toFixed(0)} MFLOP/image to recognize, ` +
    `${(cost.trainingFlopsPerImage / 1e6).toFixed(0)} MFLOP/image to train (labels of ${cost.labelLength} characters)`
  );
}
