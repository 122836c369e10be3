// The lesson's data, all from the hyperparameters: the reviews, the instruction examples the
// templates make of them, the train / validation / test split, the few-shot pool and the judge of
// written reviews.
//
//   const data = lessonData(lessonHyperparameters());
//   data.splits.train          // what notebook 3 fine-tunes on
//   data.tasks                 // per task: its phrasings and its examples per split (a table)
//
// The sentiment and review-writing tasks read the main dataset (or a learner's file); the review-topic
// task reads `topicReviews` sentences of each embedded source (Amazon, Yelp, IMDB); the judge reads
// labelled sentences that no instruction example comes from.
import { EMBEDDED_DATASETS, embeddedReviews, stratifiedSample, type EmbeddedDatasetName } from "../data/embedded";
import { frameRecords } from "../data/frame";
import { loadReviewFile, type ColumnMapping, type ReviewFilePreset } from "../data/review-file";
import type { ReviewRecord } from "../data/reviews";
import { splitDataset, splitReport, type DatasetSplits } from "../data/split";
import { trainSentimentJudge, type SentimentJudge } from "../eval/judge";
import {
  buildInstructionDataset,
  onePhrasingPerTask,
  taskReport,
  type InstructionExample,
} from "../prompts/instruction-dataset";
import type { TemplateRenderError } from "../prompts/template";
import { notify } from "../util/notices";
import { LESSON_HYPERPARAMETERS, usesDomain, type LessonHyperparameters } from "./hyperparameters";

/** The embedded sentences whose `domain` differs: the review-topic task's sources, and the judge's data. */
const UCI_SENTENCES: readonly EmbeddedDatasetName[] = ["amazon", "yelp", "imdb-sentences"];

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

/** The reviews, the instruction dataset, its split and the judge, all from the hyperparameters. */
export function lessonData(hp: LessonHyperparameters): LessonData {
  hp = LESSON_HYPERPARAMETERS.check(hp);
  const embedded = embeddedOnce();
  const main = hp.dataFile ? fileReviews(hp) : embedded(hp.dataset);
  const all = [...hp.templates, ...hp.heldOutTemplates];
  const topicIds = all.filter(usesDomain);
  // The review-topic task asks `topicReviews` reviews of each source; the main dataset's are some of its own.
  const topicPool =
    topicIds.length === 0
      ? []
      : UCI_SENTENCES.flatMap((name) =>
          stratifiedSample(name === hp.dataset ? main : embedded(name), hp.topicReviews, `${hp.seed}:topic`),
        );
  const leftOut: TemplateRenderError[] = [];
  const render = renderer(hp.seed, leftOut);
  const examples = [
    ...render(
      main,
      all.filter((id) => !usesDomain(id)),
    ),
    ...render(topicPool, topicIds),
  ];
  if (examples.length === 0)
    throw new Error(
      "lessonData: the templates rendered no example on these reviews; pick templates whose fields the data has.",
    );
  const mainIds = new Set(main.map((r) => r.sourceId));
  const splits = splitLessonExamples(examples, mainIds, hp);
  // More training reviews (sentiment and review writing only), never one of the topic task's.
  const inPool = new Set(topicPool.map((r) => r.sourceId));
  const extraIds = hp.templates.filter((id) => !usesDomain(id));
  for (const extra of hp.extraTrainingDatasets)
    splits.train.push(
      ...thinned(
        hp,
        render(
          embedded(extra).filter((r) => !inPool.has(r.sourceId)),
          extraIds,
        ),
      ),
    );
  splits.report = splitReport(splits);
  const { judge, judgeReviews } = lessonJudge(hp, examples, embedded);
  if (leftOut.length)
    notify(
      "lessonData",
      `left out ${leftOut.length} example(s) the templates could not render; the first: ${leftOut[0].message}`,
    );
  return {
    reviews: [...main, ...topicPool.filter((r) => !mainIds.has(r.sourceId))],
    examples,
    splits,
    tasks: taskReport(splits),
    fewShotPool: fewShotPoolOf(splits, examples, hp),
    judge,
    judgeReviews,
    leftOut,
  };
}

/** Reads each embedded set once: the topic task and the judge draw on the same files. */
function embeddedOnce(): (name: EmbeddedDatasetName) => ReviewRecord[] {
  const loaded = new Map<EmbeddedDatasetName, ReviewRecord[]>();
  return (name) => {
    if (!loaded.has(name)) loaded.set(name, embeddedReviews(name));
    return loaded.get(name)!;
  };
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

/**
 * Renders templates on reviews, every phrasing on every review. A review a template cannot render
 * (an empty field, a neutral review in a yes/no template) is left out and collected in `leftOut`,
 * which lessonData reports in one notice.
 */
function renderer(seed: number, leftOut: TemplateRenderError[]) {
  return (records: readonly ReviewRecord[], ids: readonly string[]): InstructionExample[] =>
    ids.length === 0
      ? []
      : buildInstructionDataset(records, {
          templates: ids,
          mode: "all-per-record",
          seed,
          skipUnrenderable: true,
          onSkip: (err) => leftOut.push(err),
        });
}

/** Train and validation keep one phrasing per task and review, unless templateMode says all. */
function thinned(hp: LessonHyperparameters, list: InstructionExample[]): InstructionExample[] {
  return hp.templateMode === "all-per-record" ? list : onePhrasingPerTask(list, hp.seed);
}

/**
 * The split: the main dataset's reviews are split on their own, the other sources' apart, so that
 * the main dataset's split is the one every notebook shares (notebook 1's single-instruction split
 * included). The report is left empty for the caller to fill once the training split is complete.
 */
function splitLessonExamples(
  examples: InstructionExample[],
  mainIds: ReadonlySet<string>,
  hp: LessonHyperparameters,
): DatasetSplits<InstructionExample> {
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
  return {
    config: parts[0].config,
    train: thinned(
      hp,
      parts.flatMap((p) => p.train),
    ),
    validation: thinned(
      hp,
      parts.flatMap((p) => p.validation),
    ),
    test: parts.flatMap((p) => p.test),
    report: [],
  };
}

/** The few-shot pool: the training split, and the held-out phrasings on the same training reviews. */
function fewShotPoolOf(
  splits: DatasetSplits<InstructionExample>,
  examples: readonly InstructionExample[],
  hp: LessonHyperparameters,
): InstructionExample[] {
  const trainSources = new Set(splits.train.map((e) => e.sourceId));
  return [
    ...splits.train,
    ...examples.filter((e) => trainSources.has(e.sourceId) && hp.heldOutTemplates.includes(e.templateId)),
  ];
}

/**
 * The judge of written reviews. It reads sentences no example comes from: the other embedded sets,
 * less the topic task's and any extra training set.
 */
function lessonJudge(
  hp: LessonHyperparameters,
  examples: readonly InstructionExample[],
  embedded: (name: EmbeddedDatasetName) => ReviewRecord[],
): { judge: SentimentJudge; judgeReviews: ReviewRecord[] } {
  const used = new Set(examples.map((e) => e.sourceId));
  const judgeSources = UCI_SENTENCES.filter(
    (name) => (hp.dataFile !== "" || name !== hp.dataset) && !hp.extraTrainingDatasets.includes(name),
  );
  const judgeReviews = judgeSources.flatMap((name) => embedded(name).filter((r) => !used.has(r.sourceId)));
  if (judgeReviews.length === 0)
    throw new Error(
      "lessonData: no labelled reviews are left to train the judge of written reviews on (it must never see the fine-tuning data); use fewer extraTrainingDatasets.",
    );
  const judge = trainSentimentJudge(
    judgeReviews,
    `${judgeReviews.length} ${judgeSources.map((n) => EMBEDDED_DATASETS[n].name).join(" and ")} sentences that no instruction example comes from`,
  );
  return { judge, judgeReviews };
}
