// Zero-, one- and k-shot prompts: solved training examples placed before a test example's prompt,
// with the token budget they use (lesson step 2: examples help a small model little and eat the window).
//
//   const p = buildFewShotPrompt(splits.test[0], splits.train, tokenizer, { shots: 5, contextWindow: 1024 });
//   p.prompt;                       // "Classify this review: ...\nSentiment: positive\n\n... \n\nClassify this review: <test>\nSentiment:"
//   showTable(fewShotBudget(p));    // tokens of the examples, of the whole prompt, and what is left
//
// The examples come from the pool (the training split), never from the test example's own source
// record, by default with the same template (so the demonstrations show the very instruction), drawn
// with the seed and balanced across labels (a 5-shot prompt of five positives teaches "positive").
// Each example is its prompt + completion; examples and the test prompt are joined by the separator
// (default a blank line). The prompt must leave `reserve` tokens for the answer: when it does not,
// the call refuses with an error saying how many shots would fit, or, with onOverflow "trim", drops
// examples from the front (the farthest from the test prompt) until it fits.
import { SeededRandom } from "../runtime/random";
import type { TokenCounter } from "./token-stats";

/** What a few-shot prompt needs of an example (InstructionExample has it). */
export interface ShotExample {
  prompt: string;
  completion: string;
  label: string;
  templateId: string;
  sourceId: string;
}

export interface FewShotOptions {
  /** Examples before the test prompt: 0 (zero-shot), 1, ... k. */
  shots: number;
  /** The model's context window in tokens. */
  contextWindow: number;
  /** Seed of the draw; with the test example's ids it fixes which examples are used (default 0). */
  seed?: number | string;
  /** Text between examples and before the test prompt (default "\n\n"). */
  separator?: string;
  /** Only examples rendered with the test example's template (default true). */
  sameTemplate?: boolean;
  /** Take examples from each label in turn (default true). */
  balanceLabels?: boolean;
  /** Tokens to keep free for the answer (default: the test example's completion, and one more for the end-of-text after it). */
  reserve?: number;
  /** "error" (default): refuse a prompt that does not fit; "trim": drop examples until it does. */
  onOverflow?: "error" | "trim";
}

export interface FewShotPrompt<T extends ShotExample = ShotExample> {
  /** The whole prompt; the model's answer should follow it. */
  prompt: string;
  /** The expected answer: the test example's completion. */
  completion: string;
  /** The examples used, in prompt order. */
  examples: T[];
  /** Shots asked for, and how many trimming dropped. */
  requested: number;
  dropped: number;
  /** Tokens of the examples with their separators (whole prompt minus test prompt). */
  exampleTokens: number;
  /** Tokens of the test prompt alone. */
  testPromptTokens: number;
  /** Tokens of the whole prompt. */
  promptTokens: number;
  /** Tokens kept free for the answer. */
  reserve: number;
  contextWindow: number;
  /** contextWindow - promptTokens: what is left of the window after the prompt. */
  remaining: number;
}

const OPTION_KEYS = [
  "shots",
  "contextWindow",
  "seed",
  "separator",
  "sameTemplate",
  "balanceLabels",
  "reserve",
  "onOverflow",
];

/** `count` candidates drawn with the generator, in turn from each label when balanced. */
function drawExamples<T extends ShotExample>(
  candidates: readonly T[],
  count: number,
  rng: SeededRandom,
  balanced: boolean,
): T[] {
  if (!balanced) return rng.shuffle(candidates).slice(0, count);
  const byLabel = new Map<string, T[]>();
  for (const c of candidates) {
    const list = byLabel.get(c.label);
    if (list) list.push(c);
    else byLabel.set(c.label, [c]);
  }
  const queues = [...byLabel.keys()].sort().map((label) => rng.shuffle(byLabel.get(label)!));
  const chosen: T[] = [];
  // Start at a random label, so that with an odd count no label is always the one with more.
  for (let turn = rng.int(queues.length); chosen.length < count; turn++) {
    const queue = queues[turn % queues.length];
    if (queue.length > 0) chosen.push(queue.shift()!);
  }
  // Mix the order, so that the label of the last example (nearest the test prompt) is not a pattern.
  return rng.shuffle(chosen);
}

/** A k-shot prompt for one test example from a pool of solved examples; see the header. */
export function buildFewShotPrompt<T extends ShotExample>(
  test: ShotExample,
  pool: readonly T[],
  tokenizer: TokenCounter,
  options: FewShotOptions,
): FewShotPrompt<T> {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key))
      throw new Error(`buildFewShotPrompt: unknown option "${key}"; the options are ${OPTION_KEYS.join(", ")}.`);
  }
  const { shots, contextWindow } = options;
  if (!Number.isInteger(shots) || shots < 0)
    throw new Error(`buildFewShotPrompt: shots must be a whole number >= 0, got ${shots}.`);
  if (!Number.isInteger(contextWindow) || contextWindow <= 0)
    throw new Error(
      `buildFewShotPrompt: contextWindow must be a positive whole number of tokens, got ${contextWindow}.`,
    );
  const separator = options.separator ?? "\n\n";
  const reserve = options.reserve ?? tokenizer.encode(test.completion).length + 1;
  if (!Number.isInteger(reserve) || reserve < 0)
    throw new Error(`buildFewShotPrompt: reserve must be a whole number >= 0, got ${reserve}.`);
  const onOverflow = options.onOverflow ?? "error";
  if (onOverflow !== "error" && onOverflow !== "trim")
    throw new Error(`buildFewShotPrompt: onOverflow must be "error" or "trim", got ${JSON.stringify(onOverflow)}.`);

  const sameTemplate = options.sameTemplate ?? true;
  const candidates = pool.filter(
    (e) => e.sourceId !== test.sourceId && (!sameTemplate || e.templateId === test.templateId),
  );
  if (candidates.length < shots) {
    throw new Error(
      `buildFewShotPrompt: a ${shots}-shot prompt needs ${shots} examples, but the pool has ${candidates.length}` +
        `${sameTemplate ? ` of template "${test.templateId}"` : ""} (other than ${test.sourceId} itself). Ask for fewer shots` +
        `${sameTemplate ? ", or pass { sameTemplate: false } to use examples of every template" : ""}.`,
    );
  }
  const rng = new SeededRandom(options.seed ?? 0).fork(`few-shot/${test.templateId}/${test.sourceId}`);
  const chosen = drawExamples(candidates, shots, rng, options.balanceLabels ?? true);

  const testPromptTokens = tokenizer.encode(test.prompt).length;
  const assemble = (examples: readonly T[]) => {
    const prompt = [...examples.map((e) => e.prompt + e.completion), test.prompt].join(separator);
    return { prompt, tokens: tokenizer.encode(prompt).length };
  };
  const fits = (tokens: number) => tokens + reserve <= contextWindow;
  let used = chosen;
  let built = assemble(used);
  if (!fits(built.tokens)) {
    // Drop examples from the front until the prompt fits, to learn how many would.
    let trimmed = used,
      attempt = built;
    while (trimmed.length > 0 && !fits(attempt.tokens)) {
      trimmed = trimmed.slice(1);
      attempt = assemble(trimmed);
    }
    if (!fits(attempt.tokens)) {
      throw new Error(
        `buildFewShotPrompt: the test prompt of ${test.sourceId} alone is ${testPromptTokens} tokens; with ${reserve} kept for the answer ` +
          `it does not fit the context window of ${contextWindow}. Use a model with a longer context, or shorten the text (e.g. filter out long reviews).`,
      );
    }
    if (onOverflow === "error") {
      throw new Error(
        `buildFewShotPrompt: the ${shots}-shot prompt for ${test.sourceId} is ${built.tokens} tokens; with ${reserve} kept for the answer it does not fit ` +
          `the context window of ${contextWindow}. ${trimmed.length} shot${trimmed.length === 1 ? "" : "s"} would fit: ask for fewer, or pass { onOverflow: "trim" } to drop examples until it fits.`,
      );
    }
    used = trimmed;
    built = attempt;
  }
  return {
    prompt: built.prompt,
    completion: test.completion,
    examples: used.slice(),
    requested: shots,
    dropped: shots - used.length,
    exampleTokens: built.tokens - testPromptTokens,
    testPromptTokens,
    promptTokens: built.tokens,
    reserve,
    contextWindow,
    remaining: contextWindow - built.tokens,
  };
}

/** Rows for showTable: where the context window goes in a few-shot prompt. */
export function fewShotBudget(p: FewShotPrompt): { part: string; tokens: number; "share of window": string }[] {
  const pct = (t: number) => `${((100 * t) / p.contextWindow).toFixed(1)}%`;
  const rows: [string, number][] = [
    [
      `${p.examples.length} example${p.examples.length === 1 ? "" : "s"}${p.dropped ? ` (${p.dropped} dropped to fit)` : ""}`,
      p.exampleTokens,
    ],
    ["test prompt", p.testPromptTokens],
    ["whole prompt", p.promptTokens],
    ["kept for the answer", p.reserve],
    ["left after the prompt and the answer", p.remaining - p.reserve],
    ["context window", p.contextWindow],
  ];
  return rows.map(([part, tokens]) => ({ part, tokens, "share of window": pct(tokens) }));
}
