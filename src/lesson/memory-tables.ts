// The memory lesson's tables and sentence (notebook 03): the estimate for the embedded model and the
// GPT-2 family, what 16 bytes per parameter mean for gpt2-xl, and estimate against measurement.
//
//   showTable(trainingMemoryTable({ batchSize: 16, seqLen: 96 }));
//   console.log(fullFineTuningSentence("gpt2-xl", LARGE_GPT2_CONFIGS["gpt2-xl"]));
//   showTable(trainingMemoryComparison(estimate, await measureTrainingMemory(model, batch)));
import { countParameters, gptConfig, GPT_PRESETS, type GPTConfig } from "../model/config";
import { loadModelConfig } from "../model/checkpoint";
import { BASE_MODEL_DIR } from "./base-model";
import { formatBytes } from "../runtime/memory";
import {
  estimateTrainingMemory,
  memoryEstimateOptions,
  type MemoryEstimateOptions,
  type TrainingMemoryEstimate,
} from "../train/memory-estimate";
import type { TrainingMemoryMeasurement } from "../train/memory-measure";

/** GPT-2's two biggest sizes, the presets the lesson's table and sentence name. */
export const LARGE_GPT2_CONFIGS = {
  "gpt2-large": GPT_PRESETS["gpt2-large"],
  "gpt2-xl": GPT_PRESETS["gpt2-xl"],
} satisfies Record<string, GPTConfig>;

/** The rows of the lesson's table: the embedded base model (its config.json), then GPT-2 from small to XL. */
export function memoryTableModels(): Record<string, GPTConfig> {
  return {
    "review-gpt-base (ours)": loadModelConfig(BASE_MODEL_DIR),
    gpt2: GPT_PRESETS.gpt2,
    "gpt2-medium": GPT_PRESETS["gpt2-medium"],
    ...LARGE_GPT2_CONFIGS,
  };
}

/** 1_318_912 -> "1.3M", 1_557_611_200 -> "1.56B". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export interface TrainingMemoryTableOptions extends MemoryEstimateOptions {
  /** Models by row name. Default memoryTableModels(). */
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
  const { models = memoryTableModels(), batchSize = 8, seqLen, ...estimateOptions } = options;
  if (seqLen !== undefined && (!Number.isInteger(seqLen) || seqLen < 2)) {
    throw new Error(
      `trainingMemoryTable: seqLen must be an integer >= 2 (it is capped at each model's context window), got ${seqLen}.`,
    );
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
  const { bytesPerValue: b, optimizer } = memoryEstimateOptions(options);
  const parameters = countParameters(gptConfig(config as GPTConfig & Record<string, unknown>));
  const perParameter = optimizer === "adamw" ? 4 * b : 2 * b;
  const precision = b === 4 ? "float32" : "16-bit precision";
  const parts =
    optimizer === "adamw"
      ? `${b} for the weight, ${b} for its gradient, ${2 * b} for AdamW's m and v`
      : `${b} for the weight, ${b} for its gradient; plain SGD keeps no state`;
  return (
    `Full fine-tuning ${name} (${formatCount(parameters)} parameters) with ${optimizer === "adamw" ? "AdamW" : "SGD"} in ${precision} ` +
    `needs ${formatBytes(perParameter * parameters)} before any activation: ${perParameter} bytes per parameter (${parts}).`
  );
}

/**
 * Estimate and measurement side by side, one row per quantity, for showTable. The minimum a backward
 * pass must keep has no measured column: TensorFlow.js keeps more (see TfjsStepEstimate).
 */
export function trainingMemoryComparison(
  estimate: TrainingMemoryEstimate,
  measured: TrainingMemoryMeasurement,
): Record<string, string>[] {
  const row = (quantity: string, est: number | undefined, meas: number | undefined) => ({
    quantity,
    estimated: est === undefined ? "" : formatBytes(est),
    measured: meas === undefined ? "" : formatBytes(meas),
    "measured / estimated": est && meas !== undefined ? (meas / est).toFixed(2) : "",
  });
  return [
    row("weights", estimate.weightsBytes, measured.weightsBytes),
    row(
      `optimizer state (${estimate.optimizer === "adamw" ? "AdamW m, v" : "none for SGD"})`,
      estimate.optimizerBytes,
      measured.optimizerBytes,
    ),
    row("gradients", estimate.gradientsBytes, measured.gradientsBytes),
    row("activations held by the tfjs tape", estimate.tfjs.activationsBytes, measured.activationsBytes),
    row("step peak above weights and optimizer state", estimate.tfjs.stepPeakBytes, measured.stepPeakBytes),
    row("activations a backward pass must keep", estimate.activationsBytes, undefined),
    row("process memory (RSS) high-water mark raised by", undefined, measured.maxRssRaisedBytes),
  ];
}
