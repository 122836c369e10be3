// Token length statistics against a context window, with a tokenizer whose counts are easy to check
// by hand (one token per word or run of punctuation).
import assert from "node:assert/strict";
import { percentile, summarizeLengths, tokenLengthStats, type TokenCounter } from "../../src/prompts/token-stats";

/** One id per word or punctuation run: "Sentiment: positive" is 3 tokens. */
const wordTokenizer: TokenCounter = { encode: (text) => (text.match(/\w+|[^\w\s]+/g) ?? []).map((_, i) => i) };

describe("token statistics", () => {
  it("interpolates percentiles as numpy does", () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([10, 20, 30, 40, 50], 95), 48);
    assert.equal(percentile([7], 95), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.deepEqual(summarizeLengths("x", [5, 1, 3, 9, 7], 6), {
      part: "x",
      min: 1,
      median: 5,
      p95: 8.6,
      max: 9,
      mean: 5,
      over: 2,
    });
  });

  it("counts prompt, completion and whole-example tokens and how many exceed the window", () => {
    const examples = [
      { prompt: "Classify this review: Good.\nSentiment:", completion: " positive" }, // 8 + 1 tokens
      { prompt: "Classify this review: Bad, truly bad.\nSentiment:", completion: " negative" }, // 11 + 1
      { prompt: "Write a review.", completion: " It broke on day one and support never answered." }, // 4 + 10
    ];
    const s = tokenLengthStats(examples, wordTokenizer, { contextWindow: 10 });
    // Whole examples: prompt + completion + 1 end-of-text token; 13 and 15 exceed 10 (10 fits).
    assert.deepEqual(s.lengths, { prompt: [8, 11, 4], completion: [1, 1, 10], total: [10, 13, 15] });
    assert.equal(s.truncated, 2);
    assert.deepEqual(s.rows, [
      { part: "prompt", min: 4, median: 8, p95: 10.7, max: 11, mean: 7.7, "over 10": 1 },
      { part: "completion", min: 1, median: 1, p95: 9.1, max: 10, mean: 4, "over 10": 0 },
      {
        part: "prompt + completion + 1 end-of-text",
        min: 10,
        median: 13,
        p95: 14.8,
        max: 15,
        mean: 12.7,
        "over 10": 2,
      },
    ]);
    const noEos = tokenLengthStats(examples, wordTokenizer, { contextWindow: 14, extraTokens: 0 });
    assert.deepEqual(noEos.lengths.total, [9, 12, 14]);
    assert.equal(noEos.truncated, 0);
    assert.equal(noEos.rows[2].part, "prompt + completion");
  });

  it("refuses a window or extra tokens that are not whole numbers", () => {
    assert.throws(
      () => tokenLengthStats([], wordTokenizer, { contextWindow: 0 }),
      /contextWindow must be a positive whole number of tokens, got 0/,
    );
    assert.throws(
      () => tokenLengthStats([], wordTokenizer, { contextWindow: 8, extraTokens: -1 }),
      /extraTokens must be a whole number >= 0, got -1/,
    );
  });
});
