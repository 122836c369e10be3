// ROUGE-L (src/eval/rouge.ts): tokens, scores worked out by hand, Google's rouge-score 0.1.2 on the
// committed fixture, and the mean with its interval.
//
// test/fixtures/rouge/rouge-l.json holds 44 (candidate, reference) pairs with rouge-score's tokens
// and rougeL precision, recall and F-measure, made by test/eval/rouge_reference.py (see its
// docstring). Every pair is checked against it on any machine. When .venv/bin/python has
// rouge_score (`node kernel/setup.mjs --reference` installs it), the "live" tests rerun the script:
// the fixture must still be what rouge-score gives, and so must 300 seeded random pairs.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { meanRougeL, rougeL, rougeLTokens, type RougePair } from "../../src/eval/rouge";
import { SeededRandom } from "../../src/runtime/random";
import { ROOT } from "../support/notebooks";
import { requireReference, runReference } from "../support/reference";

const SCRIPT = path.join(ROOT, "test", "eval", "rouge_reference.py");
const FIXTURE = path.join(ROOT, "test", "fixtures", "rouge", "rouge-l.json");

/** One pair as rouge_reference.py writes it. */
interface ReferencePair {
  group?: string;
  candidate: string;
  reference: string;
  candidate_tokens: string[];
  reference_tokens: string[];
  precision: number;
  recall: number;
  fmeasure: number;
}
interface ReferenceReport {
  rouge_score: string;
  scorer: string;
  pairs: ReferencePair[];
}

const EXPECTED: ReferenceReport = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
const TOLERANCE = 1e-9;

/** A short, readable description of a string for failure messages. */
const show = (s: string) => (s.length > 50 ? JSON.stringify(s.slice(0, 50)) + `...` : JSON.stringify(s));

/**
 * Compares rougeL and rougeLTokens with rouge-score's results, pair by pair. Returns the failures (one
 * line each) and the largest difference of any score.
 */
function compare(pairs: readonly ReferencePair[]): { wrong: string[]; maxDiff: number; exact: number } {
  const wrong: string[] = [];
  let maxDiff = 0;
  let exact = 0;
  pairs.forEach((p, i) => {
    const ours = rougeL(p.candidate, p.reference);
    const diffs = [ours.precision - p.precision, ours.recall - p.recall, ours.f1 - p.fmeasure].map(Math.abs);
    maxDiff = Math.max(maxDiff, ...diffs.map((d) => (Number.isNaN(d) ? Infinity : d)));
    if (diffs.every((d) => d === 0)) exact++;
    const tokensOk =
      JSON.stringify(rougeLTokens(p.candidate)) === JSON.stringify(p.candidate_tokens) &&
      JSON.stringify(rougeLTokens(p.reference)) === JSON.stringify(p.reference_tokens);
    if (!tokensOk || !diffs.every((d) => d <= TOLERANCE))
      wrong.push(
        `  [${i}] ${show(p.candidate)} vs ${show(p.reference)}: ours P ${ours.precision} R ${ours.recall} F ${ours.f1}, ` +
          `rouge-score P ${p.precision} R ${p.recall} F ${p.fmeasure}` +
          (tokensOk
            ? ""
            : `; tokens ${JSON.stringify(rougeLTokens(p.candidate))} / ${JSON.stringify(p.candidate_tokens)}`),
      );
  });
  return { wrong, maxDiff, exact };
}

/** Runs rouge_reference.py (rouge-score) on a pairs file and returns its report. */
function rougeScoreReport(context: Mocha.Context, file: string): ReferenceReport {
  return JSON.parse(runReference(context, ["rouge_score"], path.relative(ROOT, SCRIPT), [file]));
}

/** Review-like random pairs: shared words in another order, case, punctuation, accents, emoji, empties. */
function randomPairs(rng: SeededRandom, count: number): RougePair[] {
  const words = [
    ..."great phone works well battery dies fast the a it is not worth money love screen case".split(" "),
    ..."Great GREAT Works don't isn't 5-star 4K 12 iPhone12 café très naïve İyi 300K 😍 很好 ... !!! $20".split(" "),
  ];
  const separators = [" ", " ", " ", ", ", "  ", "\t", "-", "! ", ". ", "\n", "_"];
  const text = (tokens: string[]) =>
    tokens.map((t, i) => (i ? separators[rng.int(separators.length)] : "") + t).join("");
  return Array.from({ length: count }, () => {
    const reference = Array.from({ length: rng.int(12) }, () => words[rng.int(words.length)]);
    // Half the candidates reuse the reference's words, some dropped, some added, shuffled a little.
    let candidate = Array.from({ length: rng.int(12) }, () => words[rng.int(words.length)]);
    if (rng.next() < 0.5) {
      candidate = reference.filter(() => rng.next() < 0.8);
      for (let k = rng.int(3); k > 0; k--)
        candidate.splice(rng.int(candidate.length + 1), 0, words[rng.int(words.length)]);
      if (candidate.length > 1 && rng.next() < 0.5) {
        const i = rng.int(candidate.length - 1);
        [candidate[i], candidate[i + 1]] = [candidate[i + 1], candidate[i]];
      }
    }
    return { candidate: text(candidate), reference: text(reference) };
  });
}

describe("rougeLTokens", () => {
  it("lowercases and keeps the runs of [a-z0-9]; everything else separates", () => {
    assert.deepEqual(rougeLTokens("Great phone, works well!"), ["great", "phone", "works", "well"]);
    assert.deepEqual(rougeLTokens("Don't buy_it: 5-star 4K"), ["don", "t", "buy", "it", "5", "star", "4k"]);
    assert.deepEqual(rougeLTokens("Très bien, café"), ["tr", "s", "bien", "caf"]);
    // The two non-ASCII characters that lowercase into [a-z]: İ (to "i" + a combining dot) and the Kelvin sign.
    assert.deepEqual(rougeLTokens("\u0130stanbul 300\u212a"), ["i", "stanbul", "300k"]);
    assert.deepEqual(rougeLTokens(""), []);
    assert.deepEqual(rougeLTokens("  !!! 😍 很好 \n"), []);
  });
});

describe("rougeL on cases worked out by hand", () => {
  const close = (actual: number, expected: number, what: string) =>
    assert.ok(Math.abs(actual - expected) < 1e-15, `${what}: ${actual}, expected ${expected}`);

  it('"Great phone, works well" vs "Works great!": P 1/4, R 1/2, F 1/3', () => {
    // candidate [great phone works well] (4), reference [works great] (2). "works" and "great" come in
    // opposite orders, so the LCS is one token (either one): L = 1. P = 1/4, R = 1/2,
    // F = 2 · 1/4 · 1/2 / (1/4 + 1/2) = (1/4) / (3/4) = 1/3.
    const s = rougeL("Great phone, works well", "Works great!");
    close(s.precision, 1 / 4, "precision");
    close(s.recall, 1 / 2, "recall");
    close(s.f1, 1 / 3, "f1");
  });

  it('"the cat sat on the mat" vs "the cat on a mat": P 2/3, R 4/5, F 8/11', () => {
    // candidate [the cat sat on the mat] (6), reference [the cat on a mat] (5): LCS "the cat on mat",
    // L = 4 ("sat", the second "the" and "a" are left out). P = 4/6 = 2/3, R = 4/5,
    // F = 2 · 2/3 · 4/5 / (2/3 + 4/5) = (16/15) / (22/15) = 8/11.
    const s = rougeL("the cat sat on the mat", "the cat on a mat");
    close(s.precision, 2 / 3, "precision");
    close(s.recall, 4 / 5, "recall");
    close(s.f1, 8 / 11, "f1");
  });

  it('repeated words count once per match: "great great great" vs "great": P 1/3, R 1, F 1/2', () => {
    // L = 1: the reference has one "great" to match. F = 2 · 1/3 · 1 / (4/3) = 1/2.
    assert.deepEqual(rougeL("great great great", "great"), { precision: 1 / 3, recall: 1, f1: 1 / 2 });
    assert.deepEqual(rougeL("GREAT!", "great."), { precision: 1, recall: 1, f1: 1 });
  });

  it("a side without tokens scores 0, 0, 0 (even both empty), as rouge-score does", () => {
    const zero = { precision: 0, recall: 0, f1: 0 };
    assert.deepEqual(rougeL("", "Works great!"), zero, "empty candidate");
    assert.deepEqual(rougeL("Works great!", ""), zero, "empty reference");
    assert.deepEqual(rougeL("", ""), zero, "both empty");
    assert.deepEqual(rougeL("!!!", "很好"), zero, "punctuation and non-ASCII letters only");
    assert.deepEqual(rougeL("terrible battery", "love the screen"), zero, "no token in common");
  });
});

describe("rougeL against rouge-score 0.1.2 (committed fixture)", () => {
  it(`the fixture has its ${EXPECTED.pairs.length} pairs from rouge-score ${EXPECTED.rouge_score}`, () => {
    assert.equal(EXPECTED.rouge_score, "0.1.2");
    assert.ok(EXPECTED.pairs.length >= 40, `${EXPECTED.pairs.length} pairs`);
  });

  const groups = [...new Set(EXPECTED.pairs.map((p) => p.group ?? "ungrouped"))];
  for (const group of groups) {
    const pairs = EXPECTED.pairs.filter((p) => (p.group ?? "ungrouped") === group);
    it(`${group} (${pairs.length} ${pairs.length === 1 ? "pair" : "pairs"}): the same tokens, and P, R, F within ${TOLERANCE}`, function () {
      const { wrong, maxDiff } = compare(pairs);
      assert.equal(wrong.length, 0, `${group}: ${wrong.length} of ${pairs.length} pairs differ:\n${wrong.join("\n")}`);
      assert.ok(maxDiff <= TOLERANCE, `max |diff| ${maxDiff}`);
    });
  }

  it("all pairs together: max |diff| printed", () => {
    const { wrong, maxDiff, exact } = compare(EXPECTED.pairs);
    assert.equal(wrong.length, 0, wrong.join("\n"));
    console.log(
      `      ${EXPECTED.pairs.length} fixture pairs: max |ours - rouge-score| = ${maxDiff.toExponential(2)}, ` +
        `${exact} bit for bit, OK`,
    );
  });
});

describe("rougeL against rouge-score 0.1.2 (live, from .venv)", () => {
  let dir = "";
  before(function () {
    requireReference(this, ["rouge_score"]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rouge-reference-"));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the committed fixture is what rouge-score gives today", function () {
    assert.deepEqual(
      rougeScoreReport(this, FIXTURE),
      EXPECTED,
      "rerun test/eval/rouge_reference.py (see its docstring) to update the fixture",
    );
  });

  it(`300 seeded random review-like pairs: the same tokens, and P, R, F within ${TOLERANCE}`, function () {
    const file = path.join(dir, "random-pairs.json");
    fs.writeFileSync(file, JSON.stringify(randomPairs(new SeededRandom("rouge-l"), 300)));
    const live = rougeScoreReport(this, file);
    assert.equal(live.pairs.length, 300);
    const nonTrivial = live.pairs.filter((p) => p.fmeasure > 0 && p.fmeasure < 1).length;
    assert.ok(nonTrivial > 100, `only ${nonTrivial} pairs with 0 < F < 1: the generator should mix more`);
    const { wrong, maxDiff, exact } = compare(live.pairs);
    assert.equal(wrong.length, 0, `${wrong.length} of 300 pairs differ:\n${wrong.slice(0, 8).join("\n")}`);
    console.log(
      `      300 random pairs (${nonTrivial} with 0 < F < 1): max |ours - rouge-score| = ${maxDiff.toExponential(2)}, ` +
        `${exact} bit for bit, OK`,
    );
  });
});

describe("meanRougeL", () => {
  const close = (actual: number, expected: number, what: string) =>
    assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual}, expected ${expected}`);

  it("mean F1 and the normal-approximation 95% interval, on numbers worked out by hand", () => {
    // F1 = 1, 0, 1/2, 1/2 ("a b" vs "a c": L = 1, P = R = 1/2). Mean 1/2; squared deviations
    // 1/4 + 1/4 + 0 + 0 = 1/2, sample variance (1/2) / 3 = 1/6, sd = 0.408248290463863;
    // half width 1.96 · sd / √4 = 0.400083324654586: [0.099916675345414, 0.900083324654586].
    const s = meanRougeL([
      { candidate: "works great", reference: "Works great!" },
      { candidate: "broke", reference: "five stars" },
      { candidate: "great great great", reference: "great" },
      { candidate: "a b", reference: "a c" },
    ]);
    assert.equal(s.n, 4);
    close(s.meanF1, 0.5, "mean");
    close(s.ci95[0], 0.099916675345414, "low");
    close(s.ci95[1], 0.900083324654586, "high");
  });

  it("clips the interval to [0, 1]", () => {
    // F1 = 1, 1, 1, 1/2: mean 7/8; squared deviations 3 · 1/64 + 9/64 = 12/64, variance (12/64) / 3 = 1/16,
    // sd 1/4, half width 1.96 · (1/4) / 2 = 0.245: [0.63, 1.12], clipped to [0.63, 1].
    const s = meanRougeL([
      { candidate: "works great", reference: "works great" },
      { candidate: "love it", reference: "Love it!" },
      { candidate: "five stars", reference: "FIVE STARS" },
      { candidate: "great great great", reference: "great" },
    ]);
    close(s.meanF1, 0.875, "mean");
    close(s.ci95[0], 0.63, "low");
    assert.equal(s.ci95[1], 1);
    const zeros = meanRougeL([
      { candidate: "", reference: "works" },
      { candidate: "a b", reference: "a c" },
    ]); // F1 0 and 1/2: mean 1/4 - 1.96 · 0.353553 / √2 = 1/4 - 0.49 < 0
    assert.equal(zeros.ci95[0], 0);
    close(zeros.ci95[1], 0.74, "high");
  });

  it("one pair gives [f1, f1]; equal scores give a zero-width interval; no pairs throw", () => {
    const one = meanRougeL([{ candidate: "Great phone, works well", reference: "Works great!" }]);
    assert.deepEqual(one, { n: 1, meanF1: 1 / 3, ci95: [1 / 3, 1 / 3] });
    const same = meanRougeL([
      { candidate: "a", reference: "a" },
      { candidate: "b c", reference: "b c" },
    ]);
    assert.deepEqual(same, { n: 2, meanF1: 1, ci95: [1, 1] });
    assert.throws(() => meanRougeL([]), /meanRougeL: no pairs to score/);
    assert.throws(
      () => meanRougeL([{ candidate: "a" } as RougePair]),
      /meanRougeL: pair 0 needs string fields candidate and reference/,
    );
  });

  it("the mean equals the mean of rougeL's f1 over the fixture pairs", () => {
    const s = meanRougeL(EXPECTED.pairs);
    const f = EXPECTED.pairs.map((p) => p.fmeasure);
    close(s.meanF1, f.reduce((a, b) => a + b, 0) / f.length, "mean over the fixture");
    assert.equal(s.n, EXPECTED.pairs.length);
    assert.ok(s.ci95[0] < s.meanF1 && s.meanF1 < s.ci95[1]);
  });
});
