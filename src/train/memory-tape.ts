// What TensorFlow.js really holds during this repo's training step, counted tensor by tensor.
//
// tf.variableGrads runs the forward pass with the tape on, then the backward pass in one tf.tidy.
// At the end of the backward pass three kinds of tensors are alive at once:
//   saved      each taped op keeps a copy (a new handle) of the inputs or outputs its gradient reads:
//              Add, Mul and MatMul both inputs, Reshape its whole input (its gradient reads only the
//              shape), Softmax its output; the hand-written gradients of layers.ts and loss.ts save
//              what they list. All of it lives until the backward pass ends.
//   gradients  the gradient of every intermediate tensor: tfjs frees none until the tidy ends. A
//              tensor used twice (the residual stream) keeps one partial gradient and their sum.
//   other      what a gradient function computes outside the small tidy the tape wraps around each
//              input's gradient: all temporaries of a tf.customGrad gradient (layer norm, GELU, the
//              loss), Softmax's dy * y, and the temporaries of the token embedding's gradient, the
//              last one computed, alive at the peak.
// Per block that is as much as 141 (B, T, C) tensors and 7 (B, H, T, T) ones, where a backward pass
// needs 16 and 2 (estimateTrainingMemory's `activations`). tf.memory() counts every tensor handle, so a saved
// copy counts again though it shares its buffer (the process's RSS grows by less). The optimizer
// update then runs in its own tidy (updateBytes); the step's peak is the larger of the two.
//
// Counted from gpt.ts, layers.ts, loss.ts and optimizer.ts as they are, this matches tf.profile to
// the byte on the native and cpu backends (wasm's one-hot gather gradient, runtime/gather-gradient.ts,
// adds a few percent). test/train/memory-measure.test.ts compares the two on several shapes: when one
// of those files changes what it computes, it says so.
import { countParameters, type GPTConfig } from "../model/config";

/** What TensorFlow.js holds during this repo's training step, in bytes (float32; ids int32). */
export interface TfjsStepEstimate {
  /** Copies of op inputs and outputs the tape saved during the forward pass. */
  savedBytes: number;
  /** The gradient of every intermediate tensor: tfjs frees none until the backward pass ends. */
  activationGradientsBytes: number;
  /** Temporaries of the hand-written gradients and of Softmax's, and the token embedding's gather
   *  gradient being computed at the peak. */
  otherBackwardBytes: number;
  /** saved + activation gradients + other: what the backward pass holds at its end, besides the weights'
   *  gradients. */
  activationsBytes: number;
  /** Temporaries of the optimizer update: AdamW.apply runs every weight in one tf.tidy, 13 temporaries
   *  the size of each matrix and 19 per bias or layer-norm value (concatenated, updated, split) live
   *  until it ends; plain SGD: 2 per weight. */
  updateBytes: number;
  /** What the step adds at its peak on top of weights and optimizer state: float32 gradients plus the
   *  larger of activationsBytes and updateBytes. Compare with a measurement's stepPeakBytes. */
  stepPeakBytes: number;
  /** The step's peak: weights, gradients and optimizer state in float32, plus the larger of
   *  activationsBytes (end of the backward pass) and updateBytes (during the update). */
  totalBytes: number;
}

const BYTES = 4; // float32 and int32
/** outputProjection (layers.ts) computes the head's weight gradient transposed up to this many entries. */
const TRANSPOSED_HEAD_GRADIENT_MAX = 1 << 21;

/** The sizes the counts are written in (notation as in estimateTrainingMemory). */
interface Dims {
  C: number;
  H: number;
  V: number;
  L: number;
  /** blockSize: rows of the position table. */
  P: number;
  T: number;
  /** B T: positions in the batch. */
  N: number;
  /** N C: one (B, T, C) tensor. */
  u: number;
  /** B H T T: one (B, H, T, T) tensor. */
  s: number;
  /** 12 C^2: a block's matrices. */
  w: number;
  /** V C: the token table (or the head). */
  VC: number;
  /** N V: the logits. */
  NV: number;
}

/** The notation's sizes for a model and a (B, T) batch. */
function dims(c: GPTConfig, B: number, T: number): Dims {
  const { nEmbd: C, nHead: H, vocabSize: V, nLayer: L, blockSize: P } = c;
  const N = B * T;
  const u = N * C;
  const s = B * H * T * T;
  const w = 12 * C * C;
  const VC = V * C;
  const NV = N * V;
  return { C, H, V, L, P, T, N, u, s, w, VC, NV };
}

/** Values the tape saves in the forward pass: per block, and once for the whole model. */
function savedValues(d: Dims): { perBlock: number; once: number } {
  const { C, P, T, N, u, s, w, VC, NV } = d;
  // Saved in the forward pass, per block:
  //   ln_1, ln_2     u + N + C each: x normalized, 1/std (B, T, 1) and the gain (what layerNorm's
  //                  gradient reads)
  //   4 linears      2 N in + N out + in x out each: linear() reshapes x (B, T, in) to rows (Reshape
  //                  saves its input), its customGrad saves the rows and the weight, and the reshape
  //                  back saves the (N, out) product: c_attn 5u, c_proj 3u, c_fc 6u, mlp c_proj 9u, w
  //   heads          3u: reshaping q, k, v to (B, T, H, C/H) (split and transpose save nothing)
  //   attention      q / sqrt(hd) u (and the scalar), q k^T both inputs 2u, + mask s + T T,
  //                  softmax its output s, probabilities . v both s + u, merging the heads u
  //   GELU           8u: its input and sigmoid(2z), (B, T, 4C) each
  //   residuals      4u: each of the two adds saves both inputs
  const perBlock = 45 * u + 3 * s + T * T + w + 2 * N + 2 * C + 1;
  const once =
    VC +
    N +
    P * C +
    T + // the token and position gathers save their table and their indices
    u +
    T * C + // x0 = tokens + positions
    6 * T * T +
    (T * T) / 4 +
    3 * T +
    3 + // causalMask: bandPart's ops on (T, T) and (T) tensors
    u +
    N +
    C + // ln_f
    u +
    u +
    VC +
    NV + // reshape to rows, the head's customGrad (its input and wte or lm_head), reshape to (B, T, V)
    4 * N + // nextTokenLoss: slicing and concatenating the shifted targets and mask
    8 * N +
    5 + // maskedCrossEntropy: the mask's reshape, sum and division, the targets' clamp, the (row, target) stack
    NV + // reshape of the logits to (N, V)
    NV +
    4 * N +
    1; // the cross-entropy's customGrad: exps, row sums, (row, target) pairs, shares; and the loss
  return { perBlock, once };
}

/** Values of the intermediate tensors' gradients alive at the end of the backward pass: per block, and once. */
function activationGradientValues(d: Dims): { perBlock: number; once: number } {
  const { T, C, u, s, NV } = d;
  // One gradient per intermediate tensor, per block:
  //   linears        23u: dy reshaped to rows, dx rows, dx reshaped back, for each of the four
  //   attention      15u + 3s: merging and transposing the heads back 2u, d probabilities s and dv
  //                  u, through the softmax s and the mask's add s, dq and dk 2u, the scale u, the
  //                  heads' transposes and reshapes 6u, the split (a concat) 3u
  //   norms, GELU    dx 2u and 4u
  //   residuals      4u: each add's two gradients (2 x 2u), of which the two partial gradients of
  //                  reused tensors are freed once summed, plus the two sums
  // and once: dlogits (from the loss) and its two reshapes 3 N V, the head's dx u and its reshape
  // u, ln_f's dx u, the embedding sum's two gradients u + T C.
  const perBlock = 48 * u + 3 * s;
  const once = 3 * NV + 4 * u + T * C;
  return { perBlock, once };
}

/** Values the gradient functions compute outside the tape's per-input tidy: per block, and once. */
function otherBackwardValues(d: Dims, tieEmbeddings: boolean): { perBlock: number; once: number } {
  const { N, u, s, VC, NV } = d;
  // Computed outside the tape's per-input tidy, so alive to the end:
  //   per block  layerNorm's gradient 8u + 2N each (dy and xhat as rows, dy xhat, dy gain, the
  //              two means and the centring),
  //              GELU's 8 x 4u (its slope, term by term), softmax's dy * y s
  //   once       the cross-entropy's gradient N V + 5N (softmax scaled, per-position weights),
  //              ln_f's 8u + 2N, the head's (C, V) product before its transpose (VC, when it takes
  //              that order), and at the peak wte's gather gradient, computed last: dy reshaped u,
  //              ids N, dy transposed u, segment sums VC (their transpose is wte's gradient); with a
  //              tied head, the head's part of wte's gradient VC, not yet added to it; the seed dy 1.
  const perBlock = 48 * u + s + 4 * N;
  const transposedHead = VC <= TRANSPOSED_HEAD_GRADIENT_MAX;
  const once = NV + 5 * N + 8 * u + 2 * N + (transposedHead ? VC : 0) + 2 * u + N + VC + (tieEmbeddings ? VC : 0) + 1;
  return { perBlock, once };
}

/** Bytes of the optimizer update's temporaries, for a model of `parameters` weights. */
function updateBytesOf(c: GPTConfig, parameters: number, optimizer: "adamw" | "sgd"): number {
  const { nEmbd: C, nLayer: L } = c;
  // The update (optimizer.ts), all in one tidy. AdamW per matrix value: m 3 ops, v 4, decay 1,
  // sqrt(v) + eps 2, the step 3; per vector value (biases, layer-norm weights, never decayed): the
  // concatenated g, m, v, p 4, 12 ops, m, v, p split back 3; 7 scalars. SGD: g * lr and p - that.
  // The loss, a scalar, is still alive.
  const vectors = L * 13 * C + 2 * C; // biases and layer-norm weights: 13C per block, ln_f 2C
  const matrices = parameters - vectors; // wte, wpe, the blocks' four matrices (and lm_head)
  return BYTES * (optimizer === "adamw" ? 13 * matrices + 19 * vectors + 7 + 1 : 2 * parameters + 1);
}

/**
 * The step of measureTrainingMemory on TensorFlow.js: tf.variableGrads over nextTokenLoss (dropout off),
 * then one AdamW or SGD update.
 *
 * Notation as in estimateTrainingMemory: N = B T, u = N C, s = B H T T, w = 12 C^2 (a block's
 * matrices), P = blockSize. Values are 4 bytes; the causal mask's one boolean (T, T) tensor 1 byte.
 */
export function tfjsStepEstimate(c: GPTConfig, B: number, T: number, optimizer: "adamw" | "sgd"): TfjsStepEstimate {
  const d = dims(c, B, T);
  const { L } = d;
  const saved = savedValues(d);
  const grads = activationGradientValues(d);
  const other = otherBackwardValues(d, c.tieEmbeddings);

  const savedBytes = BYTES * (L * saved.perBlock + saved.once);
  const activationGradientsBytes = BYTES * (L * grads.perBlock + grads.once);
  const otherBackwardBytes = BYTES * (L * other.perBlock + other.once);
  const activationsBytes = savedBytes + activationGradientsBytes + otherBackwardBytes;

  const parameters = countParameters(c);
  const updateBytes = updateBytesOf(c, parameters, optimizer);

  const gradientsBytes = BYTES * parameters;
  const stateBytes = BYTES * parameters * (optimizer === "adamw" ? 4 : 2); // weights, gradients (and m, v)
  const peak = Math.max(activationsBytes, updateBytes);
  return {
    savedBytes,
    activationGradientsBytes,
    otherBackwardBytes,
    activationsBytes,
    updateBytes,
    stepPeakBytes: gradientsBytes + peak,
    totalBytes: stateBytes + peak,
  };
}
