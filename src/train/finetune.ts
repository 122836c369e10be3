// Full fine-tuning: every weight of a pre-trained GPT learns to answer instructions.
//
// The examples are tokenized with a loss mask over the completion and the end-of-text token
// (sft-batches.ts), so the cross-entropy grades only the answer. Each epoch visits every training
// example once, in seeded, length-bucketed batches; `gradAccumulation` micro-batches make one
// AdamW step (warm-up then cosine learning rate, gradients clipped by their global norm), as the
// plan says (training-plan.ts). After each epoch (or every `evalEvery` steps), and with `evalAtStart`
// once before the first step, the model answers the validation prompts: validation loss and
// a validation score: by default the accuracy of the answers the model writes, or each task's own
// metric for a mix of tasks (the `validate` option). The best model so far is saved in <outDir>/best; with
// `patience`, training stops once that many evaluations pass without a better one.
//
// Everything needed to resume (weights, optimizer moments, position in the epoch, history) is saved
// atomically in <outDir>/latest at each evaluation and every `checkpointEvery` steps: a resumed run
// makes exactly the updates an uninterrupted run makes. A loss that is NaN or infinite stops the run
// with a message, and <outDir>/latest keeps the last good state.
//
//   const run = await finetune({ base, tokenizer, train, validation, config: finetuneConfig({ epochs: 3 }), outDir: "runs/sentiment" });
//   run.model  // the best model (by validation score), which the caller disposes
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadCheckpoint, saveCheckpoint } from "../model/checkpoint";
import { GPT } from "../model/gpt";
import type { TextCodec } from "../model/generate";
import { evaluateByGeneration, type EvalExample } from "../eval/evaluate";
import { evaluationLoss, LossGradients } from "./gradients";
import { AdamW, learningRateAt } from "./optimizer";
import { epochBatches, tokenizeExamples, type Batch, type TokenizedExample } from "./sft-batches";
import { epochBatchesOf, gradedPositions, lossWeighted, PAD_TO_MULTIPLE_OF, prepareTraining } from "./training-plan";
import { readResumableRun, readResumableState, restoreOptimizer, saveResumable } from "./resumable";
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
  | { kind: "resume"; step: number };

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

export interface FinetuneArgs {
  /** The pre-trained model; it is copied, never changed. */
  base: GPT;
  tokenizer: TextCodec & { eosTokenId?: number; save(folder: string): void };
  /** Training examples (prompt and completion), or examples already tokenized with their loss masks. */
  train: readonly { prompt: string; completion: string; sourceId?: string }[] | readonly TokenizedExample[];
  /** Validation examples: their loss, and their accuracy when the model answers by generation. */
  validation: readonly EvalExample[];
  config: FinetuneConfig;
  /** Folder for <outDir>/latest (resumable) and <outDir>/best (the best model, with its tokenizer). */
  outDir: string;
  /** Continue from <outDir>/latest when it exists (default true); false starts over. */
  resume?: boolean;
  onEvent?: (e: FinetuneEvent) => void;
  /**
   * How the model is scored on the validation split at each evaluation (higher is better; the best
   * model is kept). Default: the accuracy of its written answers (evaluateByGeneration), which suits
   * classification only; a mix of tasks passes each task's own metric (src/eval/tasks.ts).
   */
  validate?: (model: GPT) => ValidationResult;
  /** Stop (after saving) once this many optimizer steps have run in this call: for tests of resuming. */
  stopAfterSteps?: number;
}

/** A validation score: the number that picks the best model, with each task's part and the invalid answers. */
export interface ValidationResult {
  score: number;
  byTask: Record<string, number>;
  invalid: number;
}

export interface FinetuneResult {
  /** The best model by validation score (the last one if there was no evaluation). The caller disposes it. */
  model: GPT;
  state: FinetuneState;
  /** Where the best model is saved (with its tokenizer): loadCheckpoint(bestFolder). */
  bestFolder: string;
  /** Examples left out because they were longer than maxLength. */
  skipped: number;
}

/** A copy of a model's weights in a new model, with a changed dropout (the only setting fine-tuning may change). */
export function copyModel(base: GPT, dropout = base.config.dropout): GPT {
  const weights = new Map(
    [...base.params].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]),
  );
  return new GPT({ ...base.config, dropout }, 0, weights);
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
    const ids = tf.tensor2d(batch.inputIds, undefined, "int32");
    const mask = tf.tensor2d(batch.lossMask);
    total += evaluationLoss(model, ids, mask) * n;
    tf.dispose([ids, mask]);
    count += n;
  }
  return count === 0 ? NaN : total / count;
}

/** The weight the loss grades in a batch: the mask summed after the one-position shift of next-token
 * prediction (graded tokens with "token" weighting, examples with "example" weighting). */
function gradedWeight(batch: Batch): number {
  return batch.lossMask.reduce((n, row) => n + row.slice(1).reduce((a, b) => a + b, 0), 0);
}

/** Runs (or resumes) full fine-tuning; see the header. */
export async function finetune(args: FinetuneArgs): Promise<FinetuneResult> {
  const { config: c, tokenizer, onEvent = () => undefined } = args;
  const eos = tokenizer.eosTokenId;
  if (eos === undefined)
    throw new Error(
      "finetune: the tokenizer has no end-of-text token; the model needs one to learn where an answer stops.",
    );
  const window = args.base.config.blockSize;
  if (c.maxLength > window)
    throw new Error(
      `FinetuneConfig.maxLength is ${c.maxLength} but the model's context window is ${window}; use at most ${window}.`,
    );
  if (args.validation.length === 0)
    throw new Error(
      "finetune: the validation split is empty; fine-tuning needs it to measure progress and pick the best model.",
    );

  const { examples: train, plan } = prepareTraining(args.train, tokenizer, c);
  const skipped = plan.skipped;
  if (train.length === 0)
    throw new Error(
      `finetune: no training example fits in maxLength ${c.maxLength} tokens (${skipped} left out); raise maxLength or shorten the examples.`,
    );
  // Validation loss averages like the training loss: with "example" weighting a mean of each
  // example's own mean, or the written reviews' many tokens would swamp it next to the labels.
  const validationTokens = lossWeighted(
    tokenizeExamples(args.validation, tokenizer as TextCodec & { eosTokenId: number }, {
      maxLength: window,
      onTooLong: "skip",
    }).examples,
    c.lossWeighting,
  );
  const validationSet = c.validationLimit > 0 ? args.validation.slice(0, c.validationLimit) : args.validation;

  const { batchesPerEpoch, stepsPerEpoch, totalSteps, schedule } = plan;

  const latest = path.join(args.outDir, "latest");
  const bestFolder = path.join(args.outDir, "best");
  let state: FinetuneState = {
    step: 0,
    epoch: 0,
    batch: 0,
    tokensSeen: 0,
    gradedTokens: 0,
    elapsedSeconds: 0,
    config: c,
    history: [],
    best: null,
    evaluationsSinceBest: 0,
    stoppedEarly: false,
  };
  const saved =
    (args.resume ?? true)
      ? readResumableRun<FinetuneState>(
          latest,
          c,
          "a fine-tuning run",
          "use another outDir, or pass resume: false to start over.",
        )
      : undefined;
  const resuming = saved !== undefined;
  let model: GPT;
  if (saved) {
    const loaded = loadCheckpoint(latest).model;
    model = copyModel(loaded, c.dropout);
    loaded.dispose();
    state = saved;
  } else {
    if (!(args.resume ?? true))
      for (const folder of [latest, bestFolder]) fs.rmSync(folder, { recursive: true, force: true });
    model = copyModel(args.base, c.dropout);
  }
  const opt = new AdamW(model.params, {
    learningRate: c.learningRate,
    beta1: c.beta1,
    beta2: c.beta2,
    weightDecay: c.weightDecay,
  });
  if (resuming) restoreOptimizer(opt, latest);
  onEvent({
    kind: "start",
    steps: totalSteps,
    stepsPerEpoch,
    trainExamples: train.length,
    skipped,
    resumedAt: state.step,
  });
  if (resuming) onEvent({ kind: "resume", step: state.step });

  const gradients = new LossGradients(model);
  const saveLatest = () => {
    saveResumable(latest, model, opt, state, tokenizer);
    onEvent({ kind: "checkpoint", step: state.step, folder: latest });
  };
  const evaluate = () => {
    const validationLoss = maskedValidationLoss(model, validationTokens, c.batchSize, eos);
    const result: ValidationResult = args.validate
      ? args.validate(model)
      : (() => {
          const report = evaluateByGeneration(model, tokenizer, validationSet).report;
          return { score: report.accuracy, byTask: {}, invalid: report.invalid };
        })();
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
      saveCheckpoint(model, bestFolder, {
        overwrite: true,
        tokenizer,
        extraFiles: { "finetune.json": `${JSON.stringify({ ...state.best, config: c }, null, 1)}\n` },
      });
    } else {
      state.evaluationsSinceBest += 1;
    }
    onEvent({
      kind: "eval",
      step: state.step,
      epoch: state.epoch + state.batch / batchesPerEpoch,
      validationLoss,
      validationScore: result.score,
      validationByTask: result.byTask,
      invalid: result.invalid,
      best: better,
    });
  };

  const startStep = state.step;
  const t0 = performance.now();
  const elapsedBefore = state.elapsedSeconds;
  try {
    if (c.evalAtStart && state.step === 0 && state.start === undefined) evaluate();
    while (state.epoch < c.epochs && !state.stoppedEarly) {
      const batches = epochBatchesOf(train, c, state.epoch, eos, model.config.blockSize);
      while (state.batch < batches.length) {
        if (args.stopAfterSteps !== undefined && state.step - startStep >= args.stopAfterSteps) {
          saveLatest();
          return finish();
        }
        const step = state.step + 1;
        const micro = batches.slice(state.batch, state.batch + c.gradAccumulation);
        const { loss, grads, tokens } = accumulatedGradients(gradients, micro, step);
        if (!Number.isFinite(loss)) {
          tf.dispose([...grads.values()]);
          throw new Error(
            `Fine-tuning stopped at step ${step} (epoch ${state.epoch + 1}): the loss is ${loss}. ` +
              `The last good checkpoint (step ${readResumableState<FinetuneState>(latest)?.step ?? "none yet"}) is in ${latest}, and the best model so far in ${bestFolder}. ` +
              "Lower learningRate or raise warmupFraction, then run again: it resumes from the last good checkpoint.",
          );
        }
        const lr = learningRateAt(step, schedule);
        const { gradNorm: norm } = opt.apply(grads, lr, c.gradClip);
        tf.dispose([...grads.values()]);

        state.step = step;
        state.batch += micro.length;
        state.tokensSeen += tokens;
        state.gradedTokens = (state.gradedTokens ?? 0) + micro.reduce((n, b) => n + gradedPositions(b), 0);
        const endOfEpoch = state.batch >= batches.length;
        const elapsed = elapsedBefore + (performance.now() - t0) / 1000;
        state.elapsedSeconds = elapsed;
        state.history.push({
          step,
          epoch: state.epoch + state.batch / batches.length,
          trainLoss: loss,
          learningRate: lr,
        });
        const rate = (step - startStep) / ((performance.now() - t0) / 1000); // optimizer steps per second
        onEvent({
          kind: "step",
          step,
          steps: totalSteps,
          epoch: state.epoch + state.batch / batches.length,
          loss,
          learningRate: lr,
          gradNorm: norm,
          tokensPerSecond: state.tokensSeen / Math.max(elapsed, 1e-9),
          elapsedSeconds: elapsed,
          etaSeconds: (totalSteps - step) / rate,
        });
        if (endOfEpoch) {
          state.epoch += 1;
          state.batch = 0;
        }
        const evalNow = c.evalEvery > 0 ? step % c.evalEvery === 0 || step === totalSteps : endOfEpoch;
        if (evalNow) {
          evaluate();
          if (c.patience > 0 && state.evaluationsSinceBest >= c.patience) {
            state.stoppedEarly = true;
            onEvent({ kind: "early-stop", step, bestStep: state.best!.step });
          }
          saveLatest();
          if (state.stoppedEarly) break;
        } else if (step % c.checkpointEvery === 0) {
          saveLatest();
        }
        await new Promise((r) => setImmediate(r)); // let a notebook or a terminal repaint
        if (endOfEpoch) break;
      }
    }
    if (state.best === null) evaluate(); // a run with no evaluation still leaves a best model
    if (readResumableState<FinetuneState>(latest)?.step !== state.step) saveLatest();
    return finish();
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    opt.dispose();
    gradients.dispose();
  }

  function finish(): FinetuneResult {
    // The best model is the one saved in bestFolder; the last one goes unless it is the best.
    let result = model;
    if (state.best && fs.existsSync(path.join(bestFolder, "model.safetensors")) && state.best.step !== state.step) {
      model.dispose();
      result = loadCheckpoint(bestFolder).model;
    }
    return { model: result, state, bestFolder, skipped };
  }
}

/**
 * Loss and gradients of several micro-batches together, as if they were one batch: each micro-batch's
 * mean loss and gradients are weighted by its graded weight (gradedWeight), so the result equals the loss of all
 * of them at once (padding aside, which the mask ignores). Gradients are keyed by parameter name.
 */
export function accumulatedGradients(
  gradients: LossGradients,
  micro: readonly Batch[],
  step: number,
): { loss: number; grads: Map<string, tf.Tensor>; tokens: number } {
  const counts = micro.map(gradedWeight);
  const total = Math.max(
    1,
    counts.reduce((a, b) => a + b, 0),
  );
  let loss = 0;
  let tokens = 0;
  let sum: Map<string, tf.Tensor> | undefined;
  micro.forEach((batch, i) => {
    const weight = counts[i] / total;
    const ids = tf.tensor2d(batch.inputIds, undefined, "int32"); // (B, T)
    const mask = tf.tensor2d(batch.lossMask); // (B, T)
    const { loss: value, grads } = gradients.compute(ids, mask, { dropoutSeed: step * 1000 + i });
    loss += value.dataSync()[0] * weight;
    tokens += batch.tokens;
    const scaled =
      micro.length === 1
        ? grads
        : new Map([...grads].map(([name, g]) => [name, tf.tidy(() => tf.mul(g, weight))] as [string, tf.Tensor]));
    if (micro.length > 1) tf.dispose([...grads.values()]);
    if (!sum) sum = scaled;
    else {
      for (const [name, g] of scaled) {
        const prev = sum.get(name)!;
        sum.set(name, tf.add(prev, g));
        tf.dispose([prev, g]);
      }
    }
    tf.dispose([ids, mask, value]);
  });
  return { loss, grads: sum!, tokens };
}
