// Few-shot prompts: which examples, how they are joined, and the token budget against the window.
// A word tokenizer (one token per word or punctuation run) keeps the counts checkable by hand:
// each pool example "Review N\nSentiment: positive" is 5 tokens, the test prompt 4, separators 0.
import assert from "node:assert/strict";
import { buildFewShotPrompt, fewShotBudget, type ShotExample } from "../../src/prompts/few-shot";
import type { TokenCounter } from "../../src/prompts/token-stats";

const wordTokenizer: TokenCounter = { encode: (text) => (text.match(/\w+|[^\w\s]+/g) ?? []).map((_, i) => i) };

function example(i: number, label: string, templateId = "t"): ShotExample {
  return { prompt: `Review ${i}\nSentiment:`, completion: ` ${label}`, label, templateId, sourceId: `s${i}` };
}
const pool = Array.from({ length: 20 }, (_, i) => example(i, i % 2 ? "positive" : "negative"));
const test = example(99, "positive");

describe("few-shot prompts", () => {
  it("zero-shot is the test prompt alone", () => {
    const p = buildFewShotPrompt(test, pool, wordTokenizer, { shots: 0, contextWindow: 50 });
    assert.equal(p.prompt, "Review 99\nSentiment:");
    assert.deepEqual(
      [p.exampleTokens, p.testPromptTokens, p.promptTokens, p.reserve, p.remaining, p.examples.length],
      [0, 4, 4, 2, 46, 0],
    );
    assert.equal(p.completion, " positive");
  });

  it("one-shot puts the solved example before the test prompt, separated by a blank line", () => {
    const p = buildFewShotPrompt(test, [example(1, "negative")], wordTokenizer, { shots: 1, contextWindow: 50 });
    assert.equal(p.prompt, "Review 1\nSentiment: negative\n\nReview 99\nSentiment:");
    assert.deepEqual([p.exampleTokens, p.promptTokens, p.remaining], [5, 9, 41]);
    const custom = buildFewShotPrompt(test, [example(1, "negative")], wordTokenizer, {
      shots: 1,
      contextWindow: 50,
      separator: "\n###\n",
    });
    assert.equal(custom.prompt, "Review 1\nSentiment: negative\n###\nReview 99\nSentiment:");
    assert.equal(custom.exampleTokens, 6, "the example's 5 tokens and the separator's one (a run of punctuation)");
  });

  it("k-shot draws distinct examples, balanced across labels, the same for the same seed, and counts their tokens", () => {
    const p = buildFewShotPrompt(test, pool, wordTokenizer, { shots: 4, contextWindow: 100, seed: 1 });
    assert.equal(p.prompt, [...p.examples.map((e) => e.prompt + e.completion), test.prompt].join("\n\n"));
    assert.equal(new Set(p.examples.map((e) => e.sourceId)).size, 4);
    assert.deepEqual(p.examples.map((e) => e.label).sort(), ["negative", "negative", "positive", "positive"]);
    assert.deepEqual([p.exampleTokens, p.testPromptTokens, p.promptTokens, p.reserve, p.remaining], [20, 4, 24, 2, 76]);
    assert.deepEqual(buildFewShotPrompt(test, pool, wordTokenizer, { shots: 4, contextWindow: 100, seed: 1 }), p);
    assert.notDeepEqual(
      buildFewShotPrompt(test, pool, wordTokenizer, { shots: 4, contextWindow: 100, seed: 2 }).examples,
      p.examples,
    );
    const other = buildFewShotPrompt(example(98, "negative"), pool, wordTokenizer, {
      shots: 4,
      contextWindow: 100,
      seed: 1,
    });
    assert.notDeepEqual(other.examples, p.examples, "each test example gets its own draw");
  });

  it("shows where the window goes as table rows", () => {
    const p = buildFewShotPrompt(test, pool, wordTokenizer, { shots: 3, contextWindow: 100 });
    assert.deepEqual(fewShotBudget(p), [
      { part: "3 examples", tokens: 15, "share of window": "15.0%" },
      { part: "test prompt", tokens: 4, "share of window": "4.0%" },
      { part: "whole prompt", tokens: 19, "share of window": "19.0%" },
      // The answer's one token and the end-of-text after it; the parts add up to the window.
      { part: "kept for the answer", tokens: 2, "share of window": "2.0%" },
      { part: "left after the prompt and the answer", tokens: 79, "share of window": "79.0%" },
      { part: "context window", tokens: 100, "share of window": "100.0%" },
    ]);
  });

  it("uses only the test's template and never the test's own record, unless told to mix templates", () => {
    const mixed = [
      example(1, "negative", "other"),
      example(2, "positive", "other"),
      { ...example(3, "negative", "other"), sourceId: test.sourceId },
      example(4, "positive"),
    ];
    assert.throws(
      () => buildFewShotPrompt(test, mixed, wordTokenizer, { shots: 2, contextWindow: 100 }),
      /^Error: buildFewShotPrompt: a 2-shot prompt needs 2 examples, but the pool has 1 of template "t" \(other than s99 itself\)\. Ask for fewer shots, or pass \{ sameTemplate: false \} to use examples of every template\.$/,
    );
    const p = buildFewShotPrompt(test, mixed, wordTokenizer, { shots: 3, contextWindow: 100, sameTemplate: false });
    assert.deepEqual(p.examples.map((e) => e.sourceId).sort(), ["s1", "s2", "s4"]);
    assert.throws(
      () => buildFewShotPrompt(test, mixed, wordTokenizer, { shots: 4, contextWindow: 100, sameTemplate: false }),
      /needs 4 examples, but the pool has 3 \(other than s99 itself\)\. Ask for fewer shots\.$/,
    );
  });

  it("refuses a prompt that leaves no room for the answer, saying how many shots would fit", () => {
    // 3 shots: 19 tokens + 2 for the answer and its end-of-text = 21.
    assert.equal(buildFewShotPrompt(test, pool, wordTokenizer, { shots: 3, contextWindow: 21 }).remaining, 2);
    assert.throws(
      () => buildFewShotPrompt(test, pool, wordTokenizer, { shots: 3, contextWindow: 20 }),
      /^Error: buildFewShotPrompt: the 3-shot prompt for s99 is 19 tokens; with 2 kept for the answer it does not fit the context window of 20\. 2 shots would fit: ask for fewer, or pass \{ onOverflow: "trim" \} to drop examples until it fits\.$/,
    );
    assert.throws(
      () => buildFewShotPrompt(test, pool, wordTokenizer, { shots: 3, contextWindow: 20, reserve: 5 }),
      /with 5 kept for the answer it does not fit the context window of 20\. 2 shots would fit/,
    );
  });

  it("trims examples from the front when asked, until the prompt fits", () => {
    const full = buildFewShotPrompt(test, pool, wordTokenizer, { shots: 5, contextWindow: 100, seed: 3 });
    const trimmed = buildFewShotPrompt(test, pool, wordTokenizer, {
      shots: 5,
      contextWindow: 16,
      seed: 3,
      onOverflow: "trim",
    });
    assert.deepEqual(trimmed.examples, full.examples.slice(3));
    assert.deepEqual([trimmed.requested, trimmed.dropped, trimmed.promptTokens, trimmed.remaining], [5, 3, 14, 2]);
    assert.equal(fewShotBudget(trimmed)[0].part, "2 examples (3 dropped to fit)");
  });

  it("refuses when even the test prompt alone does not fit, and bad options", () => {
    assert.throws(
      () => buildFewShotPrompt(test, pool, wordTokenizer, { shots: 2, contextWindow: 4, onOverflow: "trim" }),
      /the test prompt of s99 alone is 4 tokens; with 2 kept for the answer it does not fit the context window of 4\. Use a model with a longer context, or shorten the text/,
    );
    assert.throws(
      () => buildFewShotPrompt(test, pool, wordTokenizer, { shots: -1, contextWindow: 10 }),
      /shots must be a whole number >= 0, got -1/,
    );
    assert.throws(
      () => buildFewShotPrompt(test, pool, wordTokenizer, { shots: 1, contextWindow: 10, k: 2 } as never),
      /unknown option "k"/,
    );
    assert.throws(
      () => buildFewShotPrompt(test, pool, wordTokenizer, { shots: 1, contextWindow: 10, onOverflow: "cut" as never }),
      /onOverflow must be "error" or "trim"/,
    );
  });
});
