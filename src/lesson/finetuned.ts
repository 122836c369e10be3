// The fine-tuned model the hyperparameters lead to: trained, resumed or loaded, and the run it
// will be, before it starts.
//
//   const run = await ensureFinetuned(hp, base, data, { onEvent, recordAs: "notebook-03" });
//   run.model, run.state, run.folder, run.reused    // a finished run is loaded, not trained again
//   const training = lessonTraining(hp, base, data); // the plan and each epoch's batches, before training
//
// The best checkpoint is picked by lessonValidator: every task on the validation split, each by its
// own metric (eval/tasks.ts).
import fs from "node:fs";
import path from "node:path";
import { evaluateTasks, validationSummary } from "../eval/tasks";
import { loadCheckpoint } from "../model/checkpoint";
import type { GPT } from "../model/gpt";
import { finetune } from "../train/finetune";
import { checkRunFolderFree } from "../train/run-lock";
import type { FinetuneConfig } from "../train/finetune-config";
import type { FinetuneEvent, FinetuneState } from "../train/finetune-state";
import type { Batch } from "../train/sft-batches";
import { epochBatchesOf, prepareTraining, type PreparedTraining } from "../train/training-plan";
import type { BaseModel } from "./base-model";
import { finetuneConfigOf, type LessonHyperparameters } from "./hyperparameters";
import type { LessonData } from "./lesson-data";
import { replayHistory } from "./replay";
import { recordRun, runFolder } from "./runs";

export interface FinetunedModel {
  /** The best fine-tuned model (by validation accuracy); the caller disposes it. */
  model: GPT;
  /** The run's history, best step and timing (from state.json). */
  state: FinetuneState;
  folder: string;
  /** True when a finished run was loaded instead of trained. */
  reused: boolean;
}

/**
 * The fine-tuned model for these hyperparameters: loaded when a finished run is saved, otherwise
 * trained (resuming an interrupted run). `fresh: true` always trains from the start.
 */
export async function ensureFinetuned(
  hp: LessonHyperparameters,
  base: BaseModel,
  data: LessonData,
  options: {
    onEvent?: (e: FinetuneEvent) => void;
    fresh?: boolean;
    root?: string;
    /** Remember this run under a name (runs/<name>.json), so that another notebook evaluates this very run. */
    recordAs?: string;
  } = {},
): Promise<FinetunedModel> {
  const folder = runFolder(hp, base.fingerprint, options.root);
  if (options.recordAs) recordRun(options.recordAs, hp, folder, options.root);
  const stateFile = path.join(folder, "latest", "state.json");
  checkRunFolderFree(folder, "fine-tuning"); // before its charts are drawn: a run another process trains is refused
  if (!options.fresh && fs.existsSync(stateFile)) {
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as FinetuneState;
    const finished = state.stoppedEarly || state.epoch >= hp.epochs;
    if (finished && fs.existsSync(path.join(folder, "best", "model.safetensors"))) {
      replayHistory(state, options.onEvent);
      return { model: loadCheckpoint(path.join(folder, "best")).model, state, folder, reused: true };
    }
    // An unfinished run resumes below: its charts first show the steps it had made.
    if (!finished) replayHistory(state, options.onEvent);
  }
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, "hyperparameters.json"), `${JSON.stringify(hp, null, 1)}\n`);
  const run = await finetune({
    base: base.model,
    tokenizer: base.tokenizer,
    train: data.splits.train,
    validation: data.splits.validation,
    config: finetuneConfigOf(hp),
    outDir: folder,
    resume: !options.fresh,
    onEvent: options.onEvent,
    validate: lessonValidator(hp, base, data),
  });
  return { model: run.model, state: run.state, folder, reused: false };
}

/** The fine-tuning these hyperparameters make, before it starts: its config, the examples as the loss sees them, the plan, each epoch's batches. */
export function lessonTraining(
  hp: LessonHyperparameters,
  base: BaseModel,
  data: LessonData,
): PreparedTraining & { config: FinetuneConfig; batches(epoch: number): Batch[] } {
  const config = finetuneConfigOf(hp);
  const prepared = prepareTraining(data.splits.train, base.tokenizer, config);
  return {
    ...prepared,
    config,
    batches: (epoch) =>
      epochBatchesOf(prepared.examples, config, epoch, base.tokenizer.eosTokenId, base.model.config.blockSize),
  };
}

/**
 * The validation score that picks the best checkpoint: every task on the validation split by its own
 * metric (accuracy of the written answers, the judge's agreement, ROUGE-L), and their mean.
 */
export function lessonValidator(hp: LessonHyperparameters, base: BaseModel, data: LessonData) {
  return (model: GPT) =>
    validationSummary(
      evaluateTasks(model, base.tokenizer, data.splits.validation, {
        seed: hp.seed,
        judge: data.judge,
        likelihood: false,
      }),
    );
}
