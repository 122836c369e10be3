// ROUGE-L: how much of a reference text a generated text recovers, in order. Used to score the
// review headlines the fine-tuned model writes against the headline the reviewer wrote.
//
//   rougeLTokens("Great phone, works well!");              // ["great", "phone", "works", "well"]
//   rougeL("Great phone, works well", "Works great!");     // { precision: 0.25, recall: 0.5, f1: 0.333 }
//   meanRougeL(test.map((e) => ({ candidate: generated[e.id], reference: e.headline })));
//                                                         // { n, meanF1, ci95: [low, high] }
//
// How (the same numbers as Google's Python rouge-score 0.1.2,
// `rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False).score(reference, candidate)`, which
// test/eval/rouge.test.ts checks pair by pair):
//   tokens    lowercase the text (full Unicode lowercasing, as Python's str.lower and JavaScript's
//             toLowerCase both do), then keep the runs of ASCII letters and digits [a-z0-9]: every
//             other character separates words. So "Don't" is ["don", "t"], "4K" is ["4k"], and an
//             accented letter splits its word: "café" is ["caf"]. No stemming: "works" != "work".
//   LCS       the length L of the longest common subsequence of the two token lists: the most tokens
//             that appear in both in the same order, not necessarily next to each other. Dynamic
//             programming over a table of prefixes, O(candidate × reference) time.
//   scores    precision = L / candidate tokens, recall = L / reference tokens,
//             f1 = 2 · precision · recall / (precision + recall) (0 when both are 0): the harmonic
//             mean, computed in that order so that the floating-point result is rouge-score's.
//   edge      a side with no tokens (an empty string, only spaces or punctuation, only non-ASCII
//             letters such as "很好") scores 0, 0, 0, even when both sides are empty: rouge-score's rule.
//   mean      meanRougeL averages f1 over the pairs, with the normal-approximation 95% interval
//             mean ± 1.96 · sd / √n (sd the sample standard deviation, n − 1), clipped to [0, 1].
//
// This is ROUGE-L at the level of the whole text (rouge-score's "rougeL"), not the summary-level
// "rougeLsum" that splits into sentences first; a headline is one sentence, so they rarely differ.
// Note the argument order: rougeL(candidate, reference), while rouge-score's score() takes the
// reference (its "target") first. Pure TypeScript, no tensors.
import { meanInterval } from "./metrics";

/** ROUGE-L of one candidate against one reference; every field is in [0, 1]. */
export interface RougeScore {
  /** LCS length / candidate tokens: how much of what was generated is in the reference. */
  precision: number;
  /** LCS length / reference tokens: how much of the reference was recovered. */
  recall: number;
  /** The harmonic mean 2PR / (P + R), rouge-score's "fmeasure"; 0 when P + R = 0. */
  f1: number;
}

/** A generated text and the text it should have been. */
export interface RougePair {
  candidate: string;
  reference: string;
}

/** The mean ROUGE-L F1 over a set of pairs. */
export interface RougeLSummary {
  /** Pairs scored. */
  n: number;
  /** The mean of the pairs' f1. */
  meanF1: number;
  /** Normal-approximation 95% interval of the mean, clipped to [0, 1]; [meanF1, meanF1] when n = 1. */
  ci95: [number, number];
}

/**
 * rouge-score's default tokens: the text lowercased, then its runs of [a-z0-9]. Anything else
 * (spaces, punctuation, "_", accented or non-Latin letters, emoji) only separates tokens.
 *
 *   rougeLTokens("Très BIEN, 5-star!") // ["tr", "s", "bien", "5", "star"]
 */
export function rougeLTokens(text: string): string[] {
  // rouge-score replaces each run of non-[a-z0-9] characters by a space, splits on whitespace and
  // drops empty tokens: exactly the maximal runs of [a-z0-9]. Only A-Z, "İ" (U+0130, lowercased to
  // "i" + a combining dot) and the Kelvin sign (U+212A, to "k") lowercase into that range, in Python
  // and in JavaScript alike.
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/**
 * The length of the longest common subsequence of two token lists. Row i of the classic table holds
 * the LCS lengths of a[0..i) against every prefix of b; only the previous row is needed, so two rows
 * of b.length + 1 numbers are kept.
 */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0); // row i - 1
  let current = new Array<number>(b.length + 1).fill(0); // row i
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      current[j] =
        a[i - 1] === b[j - 1]
          ? previous[j - 1] + 1 // extend the LCS of both shorter prefixes by this shared token
          : Math.max(previous[j], current[j - 1]); // or drop the last token of one side
    }
    [previous, current] = [current, previous]; // current[0] stays 0: an empty prefix of b
  }
  return previous[b.length];
}

/**
 * ROUGE-L of `candidate` (the generated text) against `reference` (the text it should match),
 * on rougeLTokens. An empty side (no tokens) gives { precision: 0, recall: 0, f1: 0 }.
 *
 *   rougeL("the cat sat on the mat", "the cat on a mat") // LCS "the cat on mat": P 4/6, R 4/5, F 8/11
 */
export function rougeL(candidate: string, reference: string): RougeScore {
  const cand = rougeLTokens(candidate);
  const ref = rougeLTokens(reference);
  if (cand.length === 0 || ref.length === 0) return { precision: 0, recall: 0, f1: 0 };
  const lcs = lcsLength(ref, cand);
  const precision = lcs / cand.length;
  const recall = lcs / ref.length;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/**
 * The mean ROUGE-L F1 of the pairs, with a 95% interval: mean ± 1.96 · s / √n, s the sample
 * standard deviation of the f1 values (n − 1 in the denominator), clipped to [0, 1]. With one pair
 * there is no spread to measure and the interval is [f1, f1]. Throws on an empty list.
 *
 *   meanRougeL([{ candidate: "works great", reference: "Works great!" }, ...]) // { n, meanF1, ci95 }
 */
export function meanRougeL(pairs: readonly RougePair[]): RougeLSummary {
  const n = pairs.length;
  if (n === 0) throw new Error("meanRougeL: no pairs to score; give at least one {candidate, reference}.");
  const f = pairs.map((p, i) => {
    if (typeof p?.candidate !== "string" || typeof p?.reference !== "string")
      throw new Error(`meanRougeL: pair ${i} needs string fields candidate and reference, got ${JSON.stringify(p)}.`);
    return rougeL(p.candidate, p.reference).f1;
  });
  const { mean, ci95 } = meanInterval(f);
  return { n, meanF1: mean, ci95 };
}
