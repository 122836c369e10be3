// Measures the memory of one real training step on TensorFlow.js, to set beside the estimate.
//
//   const measured = await measureTrainingMemory(model, { batchSize: 16, seqLen: 96 });
//   measured.activationsBytes / estimateTrainingMemory(model.config, batch).tfjs.activationsBytes; // about 1
//
// tf.profile gives the most bytes tfjs held at once during the step (it counts every tensor handle);
// the process's resident set size is reported beside it.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../model/gpt";
import { nextTokenLoss } from "./loss";
import { checkBatch, memoryEstimateOptions, type BatchShape, type MemoryOptimizer } from "./memory-estimate";
import { AdamW } from "./optimizer";

const FLOAT32_BYTES = 4;

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
export async function measureTrainingMemory(
  model: GPT,
  batch: BatchShape,
  options: MeasureTrainingMemoryOptions = {},
): Promise<TrainingMemoryMeasurement> {
  checkBatch(model.config, batch, "measureTrainingMemory");
  const { optimizer } = memoryEstimateOptions({ optimizer: options.optimizer });
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
      else
        tf.tidy(() => {
          for (const [name, g] of named) model.param(name).assign(tf.sub(model.param(name), tf.mul(g, 1e-4)));
        });
      tf.dispose([value, ...Object.values(grads)]);
    });
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    const stepPeakBytes = profile.peakBytes - beforeBytes;
    measured = {
      batchSize: B,
      seqLen: T,
      optimizer,
      parameters: model.parameterCount(),
      weightsBytes: bytesOf(model.params.values()),
      optimizerBytes,
      gradientsBytes,
      beforeBytes,
      peakBytes: profile.peakBytes,
      afterBytes: tf.memory().numBytes,
      stepPeakBytes,
      activationsBytes: stepPeakBytes - gradientsBytes,
      rssBeforeBytes,
      rssAfterBytes: process.memoryUsage().rss,
      maxRssBytes,
      maxRssRaisedBytes: Math.max(0, maxRssBytes - maxRssBefore),
    };
  } finally {
    for (const [name, p] of model.params) p.assign(copies.get(name)!);
    tf.dispose([...copies.values(), ids, lossMask]);
    adamw?.dispose();
  }
  return {
    ...measured,
    leakedTensors: tf.memory().numTensors - tensorsAtStart,
    seconds: (Date.now() - started) / 1000,
  };
}
