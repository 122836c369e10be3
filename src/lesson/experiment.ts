// The lesson's experiment in one place: its hyperparameters, the data they make, the base model,
// and the fine-tuned model they lead to. Notebooks and `npm run finetune` go through here, so that
// the one hyperparameters cell of a notebook decides every number below it.
//
//   const hp = lessonHyperparameters({ epochs: 3, seed: 1 });
//   const data = lessonData(hp);                  // reviews, instruction examples, train/validation/test
//   const base = loadBaseModel();                 // the embedded pre-trained model and its tokenizer
//   const run = await ensureFinetuned(hp, base, data, { onEvent });  // trains, or reuses a finished run
//
// A fine-tuning run is saved under runs/finetune-<hash of the hyperparameters and the base model>:
// changing any of them makes a new run, and running a notebook again with the same ones reuses the finished model.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { EMBEDDED_DATASETS, embeddedReviews, type EmbeddedDatasetName } from "../data/embedded";
import type { ReviewRecord } from "../data/reviews";
import { splitDataset, splitReport, type DatasetSplits } from "../data/split";
import { loadCheckpoint } from "../model/checkpoint";
import type { GPT } from "../model/gpt";
import { BPETokenizer } from "../model/tokenizer";
import { buildInstructionDataset, type InstructionExample } from "../prompts/instruction-dataset";
import { getTemplate } from "../prompts/registry";
import type { TemplateRenderError } from "../prompts/template";
import { projectPath } from "../runtime/paths";
import {
  finetune,
  finetuneConfig,
  FINETUNE_CONFIG,
  type FinetuneConfig,
  type FinetuneEvent,
  type FinetuneState,
} from "../train/finetune";
import { defineConfig } from "../util/config";
import { notify } from "../util/notices";

/** The fine-tuning settings the lesson exposes; the others keep finetune's defaults. */
const TRAINING_FIELDS = [
  "learningRate",
  "epochs",
  "batchSize",
  "gradAccumulation",
  "maxLength",
  "warmupFraction",
  "weightDecay",
  "dropout",
  "patience",
  "seed",
] as const;

/** Everything a learner may change, with the lesson's defaults: the data, and the training fields of FinetuneConfig. */
export interface LessonHyperparameters extends Pick<FinetuneConfig, (typeof TRAINING_FIELDS)[number]> {
  /** Which embedded review dataset to fine-tune and test on. */
  dataset: EmbeddedDatasetName;
  /** Prompt templates the instruction examples are rendered with (ids from the template library). */
  templates: string[];
  /** "one-per-record": each review gets one of the templates; "all-per-record": every template. */
  templateMode: "one-per-record" | "all-per-record";
  /** Seed of the split, the template draw, the batch order and the few-shot examples. */
  seed: number;
  /** Shots of the base model's few-shot prompts in the comparison (one-shot is always there). */
  fewShot: number;
  /** Other embedded datasets whose reviews are added to the training split only (validation and
   * test stay on `dataset`): more sentiment data for a small model, at the cost of longer epochs. */
  extraTrainingDatasets: EmbeddedDatasetName[];
}

const DATASETS = Object.keys(EMBEDDED_DATASETS) as EmbeddedDatasetName[];
const training = FINETUNE_CONFIG.rules;

/** The lesson's hyperparameters: defaults, and the rules (the training fields' come from FinetuneConfig). */
export const LESSON_HYPERPARAMETERS = defineConfig<LessonHyperparameters>(
  "Hyperparameters",
  {
    dataset: "amazon",
    templates: ["sentiment-classify"],
    templateMode: "one-per-record",
    seed: 0,
    learningRate: 5e-4,
    epochs: 4,
    batchSize: 16,
    gradAccumulation: 1,
    maxLength: 96,
    warmupFraction: 0.1,
    weightDecay: 0.01,
    dropout: 0,
    patience: 0,
    fewShot: 3,
    extraTrainingDatasets: [],
  },
  {
    dataset: { type: "string", oneOf: DATASETS },
    templates: {
      type: "list",
      of: "string",
      nonEmpty: true,
      hint: 'give at least one template id, e.g. ["sentiment-classify"]',
    },
    templateMode: { type: "string", oneOf: ["one-per-record", "all-per-record"] },
    seed: training.seed,
    learningRate: { ...training.learningRate, flag: "lr" },
    epochs: training.epochs,
    batchSize: training.batchSize,
    gradAccumulation: training.gradAccumulation,
    maxLength: training.maxLength,
    warmupFraction: { ...training.warmupFraction, flag: "warmup" },
    weightDecay: training.weightDecay,
    dropout: training.dropout,
    patience: training.patience,
    fewShot: { type: "integer", min: 1 },
    extraTrainingDatasets: { type: "list", of: "string", oneOf: DATASETS, flag: "extra-training" },
  },
  (hp, fail) => {
    for (const id of hp.templates) {
      try {
        getTemplate(id);
      } catch (err) {
        fail("templates", (err as Error).message);
      }
    }
    if (hp.extraTrainingDatasets.includes(hp.dataset)) {
      fail(
        "extraTrainingDatasets",
        `"${hp.dataset}" is the dataset itself; its test reviews would leak into training.`,
      );
    }
  },
);

/** The lesson's defaults (frozen). */
export const DEFAULT_LESSON_HYPERPARAMETERS: Readonly<LessonHyperparameters> = LESSON_HYPERPARAMETERS.defaults;

/** Fills defaults and checks the hyperparameters; an unknown name or a bad value throws a ConfigError naming it. */
export function lessonHyperparameters(
  overrides: Partial<LessonHyperparameters> & Record<string, unknown> = {},
): LessonHyperparameters {
  return LESSON_HYPERPARAMETERS.make(overrides);
}

/** The fine-tuning config the hyperparameters imply. */
export function finetuneConfigOf(hp: LessonHyperparameters): FinetuneConfig {
  return finetuneConfig(Object.fromEntries(TRAINING_FIELDS.map((field) => [field, hp[field]])));
}

export interface LessonData {
  /** The reviews (sourceId, text, label). */
  reviews: ReviewRecord[];
  /** Every review rendered through the templates. */
  examples: InstructionExample[];
  /** Train / validation / test (80/10/10, stratified, by review), with a report table. */
  splits: DatasetSplits<InstructionExample>;
  /** Reviews left out because a template could not render them (also reported as a notice). */
  leftOut: TemplateRenderError[];
}

/** The reviews, the instruction dataset and its split, all from the hyperparameters. */
export function lessonData(hp: LessonHyperparameters): LessonData {
  const reviews = embeddedReviews(hp.dataset);
  // A review a template cannot render (an empty field) is left out, and said so in one notice.
  const leftOut: TemplateRenderError[] = [];
  const render = (records: ReviewRecord[]) =>
    buildInstructionDataset(records, {
      templates: hp.templates,
      mode: hp.templateMode,
      seed: hp.seed,
      skipUnrenderable: true,
      onSkip: (err) => leftOut.push(err),
    });
  const examples = render(reviews);
  const splits = splitDataset(examples, { seed: hp.seed });
  for (const extra of LESSON_HYPERPARAMETERS.check(hp).extraTrainingDatasets)
    splits.train.push(...render(embeddedReviews(extra)));
  if (hp.extraTrainingDatasets.length) splits.report = splitReport(splits);
  if (leftOut.length)
    notify(
      "lessonData",
      `left out ${leftOut.length} review(s) the templates could not render; the first: ${leftOut[0].message}`,
    );
  return { reviews, examples, splits, leftOut };
}

export const BASE_MODEL_DIR = projectPath("data", "models", "review-gpt-base");

export interface BaseModel {
  model: GPT;
  tokenizer: BPETokenizer;
  /** A hash of the weights and vocabulary files: fine-tuning runs of another base model are kept apart. */
  fingerprint: string;
}

/** The base model's identity: a hash of its weights, config and vocabulary files. */
export function baseModelFingerprint(folder: string): string {
  const hash = crypto.createHash("sha256");
  for (const file of ["config.json", "model.safetensors", "vocab.json", "merges.txt"])
    hash.update(fs.readFileSync(path.join(folder, file)));
  return hash.digest("hex").slice(0, 16);
}

/** The embedded pre-trained model (data/models/review-gpt-base) and its tokenizer, or another folder's. */
export function loadBaseModel(folder = BASE_MODEL_DIR): BaseModel {
  return {
    model: loadCheckpoint(folder).model,
    tokenizer: BPETokenizer.fromPretrained(folder),
    fingerprint: baseModelFingerprint(folder),
  };
}

/**
 * Where a fine-tuning run with these hyperparameters is saved: runs/finetune-<hash of all but
 * fewShot, and of the base model> (WORKBOOK_RUNS_DIR moves runs/).
 */
export function runFolder(
  hp: LessonHyperparameters,
  baseFingerprint: string,
  root = process.env.WORKBOOK_RUNS_DIR ?? projectPath("runs"),
): string {
  // fewShot only shapes the base model's prompts in the comparison, not the fine-tuned model. A
  // new base model (another pre-training) must not reuse runs fine-tuned from the old one.
  const hash = crypto
    .createHash("sha256")
    .update(JSON.stringify({ ...hp, fewShot: undefined, base: baseFingerprint }))
    .digest("hex")
    .slice(0, 10);
  return path.join(root, `finetune-${hash}`);
}

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
  options: { onEvent?: (e: FinetuneEvent) => void; fresh?: boolean; root?: string } = {},
): Promise<FinetunedModel> {
  const folder = runFolder(hp, base.fingerprint, options.root);
  const stateFile = path.join(folder, "latest", "state.json");
  if (!options.fresh && fs.existsSync(stateFile) && fs.existsSync(path.join(folder, "best", "model.safetensors"))) {
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as FinetuneState;
    const finished = state.stoppedEarly || state.epoch >= hp.epochs;
    if (finished) {
      replayHistory(state, options.onEvent);
      return { model: loadCheckpoint(path.join(folder, "best")).model, state, folder, reused: true };
    }
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
  });
  return { model: run.model, state: run.state, folder, reused: false };
}

/** Sends a finished run's recorded steps and evaluations to onEvent, so its charts draw as if it had just run. */
function replayHistory(state: FinetuneState, onEvent?: (e: FinetuneEvent) => void): void {
  if (!onEvent) return;
  const steps = state.history.length;
  for (const h of state.history) {
    onEvent({
      kind: "step",
      step: h.step,
      steps,
      epoch: h.epoch,
      loss: h.trainLoss,
      learningRate: h.learningRate,
      gradNorm: NaN,
      tokensPerSecond: state.tokensSeen / Math.max(state.elapsedSeconds, 1e-9),
      elapsedSeconds: state.elapsedSeconds,
      etaSeconds: 0,
    });
    if (h.validationAccuracy !== undefined) {
      onEvent({
        kind: "eval",
        step: h.step,
        epoch: h.epoch,
        validationLoss: h.validationLoss!,
        validationAccuracy: h.validationAccuracy,
        invalid: 0,
        best: state.best?.step === h.step,
      });
    }
  }
}
