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
import { EMBEDDED_DATASETS, embeddedReviews, stratifiedSample, type EmbeddedDatasetName } from "../data/embedded";
import { frameRecords } from "../data/frame";
import { loadReviewFile, type ColumnMapping, type ReviewFilePreset } from "../data/review-file";
import type { ReviewRecord } from "../data/reviews";
import { splitDataset, splitReport, type DatasetSplits } from "../data/split";
import { loadCheckpoint } from "../model/checkpoint";
import type { GPT } from "../model/gpt";
import { BPETokenizer } from "../model/tokenizer";
import { trainSentimentJudge, type SentimentJudge } from "../eval/judge";
import { evaluateTasks, validationSummary } from "../eval/tasks";
import {
  buildInstructionDataset,
  onePhrasingPerTask,
  taskReport,
  type InstructionExample,
} from "../prompts/instruction-dataset";
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
import type { Batch } from "../train/sft-batches";
import { epochBatchesOf, prepareTraining, type PreparedTraining } from "../train/training-plan";
import { writeFileAtomic } from "../util/atomic-write";
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
  "lossWeighting",
  "dropout",
  "patience",
  "seed",
] as const;

/** Everything a learner may change, with the lesson's defaults: the data, and the training fields of FinetuneConfig. */
export interface LessonHyperparameters extends Pick<FinetuneConfig, (typeof TRAINING_FIELDS)[number]> {
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
/** The embedded sentences whose `domain` differs: the review-topic task's sources, and the judge's data. */
const UCI_SENTENCES: readonly EmbeddedDatasetName[] = ["amazon", "yelp", "imdb-sentences"];
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
    seed: 0,
    learningRate: 5e-4,
    epochs: 4,
    batchSize: 16,
    gradAccumulation: 1,
    maxLength: 96,
    warmupFraction: 0.1,
    weightDecay: 0.01,
    lossWeighting: "example",
    dropout: 0,
    patience: 0,
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
  (hp, fail) => {
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
      fail(
        "topicReviews",
        `is 0, so ${topic.join(", ")} would have no reviews; raise it or leave those templates out.`,
      );
    if (hp.dataFile === "" && hp.dataColumns !== "")
      fail("dataColumns", "names the columns of a data file, but dataFile is empty.");
    if (hp.dataFile !== "" && hp.dataColumns === "")
      fail(
        "dataColumns",
        'say which columns hold the review, e.g. "amazon-us-reviews" or {"text":"body","rating":"stars"}.',
      );
    if (hp.extraTrainingDatasets.includes(hp.dataset) && !hp.dataFile) {
      fail(
        "extraTrainingDatasets",
        `"${hp.dataset}" is the dataset itself; its test reviews would leak into training.`,
      );
    }
  },
);

/** True when a template reads the review's domain (the review-topic task). */
function usesDomain(id: string): boolean {
  return getTemplate(id).fields.includes("domain");
}

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
  // The lesson scores the base model too (step 0), so its validation curves start where training does.
  return finetuneConfig({
    ...Object.fromEntries(TRAINING_FIELDS.map((field) => [field, hp[field]])),
    evalAtStart: true,
  });
}

export interface LessonData {
  /** Every review the examples come from (sourceId, text, label, and domain or rating where known). */
  reviews: ReviewRecord[];
  /** Every instruction example before the split (every phrasing of every task on every review). */
  examples: InstructionExample[];
  /** Train / validation (one phrasing per task and review, unless templateMode says all) and test
   * (every phrasing, the held-out ones too), by review: 80/10/10, stratified by sentiment. */
  splits: DatasetSplits<InstructionExample>;
  /** Rows for showTable: per task, its trained and held-out phrasings and its examples per split. */
  tasks: Record<string, string | number>[];
  /** Few-shot demonstrations for the base model: the training split, plus the held-out phrasings
   * rendered on the training reviews (they are never trained on; a prompt may show them). */
  fewShotPool: InstructionExample[];
  /** The judge of written reviews, trained on labelled reviews none of the examples come from. */
  judge: SentimentJudge;
  /** The reviews the judge was trained on. */
  judgeReviews: ReviewRecord[];
  /** Reviews left out because a template could not render them (also reported as a notice). */
  leftOut: TemplateRenderError[];
}

/** The reviews of a user's data file (hp.dataFile, hp.dataColumns). */
function fileReviews(hp: LessonHyperparameters): ReviewRecord[] {
  let columns: ColumnMapping | ReviewFilePreset = hp.dataColumns as ReviewFilePreset;
  if (hp.dataColumns.trim().startsWith("{")) {
    try {
      columns = JSON.parse(hp.dataColumns) as ColumnMapping;
    } catch (err) {
      throw new Error(
        `Hyperparameters.dataColumns (--columns): ${JSON.stringify(hp.dataColumns)} is not valid JSON (${(err as Error).message}); ` +
          'give a preset (amazon-us-reviews, amazon-reviews-2023) or JSON such as {"text":"review_body","rating":"star_rating"}.',
        { cause: err },
      );
    }
  }
  return frameRecords(loadReviewFile(hp.dataFile, { columns })) as unknown as ReviewRecord[];
}

/** The reviews, the instruction dataset, its split and the judge, all from the hyperparameters. */
export function lessonData(hp: LessonHyperparameters): LessonData {
  hp = LESSON_HYPERPARAMETERS.check(hp);
  // Each embedded set is read once here: the topic task and the judge draw on the same files.
  const loaded = new Map<EmbeddedDatasetName, ReviewRecord[]>();
  const embedded = (name: EmbeddedDatasetName) => {
    if (!loaded.has(name)) loaded.set(name, embeddedReviews(name));
    return loaded.get(name)!;
  };
  const main = hp.dataFile ? fileReviews(hp) : embedded(hp.dataset);
  const all = [...hp.templates, ...hp.heldOutTemplates];
  const topicIds = all.filter(usesDomain);
  const textIds = all.filter((id) => !usesDomain(id));
  // The review-topic task asks `topicReviews` reviews of each source; the main dataset's are some of its own.
  const topicPool =
    topicIds.length === 0
      ? []
      : UCI_SENTENCES.flatMap((name) =>
          stratifiedSample(name === hp.dataset ? main : embedded(name), hp.topicReviews, `${hp.seed}:topic`),
        );
  // A review a template cannot render (an empty field, a neutral review in a yes/no template) is left out, and said so in one notice.
  const leftOut: TemplateRenderError[] = [];
  const render = (records: readonly ReviewRecord[], ids: readonly string[]) =>
    ids.length === 0
      ? []
      : buildInstructionDataset(records, {
          templates: ids,
          mode: "all-per-record",
          seed: hp.seed,
          skipUnrenderable: true,
          onSkip: (err) => leftOut.push(err),
        });
  const examples = [...render(main, textIds), ...render(topicPool, topicIds)];
  if (examples.length === 0)
    throw new Error(
      "lessonData: the templates rendered no example on these reviews; pick templates whose fields the data has.",
    );
  // The main dataset's reviews are split on their own, the other sources' apart: the main dataset's
  // split is then the one every notebook shares (notebook 1's single-instruction split included).
  const mainIds = new Set(main.map((r) => r.sourceId));
  const splitPart = (part: InstructionExample[]) => {
    const rendered = new Set(part.map((e) => e.templateId));
    return splitDataset(part, {
      seed: hp.seed,
      heldOutTemplates: hp.heldOutTemplates.filter((id) => rendered.has(id)),
    });
  };
  const parts = [examples.filter((e) => mainIds.has(e.sourceId)), examples.filter((e) => !mainIds.has(e.sourceId))]
    .filter((part) => part.length > 0)
    .map(splitPart);
  const thin = (list: InstructionExample[]) =>
    hp.templateMode === "all-per-record" ? list : onePhrasingPerTask(list, hp.seed);
  const splits: DatasetSplits<InstructionExample> = {
    config: parts[0].config,
    train: thin(parts.flatMap((p) => p.train)),
    validation: thin(parts.flatMap((p) => p.validation)),
    test: parts.flatMap((p) => p.test),
    report: [],
  };
  // More training reviews (sentiment and review writing only), never one of the topic task's.
  const inPool = new Set(topicPool.map((r) => r.sourceId));
  const extraIds = hp.templates.filter((id) => !usesDomain(id));
  for (const extra of hp.extraTrainingDatasets)
    splits.train.push(
      ...thin(
        render(
          embedded(extra).filter((r) => !inPool.has(r.sourceId)),
          extraIds,
        ),
      ),
    );
  splits.report = splitReport(splits);

  // The few-shot pool: the training split and the held-out phrasings on the same training reviews.
  const trainSources = new Set(splits.train.map((e) => e.sourceId));
  const fewShotPool = [
    ...splits.train,
    ...examples.filter((e) => trainSources.has(e.sourceId) && hp.heldOutTemplates.includes(e.templateId)),
  ];

  // The judge reads sentences no example comes from: the other embedded sets, less the topic task's and any extra training set.
  const used = new Set(examples.map((e) => e.sourceId));
  const judgeSources = UCI_SENTENCES.filter(
    (name) => (hp.dataFile !== "" || name !== hp.dataset) && !hp.extraTrainingDatasets.includes(name),
  );
  const judgeRecords = judgeSources.flatMap((name) => embedded(name).filter((r) => !used.has(r.sourceId)));
  if (judgeRecords.length === 0)
    throw new Error(
      "lessonData: no labelled reviews are left to train the judge of written reviews on (it must never see the fine-tuning data); use fewer extraTrainingDatasets.",
    );
  const judge = trainSentimentJudge(
    judgeRecords,
    `${judgeRecords.length} ${judgeSources.map((n) => EMBEDDED_DATASETS[n].name).join(" and ")} sentences that no instruction example comes from`,
  );

  if (leftOut.length)
    notify(
      "lessonData",
      `left out ${leftOut.length} example(s) the templates could not render; the first: ${leftOut[0].message}`,
    );
  const reviews = [...main, ...topicPool.filter((r) => !mainIds.has(r.sourceId))];
  return {
    reviews,
    examples,
    splits,
    tasks: taskReport(splits),
    fewShotPool,
    judge,
    judgeReviews: judgeRecords,
    leftOut,
  };
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

/** What a saved run holds; runs of an older format are not reused (2: the step-0 evaluation and graded tokens; 3: validation loss weighted as the training loss). */
const RUN_FORMAT = 3;

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
    .update(JSON.stringify({ ...hp, fewShot: undefined, base: baseFingerprint, format: RUN_FORMAT }))
    // A data file of the same name with other reviews is other data.
    .update(hp.dataFile ? fs.readFileSync(hp.dataFile) : "")
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
    validate: lessonValidator(hp, base, data),
  });
  return { model: run.model, state: run.state, folder, reused: false };
}

/** Where a named run is remembered: runs/<name>.json. */
function recordFile(name: string, root = process.env.WORKBOOK_RUNS_DIR ?? projectPath("runs")): string {
  if (!/^[\w-]+$/.test(name))
    throw new Error(`recordAs: "${name}" is not a plain name; use letters, digits, - and _ (e.g. "notebook-03").`);
  return path.join(root, `${name}.json`);
}

/** Remembers that the run in `folder` was made with these hyperparameters, under a name another notebook reads back (hyperparametersOfRun). */
export function recordRun(name: string, hp: LessonHyperparameters, folder: string, root?: string): void {
  const file = recordFile(name, root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(
    file,
    `${JSON.stringify({ folder: path.relative(path.dirname(file), folder), hyperparameters: hp }, null, 1)}\n`,
  );
}

/**
 * The hyperparameters of the run a notebook recorded (ensureFinetuned's recordAs), with `overrides`
 * on top, and a sentence saying which run that is. With no recorded run, the lesson's defaults
 * (which notebook 3 ships with), and the sentence says so: the caller then trains that run.
 */
export function hyperparametersOfRun(
  name: string,
  overrides: Partial<LessonHyperparameters> & Record<string, unknown> = {},
  root?: string,
): { hp: LessonHyperparameters; which: string; recorded: boolean } {
  const file = recordFile(name, root);
  if (!fs.existsSync(file)) {
    const hp = lessonHyperparameters(overrides);
    return {
      hp,
      recorded: false,
      which:
        `No run recorded as "${name}" here yet (${path.relative(projectPath(), file)} is missing), so this notebook uses the lesson's ` +
        "default hyperparameters, the ones notebook 3 ships with, and trains that run first if it is not saved.",
    };
  }
  const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { folder: string; hyperparameters: LessonHyperparameters };
  let hp: LessonHyperparameters;
  try {
    hp = lessonHyperparameters({ ...saved.hyperparameters, ...overrides });
  } catch (err) {
    throw new Error(
      `The run recorded as "${name}" (${file}) cannot be read back: ${(err as Error).message} ` +
        "If it uses a template defined in a notebook, define that template in this notebook first; or run notebook 3 again.",
      { cause: err },
    );
  }
  const changed = Object.entries(hp).filter(
    ([key, value]) =>
      JSON.stringify(value) !== JSON.stringify((DEFAULT_LESSON_HYPERPARAMETERS as Record<string, unknown>)[key]),
  );
  return {
    hp,
    recorded: true,
    which:
      `The run "${name}" recorded: ${saved.folder}, with ` +
      (changed.length === 0
        ? "the lesson's default hyperparameters."
        : `the lesson's defaults except ${changed.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ")}.`),
  };
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

/** Sends a finished run's recorded steps and evaluations to onEvent, so its charts draw as if it had just run. */
function replayHistory(state: FinetuneState, onEvent?: (e: FinetuneEvent) => void): void {
  if (!onEvent) return;
  const steps = state.history.length;
  if (state.start)
    onEvent({
      kind: "eval",
      step: 0,
      epoch: 0,
      ...state.start,
      validationByTask: state.start.validationByTask ?? {},
      invalid: 0,
      best: state.best?.step === 0,
    });
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
    if (h.validationScore !== undefined) {
      onEvent({
        kind: "eval",
        step: h.step,
        epoch: h.epoch,
        validationLoss: h.validationLoss!,
        validationScore: h.validationScore,
        validationByTask: h.validationByTask ?? {},
        invalid: 0,
        best: state.best?.step === h.step,
      });
    }
  }
}
