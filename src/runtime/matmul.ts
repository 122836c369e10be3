// The dense layer's two kernels on TensorFlow's own ops: a 2-D MatMul and a BiasAdd.
//
// tfjs-node runs every tf.matMul through TensorFlow's BatchMatMulV2, which is slow on the narrow
// products of decoding (one row times a weight matrix): measured on the Xeon of bench/results,
// 1 x 256 x 768 takes 309 us there and 49 us in MatMul, and 32 x 128 x 384 271 us against 98 us.
// A BiasAdd after a MatMul is fused with it by Grappler inside a recorded function (one kernel
// instead of two passes); alternating runs of the training benchmark's two small cases measured
// 5% faster steps with it than with tf.add. The layers whose gradients are written by hand
// (model/layers.ts) call these. Other backends use tf.matMul and tf.add, the same arithmetic.
import * as tf from "@tensorflow/tfjs";
import type { NodeBackend } from "./graph-function";

/** a (M, K) . b (K, N) -> (M, N), either side transposed first; float32. */
export function matMul2D(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (tf.getBackend() !== "tensorflow" || a.dtype !== "float32" || b.dtype !== "float32")
    return tf.matMul(a, b, transposeA, transposeB);
  const backend = tf.backend() as unknown as NodeBackend;
  const { TF_ATTR_TYPE, TF_ATTR_BOOL, TF_FLOAT } = backend.binding;
  const inner = [transposeA ? a.shape[0] : a.shape[1], transposeB ? b.shape[1] : b.shape[0]];
  if (a.rank !== 2 || b.rank !== 2 || inner[0] !== inner[1])
    throw new Error(
      `matMul2D: shapes (${a.shape}) and (${b.shape}) with transposes ${transposeA}, ${transposeB} do not match.`,
    );
  return backend.executeSingleOutput(
    "MatMul",
    [
      { name: "T", type: TF_ATTR_TYPE, value: TF_FLOAT },
      { name: "transpose_a", type: TF_ATTR_BOOL, value: transposeA },
      { name: "transpose_b", type: TF_ATTR_BOOL, value: transposeB },
    ],
    [a, b],
  ) as tf.Tensor2D;
}

/**
 * x (N, C) + bias (C) as TensorFlow's BiasAdd, which Grappler fuses with a MatMul before it into one
 * kernel inside a recorded function (runtime/graph-function.ts); tf.add elsewhere.
 */
export function biasAdd(x: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (tf.getBackend() !== "tensorflow" || x.dtype !== "float32") return tf.add(x, bias);
  const backend = tf.backend() as unknown as NodeBackend;
  const { TF_ATTR_TYPE, TF_FLOAT } = backend.binding;
  return backend.executeSingleOutput(
    "BiasAdd",
    [{ name: "T", type: TF_ATTR_TYPE, value: TF_FLOAT }],
    [x, bias],
  ) as tf.Tensor2D;
}
