// A model on a mix of tasks, each scored by its own metric: what instruction tuning is measured by.
//
// Every example names its template, and the template says how its answer is scored (template.ts):
//   accuracy   classification (sentiment, the review's topic, the star rating): the model writes an
//              answer (greedy), normalizeAnswer reads it as one of the template's answer choices, and
//              it is right or wrong; an answer that is not a choice is invalid (and wrong). With
//              `likelihood`, the most likely choice after the prompt is scored too. For numbered
//              choices (stars) the mean absolute error of the valid answers is reported as well.
//   judge      review generation: the model writes a review (sampled, seeded per example, so two
//              models meet the same draws) and the sentiment judge (judge.ts) reads it; it scores 1
//              when the judge hears the sentiment the prompt asked for. A prompt whose requested
//              sentiment the judge cannot tell (a 3-star review: neutral) is not scored.
//   rouge-l    a headline: written greedily, scored by ROUGE-L F1 against the review's own title.
// Every written answer also gets generationFlags: empty, repeats itself, ran past the stop.
//
//   const answers = evaluateTasks(model, tokenizer, splits.test, { seed: 0, judge });
//   showTable(taskScoreRows(scoreTasks(answers)));     // one row per task: n, score, 95% interval, ...
//   validationSummary(answers).score                   // the mean of the tasks' scores: picks the best model
import { generateBatch } from "../model/generate-batch";
import type { TextCodec } from "../model/generate";
import type { GPT } from "../model/gpt";
import { scoreChoicesBatch } from "../model/score";
import type { InstructionExample } from "../prompts/instruction-dataset";
import { getTemplate } from "../prompts/registry";
import type { PromptTemplate, TemplateMetric } from "../prompts/template";
import { generationFlags, type GenerationFlags } from "./generation-quality";
import type { SentimentJudge } from "./judge";
import { meanInterval, normalizeAnswer, wilsonInterval } from "./metrics";
import { rougeL } from "./rouge";

/** What task evaluation needs of an example: its prompt, reference completion, sentiment, template, review and task. */
export type TaskExample = Pick<
  InstructionExample,
  "prompt" | "completion" | "label" | "templateId" | "sourceId" | "task"
>;

export type ScoredMetric = Exclude<TemplateMetric, "none">;

/** One scored answer. */
export interface TaskAnswer {
  task: string;
  templateId: string;
  sourceId: string;
  metric: ScoredMetric;
  scoring: "generation" | "likelihood";
  prompt: string;
  /** The reference: the right label, or the reference text (trimmed). */
  expected: string;
  /** What the model wrote (generation) or the most likely choice (likelihood). */
  output: string;
  /** accuracy: the label the answer names (null: not a label); judge: the judge's verdict (null: nothing to judge). */
  predicted: string | null;
  /** judge: the sentiment the prompt asked for. */
  requested?: string;
  /** 1 or 0 (accuracy, judge), or ROUGE-L F1 in [0, 1]. */
  score: number;
  flags?: GenerationFlags;
}

export interface TaskEvalOptions {
  /** Seed of the sampled reviews: with the example's template and source it fixes each draw. */
  seed: number | string;
  /** Required when a template is scored by "judge". */
  judge?: SentimentJudge;
  /** Prompts to use instead of the examples' own (few-shot prompts), same order. */
  prompts?: readonly string[];
  /** Also score classification by answer likelihood (default true). */
  likelihood?: boolean;
  /** Sampling of written reviews (defaults: 48 tokens, temperature 0.7, top-k 40). */
  review?: { maxNewTokens?: number; temperature?: number; topK?: number };
  /** Most tokens of a headline (default 24). */
  headlineTokens?: number;
  batchSize?: number;
}

/** The default sampling of written reviews. */
export const REVIEW_SAMPLING = { maxNewTokens: 48, temperature: 0.7, topK: 40 } as const;

/** Most tokens of a written headline, by default. */
export const HEADLINE_TOKENS = 24;

/**
 * The most tokens a model may write for a template's answer (before its options): a review's and a
 * headline's limits, or the longest answer choice plus one (end-of-text, or whatever comes instead).
 * A few-shot prompt keeps this many tokens of the window free.
 */
export function answerTokenLimit(
  template: PromptTemplate,
  codec: { encode(text: string): number[] },
  /** For a template without answer choices (metric "none"): its reference completion stands in. */
  completion = "",
): number {
  if (template.metric === "judge") return REVIEW_SAMPLING.maxNewTokens;
  if (template.metric === "rouge-l") return HEADLINE_TOKENS;
  const answers = template.answerChoices ?? [completion.trim()];
  return Math.max(...answers.map((c) => codec.encode(` ${c}`).length)) + 1;
}

function metricOf(template: PromptTemplate): ScoredMetric | null {
  return template.metric === "none" ? null : template.metric;
}

/** An example to score, with its index (which prompt is its) and its template (how it is scored). */
interface TaskItem {
  e: TaskExample;
  i: number;
  template: PromptTemplate;
}

/** What every metric's scoring shares: the model, its codec, the prompts by example index, the options. */
interface TaskRun {
  model: GPT;
  codec: TextCodec;
  prompts: readonly string[];
  batchSize: number;
  options: TaskEvalOptions;
}

/** Scores a model's answers to every example whose template has a metric (see the header). */
export function evaluateTasks(
  model: GPT,
  codec: TextCodec,
  examples: readonly TaskExample[],
  options: TaskEvalOptions,
): TaskAnswer[] {
  const prompts = taskPrompts(examples, options);
  const run: TaskRun = { model, codec, prompts, batchSize: options.batchSize ?? 32, options };
  const items: TaskItem[] = examples.map((e, i) => ({ e, i, template: getTemplate(e.templateId) }));
  const byMetric = (m: ScoredMetric) => items.filter((x) => metricOf(x.template) === m);
  // One metric after another, in this order: classification, written reviews, headlines.
  const classified = classificationAnswers(run, byMetric("accuracy"));
  const reviewed = reviewAnswers(run, byMetric("judge"));
  const headlined = headlineAnswers(run, byMetric("rouge-l"));
  return [...classified, ...reviewed, ...headlined];
}

/** The prompts to answer, one per example: the options' own (few-shot) or the examples'; checked first. */
function taskPrompts(examples: readonly TaskExample[], options: TaskEvalOptions): readonly string[] {
  if (examples.length === 0) throw new Error("evaluateTasks: there are no examples to evaluate.");
  const prompts = options.prompts ?? examples.map((e) => e.prompt);
  if (prompts.length !== examples.length)
    throw new Error(`evaluateTasks: ${prompts.length} prompts for ${examples.length} examples; give one per example.`);
  return prompts;
}

/** The fields every answer starts with, in the order they are written to JSON: what was asked and expected. */
function answerBase(run: TaskRun, x: TaskItem, metric: ScoredMetric) {
  return {
    task: x.e.task,
    templateId: x.e.templateId,
    sourceId: x.e.sourceId,
    metric,
    prompt: run.prompts[x.i],
    expected: x.e.completion.trim(),
  };
}

/** Classification: the written answers, then (unless `likelihood` is false) the most likely choices. */
function classificationAnswers(run: TaskRun, classify: readonly TaskItem[]): TaskAnswer[] {
  if (classify.length === 0) return [];
  const written = writtenChoiceAnswers(run, classify);
  if (!(run.options.likelihood ?? true)) return written;
  return [...written, ...likelyChoiceAnswers(run, classify)];
}

/** Classification by what the model writes (greedy, to the end of the line), read as one of the choices. */
function writtenChoiceAnswers(run: TaskRun, classify: readonly TaskItem[]): TaskAnswer[] {
  const written = generateBatch(
    run.model,
    run.codec,
    classify.map((x) => run.prompts[x.i]),
    {
      maxNewTokens: Math.max(...classify.map((x) => answerTokenLimit(x.template, run.codec))),
      batchSize: run.batchSize,
      stopStrings: ["\n"],
    },
  );
  return classify.map((x, k) => {
    const predicted = normalizeAnswer(written[k].text, x.template.answerChoices!);
    return {
      ...answerBase(run, x, "accuracy"),
      scoring: "generation",
      output: written[k].text,
      predicted,
      score: predicted === x.e.completion.trim() ? 1 : 0,
      flags: generationFlags(written[k].text, written[k].stoppedBy),
    };
  });
}

/** Classification by likelihood: the answer choice the model finds most likely after the prompt. */
function likelyChoiceAnswers(run: TaskRun, classify: readonly TaskItem[]): TaskAnswer[] {
  const scores = scoreChoicesBatch(
    run.model,
    run.codec,
    classify.map((x) => ({ prompt: run.prompts[x.i], choices: x.template.answerChoices!.map((c) => ` ${c}`) })),
    { batchSize: run.batchSize },
  );
  return classify.map((x, k) => {
    const predicted = x.template.answerChoices![scores[k].best];
    return {
      ...answerBase(run, x, "accuracy"),
      scoring: "likelihood",
      output: ` ${predicted}`,
      predicted,
      score: predicted === x.e.completion.trim() ? 1 : 0,
    };
  });
}

/**
 * Review generation, read by the judge: sampled reviews (seeded per example, so two models meet the
 * same draws) of the prompts whose requested sentiment the judge can tell.
 */
function reviewAnswers(run: TaskRun, reviews: readonly TaskItem[]): TaskAnswer[] {
  if (reviews.length === 0) return [];
  const judge = run.options.judge;
  if (!judge)
    throw new Error(
      `evaluateTasks: template "${reviews[0].e.templateId}" is scored by the sentiment judge; pass { judge } (trainSentimentJudge).`,
    );
  const judged = reviews.filter((x) => judge.labels.includes(x.e.label));
  const sampling = { ...REVIEW_SAMPLING, ...run.options.review };
  const written = generateBatch(
    run.model,
    run.codec,
    judged.map((x) => run.prompts[x.i]),
    {
      ...sampling,
      batchSize: run.batchSize,
      seeds: judged.map((x) => `${run.options.seed}:${x.e.templateId}:${x.e.sourceId}`),
    },
  );
  return judged.map((x, k) => {
    const verdict = judge.verdict(written[k].text);
    return {
      ...answerBase(run, x, "judge"),
      scoring: "generation",
      output: written[k].text,
      predicted: verdict,
      requested: x.e.label,
      score: verdict === x.e.label ? 1 : 0,
      flags: generationFlags(written[k].text, written[k].stoppedBy),
    };
  });
}

/** Headlines, written greedily and scored by word overlap (ROUGE-L F1) with the review's title. */
function headlineAnswers(run: TaskRun, headlines: readonly TaskItem[]): TaskAnswer[] {
  if (headlines.length === 0) return [];
  const written = generateBatch(
    run.model,
    run.codec,
    headlines.map((x) => run.prompts[x.i]),
    { maxNewTokens: run.options.headlineTokens ?? HEADLINE_TOKENS, batchSize: run.batchSize, stopStrings: ["\n"] },
  );
  return headlines.map((x, k) => ({
    ...answerBase(run, x, "rouge-l"),
    scoring: "generation",
    output: written[k].text,
    predicted: null,
    score: rougeL(written[k].text, x.e.completion).f1,
    flags: generationFlags(written[k].text, written[k].stoppedBy),
  }));
}

/** The figures of one task (or of any group of answers). */
export interface TaskScore {
  /** The group's name: the task, or whatever the grouping said. */
  group: string;
  task: string;
  metric: ScoredMetric;
  scoring: "generation" | "likelihood";
  templates: string[];
  n: number;
  /** Accuracy, the judge's agreement, or mean ROUGE-L F1. */
  score: number;
  /** 95% interval: Wilson for shares, the normal approximation for mean ROUGE-L. */
  ci95: [number, number];
  /** accuracy: answers that were not a choice. judge: reviews with nothing to judge. */
  invalid: number;
  /** Numbered choices (stars): mean absolute error of the valid answers. */
  meanAbsoluteError?: number;
  /** Shares of written answers that were empty, repeated themselves, ran past the stop. */
  empty?: number;
  repeats?: number;
  pastStop?: number;
}

/**
 * The mean absolute error of answers whose expected labels are all numbers (star ratings), over the
 * valid ones (a prediction that is not a label has no distance); undefined for other labels, or when
 * no answer is valid.
 */
export function starsError(answers: readonly { expected: string; predicted: string | null }[]): number | undefined {
  if (!answers.every((a) => /^\d+$/.test(a.expected))) return undefined;
  const valid = answers.filter((a) => a.predicted !== null);
  if (valid.length === 0) return undefined;
  return valid.reduce((s, a) => s + Math.abs(Number(a.predicted) - Number(a.expected)), 0) / valid.length;
}

/** Groups answers (default: by task and scoring) and scores each group. */
export function scoreTasks(
  answers: readonly TaskAnswer[],
  groupOf: (a: TaskAnswer) => string = (a) => a.task,
): TaskScore[] {
  const groups = new Map<string, TaskAnswer[]>();
  for (const a of answers) {
    const key = `${groupOf(a)}\u0000${a.scoring}`;
    const list = groups.get(key);
    if (list) list.push(a);
    else groups.set(key, [a]);
  }
  return [...groups].map(([key, list]) => {
    const first = list[0];
    const n = list.length;
    const sum = list.reduce((s, a) => s + a.score, 0);
    const score: TaskScore = {
      group: key.split("\u0000")[0],
      task: first.task,
      metric: first.metric,
      scoring: first.scoring,
      templates: [...new Set(list.map((a) => a.templateId))],
      n,
      score: sum / n,
      // Each ROUGE-L answer's score is its F1 already: the interval of their mean, not rescored.
      ci95:
        first.metric === "rouge-l" ? meanInterval(list.map((a) => a.score)).ci95 : wilsonInterval(Math.round(sum), n),
      invalid: list.filter((a) => a.predicted === null).length,
    };
    if (first.metric === "rouge-l") score.invalid = 0;
    if (first.metric === "accuracy") {
      const error = starsError(list);
      if (error !== undefined) score.meanAbsoluteError = error;
    }
    const flagged = list.filter((a) => a.flags);
    if (first.scoring === "generation" && flagged.length > 0) {
      const share = (f: keyof GenerationFlags) => flagged.filter((a) => a.flags![f]).length / flagged.length;
      score.empty = share("empty");
      score.repeats = share("repeats");
      score.pastStop = share("pastStop");
    }
    return score;
  });
}

/** What picks the best checkpoint: the mean over tasks of each task's written-answer score. */
export function validationSummary(answers: readonly TaskAnswer[]): {
  score: number;
  byTask: Record<string, number>;
  invalid: number;
} {
  const written = scoreTasks(answers.filter((a) => a.scoring === "generation"));
  if (written.length === 0) throw new Error("validationSummary: no written answers to score.");
  const byTask = Object.fromEntries(written.map((s) => [s.task, s.score]));
  return {
    score: written.reduce((s, t) => s + t.score, 0) / written.length,
    byTask,
    invalid: written.filter((s) => s.metric === "accuracy").reduce((s, t) => s + t.invalid, 0),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A score as a learner reads it: "84.2%" for shares, "0.312" for ROUGE-L. */
export function formatTaskScore(metric: ScoredMetric, x: number): string {
  return metric === "rouge-l" ? x.toFixed(3) : pct(x);
}

/** What a task's score means, in a few words. */
export function metricName(metric: ScoredMetric): string {
  return metric === "accuracy" ? "accuracy" : metric === "judge" ? "judge agrees" : "ROUGE-L F1";
}

/** A score's table cells: its metric, n, score and interval, invalid answers, MAE, flags of written text. */
export function taskScoreCells(s: TaskScore): Record<string, string | number> {
  return {
    metric: metricName(s.metric),
    n: s.n,
    score: formatTaskScore(s.metric, s.score),
    "95% interval": `${formatTaskScore(s.metric, s.ci95[0])} to ${formatTaskScore(s.metric, s.ci95[1])}`,
    invalid: s.metric === "rouge-l" ? "-" : s.invalid,
    MAE: s.meanAbsoluteError === undefined ? "-" : s.meanAbsoluteError.toFixed(2),
    "empty / repeats / past stop":
      s.empty === undefined || s.metric === "accuracy"
        ? "-"
        : `${pct(s.empty)} / ${pct(s.repeats!)} / ${pct(s.pastStop!)}`,
  };
}

/** Rows for showTable: one per group with its metric, score, interval and flags. */
export function taskScoreRows(scores: readonly TaskScore[]): Record<string, string | number>[] {
  return scores.map((s) => ({ task: s.group, scoring: s.scoring, ...taskScoreCells(s) }));
}
