// Quick speed probes of the active backend: how fast it multiplies matrices.
import * as tf from "@tensorflow/tfjs";

export interface MatMulSpeed {
  /** Square size n: an (n, n) x (n, n) product, 2 n^3 floating-point operations. */
  size: number;
  /** Median wall time of one product, including reading the result back, in milliseconds. */
  medianMs: number;
  /** 2 n^3 / median time. */
  gflops: number;
  backend: string;
}

/** Times (n, n) x (n, n) float32 products on the active backend; the median of `repeats` runs after a warm-up. */
export async function measureMatMul(
  sizes: readonly number[] = [64, 128, 256, 512],
  repeats = 10,
): Promise<MatMulSpeed[]> {
  const out: MatMulSpeed[] = [];
  for (const n of sizes) {
    const a = tf.randomNormal([n, n], 0, 1, "float32", 1);
    const b = tf.randomNormal([n, n], 0, 1, "float32", 2);
    const once = async () => {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
      return performance.now() - t0;
    };
    await once(); // warm-up: kernel compilation, allocation
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) times.push(await once());
    times.sort((x, y) => x - y);
    const medianMs = times[Math.floor(times.length / 2)];
    out.push({ size: n, medianMs, gflops: (2 * n ** 3) / (medianMs * 1e6), backend: tf.getBackend() });
    tf.dispose([a, b]);
  }
  return out;
}
