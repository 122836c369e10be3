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
    throw new Error(
      `maskedCrossEntropy: logits are (${B}, ${T}, ${V}) but targets are (${targets.shape}) and lossMask (${lossMask.shape}); all must share (B, T).`,
    );
  }
  return tf.tidy(() => {
    const N = B * T;
    const mask = tf.reshape(tf.cast(lossMask, "float32"), [N]); // (N)
    // Each position's share of the mean. An all-zero mask would divide by zero: count at least 1 so
    // the loss is 0, not NaN.
    const share = tf.div(mask, tf.maximum(tf.sum(mask), 1)) as tf.Tensor1D; // (N)
    // (row, target) pairs that pick each position's target logit out of the (N, V) logits. Targets
    // are clamped into [0, V): a masked position may hold anything (-100, a padding id) and must not
    // index outside the row; its share is 0, so the value it picks does not count.
    const ids = tf.minimum(
      tf.maximum(tf.reshape(tf.cast(targets, "int32"), [N]), tf.scalar(0, "int32")),
      tf.scalar(V - 1, "int32"),
    );
    const picks = tf.stack([tf.range(0, N, 1, "int32"), ids], 1) as tf.Tensor2D; // (N, 2)
    return weightedSoftmaxCrossEntropy(tf.reshape(logits, [N, V]) as tf.Tensor2D, picks, share);
  });
}

/**
 * sum_i share_i * (logsumexp(logits_i) - logits_i[target_i]), with its gradient written by hand:
 * d/dlogits_i = share_i * (softmax(logits_i) - onehot(target_i)).
 * Written out, it touches the (N, V) logits a few times instead of the dozen or so passes (and the
 * (N, V) one-hot matrix) that log-softmax, a one-hot product and their automatic gradients need:
 * with GPT-2's 50,257-token vocabulary those passes were a large part of a training step.
 * Only `logits` gets a gradient; picks (N, 2) int32 and share (N) are constants.
 */
function weightedSoftmaxCrossEntropy(logits: tf.Tensor2D, picks: tf.Tensor2D, share: tf.Tensor1D): tf.Scalar {
  const [N] = logits.shape;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const rowMax = tf.max(x, -1, true); // (N, 1): subtracted before exp so that it cannot overflow
    const e = tf.exp(tf.sub(x, rowMax)); // (N, V)
    const total = tf.sum(e, -1); // (N)
    const logSumExp = tf.add(tf.log(total), tf.reshape(rowMax, [N])); // (N)
    const nll = tf.sub(logSumExp, tf.gatherND(x, picks)); // (N)
    save([e, total, picks, share]); // kept for the backward pass (the caller's tidy frees its own copies)
    return {
      value: tf.sum(tf.mul(nll, share)) as tf.Scalar,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [exps, sums, targetPicks, shares] = saved;
        const weight = tf.mul(shares, dy); // (N): d loss / d nll_i
        const probsScaled = tf.mul(exps, tf.reshape(tf.div(weight, sums), [N, 1])); // weight_i * softmax_i, (N, V)
        // Minus weight_i at each target: rewrite those N entries (one copy of the (N, V) tensor, where
        // subtracting a scattered one-hot matrix would build a second (N, V) tensor and read both).
        const atTargets = tf.sub(tf.gatherND(probsScaled, targetPicks), weight); // (N)
        return tf.tensorScatterUpdate(probsScaled, targetPicks, atTargets);
      },
    };
  });
  return f(logits) as tf.Scalar;
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
export function nextTokenLoss(
  model: LanguageModel,
  inputIds: tf.Tensor2D,
  lossMask: tf.Tensor2D,
  options: { training?: boolean; dropoutSeed?: number } = {},
): tf.Scalar {
  const [B, T] = inputIds.shape;
  if (T < 2)
    throw new Error(`nextTokenLoss: sequences need at least 2 tokens (one to read, one to predict), got ${T}.`);
  return tf.tidy(() => {
    const logits = model.forward(inputIds, options); // (B, T, V)
    // Shift the targets and the mask left by one instead of cutting the logits to positions 0..T-2:
    // the last position gets a dummy target and mask 0. Slicing the (B, T, V) logits would copy
    // them, and its gradient would pad them back: two passes over the largest tensor of the step.
    const pad = tf.zeros([B, 1], "int32");
    const targets = tf.concat([tf.slice(tf.cast(inputIds, "int32"), [0, 1], [B, T - 1]), pad], 1) as tf.Tensor2D; // tokens 1..T-1, then 0
    const mask = tf.concat(
      [tf.slice(tf.cast(lossMask, "float32"), [0, 1], [B, T - 1]), tf.cast(pad, "float32")],
      1,
    ) as tf.Tensor2D;
    return maskedCrossEntropy(logits, targets, mask);
  });
}
