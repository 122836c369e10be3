// How long the instruction examples are in tokens, against the model's context window: what a
// training run will truncate, and how much room a few-shot prompt has.
//
//   const stats = tokenLengthStats(examples, tokenizer, { contextWindow: 64 });
//   showTable(stats.rows);   // the Amazon sentences under the sentiment templates, GPT-2's tokenizer:
//   // part                                 min  median  p95  max  mean  over 64
//   // prompt                                 5      19   39   50  18.7        0
//   // completion                             1       1   21   37   4.8        0
//   // prompt + completion + 1 end-of-text    9      23   41   52  24.6        0
//
// Any tokenizer with encode(text) -> ids works (TokenCounter), e.g. BPETokenizer from src/model.
// Percentiles interpolate linearly between ranks, as numpy.percentile does by default.

/** The one thing token counting needs of a tokenizer. */
export interface TokenCounter {
  encode(text: string): number[];
}

export interface TokenStatsOptions {
  /** The model's context window in tokens (GPT-2: 1024). */
  contextWindow: number;
  /** Tokens training adds to each example (default 1: the end-of-text token that teaches it to stop). */
  extraTokens?: number;
}

export interface LengthSummary {
  part: string;
  min: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
  /** How many are longer than the context window. */
  over: number;
}

export interface TokenStats {
  contextWindow: number;
  /** Token counts per example, in order: prompt, completion, and the whole example (+ extraTokens). */
  lengths: { prompt: number[]; completion: number[]; total: number[] };
  /** One summary per part: prompt, completion, prompt + completion. */
  summaries: LengthSummary[];
  /** Rows for showTable (numbers rounded to 0.1). */
  rows: Record<string, string | number>[];
  /** Examples whose prompt + completion (+ extraTokens) exceeds the window: training would cut them. */
  truncated: number;
}

/** The p-th percentile (0-100) of sorted values, linearly interpolated; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos),
    hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** min, median, p95, max, mean and the count over `window` of some lengths. */
export function summarizeLengths(part: string, lengths: readonly number[], window: number): LengthSummary {
  const sorted = lengths.slice().sort((a, b) => a - b);
  const n = sorted.length;
  return {
    part,
    min: n ? sorted[0] : NaN,
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: n ? sorted[n - 1] : NaN,
    mean: n ? sorted.reduce((s, x) => s + x, 0) / n : NaN,
    over: sorted.filter((x) => x > window).length,
  };
}

/** Token lengths of the examples' prompts and completions against a context window. */
export function tokenLengthStats(
  examples: readonly { prompt: string; completion: string }[],
  tokenizer: TokenCounter,
  options: TokenStatsOptions,
): TokenStats {
  const window = options.contextWindow;
  const extra = options.extraTokens ?? 1;
  if (!Number.isInteger(window) || window <= 0)
    throw new Error(`tokenLengthStats: contextWindow must be a positive whole number of tokens, got ${window}.`);
  if (!Number.isInteger(extra) || extra < 0)
    throw new Error(`tokenLengthStats: extraTokens must be a whole number >= 0, got ${extra}.`);
  const prompt = examples.map((e) => tokenizer.encode(e.prompt).length);
  const completion = examples.map((e) => tokenizer.encode(e.completion).length);
  // The whole example is tokenized as one text: at the seam, BPE may merge across prompt and completion.
  const total = examples.map((e) => tokenizer.encode(e.prompt + e.completion).length + extra);
  const summaries = [
    summarizeLengths("prompt", prompt, window),
    summarizeLengths("completion", completion, window),
    summarizeLengths(extra ? `prompt + completion + ${extra} end-of-text` : "prompt + completion", total, window),
  ];
  const round = (x: number) => (Number.isNaN(x) ? "-" : Math.round(x * 10) / 10);
  const rows = summaries.map((s) => ({
    part: s.part,
    min: round(s.min),
    median: round(s.median),
    p95: round(s.p95),
    max: round(s.max),
    mean: round(s.mean),
    [`over ${window}`]: s.over,
  }));
  return {
    contextWindow: window,
    lengths: { prompt, completion, total },
    summaries,
    rows,
    truncated: summaries[2].over,
  };
}
