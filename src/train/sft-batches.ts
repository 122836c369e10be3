// Supervised fine-tuning data: instruction examples as token ids with a loss mask, in padded batches.
//
// An example is its prompt's tokens, then its completion's tokens, then the end-of-text token. The
// loss mask is 0 on the prompt and 1 on the completion and the end-of-text token: the model is
// graded only on the answer, and it learns to stop after it (nextTokenLoss reads the mask).
//
//   prompt:      Classify this review: Great phone.\nSentiment:   -> mask 0 0 0 ... 0
//   completion:   positive                                      -> mask 1
//   end of text: <|endoftext|>                                  -> mask 1
//
// Prompt and completion are tokenized separately and joined, so the prompt's tokens are the same
// with or without the answer (as when the model is later asked the prompt alone).
import { SeededRandom } from "../runtime/random";

export interface TokenizedExample {
  inputIds: number[];
  /** 1 where the token is supervised (completion and end-of-text), 0 on the prompt. */
  lossMask: number[];
  promptTokens: number;
  completionTokens: number;
  sourceId?: string;
}

export interface TokenizeOptions {
  /** The longest example allowed (the model's context window). */
  maxLength: number;
  /** What to do with a longer example: "error" (default) or "skip" (leave it out, counted). */
  onTooLong?: "error" | "skip";
}

/** Tokenizes examples with their loss masks; returns them and how many were skipped as too long. */
export function tokenizeExamples(
  examples: readonly { prompt: string; completion: string; sourceId?: string }[],
  tokenizer: { encode(text: string): number[]; eosTokenId?: number },
  options: TokenizeOptions,
): { examples: TokenizedExample[]; skipped: number } {
  const eos = tokenizer.eosTokenId;
  if (eos === undefined)
    throw new Error(
      "tokenizeExamples: the tokenizer has no end-of-text token; the model needs one to learn where an answer stops.",
    );
  const out: TokenizedExample[] = [];
  let skipped = 0;
  examples.forEach((ex, i) => {
    const prompt = tokenizer.encode(ex.prompt);
    const completion = tokenizer.encode(ex.completion);
    if (completion.length === 0)
      throw new Error(
        `tokenizeExamples: example ${i}${ex.sourceId ? ` (${ex.sourceId})` : ""} has an empty completion; there is nothing to learn from it.`,
      );
    const length = prompt.length + completion.length + 1;
    if (length > options.maxLength) {
      if (options.onTooLong === "skip") {
        skipped++;
        return;
      }
      throw new Error(
        `tokenizeExamples: example ${i}${ex.sourceId ? ` (${ex.sourceId})` : ""} takes ${length} tokens but the context window is ` +
          `${options.maxLength}; shorten it, or pass onTooLong: "skip" to leave such examples out.`,
      );
    }
    out.push({
      inputIds: [...prompt, ...completion, eos],
      lossMask: [...new Array(prompt.length).fill(0), ...new Array(completion.length + 1).fill(1)],
      promptTokens: prompt.length,
      completionTokens: completion.length,
      sourceId: ex.sourceId,
    });
  });
  return { examples: out, skipped };
}

export interface Batch {
  /** (B, T) token ids, right-padded with padId. */
  inputIds: number[][];
  /** (B, T) loss mask, 0 on padding. */
  lossMask: number[][];
  /** Indices of the examples in the batch. */
  indices: number[];
  /** Real (unpadded) tokens in the batch. */
  tokens: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Seed of the shuffle; with `epoch`, fixes the order of a given epoch. */
  seed: number | string;
  epoch: number;
  /** Group examples of similar length so that batches carry less padding (default true). */
  bucketByLength?: boolean;
  /** Token used for padding (any id: padded positions are masked out and never attended to). Default 0. */
  padId?: number;
  /**
   * Pad each batch to a multiple of this many positions (default 1: to its longest example), at most
   * to maxLength. Fewer distinct batch shapes mean fewer recordings of the training step
   * (runtime/graph-function.ts records one per shape); the extra positions are masked out.
   */
  padToMultipleOf?: number;
  /** The longest a batch may be padded to (the model's context window). */
  maxLength?: number;
}

/**
 * One epoch of batches: every example exactly once, in a seeded order that depends on (seed, epoch).
 * With length bucketing, the shuffled examples are cut into windows of 50 batches, each window is
 * sorted by length and cut into batches, and the batches are shuffled again.
 */
export function epochBatches(examples: readonly TokenizedExample[], options: BatchOptions): Batch[] {
  const { batchSize, padId = 0, padToMultipleOf = 1, maxLength = Infinity } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`epochBatches: batchSize must be a positive integer, got ${batchSize}.`);
  if (!Number.isInteger(padToMultipleOf) || padToMultipleOf < 1)
    throw new Error(`epochBatches: padToMultipleOf must be a positive integer, got ${padToMultipleOf}.`);
  const rng = new SeededRandom(options.seed).fork(`epoch/${options.epoch}`);
  let order = rng.shuffle(examples.map((_, i) => i));
  const groups: number[][] = [];
  if (options.bucketByLength ?? true) {
    const window = batchSize * 50;
    const sorted: number[] = [];
    for (let w = 0; w < order.length; w += window) {
      sorted.push(
        ...order.slice(w, w + window).sort((a, b) => examples[a].inputIds.length - examples[b].inputIds.length),
      );
    }
    order = sorted;
  }
  for (let b = 0; b < order.length; b += batchSize) groups.push(order.slice(b, b + batchSize));
  const shuffledGroups = (options.bucketByLength ?? true) ? rng.shuffle(groups) : groups;
  return shuffledGroups.map((indices) => {
    const longest = Math.max(...indices.map((i) => examples[i].inputIds.length));
    const T = Math.max(longest, Math.min(maxLength, Math.ceil(longest / padToMultipleOf) * padToMultipleOf));
    const pad = (row: number[], value: number) => [...row, ...new Array(T - row.length).fill(value)];
    return {
      inputIds: indices.map((i) => pad(examples[i].inputIds, padId)),
      lossMask: indices.map((i) => pad(examples[i].lossMask, 0)),
      indices,
      tokens: indices.reduce((n, i) => n + examples[i].inputIds.length, 0),
    };
  });
}
