// What full fine-tuning costs in memory: an estimate from the config, and a measurement of one real
// training step on TensorFlow.js.
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
//   const measured = await measureTrainingMemory(model, { batchSize: 16, seqLen: 128 });
//   showTable(trainingMemoryTable());
//
// Two activation figures are given. `activations` is what any backward pass must keep for this
// architecture (about what PyTorch keeps). `tfjs` is what TensorFlow.js's eager tape really holds at
// the end of the backward pass for this repo's code, counted op by op; it is several times larger.
import * as tf from "@tensorflow/tfjs";
import { formatBytes } from "../runtime/memory";
import { countParameters, DEFAULT_GPT_CONFIG, gptConfig, GPT_PRESETS, type GPTConfig } from "../model/config";
import type { GPT } from "../model/gpt";
import { nextTokenLoss } from "./loss";
import { AdamW } from "./optimizer";
import { defineConfig } from "../util/config";

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
  tfjs: TfjsStepEstimate;
}

const INT32_BYTES = 4;
const FLOAT32_BYTES = 4;

/** Checks a batch against a config; throws a message naming the field and the allowed range. */
function checkBatch(config: GPTConfig, batch: BatchShape, where: string): void {
  const { batchSize, seqLen } = batch ?? ({} as BatchShape);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`${where}: batchSize must be a positive integer (sequences per batch), got ${batchSize}.`);
  }
  if (!Number.isInteger(seqLen) || seqLen < 2 || seqLen > config.blockSize) {
    throw new Error(`${where}: seqLen must be an integer from 2 to the context window (blockSize ${config.blockSize}), ` +
      `got ${seqLen}; a training sequence needs one token to read and one to predict, and at most blockSize tokens.`);
  }
}

const MEMORY_OPTIONS = defineConfig<Required<MemoryEstimateOptions>>("MemoryEstimateOptions", { bytesPerValue: 4, optimizer: "adamw" }, {
  bytesPerValue: { type: "integer" },
  optimizer: { type: "string", oneOf: ["adamw", "sgd"] },
}, (c, fail) => {
  if (c.bytesPerValue !== 4 && c.bytesPerValue !== 2) fail("bytesPerValue", `must be 4 (float32) or 2 (bf16/fp16), got ${c.bytesPerValue}.`);
});

/** The estimate's options with defaults filled in (table options may carry more fields: only these are read). */
function checkOptions(options: MemoryEstimateOptions): Required<MemoryEstimateOptions> {
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
export function estimateTrainingMemory(config: GPTConfig, batch: BatchShape, options: MemoryEstimateOptions = {}): TrainingMemoryEstimate {
  const c = gptConfig(config as GPTConfig & Record<string, unknown>);
  checkBatch(c, batch, "estimateTrainingMemory");
  const { bytesPerValue: b, optimizer } = checkOptions(options);
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
  const tfjsActivations = tfjsTapeEstimate(c, B, T);
  const tfjsState = FLOAT32_BYTES * parameters * (optimizer === "adamw" ? 4 : 2);
  // AdamW.apply, per weight in one tidy: m (3 ops), v (4), decay (1, matrices and embeddings only),
  // denominator (3), update (3); the plain SGD step of measureTrainingMemory: 2.
  const undecayed = L * 13 * C + 2 * C; // biases and layer-norm weights: 13C per block, ln_f 2C
  const updateBytes = FLOAT32_BYTES * (optimizer === "adamw" ? 14 * parameters - undecayed : 2 * parameters);
  const stepPeakBytes = FLOAT32_BYTES * parameters + Math.max(tfjsActivations.activationsBytes, updateBytes);
  return {
    batchSize: B, seqLen: T, bytesPerValue: b, optimizer, parameters,
    weightsBytes, gradientsBytes, optimizerBytes, activationsBytes, activations,
    totalBytes: weightsBytes + gradientsBytes + optimizerBytes + activationsBytes,
    tfjs: { ...tfjsActivations, updateBytes, stepPeakBytes, totalBytes: tfjsState + Math.max(tfjsActivations.activationsBytes, updateBytes) },
  };
}

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
function tfjsTapeEstimate(c: GPTConfig, B: number, T: number): Omit<TfjsStepEstimate, "totalBytes" | "updateBytes" | "stepPeakBytes"> {
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

export interface MeasureTrainingMemoryOptions {
  /** The optimizer whose state is created and stepped once: "adamw" (default) or "sgd". */
  optimizer?: MemoryOptimizer;
  /** Seed of the random token ids. */
  seed?: number;
}

/** One measured training step: tfjs's tensor bytes (tf.memory) and the process's memory. */
export interface TrainingMemoryMeasurement {
  batchSize: number;
  seqLen: number;
  optimizer: MemoryOptimizer;
  parameters: number;
  /** Bytes of the model's variables. */
  weightsBytes: number;
  /** Bytes of the optimizer's state (AdamW's m and v), created before the step. */
  optimizerBytes: number;
  /** Bytes of the gradients the step returned (one per weight). */
  gradientsBytes: number;
  /** tf.memory().numBytes just before the step: weights, optimizer state, the batch and anything else alive. */
  beforeBytes: number;
  /** The most tfjs held at once during the step (tf.profile's peakBytes). */
  peakBytes: number;
  /** tf.memory().numBytes after the step, gradients freed, optimizer state still alive. */
  afterBytes: number;
  /** peakBytes - beforeBytes: what the step added at its peak, gradients + activations. */
  stepPeakBytes: number;
  /** stepPeakBytes - gradientsBytes: the activations when the backward pass is the peak (compare
   *  estimate.tfjs.activationsBytes); for a few tokens the optimizer update's temporaries are the
   *  peak instead (estimate.tfjs.updateBytes). */
  activationsBytes: number;
  /** Process resident set size before and after the step. */
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** The process's highest RSS so far (after the step), and how much the step raised it (0 when an
   *  earlier, bigger job set the mark). Physical memory: clones tfjs counts twice share one buffer. */
  maxRssBytes: number;
  maxRssRaisedBytes: number;
  /** Tensors still alive after everything was cleaned up, beyond those alive before (0: no leak). */
  leakedTensors: number;
  seconds: number;
}

/**
 * Runs one real training step on `model` with a random batch (B, T) (all positions supervised) and
 * measures its memory: tf.variableGrads over nextTokenLoss, then one optimizer update so that the
 * optimizer state exists, inside tf.profile to catch the peak. The model's weights are copied before
 * and restored after, so measuring does not train the model; the optimizer it creates is disposed.
 * Dropout is off (training: false), as in the estimate.
 */
export async function measureTrainingMemory(model: GPT, batch: BatchShape, options: MeasureTrainingMemoryOptions = {}): Promise<TrainingMemoryMeasurement> {
  checkBatch(model.config, batch, "measureTrainingMemory");
  const { optimizer } = checkOptions({ optimizer: options.optimizer });
  const { batchSize: B, seqLen: T } = batch;
  const started = Date.now();
  const tensorsAtStart = tf.memory().numTensors;
  const bytesOf = (ts: Iterable<tf.Tensor>) => [...ts].reduce((a, t) => a + t.size * FLOAT32_BYTES, 0);

  // A copy of the weights, so that the measuring step leaves the model as it was.
  const copies = new Map([...model.params].map(([name, p]) => [name, tf.clone(p)] as const));
  const ids = tf.randomUniform([B, T], 0, model.config.vocabSize, "int32", options.seed ?? 0) as tf.Tensor2D; // (B, T)
  const lossMask = tf.onesLike(ids) as tf.Tensor2D; // (B, T): every next token counts
  const bytesBeforeOptimizer = tf.memory().numBytes;
  const adamw = optimizer === "adamw" ? new AdamW(model.params, { learningRate: 1e-4 }) : undefined;
  const optimizerBytes = tf.memory().numBytes - bytesBeforeOptimizer; // m and v

  let measured: Omit<TrainingMemoryMeasurement, "leakedTensors" | "seconds">;
  try {
    let gradientsBytes = 0;
    const rssBeforeBytes = process.memoryUsage().rss;
    const maxRssBefore = process.resourceUsage().maxRSS * 1024; // Node reports KiB
    const beforeBytes = tf.memory().numBytes;
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => nextTokenLoss(model, ids, lossMask), model.trainableVariables());
      // variableGrads keys the gradients by variable name ("gpt1/transformer.wte.weight"); the optimizer by weight name.
      const named = new Map([...model.params].map(([name, p]) => [name, grads[p.name]] as [string, tf.Tensor]));
      gradientsBytes = bytesOf(named.values());
      if (adamw) adamw.apply(named);
      else tf.tidy(() => { for (const [name, g] of named) model.param(name).assign(tf.sub(model.param(name), tf.mul(g, 1e-4))); });
      tf.dispose([value, ...Object.values(grads)]);
    });
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    const stepPeakBytes = profile.peakBytes - beforeBytes;
    measured = {
      batchSize: B, seqLen: T, optimizer, parameters: model.parameterCount(),
      weightsBytes: bytesOf(model.params.values()), optimizerBytes, gradientsBytes,
      beforeBytes, peakBytes: profile.peakBytes, afterBytes: tf.memory().numBytes,
      stepPeakBytes, activationsBytes: stepPeakBytes - gradientsBytes,
      rssBeforeBytes, rssAfterBytes: process.memoryUsage().rss, maxRssBytes, maxRssRaisedBytes: Math.max(0, maxRssBytes - maxRssBefore),
    };
  } finally {
    for (const [name, p] of model.params) p.assign(copies.get(name)!);
    tf.dispose([...copies.values(), ids, lossMask]);
    adamw?.dispose();
  }
  return { ...measured, leakedTensors: tf.memory().numTensors - tensorsAtStart, seconds: (Date.now() - started) / 1000 };
}

/** GPT-2's two biggest sizes, for the memory table (GPT_PRESETS stops at gpt2-medium). */
export const LARGE_GPT2_CONFIGS = {
  /** GPT-2 large: 36 layers, 1280 wide, 20 heads, 1024 context, 774M parameters. */
  "gpt2-large": { ...DEFAULT_GPT_CONFIG, nLayer: 36, nHead: 20, nEmbd: 1280 },
  /** GPT-2 XL: 48 layers, 1600 wide, 25 heads, 1024 context, 1.56B parameters. */
  "gpt2-xl": { ...DEFAULT_GPT_CONFIG, nLayer: 48, nHead: 25, nEmbd: 1600 },
} satisfies Record<string, GPTConfig>;

/** The rows of the lesson's table: the embedded model, then GPT-2 from small to XL. */
export const MEMORY_TABLE_MODELS: Record<string, GPTConfig> = {
  "tiny (embedded base model)": GPT_PRESETS.tiny,
  gpt2: GPT_PRESETS.gpt2,
  "gpt2-medium": GPT_PRESETS["gpt2-medium"],
  ...LARGE_GPT2_CONFIGS,
};

/** 1_318_912 -> "1.3M", 1_557_611_200 -> "1.56B". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export interface TrainingMemoryTableOptions extends MemoryEstimateOptions {
  /** Models by row name. Default MEMORY_TABLE_MODELS. */
  models?: Record<string, GPTConfig>;
  /** Sequences per batch. Default 8. */
  batchSize?: number;
  /** Tokens per sequence, capped at each model's context window. Default: the whole window. */
  seqLen?: number;
}

/**
 * One row per model for showTable: parameters, weights, gradients, optimizer state, activations at
 * the batch, their total, and the total this workbook's TensorFlow.js step really needs. Strings
 * formatted with formatBytes; the batch column says how many tokens each row assumes.
 */
export function trainingMemoryTable(options: TrainingMemoryTableOptions = {}): Record<string, string>[] {
  const { models = MEMORY_TABLE_MODELS, batchSize = 8, seqLen, ...estimateOptions } = options;
  if (seqLen !== undefined && (!Number.isInteger(seqLen) || seqLen < 2)) {
    throw new Error(`trainingMemoryTable: seqLen must be an integer >= 2 (it is capped at each model's context window), got ${seqLen}.`);
  }
  const stateLabel = (estimateOptions.optimizer ?? "adamw") === "adamw" ? "AdamW state" : "SGD state";
  return Object.entries(models).map(([name, config]) => {
    const T = Math.min(seqLen ?? config.blockSize, config.blockSize);
    const e = estimateTrainingMemory(config, { batchSize, seqLen: T }, estimateOptions);
    return {
      model: name,
      parameters: formatCount(e.parameters),
      batch: `${batchSize} x ${T}`,
      weights: formatBytes(e.weightsBytes),
      gradients: formatBytes(e.gradientsBytes),
      [stateLabel]: formatBytes(e.optimizerBytes),
      activations: formatBytes(e.activationsBytes),
      total: formatBytes(e.totalBytes),
      "total on tfjs": formatBytes(e.tfjs.totalBytes),
    };
  });
}

/**
 * "Full fine-tuning gpt2-xl (1.56B parameters) with AdamW in float32 needs 23.2 GiB before any
 * activation: 16 bytes per parameter (4 for the weight, 4 for its gradient, 8 for AdamW's m and v)."
 */
export function fullFineTuningSentence(name: string, config: GPTConfig, options: MemoryEstimateOptions = {}): string {
  const { bytesPerValue: b, optimizer } = checkOptions(options);
  const parameters = countParameters(gptConfig(config as GPTConfig & Record<string, unknown>));
  const perParameter = optimizer === "adamw" ? 4 * b : 2 * b;
  const precision = b === 4 ? "float32" : "16-bit precision";
  const parts = optimizer === "adamw"
    ? `${b} for the weight, ${b} for its gradient, ${2 * b} for AdamW's m and v`
    : `${b} for the weight, ${b} for its gradient; plain SGD keeps no state`;
  return `Full fine-tuning ${name} (${formatCount(parameters)} parameters) with ${optimizer === "adamw" ? "AdamW" : "SGD"} in ${precision} ` +
    `needs ${formatBytes(perParameter * parameters)} before any activation: ${perParameter} bytes per parameter (${parts}).`;
}

/**
 * Estimate and measurement side by side, one row per quantity, for showTable. The minimum a backward
 * pass must keep has no measured column: TensorFlow.js keeps more (see TfjsStepEstimate).
 */
export function trainingMemoryComparison(estimate: TrainingMemoryEstimate, measured: TrainingMemoryMeasurement): Record<string, string>[] {
  const row = (quantity: string, est: number | undefined, meas: number | undefined) => ({
    quantity,
    estimated: est === undefined ? "" : formatBytes(est),
    measured: meas === undefined ? "" : formatBytes(meas),
    "measured / estimated": est && meas !== undefined ? (meas / est).toFixed(2) : "",
  });
  return [
    row("weights", estimate.weightsBytes, measured.weightsBytes),
    row(`optimizer state (${estimate.optimizer === "adamw" ? "AdamW m, v" : "none for SGD"})`, estimate.optimizerBytes, measured.optimizerBytes),
    row("gradients", estimate.gradientsBytes, measured.gradientsBytes),
    row("activations held by the tfjs tape", estimate.tfjs.activationsBytes, measured.activationsBytes),
    row("step peak above weights and optimizer state", estimate.tfjs.stepPeakBytes, measured.stepPeakBytes),
    row("activations a backward pass must keep", estimate.activationsBytes, undefined),
    row("process memory (RSS) high-water mark raised by", undefined, measured.maxRssRaisedBytes),
  ];
}
