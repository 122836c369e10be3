// Times GPT training steps (forward, masked cross-entropy, backward, Adam update) on the active backend.
import * as tf from "@tensorflow/tfjs";
import { countParameters, gptConfig, type GPTConfig } from "../src/model/config";
import { GPT } from "../src/model/gpt";
import { maskedCrossEntropy } from "../src/train/loss";

export interface StepConfig {
  name: string;
  model: Partial<GPTConfig>;
  batchSize: number;
  /** Tokens per sequence (at most the model's blockSize). */
  seqLen: number;
}

export interface StepTiming {
  config: string;
  backend: string;
  steps: number;
  msPerStep: number;
  tokensPerSecond: number;
  /** Model FLOPs per step (6 N per token plus attention) / time. */
  gflops: number;
  tensorGrowth: number;
}

/** Approximate training FLOPs per step: 6 x (non-embedding-lookup parameters) x tokens + attention scores. */
export function trainStepFlops(model: GPTConfig, batchSize: number, seqLen: number): number {
  const tokens = batchSize * seqLen;
  const n = countParameters(model) - model.blockSize * model.nEmbd; // position embedding is a lookup, no multiply
  const attention = 6 * 2 * model.nLayer * seqLen * model.nEmbd; // q.k^T and weights.v, forward + backward, per token
  return tokens * (6 * n + attention);
}

/**
 * Warms up with one step, then runs enough steps to fill about `targetSeconds` (between 1 and
 * maxSteps) and reports the mean time per step.
 */
export function timeTrainSteps(step: StepConfig, targetSeconds = 8, maxSteps = 10): StepTiming {
  const model = new GPT(gptConfig(step.model), 1);
  const { vocabSize } = model.config;
  const ids = tf.randomUniform([step.batchSize, step.seqLen], 0, vocabSize, "int32", 11) as tf.Tensor2D;
  const targets = tf.randomUniform([step.batchSize, step.seqLen], 0, vocabSize, "int32", 12) as tf.Tensor2D;
  const mask = tf.ones([step.batchSize, step.seqLen]) as tf.Tensor2D;
  const optimizer = tf.train.adam(1e-4);
  const runStep = () => {
    const loss = optimizer.minimize(
      () => maskedCrossEntropy(model.forward(ids, { training: true }), targets, mask),
      true,
      model.trainableVariables(),
    );
    loss?.dataSync(); // wait for the backend to finish
    loss?.dispose();
  };
  let t0 = performance.now();
  runStep();
  const warm = performance.now() - t0;
  const before = tf.memory().numTensors;
  const steps = Math.max(1, Math.min(maxSteps, Math.round((targetSeconds * 1000) / warm)));
  t0 = performance.now();
  for (let i = 0; i < steps; i++) runStep();
  const msPerStep = (performance.now() - t0) / steps;
  const tensorGrowth = tf.memory().numTensors - before;
  tf.dispose([ids, targets, mask]);
  optimizer.dispose();
  model.dispose();
  return {
    config: step.name,
    backend: tf.getBackend(),
    steps,
    msPerStep,
    tokensPerSecond: (step.batchSize * step.seqLen * 1000) / msPerStep,
    gflops: trainStepFlops(model.config, step.batchSize, step.seqLen) / (msPerStep * 1e6),
    tensorGrowth,
  };
}
