// The building blocks of a GPT-2 block, as plain functions of tensors.
import * as tf from "@tensorflow/tfjs";

/**
 * Layer norm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta.
 * x: (..., C); gamma, beta: (C). Variance is the biased one (divide by C), as in PyTorch.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true); // (..., 1)
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true); // (..., 1)
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
  });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GPT-2's GELU ("gelu_new" in transformers): the tanh approximation
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Same shape in and out.
 */
export function geluNew(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // x + 0.044715 x^3 written as x (1 + 0.044715 x^2): plain multiplies, no pow (fewer, cheaper kernels).
    const inner = tf.mul(tf.mul(x, tf.add(tf.mul(tf.square(x), 0.044715), 1)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/**
 * A dense layer in GPT-2's Conv1D layout: weight (in, out), so y = x . W + b.
 * x: (..., in) -> (..., out).
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [inDim, outDim] = weight.shape;
    const lead = x.shape.slice(0, -1);
    // One fused kernel for the product and the bias (it has a gradient too).
    const y = tf.fused.matMul({ a: tf.reshape(x, [-1, inDim]) as tf.Tensor2D, b: weight as tf.Tensor2D, bias }); // (N, out)
    return tf.reshape(y, [...lead, outDim]);
  });
}

/** A (T, T) additive mask: 0 where position j <= i may be attended to, a large negative number above the diagonal. */
export function causalMask(T: number): tf.Tensor2D {
  return tf.tidy(() => {
    const lower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // 1 on and below the diagonal
    return tf.mul(tf.sub(1, lower), -1e9) as tf.Tensor2D;
  });
}
