// The lesson's verdict, task by task: on the same test split, how well does each approach do?
//
//   base zero-shot   the pre-trained model reads the instruction and answers
//   base k-shot      ... after k solved examples of the same instruction in its prompt
//   instruct model   the fully fine-tuned model, zero-shot
//   bag of words     a logistic regression on word presence, for the classification tasks only,
//                    trained on the same training reviews (for generation there is no such baseline)
//
// Each task is scored by its own metric (tasks.ts). A task with a phrasing held out of training gets
// two rows: its trained phrasings, and the unseen one ("an instruction never seen in training"). The
// classification tasks are also scored by answer likelihood (which choice the model finds most
// likely), shown apart: it asks what a model knows, not what it says.
//
//   const c = compareTasksOnTest({ base, instruct, tokenizer, data, fewShot: 3, seed: 0 });
//   showTable(taskComparisonRows(c));     showFigure(taskComparisonChart(c));  (src/lesson/task-chart.ts)
import type { GPT } from "../model/gpt";
import type { TextCodec } from "../model/generate";
import { buildFewShotPrompt } from "../prompts/few-shot";
import type { InstructionExample } from "../prompts/instruction-dataset";
import { getTemplate } from "../prompts/registry";
import { trainBagOfWords } from "./bag-of-words";
import { judgeAccuracy, type SentimentJudge } from "./judge";
import { confusionMatrix, wilsonInterval, type AccuracyStats, type ConfusionMatrix } from "./metrics";
import {
  answerTokenLimit,
  evaluateTasks,
  scoreTasks,
  starsError,
  taskScoreCells,
  type ScoredMetric,
  type TaskAnswer,
  type TaskScore,
} from "./tasks";

/** What the comparison needs of the lesson's data (LessonData has it). */
export interface TaskComparisonData {
  /** The source records (ReviewRecord): a baseline reads their text and the field a template answers with. */
  reviews: readonly { sourceId: string; text: string; label: string }[];
  splits: { train: InstructionExample[]; test: InstructionExample[] };
  fewShotPool: readonly InstructionExample[];
  judge: SentimentJudge;
}

export interface TaskCompareOptions {
  base: GPT;
  /** The fine-tuned model (leave out to compare the base model and the baseline only). */
  instruct?: GPT;
  tokenizer: TextCodec;
  data: TaskComparisonData;
  fewShot: number;
  seed: number;
  /** Phrasings never trained on: their answers form their task's "unseen" row. */
  heldOutTemplates: readonly string[];
  /** Score the base model, zero- and few-shot (default true); false keeps the instruct model and the baseline only. */
  withBase?: boolean;
}

/** One row: a method on a task group, by one scoring. */
export interface TaskResult extends TaskScore {
  method: string;
  /** Mean prompt length in tokens (language models). */
  promptTokens?: number;
}

export interface TaskComparison {
  results: TaskResult[];
  /** Every language model's answers, by method ("base zero-shot", "base 3-shot", "instruct model"). */
  answers: Record<string, TaskAnswer[]>;
  /** The judge and how often it agrees with people on the test split's real reviews. */
  judge: { trainedOn: string; accuracy: AccuracyStats };
  /** The task groups, in table order. */
  groups: string[];
  fewShot: number;
  testExamples: number;
}

/**
 * The task group of an answer: its task, split by trained and held-out phrasing; a task with several
 * held-out phrasings gets a row for each ("(unseen: sentiment-review-cue)").
 */
export function taskGroup(
  task: string,
  templateId: string,
  heldOut: readonly string[],
  heldOutByTask: ReadonlyMap<string, readonly string[]>,
) {
  const unseen = heldOutByTask.get(task);
  if (!unseen || unseen.length === 0) return task;
  if (!heldOut.includes(templateId)) return `${task} (trained phrasings)`;
  return unseen.length === 1 ? `${task} (unseen phrasing)` : `${task} (unseen: ${templateId})`;
}

/** The task group of an answer or example, as compareTasksOnTest has fixed the held-out phrasings. */
type GroupOf = (a: { task: string; templateId: string }) => string;

/** A source record as the comparison reads it (TaskComparisonData's reviews). */
type SourceReview = TaskComparisonData["reviews"][number];

/** Every approach on every task of the test split; see the header. */
export function compareTasksOnTest(o: TaskCompareOptions): TaskComparison {
  const { test, train } = o.data.splits;
  if (test.length === 0) throw new Error("compareTasksOnTest: the test split is empty.");
  const window = o.base.config.blockSize;
  const heldOutByTask = heldOutPhrasings(test, o.heldOutTemplates);
  const groupOf: GroupOf = (a) => taskGroup(a.task, a.templateId, o.heldOutTemplates, heldOutByTask);
  const results: TaskResult[] = [];
  const answers: Record<string, TaskAnswer[]> = {};

  const addModel = (method: string, model: GPT, prompts?: string[]) => {
    const scored = modelResults(o, method, model, groupOf, prompts);
    answers[method] = scored.answers;
    results.push(...scored.results);
  };
  if (o.withBase ?? true) {
    addModel("base zero-shot", o.base);
    addModel(`base ${o.fewShot}-shot`, o.base, fewShotPrompts(o, window));
  }
  if (o.instruct) addModel("instruct model", o.instruct);

  const reviewById = new Map(o.data.reviews.map((r) => [r.sourceId, r]));
  results.push(...bagOfWordsResults(test, train, reviewById, groupOf));
  const judged = judgeOnTestReviews(o.data.judge, test, reviewById);
  return {
    results,
    answers,
    judge: { trainedOn: o.data.judge.trainedOn, accuracy: judged },
    groups: groupsInTableOrder(test, groupOf),
    fewShot: o.fewShot,
    testExamples: test.length,
  };
}

/** The held-out phrasings that occur in the test split, by task, in order of first appearance. */
function heldOutPhrasings(test: readonly InstructionExample[], heldOutTemplates: readonly string[]) {
  const heldOutByTask = new Map<string, string[]>();
  for (const e of test)
    if (heldOutTemplates.includes(e.templateId) && !heldOutByTask.get(e.task)?.includes(e.templateId))
      heldOutByTask.set(e.task, [...(heldOutByTask.get(e.task) ?? []), e.templateId]);
  return heldOutByTask;
}

/**
 * A language model on the test split (with the given prompts, or the examples' own): its answers, and
 * a row per task group and scoring with the group's mean prompt length in tokens.
 */
function modelResults(
  o: TaskCompareOptions,
  method: string,
  model: GPT,
  groupOf: GroupOf,
  prompts?: string[],
): { answers: TaskAnswer[]; results: TaskResult[] } {
  const test = o.data.splits.test;
  const list = evaluateTasks(model, o.tokenizer, test, { seed: o.seed, judge: o.data.judge, prompts });
  const tokens = promptTokenTotals(test, prompts ?? test.map((e) => e.prompt), o.tokenizer, groupOf);
  const results = scoreTasks(list, groupOf).map((s) => ({
    ...s,
    method,
    promptTokens: tokens.get(s.group)!.sum / tokens.get(s.group)!.n,
  }));
  return { answers: list, results };
}

/** The prompts' lengths in tokens, summed and counted per task group (for the mean prompt length). */
function promptTokenTotals(
  test: readonly InstructionExample[],
  used: readonly string[],
  tokenizer: TextCodec,
  groupOf: GroupOf,
): Map<string, { sum: number; n: number }> {
  const tokens = new Map<string, { sum: number; n: number }>();
  test.forEach((e, i) => {
    const g = groupOf(e);
    const t = tokens.get(g) ?? { sum: 0, n: 0 };
    t.sum += tokenizer.encode(used[i]).length;
    t.n += 1;
    tokens.set(g, t);
  });
  return tokens;
}

/** k solved examples of the same instruction before each test prompt, as many as fit with room for the answer. */
function fewShotPrompts(o: TaskCompareOptions, window: number): string[] {
  return o.data.splits.test.map(
    (e) =>
      buildFewShotPrompt(e, o.data.fewShotPool, o.tokenizer, {
        shots: o.fewShot,
        contextWindow: window,
        seed: o.seed,
        onOverflow: "trim",
        reserve: answerTokenLimit(getTemplate(e.templateId), o.tokenizer, e.completion),
      }).prompt,
  );
}

/**
 * The bag of words, per classification task (in order of first appearance in the test split): trained
 * on the training reviews' answers (the record field the template reads), scored once per test review.
 */
function bagOfWordsResults(
  test: readonly InstructionExample[],
  train: readonly InstructionExample[],
  reviewById: ReadonlyMap<string, SourceReview>,
  groupOf: GroupOf,
): TaskResult[] {
  const results: TaskResult[] = [];
  const tasksSeen = new Set<string>();
  for (const e of test) {
    const template = getTemplate(e.templateId);
    if (template.metric !== "accuracy" || tasksSeen.has(e.task)) continue;
    tasksSeen.add(e.task);
    results.push(...bagOfWordsOnTask(e.task, template.answerField!, test, train, reviewById, groupOf));
  }
  return results;
}

/** One task's reviews in a split, each once: its text and the record field the template answers with. */
function taskRecords(
  split: readonly InstructionExample[],
  task: string,
  field: string,
  reviewById: ReadonlyMap<string, SourceReview>,
): { text: string; label: string }[] {
  const seen = new Set<string>();
  return split
    .filter((x) => x.task === task && !seen.has(x.sourceId) && seen.add(x.sourceId))
    .map((x) => {
      const record = reviewById.get(x.sourceId)! as unknown as Record<string, unknown>;
      return { text: String(record.text), label: String(record[field]) };
    });
}

/**
 * The bag of words on one classification task: its rows (none when the training reviews have fewer
 * than two labels). The baseline reads the review, not the instruction: one score for the task,
 * repeated in each of its groups, whatever the phrasing.
 */
function bagOfWordsOnTask(
  task: string,
  field: string,
  test: readonly InstructionExample[],
  train: readonly InstructionExample[],
  reviewById: ReadonlyMap<string, SourceReview>,
  groupOf: GroupOf,
): TaskResult[] {
  const trainRecords = taskRecords(train, task, field, reviewById);
  if (new Set(trainRecords.map((r) => r.label)).size < 2) return [];
  const bow = trainBagOfWords(trainRecords);
  const predictions = bow.evaluate(taskRecords(test, task, field, reviewById));
  const correct = predictions.filter((p) => p.predicted === p.expected).length;
  const n = predictions.length;
  // Stars: how far off the baseline is, as for the language models.
  const meanAbsoluteError = starsError(predictions);
  return [...new Set(test.filter((x) => x.task === task).map(groupOf))].map((group) => ({
    method: "bag of words",
    group,
    task,
    metric: "accuracy",
    scoring: "generation",
    templates: [],
    n,
    score: correct / n,
    ci95: wilsonInterval(correct, n),
    invalid: 0,
    ...(meanAbsoluteError === undefined ? {} : { meanAbsoluteError }),
  }));
}

/**
 * How far the judge can be trusted: its agreement with people on the real reviews of the test
 * split's writing task (the reviews the written ones stand in for), or on all test reviews.
 */
function judgeOnTestReviews(
  judge: SentimentJudge,
  test: readonly InstructionExample[],
  reviewById: ReadonlyMap<string, SourceReview>,
) {
  const written = test.filter((e) => getTemplate(e.templateId).metric === "judge");
  const testReviews = [...new Set((written.length ? written : test).map((e) => e.sourceId))].map((id) =>
    reviewById.get(id)!,
  );
  return judgeAccuracy(judge, testReviews);
}

/** Table order: tasks as they first appear, a task's trained phrasings before its unseen ones. */
function groupsInTableOrder(test: readonly InstructionExample[], groupOf: GroupOf): string[] {
  const tasks = [...new Set(test.map((e) => e.task))];
  return [...new Set(test.map(groupOf))].sort(
    (a, b) =>
      tasks.indexOf(a.split(" (")[0]) - tasks.indexOf(b.split(" (")[0]) ||
      Number(a.includes("(unseen")) - Number(b.includes("(unseen")),
  );
}

/** A task group's result of one method and scoring, or undefined. */
export function resultOf(
  c: TaskComparison,
  group: string,
  method: string,
  scoring: "generation" | "likelihood" = "generation",
): TaskResult | undefined {
  return c.results.find((r) => r.group === group && r.method === method && r.scoring === scoring);
}

/** The base model's best score on a task group: over zero- and few-shot, written or most likely. */
export function bestBaseResult(c: TaskComparison, group: string): TaskResult | undefined {
  return c.results
    .filter((r) => r.group === group && r.method.startsWith("base "))
    .reduce<TaskResult | undefined>((best, r) => (!best || r.score > best.score ? r : best), undefined);
}

/** The methods in table order, for a comparison with k-shot prompts. */
export function methodOrder(fewShot: number): string[] {
  return ["base zero-shot", `base ${fewShot}-shot`, "instruct model", "bag of words"];
}

/**
 * Rows for showTable: one per task group and method (written answers; likelihood rows with
 * `{ scoring: "likelihood" }`), with the metric, the score and its 95% interval, invalid answers,
 * the mean absolute error (stars), and what went wrong with written text.
 */
export function taskComparisonRows(
  c: TaskComparison,
  options: { scoring?: "generation" | "likelihood" } = {},
): Record<string, string | number>[] {
  const scoring = options.scoring ?? "generation";
  const rows: Record<string, string | number>[] = [];
  for (const group of c.groups) {
    for (const method of methodOrder(c.fewShot)) {
      const r = resultOf(c, group, method, scoring);
      if (!r) continue;
      rows.push({
        task: group,
        method,
        ...taskScoreCells(r),
        // The baseline has no answers to be invalid.
        ...(method === "bag of words" ? { invalid: "-" } : {}),
        "prompt tokens": r.promptTokens === undefined ? "-" : Math.round(r.promptTokens),
      });
    }
  }
  return rows;
}

/** Rows for showTable: written reviews next to the review asked for and the judge's verdict. */
export function judgedReviews(
  c: TaskComparison,
  method: string,
  count = 8,
): { prompt: string; "written review": string; requested: string; "judge hears": string }[] {
  const list = (c.answers[method] ?? []).filter((a) => a.metric === "judge");
  // Alternate the requested sentiments, so both show.
  const bySentiment = new Map<string, TaskAnswer[]>();
  for (const a of list) bySentiment.set(a.requested!, [...(bySentiment.get(a.requested!) ?? []), a]);
  const queues = [...bySentiment.values()];
  const picked: TaskAnswer[] = [];
  for (let i = 0; picked.length < Math.min(count, list.length); i++) {
    const q = queues[i % queues.length];
    if (q.length) picked.push(q.shift()!);
  }
  return picked.map((a) => ({
    prompt: a.prompt.length > 80 ? `...${a.prompt.slice(-77)}` : a.prompt,
    "written review": JSON.stringify(a.output),
    requested: a.requested!,
    "judge hears": a.predicted ?? "(nothing to judge)",
  }));
}

/** The comparison as plain JSON (per task and method: score, interval, counts), for files. */
export function taskComparisonJson(c: TaskComparison): object {
  return {
    testExamples: c.testExamples,
    fewShot: c.fewShot,
    judge: { trainedOn: c.judge.trainedOn, accuracy: c.judge.accuracy.accuracy, n: c.judge.accuracy.n },
    results: c.results.map((r) => ({
      group: r.group,
      task: r.task,
      method: r.method,
      metric: r.metric as ScoredMetric,
      scoring: r.scoring,
      n: r.n,
      score: r.score,
      ci95: r.ci95,
      invalid: r.invalid,
      meanAbsoluteError: r.meanAbsoluteError,
      empty: r.empty,
      repeats: r.repeats,
      pastStop: r.pastStop,
      promptTokens: r.promptTokens,
      templates: r.templates,
    })),
  };
}

/**
 * The confusion matrix of one method's written answers on a classification task (a 5 x 5 one for
 * star ratings), with the answers that were not a choice in their own column.
 */
export function taskConfusion(c: TaskComparison, method: string, task: string): ConfusionMatrix {
  const answers = (c.answers[method] ?? []).filter(
    (a) => a.task === task && a.metric === "accuracy" && a.scoring === "generation",
  );
  if (answers.length === 0)
    throw new Error(`taskConfusion: ${method} has no written answers on the classification task "${task}".`);
  // The task's answer words (a yes/no phrasing has its own), sorted as numbers when they are stars.
  const labels = [...new Set(answers.flatMap((a) => getTemplate(a.templateId).answerChoices ?? []))].sort((x, y) =>
    /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y),
  );
  return confusionMatrix(
    answers.map((a) => ({ expected: a.expected, predicted: a.predicted })),
    labels,
  );
}
