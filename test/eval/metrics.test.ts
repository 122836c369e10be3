// The evaluation metrics (src/eval/metrics.ts) on hand-made predictions, against values computed by
// hand: accuracy and invalid counts, Wilson intervals, confusion matrices, answer normalization.
import assert from "node:assert/strict";
import {
  accuracyReport,
  accuracyRows,
  chanceAccuracy,
  confusionMatrix,
  confusionRows,
  normalizeAnswer,
  wilsonInterval,
  type Prediction,
} from "../../src/eval/metrics";
import { assertClose } from "../support/tolerance";

const SENTIMENT = ["negative", "positive"];
const YES_NO = ["no", "yes"];
const STARS = ["1", "2", "3", "4", "5"];

describe("normalizeAnswer", () => {
  const cases: [string, readonly string[], string | null][] = [
    // exact labels, whatever the case, spacing and punctuation around them
    [" positive", SENTIMENT, "positive"],
    ["Positive.", SENTIMENT, "positive"],
    [" NEGATIVE!", SENTIMENT, "negative"],
    ["(positive)", SENTIMENT, "positive"],
    ["\n\n  negative", SENTIMENT, "negative"],
    // only the first line and its first word count: the model may go on writing
    [" positive\nThe case broke after a week.", SENTIMENT, "positive"],
    [" negative review, the worst", SENTIMENT, "negative"],
    [" Yes, I did.", YES_NO, "yes"],
    [" no", YES_NO, "no"],
    [" 4", STARS, "4"],
    [" 5 stars", STARS, "5"],
    // an unambiguous prefix of >= 3 characters (generation stopped mid-word)
    [" neg", SENTIMENT, "negative"],
    [" posit", SENTIMENT, "positive"],
    // invalid: not a label, a label inside a longer word, too short or ambiguous, empty
    ["The film is good", SENTIMENT, null],
    [" positively", SENTIMENT, null],
    [" ne", SENTIMENT, null],
    [" not really", YES_NO, null],
    [" ye", YES_NO, null],
    [" 4-star", STARS, null],
    [" 4/5", STARS, null],
    [" 4.5", STARS, null],
    ["", SENTIMENT, null],
    ["   \n  ", SENTIMENT, null],
    ["...", SENTIMENT, null],
    ["\nThe sentiment is positive", SENTIMENT, null],
  ];
  for (const [completion, labels, expected] of cases) {
    it(`${JSON.stringify(completion)} with ${labels.join("/")} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizeAnswer(completion, labels), expected);
    });
  }

  it("a prefix shared by two labels is invalid; minPrefix: Infinity accepts exact labels only", () => {
    assert.equal(normalizeAnswer(" pos", ["positive", "possible"]), null);
    assert.equal(normalizeAnswer(" positi", ["positive", "possible"]), "positive");
    assert.equal(normalizeAnswer(" neg", SENTIMENT, { minPrefix: Infinity }), null);
    assert.equal(normalizeAnswer(" ne", SENTIMENT, { minPrefix: 2 }), "negative");
  });

  it("returns the label as the caller spelled it, and prefers the longer of two matching labels", () => {
    assert.equal(normalizeAnswer("positive", ["Negative", "Positive"]), "Positive");
    assert.equal(normalizeAnswer(" very good indeed", ["good", "very good", "very"]), "very good");
  });

  it("refuses a bad label set, saying why", () => {
    assert.throws(() => normalizeAnswer("positive", []), /label set is empty/);
    assert.throws(() => normalizeAnswer("positive", ["positive", "Positive"]), /same answer/);
    assert.throws(() => normalizeAnswer("positive", ["positive", "  "]), /no letters or digits/);
  });
});

describe("wilsonInterval", () => {
  // By hand, z = 1.96, z² = 3.8416: center = (p + z²/2n) / (1 + z²/n), half = z/(1 + z²/n)·sqrt(p(1-p)/n + z²/4n²).
  // 8/10: p 0.8, 1 + z²/n = 1.38416, center 0.99208 / 1.38416 = 0.716738,
  //       half = 1.416021 · sqrt(0.016 + 0.009604) = 1.416021 · 0.160012 = 0.226581 -> [0.490157, 0.943319]
  // 0/10: center 0.19208 / 1.38416 = 0.138770 = half -> [0, 0.277540]
  // 5/5:  1 + z²/n = 1.76832, center 1.38416 / 1.76832 = 0.782754, half = 1.108396 · sqrt(3.8416/100) = 0.217246 -> [0.565508, 1]
  // 83/99: p 0.838384, 1 + z²/n = 1.038804, center 0.857786 / 1.038804 = 0.825744,
  //       half = 1.886785 · sqrt(0.00136865 + 0.00009799) = 1.886785 · 0.0382967 = 0.0722577 -> [0.753486, 0.898001]
  const cases: [number, number, [number, number]][] = [
    [8, 10, [0.490157, 0.943319]],
    [0, 10, [0, 0.27754]],
    [5, 5, [0.565509, 1]],
    [83, 99, [0.753486, 0.898001]],
  ];
  for (const [k, n, expected] of cases) {
    it(`${k}/${n} -> [${expected.join(", ")}]`, () =>
      assertClose(wilsonInterval(k, n), expected, 2e-6, 0, `wilson(${k}, ${n})`));
  }

  it("is inside [0, 1], contains k/n, and narrows as n grows", () => {
    const [lo, hi] = wilsonInterval(0, 3);
    assert.ok(lo === 0 && hi > 0 && hi <= 1);
    const small = wilsonInterval(8, 10),
      large = wilsonInterval(800, 1000);
    assert.ok(large[0] <= 0.8 && 0.8 <= large[1]);
    assert.ok(
      large[1] - large[0] < (small[1] - small[0]) / 5,
      "100 times the data should give a much narrower interval",
    );
  });

  it("a wider z gives a wider interval (z = 2.576 for 99%)", () => {
    const [lo95, hi95] = wilsonInterval(8, 10);
    const [lo99, hi99] = wilsonInterval(8, 10, 2.576);
    assert.ok(lo99 < lo95 && hi99 > hi95);
  });

  it("refuses impossible counts", () => {
    assert.throws(() => wilsonInterval(1, 0), /n \(the number of trials\)/);
    assert.throws(() => wilsonInterval(11, 10), /from 0 to n = 10/);
    assert.throws(() => wilsonInterval(1.5, 10), /whole number/);
    assert.throws(() => wilsonInterval(1, 10, 0), /z must be > 0/);
  });
});

// 10 predictions, two groups: template A 4 of 6 right (one invalid), template B 2 of 4 right (one invalid).
const PREDICTIONS: Prediction[] = [
  { expected: "positive", predicted: "positive", group: "A" },
  { expected: "positive", predicted: "positive", group: "A" },
  { expected: "negative", predicted: "negative", group: "A" },
  { expected: "negative", predicted: "negative", group: "A" },
  { expected: "negative", predicted: "positive", group: "A" },
  { expected: "positive", predicted: null, group: "A" },
  { expected: "positive", predicted: "positive", group: "B" },
  { expected: "negative", predicted: "negative", group: "B" },
  { expected: "positive", predicted: "negative", group: "B" },
  { expected: "negative", predicted: null, group: "B" },
];

describe("accuracyReport", () => {
  it("counts correct and invalid answers, invalid ones as wrong, overall and per group", () => {
    const r = accuracyReport(PREDICTIONS);
    assert.deepEqual([r.n, r.correct, r.invalid, r.accuracy], [10, 6, 2, 0.6]);
    assert.deepEqual(r.ci95, wilsonInterval(6, 10));
    assert.deepEqual(Object.keys(r.byGroup), ["A", "B"]);
    assert.deepEqual(
      { ...r.byGroup.A, ci95: undefined },
      { n: 6, correct: 4, invalid: 1, accuracy: 4 / 6, ci95: undefined },
    );
    assert.deepEqual(
      { ...r.byGroup.B, ci95: undefined },
      { n: 4, correct: 2, invalid: 1, accuracy: 0.5, ci95: undefined },
    );
    assert.deepEqual(r.byGroup.B.ci95, wilsonInterval(2, 4));
  });

  it("leaves examples without a group out of byGroup but not out of the totals", () => {
    const r = accuracyReport([
      { expected: "yes", predicted: "yes" },
      { expected: "no", predicted: "yes", group: "g" },
    ]);
    assert.equal(r.n, 2);
    assert.deepEqual(Object.keys(r.byGroup), ["g"]);
    assert.equal(r.byGroup.g.n, 1);
  });

  it("makes table rows: one per group, then all", () => {
    const rows = accuracyRows(accuracyReport(PREDICTIONS));
    assert.deepEqual(
      rows.map((row) => row.group),
      ["A", "B", "all"],
    );
    assert.deepEqual(rows[2], { group: "all", n: 10, correct: 6, invalid: 2, accuracy: 0.6, ci95: "0.313 - 0.832" });
  });

  it("refuses empty and malformed predictions, and labels outside the given set", () => {
    assert.throws(() => accuracyReport([]), /no predictions/);
    assert.throws(() => accuracyReport([{ expected: "", predicted: "yes" }]), /prediction 0 has no expected label/);
    assert.throws(
      () => accuracyReport([{ expected: "yes", predicted: undefined as unknown as null }]),
      /predicted undefined.*or null/,
    );
    assert.throws(
      () => accuracyReport([{ expected: "positive", predicted: "Positive" }], { labels: SENTIMENT }),
      /predicted "Positive", which is not one of the labels negative, positive; map answers/,
    );
    assert.throws(
      () => accuracyReport([{ expected: "neutral", predicted: null }], { labels: SENTIMENT }),
      /expects "neutral"/,
    );
  });
});

describe("confusionMatrix", () => {
  it("counts expected (rows) against predicted (columns), invalid answers in the last column", () => {
    const m = confusionMatrix(PREDICTIONS, SENTIMENT);
    assert.deepEqual(m.labels, SENTIMENT);
    //                   -> negative, -> positive, invalid
    assert.deepEqual(m.counts, [
      [3, 1, 1], // expected negative: 3 right, 1 called positive, 1 invalid
      [1, 3, 1], // expected positive
    ]);
    const total = m.counts.flat().reduce((a, b) => a + b, 0);
    assert.equal(total, PREDICTIONS.length);
  });

  it("makes table rows with arrowed predicted columns", () => {
    assert.deepEqual(confusionRows(confusionMatrix(PREDICTIONS, SENTIMENT)), [
      { expected: "negative", "→ negative": 3, "→ positive": 1, invalid: 1, total: 5 },
      { expected: "positive", "→ negative": 1, "→ positive": 3, invalid: 1, total: 5 },
    ]);
  });

  it("refuses a predicted label outside the label set", () => {
    assert.throws(
      () => confusionMatrix([{ expected: "yes", predicted: "maybe" }], YES_NO),
      /predicted "maybe", which is not one of the labels no, yes/,
    );
    assert.throws(() => confusionMatrix(PREDICTIONS, []), /label set is empty/);
  });
});

describe("chanceAccuracy", () => {
  it("is the share of the most common label", () => {
    assert.equal(chanceAccuracy(["positive", "negative", "positive", "positive"]), 0.75);
    assert.equal(chanceAccuracy(["negative", "positive"]), 0.5);
    assert.equal(chanceAccuracy(["1", "2", "3", "4", "5", "5"]), 2 / 6);
  });

  it("refuses an empty list", () => {
    assert.throws(() => chanceAccuracy([]), /list of test labels is empty/);
  });
});
