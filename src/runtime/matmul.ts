// A plain 2-D matrix product on TensorFlow's MatMul kernel.
//
// tfjs-node runs every tf.matMul through TensorFlow's BatchMatMulV2, which is slow on the narrow
// products of decoding (one row times a weight matrix): measured on the Xeon of bench/results,
// 1 x 256 x 768 takes 309 us there and 49 us in MatMul, and 32 x 128 x 384 271 us against 98 us.
// The layers whose gradients are written by hand (model/layers.ts) call this instead. Other
// backends use tf.matMul, which is the same product.
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-node's backend used here. */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_BOOL: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor;
}

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
