// Self-supervised pre-training: a GPT learns to predict the next token of unlabeled text.
//
// Each step takes a batch of random windows of the token stream, computes the next-token loss at
// every position, and updates every weight with AdamW (warm-up then cosine learning rate, clipped
// gradients). Validation loss (and perplexity, its exponential) is measured on fixed held-out
// windows, samples are generated to show what the model writes, and everything needed to resume
// (weights, optimizer moments, step, history) is saved together, atomically, in `<outDir>/latest`.
// A resumed run continues with exactly the batches and updates an uninterrupted run would make.
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_GPT_CONFIG, gptConfig, type GPTConfig } from "../model/config";
import { loadCheckpoint } from "../model/checkpoint";
import { generate, type TextCodec } from "../model/generate";
import { GPT } from "../model/gpt";
import { evaluationLoss, LossGradients } from "./gradients";
import { lockRunFolder } from "./run-lock";
import { InterruptedError, interruptible, stopRequested } from "../runtime/interrupt";
import { shownPath } from "../runtime/paths";
import { AdamW, learningRateAt } from "./optimizer";
import { fixedWindows, randomWindows } from "./token-stream";
import { readResumableRun, restoreOptimizer, saveResumable } from "./resumable";
import { defineConfig, refuseUnknownKeys } from "../util/config";

export interface PretrainConfig {
  /** Model shape (vocabSize comes from the tokenizer). */
  model: Partial<GPTConfig>;
  /** Tokens in the byte-level BPE vocabulary trained on the corpus (bytes, merges and end-of-text). */
  vocabSize: number;
  /** Sequences per step. */
  batchSize: number;
  /** Optimizer steps in the whole run. */
  steps: number;
  /** Peak learning rate, reached after warmupSteps. */
  learningRate: number;
  /** Learning rate at the end of the cosine decay. */
  minLearningRate: number;
  warmupSteps: number;
  /** Decoupled weight decay on matrices and embeddings (not biases or norms). */
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Gradients are scaled down when their global norm exceeds this. */
  gradClip: number;
  /** Measure validation loss every this many steps (and at the end). */
  evalEvery: number;
  /** Number of fixed validation windows of blockSize tokens. */
  evalWindows: number;
  /** Generate samples every this many steps (0: only at the end). */
  sampleEvery: number;
  samplePrompts: string[];
  sampleTokens: number;
  /** Save a resumable checkpoint every this many steps (and at the end). */
  checkpointEvery: number;
  seed: number;
}

/** The pre-training config's defaults and field rules. */
export const PRETRAIN_CONFIG = defineConfig<PretrainConfig>(
  "PretrainConfig",
  {
    model: { blockSize: 256, nLayer: 4, nHead: 4, nEmbd: 256, dropout: 0 },
    vocabSize: 8192,
    batchSize: 16,
    steps: 5000,
    learningRate: 2e-3,
    minLearningRate: 1e-4,
    warmupSteps: 200,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.95,
    gradClip: 1.0,
    evalEvery: 250,
    evalWindows: 48,
    sampleEvery: 1000,
    samplePrompts: ["This movie was", "I bought this phone", "The story of the"],
    sampleTokens: 40,
    checkpointEvery: 250,
    seed: 0,
  },
  {
    model: { type: "object" },
    vocabSize: { type: "integer", min: 258 },
    batchSize: { type: "integer", min: 1 },
    steps: { type: "integer", min: 1 },
    learningRate: { type: "number", above: 0 },
    minLearningRate: { type: "number", min: 0 },
    warmupSteps: { type: "integer", min: 0 },
    weightDecay: { type: "number", min: 0 },
    beta1: { type: "number", min: 0, below: 1 },
    beta2: { type: "number", min: 0, below: 1 },
    gradClip: { type: "number", above: 0 },
    evalEvery: { type: "integer", min: 1 },
    evalWindows: { type: "integer", min: 1 },
    sampleEvery: { type: "integer", min: 0 },
    samplePrompts: { type: "list", of: "string" },
    sampleTokens: { type: "integer", min: 1 },
    checkpointEvery: { type: "integer", min: 1 },
    seed: { type: "integer" },
  },
  (c, fail) => {
    if (c.warmupSteps >= c.steps) fail("warmupSteps", `must be below steps (${c.steps}), got ${c.warmupSteps}.`);
    if (c.minLearningRate > c.learningRate)
      fail("minLearningRate", `must be at most learningRate (${c.learningRate}), got ${c.minLearningRate}.`);
    // The model's shape is checked by gptConfig (vocabSize comes from the tokenizer later).
    refuseUnknownKeys("PretrainConfig.model", c.model, Object.keys(DEFAULT_GPT_CONFIG));
    gptConfig({ vocabSize: 1, ...c.model });
  },
);

/** The shipped base model's run (frozen). */
export const DEFAULT_PRETRAIN_CONFIG: Readonly<PretrainConfig> = PRETRAIN_CONFIG.defaults;

/** Fills defaults and checks a config; unknown keys and bad values throw a ConfigError naming the field. */
export function pretrainConfig(overrides: Partial<PretrainConfig> & Record<string, unknown> = {}): PretrainConfig {
  return PRETRAIN_CONFIG.make({ ...overrides, model: { ...DEFAULT_PRETRAIN_CONFIG.model, ...overrides.model } });
}

export type PretrainEvent =
  | {
      kind: "step";
      step: number;
      steps: number;
      loss: number;
      learningRate: number;
      gradNorm: number;
      tokensPerSecond: number;
      elapsedSeconds: number;
      etaSeconds: number;
    }
  | { kind: "eval"; step: number; validationLoss: number; perplexity: number }
  | { kind: "sample"; step: number; prompt: string; text: string }
  | { kind: "checkpoint"; step: number; folder: string }
  | { kind: "resume"; step: number };

export interface PretrainRecord {
  step: number;
  trainLoss: number;
  validationLoss?: number;
  perplexity?: number;
}

/** What is saved with the weights so that a run can resume (state.json in the checkpoint folder). */
export interface PretrainState {
  step: number;
  tokensSeen: number;
  elapsedSeconds: number;
  config: PretrainConfig;
  history: PretrainRecord[];
  samples: { step: number; prompt: string; text: string }[];
}

export interface PretrainResult {
  model: GPT;
  state: PretrainState;
  /** Validation loss at the end. */
  validationLoss: number;
}

export interface PretrainArgs {
  config: PretrainConfig;
  tokenizer: TextCodec & { vocabSize: number; eosTokenId?: number; save(folder: string): void };
  trainStream: Int32Array;
  validationStream: Int32Array;
  /** Folder for the resumable checkpoint (<outDir>/latest). */
  outDir: string;
  /** Continue from <outDir>/latest when it exists (default true). */
  resume?: boolean;
  onEvent?: (e: PretrainEvent) => void;
  /** Stop (after saving) once this many steps have run in this call: for tests of resuming. */
  stopAfterSteps?: number;
}

/** Mean next-token loss over fixed validation windows, in batches. */
export function validationLoss(model: GPT, windows: Int32Array[], batchSize: number): number {
  let total = 0;
  for (let i = 0; i < windows.length; i += batchSize) {
    const batch = windows.slice(i, i + batchSize);
    const T = batch[0].length;
    const ids = tf.tensor2d(
      Array.from(batch, (w) => Array.from(w)),
      [batch.length, T],
      "int32",
    );
    const mask = tf.ones([batch.length, T]) as tf.Tensor2D;
    total += evaluationLoss(model, ids, mask) * batch.length;
    tf.dispose([ids, mask]);
  }
  return total / windows.length;
}

/** Everything one pretrain() call works with, shared by the steps below. */
interface PretrainRun {
  c: PretrainConfig;
  args: PretrainArgs;
  onEvent: (e: PretrainEvent) => void;
  /** Tokens per window: the model's blockSize. */
  T: number;
  /** The resumable checkpoint folder, <outDir>/latest. */
  latest: string;
  /** Fixed validation windows of T tokens each. */
  evalSet: Int32Array[];
  model: GPT;
  opt: AdamW;
  gradients: LossGradients;
  /** The run's state, updated in place as steps run (what is saved with the weights). */
  state: PretrainState;
}

/** Where this call's clock starts: tokens per second and elapsed time count from here. */
interface RunClock {
  /** state.step when this call began (a resumed run's saved step, else 0). */
  startStep: number;
  /** performance.now() when this call's steps began. */
  t0: number;
  /** Seconds the run had trained before this call (from its checkpoint). */
  elapsedBefore: number;
}

/**
 * The model, its optimizer and the run's state: restored from <outDir>/latest when there is a run to
 * resume there (and resuming is on), emitting a resume event; otherwise a fresh model and state.
 */
function startOrResume(
  args: PretrainArgs,
  modelConfig: GPTConfig,
  latest: string,
  onEvent: (e: PretrainEvent) => void,
): { model: GPT; opt: AdamW; state: PretrainState } {
  const c = args.config;
  let model: GPT;
  let state: PretrainState = { step: 0, tokensSeen: 0, elapsedSeconds: 0, config: c, history: [], samples: [] };
  const saved =
    (args.resume ?? true)
      ? readResumableRun<PretrainState>(
          latest,
          c,
          "a run",
          "or use another output folder (or resume: false to start over).",
        )
      : undefined;
  const resuming = saved !== undefined;
  if (saved) {
    model = loadCheckpoint(latest).model;
    state = saved;
  } else {
    model = new GPT(modelConfig, c.seed);
  }
  const opt = new AdamW(model.params, {
    learningRate: c.learningRate,
    beta1: c.beta1,
    beta2: c.beta2,
    weightDecay: c.weightDecay,
  });
  if (resuming) {
    restoreOptimizer(opt, latest);
    onEvent({ kind: "resume", step: state.step });
  }
  return { model, opt, state };
}

/** Saves the resumable checkpoint (weights, optimizer moments, state, tokenizer) and reports it. */
function saveRun(run: PretrainRun): void {
  saveResumable(run.latest, run.model, run.opt, run.state, run.args.tokenizer);
  run.onEvent({ kind: "checkpoint", step: run.state.step, folder: run.latest });
}

/**
 * Measures validation loss on the fixed windows, records it (and perplexity) on the current step's
 * history entry when there is one, and reports it.
 */
function evaluateRun(run: PretrainRun): number {
  const { state } = run;
  const loss = validationLoss(run.model, run.evalSet, run.c.batchSize);
  const last = state.history[state.history.length - 1];
  if (last && last.step === state.step) {
    last.validationLoss = loss;
    last.perplexity = Math.exp(loss);
  }
  run.onEvent({ kind: "eval", step: state.step, validationLoss: loss, perplexity: Math.exp(loss) });
  return loss;
}

/** Generates a sample for every prompt (seeded by the run's seed and step), records and reports each. */
function sampleRun(run: PretrainRun): void {
  const { c, state } = run;
  for (const prompt of c.samplePrompts) {
    const g = generate(run.model, run.args.tokenizer, prompt, {
      maxNewTokens: c.sampleTokens,
      temperature: 0.8,
      topK: 40,
      seed: `${c.seed}/${state.step}`,
    });
    state.samples.push({ step: state.step, prompt, text: g.text });
    run.onEvent({ kind: "sample", step: state.step, prompt, text: g.text });
  }
}

/**
 * One optimizer update for 1-based `step`: the scheduled learning rate, the step's random batch, the
 * loss and gradients, then AdamW. Throws (after freeing the batch and gradients) on a non-finite loss,
 * before the update, so the last checkpoint stays good. Leaves run.state unchanged.
 */
function trainStep(run: PretrainRun, step: number): { loss: number; learningRate: number; gradNorm: number } {
  const { c, T } = run;
  const lr = learningRateAt(step, {
    warmupSteps: c.warmupSteps,
    totalSteps: c.steps,
    learningRate: c.learningRate,
    minLearningRate: c.minLearningRate,
  });
  const { ids, mask } = randomWindows(run.args.trainStream, c.batchSize, T, c.seed, step); // (B, T) each
  const { loss: value, grads } = run.gradients.compute(ids, mask, { dropoutSeed: step }); // loss: scalar
  const loss = value.dataSync()[0];
  if (!Number.isFinite(loss)) {
    tf.dispose([ids, mask, value, ...grads.values()]);
    throw new Error(
      `Pre-training stopped at step ${step}: the loss is ${loss}. The last good checkpoint (step ${run.state.step}) is in ${run.latest}. ` +
        "Lower the learning rate or raise warmupSteps, then run again: it resumes from there.",
    );
  }
  const { gradNorm } = run.opt.apply(grads, lr, c.gradClip);
  tf.dispose([ids, mask, value, ...grads.values()]);
  return { loss, learningRate: lr, gradNorm };
}

/** Advances the state to `step` (tokens seen, elapsed time, history) and reports the step with its speed. */
function recordStep(
  run: PretrainRun,
  clock: RunClock,
  step: number,
  update: { loss: number; learningRate: number; gradNorm: number },
): void {
  const { c, T, state } = run;
  const { loss } = update;
  state.step = step;
  state.tokensSeen += c.batchSize * T;
  const elapsed = clock.elapsedBefore + (performance.now() - clock.t0) / 1000;
  state.elapsedSeconds = elapsed;
  state.history.push({ step, trainLoss: loss });
  const rate = ((step - clock.startStep) * c.batchSize * T) / ((performance.now() - clock.t0) / 1000);
  run.onEvent({
    kind: "step",
    step,
    steps: c.steps,
    loss,
    learningRate: update.learningRate,
    gradNorm: update.gradNorm,
    tokensPerSecond: rate,
    elapsedSeconds: elapsed,
    etaSeconds: ((c.steps - step) * c.batchSize * T) / rate,
  });
}

/** After a step: evaluate, sample and save when their intervals (or the last step) come round, in that order. */
function periodicTasks(run: PretrainRun, step: number): void {
  const { c } = run;
  if (step % c.evalEvery === 0 || step === c.steps) evaluateRun(run);
  if ((c.sampleEvery > 0 && step % c.sampleEvery === 0) || step === c.steps) sampleRun(run);
  if (step % c.checkpointEvery === 0 || step === c.steps) saveRun(run);
}

/**
 * Ends the call: saves steps the periodic checkpoint has not (when stopped early), and takes the final
 * validation loss from the last step's record, measuring it only when that step was not evaluated.
 */
function finishRun(run: PretrainRun, startStep: number): PretrainResult {
  const { c, state } = run;
  if (state.step !== startStep && state.step % c.checkpointEvery !== 0 && state.step !== c.steps) saveRun(run);
  const finalLoss =
    state.history.length && state.history[state.history.length - 1].validationLoss !== undefined
      ? state.history[state.history.length - 1].validationLoss!
      : validationLoss(run.model, run.evalSet, c.batchSize);
  return { model: run.model, state, validationLoss: finalLoss };
}

/** Runs (or resumes) pre-training; returns the trained model, which the caller disposes. */
export async function pretrain(args: PretrainArgs): Promise<PretrainResult> {
  const { config: c, tokenizer, onEvent = () => undefined } = args;
  const modelConfig = gptConfig({ ...c.model, vocabSize: tokenizer.vocabSize });
  const T = modelConfig.blockSize;
  const latest = path.join(args.outDir, "latest");
  const evalSet = fixedWindows(args.validationStream, c.evalWindows, T);
  const release = lockRunFolder(args.outDir, "pre-training");
  let run: PretrainRun;
  try {
    const { model, opt, state } = startOrResume(args, modelConfig, latest, onEvent);
    run = { c, args, onEvent, T, latest, evalSet, model, opt, gradients: new LossGradients(model), state };
  } catch (err) {
    release();
    throw err;
  }
  const { model, opt, gradients, state } = run;
  const clock: RunClock = { startStep: state.step, t0: performance.now(), elapsedBefore: state.elapsedSeconds };
  try {
    return await interruptible(async () => {
      while (state.step < c.steps) {
        if (args.stopAfterSteps !== undefined && state.step - clock.startStep >= args.stopAfterSteps) break;
        if (stopRequested()) throw interruptedAt(run, clock.startStep);
        const step = state.step + 1; // 1-based optimizer step
        recordStep(run, clock, step, trainStep(run, step));
        periodicTasks(run, step);
        await new Promise((r) => setImmediate(r)); // let a notebook or a terminal repaint, and an interrupt arrive
      }
      return finishRun(run, clock.startStep);
    });
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    opt.dispose();
    gradients.dispose();
    release();
  }
}

/** An interrupt at a step boundary: the run saved where it stands, and the error that says so. */
function interruptedAt(run: PretrainRun, startStep: number): InterruptedError {
  if (run.state.step !== startStep) saveRun(run);
  return new InterruptedError(
    `Interrupted: pre-training stopped after step ${run.state.step} of ${run.c.steps}. ` +
      (run.state.step === 0
        ? "No step had run yet, so there is nothing to resume: run it again to start."
        : `The run is saved in ${shownPath(run.latest)}. ` +
          ((run.args.resume ?? true)
            ? `Run the same cell (or command) again with the same config and outDir, and it resumes from step ${run.state.step}, to the very weights an uninterrupted run reaches.`
            : `This call started over (resume: false, or --fresh), and so would the same one again; without it, it resumes from step ${run.state.step}.`)),
  );
}
