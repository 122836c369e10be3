// The building blocks of a GPT-2 block, as plain functions of tensors.
import * as tf from "@tensorflow/tfjs";
import { biasAdd, matMul2D } from "../runtime/matmul";

/** tf.customGrad's callback receives the inputs, then the function that saves tensors for the backward pass. */
type CustomArgs = (tf.Tensor | tf.GradSaveFunc)[];

/**
 * Layer norm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta.
 * x: (..., C); gamma, beta: (C). Variance is the biased one (divide by C), as in PyTorch.
 *
 * The gradient is written by hand (the standard layer-norm backward), with xhat = normalized x
 * and g = dy * gamma:
 *   dx = (g - mean(g) - xhat * mean(g * xhat)) / std,   dgamma = sum(dy * xhat),   dbeta = sum(dy).
 * tfjs would otherwise differentiate each of the forward's small ops in turn: about twice the
 * kernels, each a pass over the (B, T, C) activations.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const C = x.shape[x.rank - 1];
  const f = tf.customGrad((...args: CustomArgs) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const centered = tf.sub(input, tf.mean(input, -1, true));
    const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps)); // (..., 1)
    const normalized = tf.mul(centered, invStd); // xhat, (..., C)
    save([normalized, invStd, g]);
    return {
      value: tf.add(tf.mul(normalized, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, rstd, gain] = saved;
        const rows = tf.reshape(dy, [-1, C]); // (N, C): gamma and beta gradients sum over every position
        const dGamma = tf.sum(tf.mul(rows, tf.reshape(xhat, [-1, C])), 0);
        const dBeta = tf.sum(rows, 0);
        const gdy = tf.mul(dy, gain);
        const dx = tf.mul(
          tf.sub(tf.sub(gdy, tf.mean(gdy, -1, true)), tf.mul(xhat, tf.mean(tf.mul(gdy, xhat), -1, true))),
          rstd,
        );
        return [dx, dGamma, dBeta];
      },
    };
  });
  return f(x, gamma, beta);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * GPT-2's GELU ("gelu_new" in transformers): the tanh approximation
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Same shape in and out.
 *
 * Computed as x * sigmoid(2 z) with z = sqrt(2/pi) (x + 0.044715 x^3), which is the same
 * function (0.5 (1 + tanh z) = sigmoid(2 z)) in fewer kernels, with a hand-written gradient:
 *   d/dx = s + x s (1 - s) 2 z',  s = sigmoid(2 z),  z' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
 */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: CustomArgs) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    // 2z = x (2k + 2ka x^2): plain multiplies, no pow.
    const twoZ = tf.mul(input, tf.add(tf.mul(tf.square(input), 2 * SQRT_2_OVER_PI * GELU_A), 2 * SQRT_2_OVER_PI));
    const s = tf.sigmoid(twoZ);
    save([input, s]);
    return {
      value: tf.mul(input, s),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, sig] = saved;
        const twoDz = tf.add(tf.mul(tf.square(xs), 6 * SQRT_2_OVER_PI * GELU_A), 2 * SQRT_2_OVER_PI); // 2 z'
        const slope = tf.add(tf.mul(tf.mul(tf.mul(sig, tf.sub(1, sig)), xs), twoDz), sig);
        return tf.mul(dy, slope);
      },
    };
  });
  return f(x);
}

/**
 * A dense layer in GPT-2's Conv1D layout: weight (in, out), so y = x . W + b.
 * x: (..., in) -> (..., out).
 *
 * One product and one bias add, with the gradient written out (dx = dy . W^T, dW = x^T . dy,
 * db = column sums of dy). tf.fused.matMul computes the same, but on the native backend it is not
 * one kernel: it wraps the product in 3-D reshapes forward and backward, about 25 kernel calls per
 * layer and step where this takes 9; at a few hundredths of a millisecond each, that was several
 * percent of a small model's training step (and of every generated token).
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [inDim, outDim] = weight.shape;
    const lead = x.shape.slice(0, -1);
    const f = tf.customGrad((...args: CustomArgs) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [rows, w, b] = args.slice(0, -1) as tf.Tensor2D[];
      save([rows, w]);
      const product = matMul2D(rows, w); // (N, out)
      return {
        value: b ? biasAdd(product, b as unknown as tf.Tensor1D) : product,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ws] = saved as tf.Tensor2D[];
          const dOut = dy as tf.Tensor2D; // (N, out)
          const dx = matMul2D(dOut, ws, false, true); // (N, in)
          const dw = matMul2D(xs, dOut, true, false); // (in, out)
          return b ? [dx, dw, tf.sum(dOut, 0)] : [dx, dw];
        },
      };
    });
    const rows = tf.reshape(x, [-1, inDim]); // (N, in)
    const y = bias ? f(rows, weight, bias) : f(rows, weight);
    return tf.reshape(y, [...lead, outDim]);
  });
}

/**
 * The language-model head: logits = x . W^T, x (N, C), W (V, C) the (tied) token embedding -> (N, V).
 *
 * Same as tf.matMul(x, W, false, true), with the gradient written out for one reason: the weight's
 * gradient dW = dlogits^T . x (V, C) can be computed two ways, directly or as (x^T . dlogits)^T, and
 * TensorFlow's CPU kernels are much faster one way or the other depending on the shape. Measured on
 * this project's 2-core AVX2 machine (N = 512..2048 rows): for tables up to 2^21 entries (V x C up
 * to 8192 x 256, the workbook's own models) the transposed order takes 25-55% less time (embedded
 * model, 2048 rows: 148 -> 85 ms); for larger ones (GPT-2's 50257 x 768) the direct order wins.
 */
export function outputProjection(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  const transposedOrder = weight.size <= 1 << 21;
  const f = tf.customGrad((...args: CustomArgs) => {
    const [input, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([input, w]);
    return {
      value: matMul2D(input, w, false, true) as tf.Tensor, // (N, V)
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as tf.Tensor2D[];
        const dlogits = dy as tf.Tensor2D;
        const dx = matMul2D(dlogits, ws); // (N, V) . (V, C) -> (N, C)
        const dw = transposedOrder
          ? tf.transpose(matMul2D(xs, dlogits, true, false))
          : matMul2D(dlogits, xs, true, false); // (V, C)
        return [dx, dw];
      },
    };
  });
  return f(x, weight) as tf.Tensor2D;
}

/** A (T, T) additive mask: 0 where position j <= i may be attended to, a large negative number above the diagonal. */
export function causalMask(T: number): tf.Tensor2D {
  return tf.tidy(() => {
    const lower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // 1 on and below the diagonal
    return tf.mul(tf.sub(1, lower), -1e9) as tf.Tensor2D;
  });
}
