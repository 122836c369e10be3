// The lesson's verdict: on the same test split, how often is each approach right?
//
//   base zero-shot     the pre-trained model reads the instruction and writes an answer
//   base one-shot      ... after one solved example in the prompt
//   base k-shot        ... after k solved examples (as many as fit the window)
//   fine-tuned         the fully fine-tuned model, zero-shot
//   bag of words       a logistic regression on word presence, trained on the same training reviews
//
// The language models are scored by generation (what a user sees; an answer that is not a label is
// invalid and wrong) and, for reference, by answer likelihood (which of the answers the model finds
// most likely; never invalid). Each figure comes with its 95% interval: the test split is small.
//
// The lesson itself now compares task by task (task-comparison.ts); this single-task comparison is
// what `npm run scale-out` reports for the sentiment task it exports.
//
//   const c = compareOnTest({ base, finetuned, tokenizer, data, fewShot: 3, seed: 0 });
import type { DatasetSplits } from "../data/split";
import type { ReviewRecord } from "../data/reviews";
import type { GPT } from "../model/gpt";
import type { TextCodec } from "../model/generate";
import { buildFewShotPrompt } from "../prompts/few-shot";
import type { InstructionExample } from "../prompts/instruction-dataset";
import { getTemplate } from "../prompts/registry";
import { trainBagOfWords } from "./bag-of-words";
import { answerSets, evaluateByGeneration, evaluateByLikelihood, type Evaluation } from "./evaluate";
import { accuracyReport, chanceAccuracy, type AccuracyReport } from "./metrics";
import { answerTokenLimit } from "./tasks";

export interface MethodResult {
  method: string;
  /** How the answers were scored. */
  scoring: "generation" | "likelihood" | "classifier";
  report: AccuracyReport;
  /** Mean prompt length in tokens (language models), to show what the examples cost. */
  promptTokens?: number;
}

export interface Comparison {
  results: MethodResult[];
  /** Accuracy of always answering the most common test label. */
  chance: number;
  testExamples: number;
  /** The evaluations behind the rows, for examples and confusion matrices. */
  evaluations: Record<string, Evaluation>;
}

export interface CompareOptions {
  base: GPT;
  /** The fine-tuned model (leave out to compare the base model and the baseline only). */
  finetuned?: GPT;
  tokenizer: TextCodec;
  data: { reviews: readonly ReviewRecord[]; splits: DatasetSplits<InstructionExample> };
  /** Shots of the few-shot row (examples are trimmed from the front when they do not fit). */
  fewShot: number;
  seed: number;
}

/** k-shot prompts for the test examples, from the training split, trimmed to the model's window with room for the answer. */
export function fewShotPrompts(
  test: readonly InstructionExample[],
  train: readonly InstructionExample[],
  tokenizer: TextCodec,
  shots: number,
  contextWindow: number,
  seed: number,
) {
  return test.map((e) =>
    buildFewShotPrompt(e, train, tokenizer, {
      shots,
      contextWindow,
      seed,
      onOverflow: "trim",
      // Room for the longest answer and what follows it: what the model may write (tasks.ts).
      reserve: answerTokenLimit(getTemplate(e.templateId), tokenizer, e.completion),
    }),
  );
}

/** Every approach on the test split; see the header. */
export function compareOnTest(o: CompareOptions): Comparison {
  const { test, train } = o.data.splits;
  if (test.length === 0) throw new Error("compareOnTest: the test split is empty.");
  const answers = answerSets([...train, ...test]);
  const window = o.base.config.blockSize;
  const results: MethodResult[] = [];
  const evaluations: Record<string, Evaluation> = {};
  const meanTokens = (prompts: readonly string[]) =>
    prompts.reduce((n, p) => n + o.tokenizer.encode(p).length, 0) / prompts.length;

  const addModel = (method: string, model: GPT, prompts?: string[]) => {
    const byGeneration = evaluateByGeneration(model, o.tokenizer, test, { answers, prompts });
    const byLikelihood = evaluateByLikelihood(model, o.tokenizer, test, { answers, prompts });
    const tokens = meanTokens(prompts ?? test.map((e) => e.prompt));
    evaluations[method] = byGeneration;
    evaluations[`${method} (likelihood)`] = byLikelihood;
    results.push({ method, scoring: "generation", report: byGeneration.report, promptTokens: tokens });
    results.push({ method, scoring: "likelihood", report: byLikelihood.report, promptTokens: tokens });
  };
  addModel("base zero-shot", o.base);
  addModel(
    "base one-shot",
    o.base,
    fewShotPrompts(test, train, o.tokenizer, 1, window, o.seed).map((p) => p.prompt),
  );
  if (o.fewShot > 1)
    addModel(
      `base ${o.fewShot}-shot`,
      o.base,
      fewShotPrompts(test, train, o.tokenizer, o.fewShot, window, o.seed).map((p) => p.prompt),
    );
  if (o.finetuned) addModel("fine-tuned", o.finetuned);

  // The baseline reads the review texts of the same training and test records.
  const text = new Map(o.data.reviews.map((r) => [r.sourceId, r.text]));
  const records = (split: readonly InstructionExample[]) => {
    const seen = new Set<string>();
    return split
      .filter((e) => !seen.has(e.sourceId) && seen.add(e.sourceId))
      .map((e) => ({ text: text.get(e.sourceId) ?? "", label: e.label }));
  };
  const bow = trainBagOfWords(records(train));
  const bowPredictions = bow.evaluate(test.map((e) => ({ text: text.get(e.sourceId) ?? "", label: e.label })));
  results.push({ method: "bag of words", scoring: "classifier", report: accuracyReport(bowPredictions) });

  return { results, chance: chanceAccuracy(test.map((e) => e.label)), testExamples: test.length, evaluations };
}
