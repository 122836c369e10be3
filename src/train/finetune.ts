// Full fine-tuning: every weight of a pre-trained GPT learns to answer instructions (or, with
// `trainable`, the weights you choose; the others stay as they are).
//
// The examples are tokenized with a loss mask over the completion and the end-of-text token
// (sft-batches.ts), so the cross-entropy grades only the answer. Each epoch visits every training
// example once, in seeded, length-bucketed batches; `gradAccumulation` micro-batches make one
// AdamW step (warm-up then cosine learning rate, gradients clipped by their global norm), as the
// plan says (training-plan.ts). After each epoch (or every `evalEvery` steps), and with `evalAtStart`
// once before the first step, the model answers the validation prompts: validation loss and
// a validation score (validation.ts): by default the accuracy of the answers the model writes, or each task's own
// metric for a mix of tasks (the `validate` option). The best model so far is saved in <outDir>/best; with
// `patience`, training stops once that many evaluations pass without a better one.
//
// Everything needed to resume (weights, optimizer moments, position in the epoch, history) is saved
// atomically in <outDir>/latest at each evaluation and every `checkpointEvery` steps: a resumed run
// makes exactly the updates an uninterrupted run makes. A loss that is NaN or infinite stops the run
// with a message that says what was kept and what to change (nan-stop.ts).
//
//   const run = await finetune({ base, tokenizer, train, validation, config: finetuneConfig({ epochs: 3 }), outDir: "runs/sentiment" });
//   run.model  // the best model (by validation score), which the caller disposes
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadCheckpoint } from "../model/checkpoint";
import { copyModel } from "../model/copy-model";
import type { TextCodec } from "../model/generate";
import type { GPT } from "../model/gpt";
import type { EvalExample } from "../eval/evaluate";
import { accumulatedGradients } from "./accumulate";
import type { FinetuneConfig } from "./finetune-config";
import { newFinetuneState, type FinetuneEvent, type FinetuneState } from "./finetune-state";
import { LossGradients } from "./gradients";
import { nanStopError } from "./nan-stop";
import { lockRunFolder } from "./run-lock";
import { InterruptedError, interruptible, stopRequested } from "../runtime/interrupt";
import { shownPath } from "../runtime/paths";
import { AdamW, learningRateAt } from "./optimizer";
import { readResumableRun, readResumableState, restoreOptimizer, saveResumable } from "./resumable";
import { tokenizeExamples, type Batch, type TokenizedExample } from "./sft-batches";
import { epochBatchesOf, gradedPositions, lossWeighted, prepareTraining, type TrainingPlan } from "./training-plan";
import { evaluateAndKeepBest, generationAccuracy, type EvaluationContext, type ValidationResult } from "./validation";

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
   * model is kept). Default: the accuracy of its written answers (generationAccuracy), which suits
   * classification only; a mix of tasks passes each task's own metric (src/eval/tasks.ts).
   */
  validate?: (model: GPT) => ValidationResult;
  /**
   * Which weights train, by parameter name (default: every weight, full fine-tuning). The others
   * get no gradient and no optimizer state, and keep their values.
   */
  trainable?: (name: string) => boolean;
  /** Stop (after saving) once this many optimizer steps have run in this call: for tests of resuming. */
  stopAfterSteps?: number;
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

/** Runs (or resumes) fine-tuning; see the header. */
export async function finetune(args: FinetuneArgs): Promise<FinetuneResult> {
  const inputs = checkedInputs(args);
  const release = lockRunFolder(args.outDir, "fine-tuning");
  let run: Run;
  try {
    run = startOrResume(args, inputs);
  } catch (err) {
    release();
    throw err;
  }
  try {
    return await interruptible(() => trainToEnd(args, inputs, run));
  } catch (err) {
    run.model.dispose();
    throw err;
  } finally {
    run.optimizer.dispose();
    run.gradients.dispose();
    release();
  }
}

/** The training examples as the loss sees them, the plan, and the validation set, after the checks. */
interface CheckedInputs {
  train: TokenizedExample[];
  plan: TrainingPlan;
  eos: number;
  evaluation: Omit<EvaluationContext, "onEvent" | "batchesPerEpoch">;
}

/** Checks what finetune was given and prepares the examples; a problem throws a message that says how to fix it. */
function checkedInputs(args: FinetuneArgs): CheckedInputs {
  const { config: c, tokenizer } = args;
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
  if (train.length === 0)
    throw new Error(
      `finetune: no training example fits in maxLength ${c.maxLength} tokens (${plan.skipped} left out); raise maxLength or shorten the examples.`,
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
  return {
    train,
    plan,
    eos,
    evaluation: {
      config: c,
      validationTokens,
      validate: args.validate ?? generationAccuracy(tokenizer, validationSet),
      tokenizer,
      padId: eos,
      bestFolder: path.join(args.outDir, "best"),
    },
  };
}

/** A run in progress: the model being trained, its optimizer, its gradient function and its state. */
interface Run {
  model: GPT;
  optimizer: AdamW;
  gradients: LossGradients;
  state: FinetuneState;
  latest: string;
  /** True when the run continues from <outDir>/latest. */
  resumed: boolean;
}

/** A fresh run from the base model, or the one saved in <outDir>/latest (resume), checked against the config. */
function startOrResume(args: FinetuneArgs, inputs: CheckedInputs): Run {
  const { config: c } = args;
  const latest = path.join(args.outDir, "latest");
  const resume = args.resume ?? true;
  const saved = resume
    ? readResumableRun<FinetuneState>(
        latest,
        c,
        "a fine-tuning run",
        "use another outDir, or pass resume: false to start over.",
      )
    : undefined;
  let model: GPT;
  if (saved) {
    const loaded = loadCheckpoint(latest).model;
    model = copyModel(loaded, c.dropout);
    loaded.dispose();
  } else {
    if (!resume)
      for (const folder of [latest, inputs.evaluation.bestFolder]) fs.rmSync(folder, { recursive: true, force: true });
    model = copyModel(args.base, c.dropout);
  }
  const names = [...model.params.keys()].filter(args.trainable ?? (() => true));
  if (names.length === 0) {
    model.dispose();
    throw new Error(
      "finetune: `trainable` chose no weight; it must return true for at least one of the model's parameters.",
    );
  }
  const optimizer = new AdamW(new Map(names.map((n) => [n, model.params.get(n)!])), {
    learningRate: c.learningRate,
    beta1: c.beta1,
    beta2: c.beta2,
    weightDecay: c.weightDecay,
  });
  if (saved) restoreOptimizer(optimizer, latest);
  const gradients = new LossGradients(model, names);
  return { model, optimizer, gradients, state: saved ?? newFinetuneState(c), latest, resumed: saved !== undefined };
}

/** The loop: epochs of steps, evaluations and checkpoints, until the plan's end, early stopping or stopAfterSteps. */
async function trainToEnd(args: FinetuneArgs, inputs: CheckedInputs, run: Run): Promise<FinetuneResult> {
  const { config: c, onEvent = () => undefined } = args;
  const { plan, train, eos } = inputs;
  const { state, model } = run;
  onEvent({
    kind: "start",
    steps: plan.totalSteps,
    stepsPerEpoch: plan.stepsPerEpoch,
    trainExamples: train.length,
    skipped: plan.skipped,
    resumedAt: state.step,
  });
  if (run.resumed) onEvent({ kind: "resume", step: state.step, steps: plan.totalSteps, folder: run.latest });
  const evaluation: EvaluationContext = { ...inputs.evaluation, onEvent, batchesPerEpoch: plan.batchesPerEpoch };
  const evaluate = () => evaluateAndKeepBest(model, state, evaluation);
  const saveLatest = () => {
    saveResumable(run.latest, model, run.optimizer, state, args.tokenizer);
    onEvent({ kind: "checkpoint", step: state.step, folder: run.latest });
  };
  const clock = { startStep: state.step, t0: performance.now(), elapsedBefore: state.elapsedSeconds };

  if (c.evalAtStart && state.step === 0 && state.start === undefined) evaluate();
  while (state.epoch < c.epochs && !state.stoppedEarly) {
    const batches = epochBatchesOf(train, c, state.epoch, eos, model.config.blockSize);
    while (state.batch < batches.length) {
      if (args.stopAfterSteps !== undefined && state.step - clock.startStep >= args.stopAfterSteps) {
        saveLatest();
        return finish(run, inputs);
      }
      if (stopRequested()) {
        saveLatest();
        throw interruptedAt(state, plan, run.latest, args.resume ?? true);
      }
      const { endOfEpoch } = takeStep(run, batches, args, inputs, clock);
      const step = state.step;
      const evalNow = c.evalEvery > 0 ? step % c.evalEvery === 0 || step === plan.totalSteps : endOfEpoch;
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
      await new Promise((r) => setImmediate(r)); // let a notebook or a terminal repaint, and an interrupt arrive
      if (endOfEpoch) break;
    }
  }
  if (state.best === null) evaluate(); // a run with no evaluation still leaves a best model
  if (readResumableState<FinetuneState>(run.latest)?.step !== state.step) saveLatest();
  return finish(run, inputs);
}

/**
 * One optimizer step on the next `gradAccumulation` micro-batches of the epoch: gradients, the NaN
 * check, AdamW's update, the state and history moved on, and a "step" event.
 */
function takeStep(
  run: Run,
  batches: readonly Batch[],
  args: FinetuneArgs,
  inputs: CheckedInputs,
  clock: { startStep: number; t0: number; elapsedBefore: number },
): { endOfEpoch: boolean } {
  const { config: c, onEvent = () => undefined } = args;
  const { state } = run;
  const { totalSteps, schedule } = inputs.plan;
  const step = state.step + 1;
  const micro = batches.slice(state.batch, state.batch + c.gradAccumulation);
  const { loss, grads, tokens } = accumulatedGradients(run.gradients, micro, step);
  if (!Number.isFinite(loss)) {
    tf.dispose([...grads.values()]);
    throw nanStopError({
      loss,
      step,
      epoch: state.epoch + 1,
      state,
      latest: run.latest,
      bestFolder: inputs.evaluation.bestFolder,
      vocabSize: run.model.config.vocabSize,
    });
  }
  const lr = learningRateAt(step, schedule);
  const { gradNorm } = run.optimizer.apply(grads, lr, c.gradClip);
  tf.dispose([...grads.values()]);

  state.step = step;
  state.batch += micro.length;
  state.tokensSeen += tokens;
  state.gradedTokens = (state.gradedTokens ?? 0) + micro.reduce((n, b) => n + gradedPositions(b), 0);
  const endOfEpoch = state.batch >= batches.length;
  const elapsed = clock.elapsedBefore + (performance.now() - clock.t0) / 1000;
  state.elapsedSeconds = elapsed;
  const epoch = state.epoch + state.batch / batches.length;
  state.history.push({ step, epoch, trainLoss: loss, learningRate: lr });
  const rate = (step - clock.startStep) / ((performance.now() - clock.t0) / 1000); // optimizer steps per second
  onEvent({
    kind: "step",
    step,
    steps: totalSteps,
    epoch,
    loss,
    learningRate: lr,
    gradNorm,
    tokensPerSecond: state.tokensSeen / Math.max(elapsed, 1e-9),
    elapsedSeconds: elapsed,
    etaSeconds: (totalSteps - step) / rate,
  });
  if (endOfEpoch) {
    state.epoch += 1;
    state.batch = 0;
  }
  return { endOfEpoch };
}

/** The error of a run stopped by the learner's interrupt, after its checkpoint was saved. */
function interruptedAt(state: FinetuneState, plan: TrainingPlan, latest: string, resume: boolean): InterruptedError {
  const epochs = state.epoch + state.batch / plan.batchesPerEpoch;
  return new InterruptedError(
    `Interrupted: fine-tuning stopped after step ${state.step} of ${plan.totalSteps} (epoch ${epochs.toFixed(2)} of ${state.config.epochs}). ` +
      `The run so far is saved in ${shownPath(latest)}. ` +
      (resume
        ? `Run the same cell (or command) again and it resumes from step ${state.step}, to the very weights an uninterrupted run reaches; ` +
          "change a hyperparameter first and it is another run, which starts from the base model."
        : `This call started over (resume: false, or --fresh), and so would the same one again; without it, it resumes from step ${state.step}.`),
  );
}

/** The result: the best model (loaded from the best folder unless it is the last one, which then goes). */
function finish(run: Run, inputs: CheckedInputs): FinetuneResult {
  const { state } = run;
  const { bestFolder } = inputs.evaluation;
  let model = run.model;
  if (state.best && fs.existsSync(path.join(bestFolder, "model.safetensors")) && state.best.step !== state.step) {
    model.dispose();
    model = loadCheckpoint(bestFolder).model;
  }
  return { model, state, bestFolder, skipped: inputs.plan.skipped };
}
