// The fine-tuning loop's settings: each field documented, the defaults in one object, the rules that
// check them. The lesson's hyperparameters (lesson/hyperparameters.ts) take their training defaults
// and rules from here.
//
//   const config = finetuneConfig({ epochs: 3, learningRate: 1e-3 });   // a ConfigError names a bad field
import { defineConfig } from "../util/config";

export interface FinetuneConfig {
  /** Peak learning rate (fine-tuning uses less than pre-training: the weights are already good). */
  learningRate: number;
  /** Learning rate at the end of the cosine, as a fraction of the peak. */
  minLearningRateRatio: number;
  /** Passes over the training examples. */
  epochs: number;
  /** Examples per micro-batch (one forward and backward pass). */
  batchSize: number;
  /** Micro-batches per optimizer step: the effective batch is batchSize x gradAccumulation. */
  gradAccumulation: number;
  /** Longest example in tokens (at most the model's window); longer ones are left out, counted. */
  maxLength: number;
  /** Fraction of the optimizer steps spent warming the learning rate up from 0. */
  warmupFraction: number;
  /** Decoupled weight decay on matrices and embeddings (never biases or layer norms). */
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Gradients are scaled down when their global norm exceeds this. */
  gradClip: number;
  /**
   * How a batch's loss averages its graded tokens. "token": every graded token counts the same (the
   * usual SFT loss, TRL's); "example": every example counts the same however long its answer, so
   * that in a mix of tasks the short answers (a label) are not drowned by the long ones (a review).
   */
  lossWeighting: "token" | "example";
  /** Dropout while training (0: none). Small data overfits; 0.1 slows that down. */
  dropout: number;
  /** Evaluate on the validation split every this many optimizer steps; 0: at the end of each epoch. */
  evalEvery: number;
  /** Also evaluate before the first step (step 0: the base model), so the validation curve starts where training does. */
  evalAtStart: boolean;
  /** Validation examples answered by generation at each evaluation (0: all). */
  validationLimit: number;
  /** Stop after this many evaluations without a better validation score (0: never stop early). */
  patience: number;
  /** Save a resumable checkpoint every this many optimizer steps (besides each evaluation). */
  checkpointEvery: number;
  /** Seed of the batch order and dropout: the same seed gives the same run. */
  seed: number;
}

/** The fine-tuning config's defaults and field rules (the lesson's hyperparameters reuse the rules). */
export const FINETUNE_CONFIG = defineConfig<FinetuneConfig>(
  "FinetuneConfig",
  {
    learningRate: 5e-4,
    minLearningRateRatio: 0.1,
    epochs: 4,
    batchSize: 16,
    gradAccumulation: 1,
    maxLength: 128,
    warmupFraction: 0.1,
    weightDecay: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    gradClip: 1.0,
    lossWeighting: "token",
    dropout: 0,
    evalEvery: 0,
    evalAtStart: false,
    validationLimit: 0,
    patience: 0,
    checkpointEvery: 100,
    seed: 0,
  },
  {
    learningRate: { type: "number", above: 0, hint: "fine-tuning a small model: try 1e-4 to 1e-3" },
    minLearningRateRatio: { type: "number", min: 0, max: 1 },
    epochs: { type: "integer", min: 1 },
    batchSize: { type: "integer", min: 1 },
    gradAccumulation: { type: "integer", min: 1 },
    maxLength: { type: "integer", min: 1 },
    warmupFraction: { type: "number", min: 0, below: 1 },
    weightDecay: { type: "number", min: 0 },
    beta1: { type: "number", min: 0, below: 1 },
    beta2: { type: "number", min: 0, below: 1 },
    gradClip: { type: "number", above: 0 },
    lossWeighting: { type: "string", oneOf: ["token", "example"] },
    dropout: { type: "number", min: 0, below: 1 },
    evalEvery: { type: "integer", min: 0 },
    evalAtStart: { type: "boolean" },
    validationLimit: { type: "integer", min: 0 },
    patience: { type: "integer", min: 0 },
    checkpointEvery: { type: "integer", min: 1 },
    seed: { type: "integer" },
  },
);

/** The defaults (frozen). */
export const DEFAULT_FINETUNE_CONFIG: Readonly<FinetuneConfig> = FINETUNE_CONFIG.defaults;

/** Fills defaults and checks a config; unknown fields and bad values throw a ConfigError naming the field. */
export function finetuneConfig(overrides: Partial<FinetuneConfig> & Record<string, unknown> = {}): FinetuneConfig {
  return FINETUNE_CONFIG.make(overrides);
}
