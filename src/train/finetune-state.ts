// What a fine-tuning run reports while it runs (events), and what it saves to resume exactly
// where it stopped (its state, in <outDir>/latest/state.json).
import type { FinetuneConfig } from "./finetune-config";

export type FinetuneEvent =
  | { kind: "start"; steps: number; stepsPerEpoch: number; trainExamples: number; skipped: number; resumedAt: number }
  | {
      kind: "step";
      step: number;
      steps: number;
      epoch: number;
      loss: number;
      learningRate: number;
      gradNorm: number;
      tokensPerSecond: number;
      elapsedSeconds: number;
      etaSeconds: number;
    }
  | {
      kind: "eval";
      step: number;
      epoch: number;
      validationLoss: number;
      /** The score that picks the best model (see FinetuneArgs.validate): accuracy of the written answers by default. */
      validationScore: number;
      /** The score of each task, when the validation scores several. */
      validationByTask: Record<string, number>;
      invalid: number;
      best: boolean;
    }
  | { kind: "checkpoint"; step: number; folder: string }
  | { kind: "early-stop"; step: number; bestStep: number }
  /** Training resumed from the checkpoint in `folder` (<outDir>/latest), saved after `step`. */
  | { kind: "resume"; step: number; steps: number; folder: string };

/** One evaluation on the validation split. */
export interface ValidationRecord {
  validationLoss: number;
  validationScore: number;
  validationByTask?: Record<string, number>;
}

export interface FinetuneRecord {
  step: number;
  /** Epochs completed, fractional: 1.5 is halfway through the second epoch. */
  epoch: number;
  trainLoss: number;
  learningRate: number;
  validationLoss?: number;
  /** The validation score (FinetuneArgs.validate): what picks the best model. */
  validationScore?: number;
  /** Each task's validation score, when there are several. */
  validationByTask?: Record<string, number>;
}

/** Saved as state.json beside the weights, so that a run can resume exactly where it stopped. */
export interface FinetuneState {
  step: number;
  /** Next micro-batch to run: epoch (0-based) and batch index within it. */
  epoch: number;
  batch: number;
  tokensSeen: number;
  /** Tokens the loss graded (answer tokens and end-of-text), counted over every step so far. */
  gradedTokens: number;
  elapsedSeconds: number;
  config: FinetuneConfig;
  history: FinetuneRecord[];
  /** The evaluation before the first step (config.evalAtStart): the base model's validation loss and score. */
  start?: ValidationRecord;
  best: { step: number; validationScore: number; validationLoss: number } | null;
  evaluationsSinceBest: number;
  stoppedEarly: boolean;
}

/** The state of a run that has not taken a step yet. */
export function newFinetuneState(config: FinetuneConfig): FinetuneState {
  return {
    step: 0,
    epoch: 0,
    batch: 0,
    tokensSeen: 0,
    gradedTokens: 0,
    elapsedSeconds: 0,
    config,
    history: [],
    best: null,
    evaluationsSinceBest: 0,
    stoppedEarly: false,
  };
}
