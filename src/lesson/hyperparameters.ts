// The lesson's hyperparameters: everything a learner may change in a notebook's one hyperparameters
// cell, with the lesson's defaults, and the rules that check them. The training fields take their
// defaults and rules from FinetuneConfig (train/finetune-config.ts), so each default is written once;
// the lesson changes two of them and says why below. test/notebooks.test.ts fails when notebook 3's
// cell shows a value that differs from these defaults.
//
//   const hp = lessonHyperparameters({ epochs: 3, seed: 1 });   // a ConfigError names a bad field
//   const config = finetuneConfigOf(hp);                        // what the fine-tuning loop is given
import type { EmbeddedDatasetName } from "../data/embedded";
import { EMBEDDED_DATASETS } from "../data/embedded";
import { loadModelConfig } from "../model/checkpoint";
import { getTemplate } from "../prompts/registry";
import {
  DEFAULT_FINETUNE_CONFIG,
  FINETUNE_CONFIG,
  finetuneConfig,
  type FinetuneConfig,
} from "../train/finetune-config";
import { ConfigError, defineConfig } from "../util/config";
import { BASE_MODEL_DIR } from "./base-model";

/** The fine-tuning settings the lesson exposes; the others keep finetune's defaults. */
const TRAINING_FIELDS = [
  "learningRate",
  "epochs",
  "batchSize",
  "gradAccumulation",
  "maxLength",
  "warmupFraction",
  "weightDecay",
  "lossWeighting",
  "dropout",
  "patience",
  "seed",
] as const;
type TrainingField = (typeof TRAINING_FIELDS)[number];

/** Everything a learner may change, with the lesson's defaults: the data, and the training fields of FinetuneConfig. */
export interface LessonHyperparameters extends Pick<FinetuneConfig, TrainingField> {
  /** Which embedded review dataset to fine-tune and test on (its reviews are the sentiment and review-writing tasks' records). */
  dataset: EmbeddedDatasetName;
  /** A review file of your own instead (CSV, TSV or JSON Lines; "" for the embedded dataset). */
  dataFile: string;
  /** The file's columns: a preset ("amazon-us-reviews", "amazon-reviews-2023") or JSON such as {"text":"body","rating":"stars","title":"headline"}. */
  dataColumns: string;
  /** The instructions the model is tuned on: template ids, several tasks and phrasings. */
  templates: string[];
  /** Phrasings never trained on: they appear in the test split only (an instruction the model never saw). */
  heldOutTemplates: string[];
  /** "one-per-task": each training review is seen once per task, under one of its phrasings (drawn);
   *  "all-per-record": under every phrasing (more examples, longer epochs). The test always has every phrasing. */
  templateMode: "one-per-task" | "all-per-record";
  /** Reviews of each source (the embedded Amazon, Yelp and IMDB sentences) asked the review-topic question. */
  topicReviews: number;
  /** Seed of the split, the template draw, the batch order, the few-shot examples and the sampled reviews. */
  seed: number;
  /** Shots of the base model's few-shot prompts in the comparison. */
  fewShot: number;
  /** Other embedded datasets whose reviews are added to the training split only (validation and
   * test stay on `dataset`): more sentiment data for a small model, at the cost of longer epochs. */
  extraTrainingDatasets: EmbeddedDatasetName[];
}

const DATASETS = Object.keys(EMBEDDED_DATASETS) as EmbeddedDatasetName[];
const training = FINETUNE_CONFIG.rules;

/** The lesson's instructions: three tasks, several phrasings each (one more sentiment phrasing is held out). */
export const LESSON_TEMPLATES: readonly string[] = [
  "sentiment-classify",
  "sentiment-question-first",
  "sentiment-positive-or-negative",
  "sentiment-continuation",
  "sentiment-liked-yes-no",
  "sentiment-how-does-it-feel",
  "topic-product-restaurant-movie",
  "topic-what-is-reviewed",
  "review-write-sentiment",
  "review-here-is-sentiment",
];

/**
 * The lesson's first task alone, trained the way TRL's SFTTrainer trains (the loss averaged over
 * graded tokens): what the scale-out export and its parity test start from.
 */
export const SINGLE_TASK: Readonly<Partial<LessonHyperparameters>> = Object.freeze({
  templates: ["sentiment-classify"],
  heldOutTemplates: [],
  lossWeighting: "token",
});

/** The training defaults: finetune's own, except where the lesson's mix of tasks needs another. */
const LESSON_TRAINING_DEFAULTS: Pick<FinetuneConfig, TrainingField> = {
  ...(Object.fromEntries(TRAINING_FIELDS.map((f) => [f, DEFAULT_FINETUNE_CONFIG[f]])) as Pick<
    FinetuneConfig,
    TrainingField
  >),
  // The lesson's longest example (a written review with its prompt) fits in 96 tokens; a shorter
  // limit pads batches less, which makes the lesson's steps cheaper.
  maxLength: 96,
  // A mix of tasks: a one-word label must weigh as much as a long written review (see FinetuneConfig).
  lossWeighting: "example",
};

function withoutSeed<T extends { seed: number }>(fields: T): Omit<T, "seed"> {
  const { seed: _seed, ...rest } = fields;
  return rest;
}

/** The lesson's hyperparameters: defaults, and the rules (the training fields' come from FinetuneConfig). */
export const LESSON_HYPERPARAMETERS = defineConfig<LessonHyperparameters>(
  "Hyperparameters",
  {
    dataset: "amazon",
    dataFile: "",
    dataColumns: "",
    templates: [...LESSON_TEMPLATES],
    heldOutTemplates: ["sentiment-review-cue"],
    templateMode: "one-per-task",
    topicReviews: 300,
    // seed before the other training fields: the fields' order is part of a run folder's hash (runs.ts)
    seed: LESSON_TRAINING_DEFAULTS.seed,
    ...withoutSeed(LESSON_TRAINING_DEFAULTS),
    fewShot: 3,
    extraTrainingDatasets: [],
  },
  {
    dataset: { type: "string", oneOf: DATASETS },
    dataFile: { type: "string", flag: "data" },
    dataColumns: { type: "string", flag: "columns" },
    templates: {
      type: "list",
      of: "string",
      nonEmpty: true,
      hint: 'give at least one template id, e.g. ["sentiment-classify"]',
    },
    heldOutTemplates: { type: "list", of: "string", flag: "held-out" },
    templateMode: { type: "string", oneOf: ["one-per-task", "all-per-record"] },
    topicReviews: { type: "integer", min: 0 },
    seed: training.seed,
    learningRate: { ...training.learningRate, flag: "lr" },
    epochs: training.epochs,
    batchSize: training.batchSize,
    gradAccumulation: training.gradAccumulation,
    maxLength: training.maxLength,
    warmupFraction: { ...training.warmupFraction, flag: "warmup" },
    weightDecay: training.weightDecay,
    lossWeighting: training.lossWeighting,
    dropout: training.dropout,
    patience: training.patience,
    fewShot: { type: "integer", min: 1 },
    extraTrainingDatasets: { type: "list", of: "string", oneOf: DATASETS, flag: "extra-training" },
  },
  checkBetweenFields,
);

/** The rules that tie fields together: templates that exist, a held-out phrasing never trained on, data and columns. */
function checkBetweenFields(
  hp: LessonHyperparameters,
  fail: (field: keyof LessonHyperparameters & string, message: string) => never,
): void {
  for (const field of ["templates", "heldOutTemplates"] as const) {
    for (const id of hp[field]) {
      try {
        getTemplate(id);
      } catch (err) {
        fail(field, (err as Error).message);
      }
    }
  }
  const both = hp.heldOutTemplates.filter((id) => hp.templates.includes(id));
  if (both.length)
    fail("heldOutTemplates", `${both.join(", ")} is also in templates; a held-out phrasing is one never trained on.`);
  const topic = [...hp.templates, ...hp.heldOutTemplates].filter((id) => usesDomain(id));
  if (topic.length && hp.dataFile)
    fail(
      "templates",
      `${topic.join(", ")} ask about the review's topic, which only the embedded sentences carry; leave them out with a data file of your own.`,
    );
  if (topic.length && hp.topicReviews === 0)
    fail("topicReviews", `is 0, so ${topic.join(", ")} would have no reviews; raise it or leave those templates out.`);
  if (hp.dataFile === "" && hp.dataColumns !== "")
    fail("dataColumns", "names the columns of a data file, but dataFile is empty.");
  if (hp.dataFile !== "" && hp.dataColumns === "")
    fail(
      "dataColumns",
      'say which columns hold the review, e.g. "amazon-us-reviews" or {"text":"body","rating":"stars"}.',
    );
  if (hp.extraTrainingDatasets.includes(hp.dataset) && !hp.dataFile) {
    fail("extraTrainingDatasets", `"${hp.dataset}" is the dataset itself; its test reviews would leak into training.`);
  }
}

/** True when a template reads the review's domain (the review-topic task). */
export function usesDomain(id: string): boolean {
  return getTemplate(id).fields.includes("domain");
}

/** The lesson's defaults (frozen). */
export const DEFAULT_LESSON_HYPERPARAMETERS: Readonly<LessonHyperparameters> = LESSON_HYPERPARAMETERS.defaults;

/**
 * Fills defaults and checks the hyperparameters; an unknown name or a bad value throws a ConfigError
 * naming it. `contextWindow` is the window of the base model they will fine-tune (default: the
 * embedded base model's): a maxLength above it is refused here rather than once training starts.
 */
export function lessonHyperparameters(
  overrides: Partial<LessonHyperparameters> & Record<string, unknown> = {},
  options: { contextWindow?: number } = {},
): LessonHyperparameters {
  const hp = LESSON_HYPERPARAMETERS.make(overrides);
  const window = options.contextWindow ?? loadModelConfig(BASE_MODEL_DIR).blockSize;
  if (hp.maxLength > window)
    throw new ConfigError(
      LESSON_HYPERPARAMETERS.name,
      "maxLength",
      `is ${hp.maxLength}, but the base model's context window is ${window} tokens; use at most ${window}.`,
    );
  return hp;
}

/** The fine-tuning config the hyperparameters imply. */
export function finetuneConfigOf(hp: LessonHyperparameters): FinetuneConfig {
  // The lesson scores the base model too (step 0), so its validation curves start where training does.
  return finetuneConfig({
    ...Object.fromEntries(TRAINING_FIELDS.map((field) => [field, hp[field]])),
    evalAtStart: true,
  });
}
