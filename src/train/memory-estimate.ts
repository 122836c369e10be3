// What full fine-tuning costs in memory, estimated from a model's config and a batch shape.
//
// Four things live in memory while a model trains:
//   weights      one value per parameter
//   gradients    one value per parameter (full fine-tuning updates every weight)
//   optimizer    AdamW keeps two more per parameter (the moments m and v); plain SGD keeps none
//   activations  the forward pass's intermediate tensors that the backward pass needs; they grow
//                with batch size x sequence length (and the attention part with its square)
// In float32 with AdamW the first three are 4 + 4 + 8 = 16 bytes per parameter, before a single
// activation: 23.2 GiB for the 1.56B-parameter gpt2-xl. That is why full fine-tuning needs a big machine.
//
//   const est = estimateTrainingMemory(gptPreset("tiny"), { batchSize: 16, seqLen: 128 });
//   est.activationsBytes;       // what any backward pass must keep (about what PyTorch keeps)
//   est.tfjs.activationsBytes;  // what TensorFlow.js's tape holds for this repo's step (memory-tape.ts)
//
// measureTrainingMemory (memory-measure.ts) runs one real step to compare with.
import { countParameters, gptConfig, type GPTConfig } from "../model/config";
import { defineConfig } from "../util/config";
import { tfjsStepEstimate, type TfjsStepEstimate } from "./memory-tape";

/** The shape of one training batch: batchSize sequences of seqLen tokens. */
export interface BatchShape {
  batchSize: number;
  /** Tokens per sequence, 2..blockSize (one to read, one to predict at least). */
  seqLen: number;
}

export type MemoryOptimizer = "adamw" | "sgd";

export interface MemoryEstimateOptions {
  /** 4 for float32 (what this workbook trains in), 2 for pure 16-bit training (bf16/fp16 everywhere;
   *  mixed precision keeps float32 master weights and moments and costs 16 bytes per parameter again). */
  bytesPerValue?: 4 | 2;
  /** "adamw" keeps m and v per parameter; "sgd" (without momentum) keeps nothing. Default "adamw". */
  optimizer?: MemoryOptimizer;
}

/** Bytes of the activations a backward pass must keep, by part of the model (all layers summed). */
export interface ActivationBreakdown {
  /** Token ids (B, T) int32 and the embedding sum x0 (B, T, C). */
  embeddings: number;
  /** The residual stream after each attention and each MLP: 2 L x (B, T, C). */
  residuals: number;
  /** ln_1 and ln_2 outputs, 2 L x (B, T, C), and their mean and 1/std, 2 L x 2 x (B, T). */
  layerNorms: number;
  /** Queries, keys and values: 3 L x (B, T, C). */
  qkv: number;
  /** Scores before the softmax and probabilities after it: 2 L x (B, H, T, T). */
  attentionScores: number;
  /** The heads' output merged back, input of c_proj: L x (B, T, C). */
  attentionOutput: number;
  /** The MLP's hidden layer before and after GELU: 2 L x (B, T, 4C). */
  mlpHidden: number;
  /** ln_f's output (B, T, C) and its statistics. */
  finalLayerNorm: number;
  /** The logits (B, T, V): the biggest single tensor when V is large. */
  logits: number;
  /** What the loss keeps for its gradient: exp(logits - max) (B T, V), row sums, targets and weights (B T). */
  loss: number;
}

export interface TrainingMemoryEstimate {
  batchSize: number;
  seqLen: number;
  bytesPerValue: 4 | 2;
  optimizer: MemoryOptimizer;
  parameters: number;
  weightsBytes: number;
  gradientsBytes: number;
  optimizerBytes: number;
  /** Sum of `activations`: what the backward pass must keep. */
  activationsBytes: number;
  activations: ActivationBreakdown;
  /** weights + gradients + optimizer + activations. */
  totalBytes: number;
  /** What this repo's step holds on TensorFlow.js, always float32 (see memory-tape.ts). */
  tfjs: TfjsStepEstimate;
}

const INT32_BYTES = 4;

/** Checks a batch against a config; throws a message naming the field and the allowed range. */
export function checkBatch(config: GPTConfig, batch: BatchShape, where: string): void {
  const { batchSize, seqLen } = batch ?? ({} as BatchShape);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`${where}: batchSize must be a positive integer (sequences per batch), got ${batchSize}.`);
  }
  if (!Number.isInteger(seqLen) || seqLen < 2 || seqLen > config.blockSize) {
    throw new Error(
      `${where}: seqLen must be an integer from 2 to the context window (blockSize ${config.blockSize}), ` +
        `got ${seqLen}; a training sequence needs one token to read and one to predict, and at most blockSize tokens.`,
    );
  }
}

const MEMORY_OPTIONS = defineConfig<Required<MemoryEstimateOptions>>(
  "MemoryEstimateOptions",
  { bytesPerValue: 4, optimizer: "adamw" },
  {
    bytesPerValue: { type: "integer" },
    optimizer: { type: "string", oneOf: ["adamw", "sgd"] },
  },
  (c, fail) => {
    if (c.bytesPerValue !== 4 && c.bytesPerValue !== 2)
      fail("bytesPerValue", `must be 4 (float32) or 2 (bf16/fp16), got ${c.bytesPerValue}.`);
  },
);

/** The estimate's options with defaults filled in (table options may carry more fields: only these are read). */
export function memoryEstimateOptions(options: MemoryEstimateOptions): Required<MemoryEstimateOptions> {
  return MEMORY_OPTIONS.make({ bytesPerValue: options.bytesPerValue ?? 4, optimizer: options.optimizer ?? "adamw" });
}

/**
 * The memory of one full fine-tuning step of a GPT-2-style model, from its config and batch shape.
 *
 * Notation: B batch, T seqLen, C nEmbd, H nHead, V vocabSize, L nLayer,
 * N = B T positions, u = N C (one (B, T, C) tensor), s = B H T T (one attention matrix),
 * b = bytesPerValue. (nextTokenLoss scores all T positions, the last with weight 0.)
 *
 *   weights = gradients = b x parameters;  optimizer = 2 b x parameters (AdamW's m, v) or 0 (SGD)
 *   activations (what the backward pass must keep):
 *     per layer  2u residual stream + 2u ln outputs (+ 4N statistics) + 3u q,k,v + 2s scores, probs
 *                + u attention output + 2 x 4u MLP hidden before and after GELU      = 16u + 2s (+ 4N)
 *     once       u embeddings (+ N ids), u ln_f (+ 2N), N V logits, N V the loss's exps (+ 4N)
 */
export function estimateTrainingMemory(
  config: GPTConfig,
  batch: BatchShape,
  options: MemoryEstimateOptions = {},
): TrainingMemoryEstimate {
  const c = gptConfig(config as GPTConfig & Record<string, unknown>);
  checkBatch(c, batch, "estimateTrainingMemory");
  const { bytesPerValue: b, optimizer } = memoryEstimateOptions(options);
  const { batchSize: B, seqLen: T } = batch;
  const { nEmbd: C, nHead: H, vocabSize: V, nLayer: L } = c;
  const N = B * T;
  const u = N * C; // one (B, T, C) tensor
  const s = B * H * T * T; // one (B, H, T, T) attention matrix

  const parameters = countParameters(c);
  const activations: ActivationBreakdown = {
    embeddings: INT32_BYTES * N + b * u, // ids (B, T) for the gather's gradient; x0 = wte[ids] + wpe (B, T, C)
    residuals: b * 2 * L * u, // x after attention and after the MLP, (B, T, C) each: ln_2's and the next ln's input
    layerNorms: b * L * (2 * u + 2 * 2 * N), // ln_1, ln_2 outputs (B, T, C) feed matmuls; mean and 1/std (B, T) each
    qkv: b * 3 * L * u, // q, k, v (B, H, T, C/H) each: the matmuls with the scores and the probabilities need them
    attentionScores: b * 2 * L * s, // scores (B, H, T, T) before the softmax and probabilities after it
    attentionOutput: b * L * u, // probabilities . v with the heads merged, (B, T, C): input of attn.c_proj
    mlpHidden: b * 2 * L * 4 * u, // c_fc output (B, T, 4C) for GELU's gradient, GELU output (B, T, 4C) for c_proj's
    finalLayerNorm: b * (u + 2 * N), // ln_f output (B, T, C): input of the head matmul; its statistics
    logits: b * N * V, // (B, T, V), alive from the head to the loss
    // loss.ts's cross-entropy keeps exp(logits - max) (B T, V) and its row sums: its gradient is
    // softmax - onehot = exps / sums - onehot. Plus the (row, target) pairs and each position's weight.
    loss: b * (N * V + N) + INT32_BYTES * 2 * N + b * N,
  };
  const activationsBytes = Object.values(activations).reduce((a, x) => a + x, 0);
  const weightsBytes = b * parameters;
  const gradientsBytes = b * parameters;
  const optimizerBytes = optimizer === "adamw" ? 2 * b * parameters : 0;
  return {
    batchSize: B,
    seqLen: T,
    bytesPerValue: b,
    optimizer,
    parameters,
    weightsBytes,
    gradientsBytes,
    optimizerBytes,
    activationsBytes,
    activations,
    totalBytes: weightsBytes + gradientsBytes + optimizerBytes + activationsBytes,
    tfjs: tfjsStepEstimate(c, B, T, optimizer),
  };
}
