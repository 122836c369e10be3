// The fine-tuning loop's evaluation: the validation loss (averaged as the training loss is), the
// validation score that picks the best model, and the best model kept on disk.
//
// The score comes from a validator: by default the accuracy of the answers the model writes
// (classification); the lesson passes each task's own metric (lesson/finetuned.ts).
import * as tf from "@tensorflow/tfjs";
import { saveCheckpoint } from "../model/checkpoint";
import type { TextCodec } from "../model/generate";
import type { GPT } from "../model/gpt";
import { evaluateByGeneration, type EvalExample } from "../eval/evaluate";
import { gradedWeight } from "./accumulate";
import type { FinetuneConfig } from "./finetune-config";
import type { FinetuneEvent, FinetuneState, ValidationRecord } from "./finetune-state";
import { evaluationLoss } from "./gradients";
import { epochBatches, type TokenizedExample } from "./sft-batches";
import { PAD_TO_MULTIPLE_OF } from "./training-plan";

/** A validation score: the number that picks the best model, with each task's part and the invalid answers. */
export interface ValidationResult {
  score: number;
  byTask: Record<string, number>;
  invalid: number;
}

/** The default validator: the accuracy of the answers the model writes to the validation prompts. */
export function generationAccuracy(
  tokenizer: TextCodec,
  examples: readonly EvalExample[],
): (model: GPT) => ValidationResult {
  return (model) => {
    const report = evaluateByGeneration(model, tokenizer, examples).report;
    return { score: report.accuracy, byTask: {}, invalid: report.invalid };
  };
}

/** Mean masked loss over tokenized examples, weighted by their masks as one big batch would weigh them. */
export function maskedValidationLoss(
  model: GPT,
  examples: readonly TokenizedExample[],
  batchSize: number,
  padId: number,
): number {
  let total = 0;
  let count = 0;
  const batches = epochBatches(examples, {
    batchSize,
    seed: 0,
    epoch: 0,
    bucketByLength: false,
    padId,
    padToMultipleOf: PAD_TO_MULTIPLE_OF,
    maxLength: model.config.blockSize,
  });
  for (const batch of batches) {
    const n = gradedWeight(batch);
    const ids = tf.tensor2d(batch.inputIds, undefined, "int32"); // (B, T)
    const mask = tf.tensor2d(batch.lossMask); // (B, T)
    total += evaluationLoss(model, ids, mask) * n;
    tf.dispose([ids, mask]);
    count += n;
  }
  return count === 0 ? NaN : total / count;
}

/** What an evaluation during training needs besides the model and the run's state. */
export interface EvaluationContext {
  config: FinetuneConfig;
  /** The validation examples as the loss sees them (weighted like the training examples). */
  validationTokens: readonly TokenizedExample[];
  validate: (model: GPT) => ValidationResult;
  tokenizer: { save(folder: string): void };
  padId: number;
  /** Where the best model so far is saved, with its tokenizer. */
  bestFolder: string;
  batchesPerEpoch: number;
  onEvent: (e: FinetuneEvent) => void;
}

/**
 * Evaluates the model on the validation split, writes the result into the state (step 0: the model
 * before any update), saves the model to the best folder when it is better than every one before,
 * counts evaluations since the best for early stopping, and reports an "eval" event.
 */
export function evaluateAndKeepBest(model: GPT, state: FinetuneState, ctx: EvaluationContext): void {
  const { config: c } = ctx;
  const validationLoss = maskedValidationLoss(model, ctx.validationTokens, c.batchSize, ctx.padId);
  const result = ctx.validate(model);
  if (!Number.isFinite(result.score))
    throw new Error(`finetune: the validation score is ${result.score}; validate must return a finite number.`);
  const scored: ValidationRecord = { validationLoss, validationScore: result.score };
  if (Object.keys(result.byTask).length > 0) scored.validationByTask = result.byTask;
  // Step 0 is the model before any update; later evaluations join the record of their step.
  if (state.step === 0) state.start = scored;
  else if (state.history.at(-1)?.step === state.step) Object.assign(state.history.at(-1)!, scored);
  // Better: a higher score, or the same score with a clearly lower loss (noise does not count).
  const better =
    state.best === null ||
    result.score > state.best.validationScore ||
    (result.score === state.best.validationScore && validationLoss < state.best.validationLoss - 1e-3);
  if (better) {
    state.best = { step: state.step, validationScore: result.score, validationLoss };
    state.evaluationsSinceBest = 0;
    saveCheckpoint(model, ctx.bestFolder, {
      overwrite: true,
      tokenizer: ctx.tokenizer,
      extraFiles: { "finetune.json": `${JSON.stringify({ ...state.best, config: c }, null, 1)}\n` },
    });
  } else {
    state.evaluationsSinceBest += 1;
  }
  ctx.onEvent({
    kind: "eval",
    step: state.step,
    epoch: state.epoch + state.batch / ctx.batchesPerEpoch,
    validationLoss,
    validationScore: result.score,
    validationByTask: result.byTask,
    invalid: result.invalid,
    best: better,
  });
}
