// A gradient for tf.gather (the embedding lookup) that works on the wasm backend.
//
// tfjs computes gather's gradient with UnsortedSegmentSum, a kernel the wasm backend lacks, so
// training an embedding fails there. The same gradient is a matrix product with a one-hot matrix:
// for x of shape (N, ...) gathered at indices i, dx = oneHot(i, N)^T . dy. Installed only while
// wasm is the active backend; the original gradient is restored when another backend takes over.
import * as tf from "@tensorflow/tfjs";

type GradConfig = NonNullable<ReturnType<typeof tf.getGradient>>;

let original: GradConfig | undefined;

const oneHotGatherGradient: GradConfig = {
  kernelName: "GatherV2",
  inputsToSave: ["x", "indices"],
  gradFunc: (dy, saved, attrs) => {
    const [x, indices] = saved;
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
    if (batchDims !== 0) {
      throw new Error("gather gradient on wasm: batchDims > 0 is not supported; use the native or cpu backend.");
    }
    const rank = x.shape.length;
    const ax = axis < 0 ? axis + rank : axis;
    return {
      x: () => {
        const n = x.shape[ax];
        const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
        const inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
        const flatIdx = tf.reshape(tf.cast(indices, "int32"), [-1]); // (M)
        const m = flatIdx.shape[0];
        // oneHot is built as int32 then cast: wasm's OneHot kernel ignores a float32 dtype argument.
        const selector = tf.transpose(tf.cast(tf.oneHot(flatIdx, n), "float32")); // (N, M)
        const dy3 = tf.reshape(dy as tf.Tensor, [outer, m, inner]); // (outer, M, inner)
        const dx = tf.matMul(tf.tile(tf.expandDims(selector, 0), [outer, 1, 1]), dy3); // (outer, N, inner)
        return tf.reshape(dx, x.shape);
      },
      indices: () => tf.zerosLike(indices),
    };
  },
};

/** Installs (on=true) or removes (on=false) the one-hot gather gradient. */
export function useOneHotGatherGradient(on: boolean): void {
  if (on) {
    if (original === undefined) original = tf.getGradient("GatherV2");
    tf.registerGradient(oneHotGatherGradient);
  } else if (original !== undefined) {
    tf.registerGradient(original);
    original = undefined;
  }
}
