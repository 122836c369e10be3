// Cross-entropy on chosen positions only: the completion's tokens, never the prompt or padding.
import * as tf from "@tensorflow/tfjs";

/**
 * Mean negative log-likelihood of `targets` under `logits`, over the positions where lossMask is 1.
 * Equals PyTorch's F.cross_entropy(logits, targets, ignore_index=-100) when the ignored targets are
 * exactly the lossMask=0 positions.
 *
 * logits: (B, T, V) float32; targets: (B, T) int32 (any value where the mask is 0);
 * lossMask: (B, T), 1 = counts, 0 = ignored. Returns a scalar.
 */
export function maskedCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D, lossMask: tf.Tensor2D): tf.Scalar {
  const [B, T, V] = logits.shape;
  if (targets.shape[0] !== B || targets.shape[1] !== T || lossMask.shape[0] !== B || lossMask.shape[1] !== T) {
    throw new Error(`maskedCrossEntropy: logits are (${B}, ${T}, ${V}) but targets are (${targets.shape}) and lossMask (${lossMask.shape}); all must share (B, T).`);
  }
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(tf.reshape(logits, [B * T, V])); // (B*T, V)
    // The target's log-probability, picked with a one-hot row (works on every backend, with gradients).
    const onTarget = tf.cast(tf.oneHot(tf.reshape(tf.cast(targets, "int32"), [-1]), V), "float32"); // (B*T, V)
    const nll = tf.neg(tf.sum(tf.mul(logProbs, onTarget), -1)); // (B*T)
    const mask = tf.reshape(tf.cast(lossMask, "float32"), [-1]); // (B*T)
    const count = tf.sum(mask);
    // An all-zero mask would divide by zero: count at least 1 so the loss is 0, not NaN.
    return tf.div(tf.sum(tf.mul(nll, mask)), tf.maximum(count, 1)) as tf.Scalar;
  });
}

/** Anything with a GPT-style forward pass (ids (B, T) -> logits (B, T, V)). */
export interface LanguageModel {
  forward(ids: tf.Tensor2D, options?: { training?: boolean; dropoutSeed?: number }): tf.Tensor3D;
}

/**
 * The language-modelling loss of a batch: the logits at position t predict the token at t + 1, and
 * only tokens whose lossMask is 1 count (the completion and its end-of-sequence token; never the
 * prompt or padding). The same as transformers' GPT2LMHeadModel(input_ids, labels) with
 * labels = inputIds where lossMask is 1 and -100 elsewhere.
 *
 * inputIds: (B, T) int32; lossMask: (B, T) aligned with inputIds. Returns a scalar.
 */
export function nextTokenLoss(model: LanguageModel, inputIds: tf.Tensor2D, lossMask: tf.Tensor2D,
  options: { training?: boolean; dropoutSeed?: number } = {}): tf.Scalar {
  const [B, T] = inputIds.shape;
  if (T < 2) throw new Error(`nextTokenLoss: sequences need at least 2 tokens (one to read, one to predict), got ${T}.`);
  return tf.tidy(() => {
    const logits = model.forward(inputIds, options); // (B, T, V)
    const V = logits.shape[2];
    const predicting = tf.slice(logits, [0, 0, 0], [B, T - 1, V]) as tf.Tensor3D; // positions 0..T-2
    const targets = tf.slice(inputIds, [0, 1], [B, T - 1]) as tf.Tensor2D; // tokens 1..T-1
    const mask = tf.slice(lossMask, [0, 1], [B, T - 1]) as tf.Tensor2D;
    return maskedCrossEntropy(predicting, targets, mask);
  });
}
