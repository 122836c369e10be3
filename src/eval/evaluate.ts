// A model answers a split's prompts, and its answers are scored: the two ways of asking it.
//
// By generation: the model writes its answer greedily, and the text is mapped to a label with
// normalizeAnswer (anything that is not a label is invalid). This is how a user meets the model, and
// what the lesson reports. By likelihood: the model is not asked to write; each possible answer is
// scored by its log-probability after the prompt, and the most likely one is the prediction. It never
// gives an invalid answer, so it shows what the model "knows" even when it cannot answer on format.
//
// The possible answers of an example are its template's answers: the distinct completions of all
// examples of that template (" positive" / " negative" for sentiment-classify, " yes" / " no" for a
// yes/no template). The expected answer is the example's own completion, without its leading space.
//
//   const { predictions, report } = evaluateByGeneration(model, tokenizer, splits.test);
//   report.accuracy, report.invalid, report.byGroup["sentiment-classify"]
import { generateBatch } from "../model/generate-batch";
import type { GPT } from "../model/gpt";
import type { TextCodec } from "../model/generate";
import { scoreChoicesBatch } from "../model/score";
import { accuracyReport, normalizeAnswer, type AccuracyReport } from "./metrics";

/** What evaluation needs of an example: the prompt the model reads and the answer it should give. */
export interface EvalExample {
  prompt: string;
  /** The expected answer, as in the training data (" positive"). */
  completion: string;
  /** The template the example came from: predictions are grouped by it. */
  templateId?: string;
  sourceId?: string;
}

/** One answered example. */
export interface AnsweredExample {
  prompt: string;
  /** The expected label (the completion without its leading space). */
  expected: string;
  /** The label the model gave, or null when its answer was not one (generation only). */
  predicted: string | null;
  /** What the model wrote (generation) or the most likely answer (likelihood). */
  output: string;
  /** The template id (or "all"). */
  group: string;
  sourceId?: string;
}

export interface Evaluation {
  predictions: AnsweredExample[];
  report: AccuracyReport;
}

/** The possible answers of each template: the distinct trimmed completions of its examples, sorted. */
export function answerSets(examples: readonly EvalExample[]): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const e of examples) {
    const group = e.templateId ?? "all";
    let set = sets.get(group);
    if (!set) sets.set(group, (set = new Set()));
    set.add(e.completion.trim());
  }
  return new Map([...sets].map(([group, set]) => [group, [...set].sort()]));
}

function checkExamples(examples: readonly EvalExample[], where: string): void {
  if (examples.length === 0) throw new Error(`${where}: there are no examples to evaluate.`);
  examples.forEach((e, i) => {
    if (typeof e.prompt !== "string" || typeof e.completion !== "string" || e.completion.trim() === "") {
      throw new Error(
        `${where}: example ${i} needs a prompt and a non-empty completion (the expected answer); got ${JSON.stringify(e).slice(0, 120)}.`,
      );
    }
  });
}

export interface GenerationEvalOptions {
  /** Tokens the model may write per answer (default: the longest possible answer's tokens, plus one). */
  maxNewTokens?: number;
  batchSize?: number;
  /** Possible answers per template (default: answerSets of the examples themselves). Pass the
   * training split's when evaluating a few examples, so that every label is known. */
  answers?: Map<string, string[]>;
  /** Prompts to use instead of the examples' own (a few-shot prompt per example, same order). */
  prompts?: readonly string[];
}

/** The model writes an answer to every prompt; each answer is mapped to a label and scored. */
export function evaluateByGeneration(
  model: GPT,
  codec: TextCodec,
  examples: readonly EvalExample[],
  options: GenerationEvalOptions = {},
): Evaluation {
  checkExamples(examples, "evaluateByGeneration");
  const answers = options.answers ?? answerSets(examples);
  const prompts = options.prompts ?? examples.map((e) => e.prompt);
  if (prompts.length !== examples.length)
    throw new Error(
      `evaluateByGeneration: ${prompts.length} prompts for ${examples.length} examples; give one prompt per example.`,
    );
  // A new line ends an answer: the model has moved on to something else.
  // Enough tokens for the longest possible answer and one more (the end-of-text token, or whatever
  // the model writes instead); more would only cost time.
  const longest = Math.max(...[...answers.values()].flat().map((a) => codec.encode(` ${a}`).length));
  const outputs = generateBatch(model, codec, prompts, {
    maxNewTokens: options.maxNewTokens ?? longest + 1,
    batchSize: options.batchSize,
    stopStrings: ["\n"],
  });
  const predictions = examples.map((e, i): AnsweredExample => {
    const group = e.templateId ?? "all";
    const labels = answers.get(group);
    if (!labels)
      throw new Error(
        `evaluateByGeneration: no possible answers known for template "${group}"; pass answers that include it.`,
      );
    return {
      prompt: prompts[i],
      expected: e.completion.trim(),
      predicted: normalizeAnswer(outputs[i].text, labels),
      output: outputs[i].text,
      group,
      sourceId: e.sourceId,
    };
  });
  return { predictions, report: accuracyReport(predictions) };
}

/** Each possible answer is scored by its log-likelihood after the prompt; the most likely is the prediction. */
export function evaluateByLikelihood(
  model: GPT,
  codec: TextCodec,
  examples: readonly EvalExample[],
  options: { batchSize?: number; answers?: Map<string, string[]>; prompts?: readonly string[] } = {},
): Evaluation {
  checkExamples(examples, "evaluateByLikelihood");
  const answers = options.answers ?? answerSets(examples);
  const prompts = options.prompts ?? examples.map((e) => e.prompt);
  const items = examples.map((e, i) => {
    const labels = answers.get(e.templateId ?? "all");
    if (!labels)
      throw new Error(
        `evaluateByLikelihood: no possible answers known for template "${e.templateId ?? "all"}"; pass answers that include it.`,
      );
    return { prompt: prompts[i], choices: labels.map((l) => ` ${l}`), labels };
  });
  const scores = scoreChoicesBatch(
    model,
    codec,
    items.map(({ prompt, choices }) => ({ prompt, choices })),
    { batchSize: options.batchSize ?? 32 },
  );
  const predictions = examples.map((e, i): AnsweredExample => {
    const predicted = items[i].labels[scores[i].best];
    return {
      prompt: prompts[i],
      expected: e.completion.trim(),
      predicted,
      output: ` ${predicted}`,
      group: e.templateId ?? "all",
      sourceId: e.sourceId,
    };
  });
  return { predictions, report: accuracyReport(predictions) };
}
