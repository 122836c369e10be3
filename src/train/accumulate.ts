// Gradient accumulation: several micro-batches make one optimizer step, weighted so that the step
// is the one a single batch of all of them would make.
import * as tf from "@tensorflow/tfjs";
import type { LossGradients } from "./gradients";
import type { Batch } from "./sft-batches";

/** The weight the loss grades in a batch: the mask summed after the one-position shift of next-token
 * prediction (graded tokens with "token" weighting, examples with "example" weighting). */
export function gradedWeight(batch: Batch): number {
  return batch.lossMask.reduce((n, row) => n + row.slice(1).reduce((a, b) => a + b, 0), 0);
}

/**
 * Loss and gradients of several micro-batches together, as if they were one batch: each micro-batch's
 * mean loss and gradients are weighted by its graded weight (gradedWeight), so the result equals the loss of all
 * of them at once (padding aside, which the mask ignores). Gradients are keyed by parameter name.
 */
export function accumulatedGradients(
  gradients: LossGradients,
  micro: readonly Batch[],
  step: number,
): { loss: number; grads: Map<string, tf.Tensor>; tokens: number } {
  const counts = micro.map(gradedWeight);
  const total = Math.max(
    1,
    counts.reduce((a, b) => a + b, 0),
  );
  let loss = 0;
  let tokens = 0;
  let sum: Map<string, tf.Tensor> | undefined;
  micro.forEach((batch, i) => {
    const weight = counts[i] / total;
    const ids = tf.tensor2d(batch.inputIds, undefined, "int32"); // (B, T)
    const mask = tf.tensor2d(batch.lossMask); // (B, T)
    const { loss: value, grads } = gradients.compute(ids, mask, { dropoutSeed: step * 1000 + i });
    loss += value.dataSync()[0] * weight;
    tokens += batch.tokens;
    const scaled =
      micro.length === 1
        ? grads
        : new Map([...grads].map(([name, g]) => [name, tf.tidy(() => tf.mul(g, weight))] as [string, tf.Tensor]));
    if (micro.length > 1) tf.dispose([...grads.values()]);
    if (!sum) sum = scaled;
    else {
      for (const [name, g] of scaled) {
        const prev = sum.get(name)!;
        sum.set(name, tf.add(prev, g));
        tf.dispose([prev, g]);
      }
    }
    tf.dispose([ids, mask, value]);
  });
  return { loss, grads: sum!, tokens };
}
