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
