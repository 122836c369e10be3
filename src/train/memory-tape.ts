// What TensorFlow.js really holds during this repo's training step: the tape of the backward pass
// and the optimizer update's temporaries, estimated from the config and the batch shape.
import { countParameters, type GPTConfig } from "../model/config";

/** What TensorFlow.js's tape holds at the end of the backward pass, for this repo's code (float32). */
export interface TfjsStepEstimate {
  /** Copies of op inputs and outputs the tape saved during the forward pass. */
  savedBytes: number;
  /** The gradient of every intermediate tensor: tfjs frees none until the backward pass ends. */
  activationGradientsBytes: number;
  /** Temporaries some gradient functions compute eagerly, and partial sums of reused tensors. */
  otherBackwardBytes: number;
  /** saved + activation gradients + other: what the backward pass holds at its end, besides the weights'
   *  gradients. */
  activationsBytes: number;
  /** Temporaries of the optimizer update: AdamW.apply runs every weight in one tf.tidy, so about 14
   *  temporaries the size of each weight live until it ends, 14x the weights in all (plain SGD: 2x). */
  updateBytes: number;
  /** What the step adds at its peak on top of weights and optimizer state: float32 gradients plus the
   *  larger of activationsBytes and updateBytes. Compare with a measurement's stepPeakBytes. */
  stepPeakBytes: number;
  /** The step's peak: weights, gradients and optimizer state in float32, plus the larger of
   *  activationsBytes (end of the backward pass) and updateBytes (during the update). */
  totalBytes: number;
}

const FLOAT32_BYTES = 4;

/**
 * TensorFlow.js's tape for this repo's forward pass (gpt.ts, layers.ts, loss.ts), counted op by op
 * and checked against tf.profile. Its tape differs from a minimal backward pass in three ways:
 * - it clones the inputs of nearly every op it records (add, sub, mul, mean, reshape, matmul), and
 *   layer norm (8 ops) and GELU (9 ops) are built from small ops, each saving its inputs;
 * - it keeps the gradient of every intermediate tensor until the whole backward pass is done;
 * - a few gradients (fused matmul, softmax, the loss's) compute temporaries outside the scope that
 *   frees them, and a tensor used k times leaves k - 1 partial gradients behind.
 * tf.memory() counts every tensor handle, so clones of one buffer count again (the process's RSS
 * grows by a half to two thirds of this). Float32 values, P = blockSize; int32 ids are left out.
 * If gpt.ts, layers.ts or loss.ts change, the test comparing this with tf.profile says so.
 */
export function tfjsTapeEstimate(c: GPTConfig, B: number, T: number): Omit<TfjsStepEstimate, "totalBytes" | "updateBytes" | "stepPeakBytes"> {
  const { nEmbd: C, nHead: H, vocabSize: V, nLayer: L, blockSize: P } = c;
  const N = B * T;
  const u = N * C;
  const s = B * H * T * T;
  const w = 12 * C * C; // matrix weights of one block: c_attn 3C^2, attn c_proj C^2, c_fc 4C^2, mlp c_proj 4C^2
  const VC = V * C;

  // Saved in the forward pass, per block:
  //   ln_1, ln_2   7u each (x twice, centered twice, squared, normalized, scaled) + 4N stats + 2C
  //   c_attn       9u: reshapes of h1 2u, matmul input u and output 3u, reshaped output 3u
  //   attention    7u + 4s: head reshapes 3u, q and k 2u, scaled and masked scores 2s, probabilities
  //                2s (softmax output and matmul input), v u, merged heads u; + the (T, T) mask
  //   attn c_proj  5u;  c_fc 11u (its output 4u twice);  mlp c_proj 14u (its input 4u three times)
  //   GELU         44u: nine ops on (B, T, 4C) tensors, saving 11 of them
  //   residuals    2u each
  //   weights      each matrix twice (reshaped, and as the matmul's input): 2w; biases 9C
  const savedPerBlock = 108 * u + 4 * s + 2 * w + 8 * N + 13 * C + T * T;
  const savedOnce =
    VC + P * C + u + T * C + // token and position gathers clone wte and wpe; x0 = tokens + positions
    6 * T * T + // building the causal mask
    9 * u + 4 * N + 2 * C + // ln_f 7u, the head's reshaped input u and matmul input u
    VC + // the head's weight (wte when tied)
    3 * N * V + 8 * N; // logits (N, V) -> (B, T, V) -> (N, V) reshapes, the loss's exps; shifted targets, mask, weights

  // One gradient per intermediate tensor, each the tensor's size, all alive at the end:
  //   per block 92u + 4s (elementwise 5u per layer norm, GELU 36u, matmul reshapes, heads) + w + 8N
  //   once      embeddings 2u + TC; ln_f 5u, head input u; the three (N, V) logits tensors 3 N V
  const gradsPerBlock = 92 * u + 4 * s + w + 8 * N;
  const gradsOnce = 2 * u + T * C + 6 * u + 4 * N + 3 * N * V;

  // Left behind by the backward pass: per block the fused matmuls' reshaped dy (3u + u + 4u + u),
  // softmax's dy * y (s), partial gradients of reused tensors (block input and mid residual 2u each,
  // both centered 1u each, GELU input 2 x 4u); once the loss gradient's scaled softmax and scattered
  // targets (2 N V), ln_f's reused input and centered (2u), and the tied wte's second gradient (V C).
  const otherPerBlock = 23 * u + s;
  const otherOnce = 2 * N * V + 3 * N + 2 * u + (c.tieEmbeddings ? VC : 0);

  const savedBytes = FLOAT32_BYTES * (L * savedPerBlock + savedOnce);
  const activationGradientsBytes = FLOAT32_BYTES * (L * gradsPerBlock + gradsOnce);
  const otherBackwardBytes = FLOAT32_BYTES * (L * otherPerBlock + otherOnce);
  return { savedBytes, activationGradientsBytes, otherBackwardBytes, activationsBytes: savedBytes + activationGradientsBytes + otherBackwardBytes };
}

/**
 * The step's update and peak around the tape: AdamW.apply, per weight in one tidy: m (3 ops), v (4),
 * decay (1, matrices and embeddings only), denominator (3), update (3); the plain SGD step of
 * measureTrainingMemory: 2.
 */
export function tfjsStepEstimate(c: GPTConfig, B: number, T: number, optimizer: "adamw" | "sgd"): TfjsStepEstimate {
  const { nEmbd: C, nLayer: L } = c;
  const parameters = countParameters(c);
  const tape = tfjsTapeEstimate(c, B, T);
  const state = FLOAT32_BYTES * parameters * (optimizer === "adamw" ? 4 : 2);
  const undecayed = L * 13 * C + 2 * C; // biases and layer-norm weights: 13C per block, ln_f 2C
  const updateBytes = FLOAT32_BYTES * (optimizer === "adamw" ? 14 * parameters - undecayed : 2 * parameters);
  const stepPeakBytes = FLOAT32_BYTES * parameters + Math.max(tape.activationsBytes, updateBytes);
  return { ...tape, updateBytes, stepPeakBytes, totalBytes: state + Math.max(tape.activationsBytes, updateBytes) };
}
