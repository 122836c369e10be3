// Scoring a classifier's answers: from a generated completion to a label, then accuracy with a
// confidence interval, per group, a confusion matrix, and the chance level to compare against.
//
//   const predicted = normalizeAnswer(" Positive.\nThe case is", ["negative", "positive"]); // "positive"
//   const report = accuracyReport([{ expected: "positive", predicted, group: "sentiment-classify" }, ...]);
//   showTable(accuracyRows(report));            // n, correct, invalid, accuracy and its 95% interval
//   showTable(confusionRows(confusionMatrix(predictions, ["negative", "positive"])));
//   chanceAccuracy(test.map((e) => e.label));   // the bar to beat: always answering the commonest label
//
// An invalid answer (normalizeAnswer gave null: the model said something that is not a label) counts
// as wrong in the accuracy, and is also counted on its own, because "the model answers off-format"
// and "the model picks the wrong label" call for different fixes.
// Pure TypeScript, no tensors.

/** One scored example: the right label, the model's label (null: its answer was not a label). */
export interface Prediction {
  expected: string;
  predicted: string | null;
  /** What to break the report down by, e.g. the template id or "zero-shot". */
  group?: string;
}

export interface AccuracyStats {
  /** Examples. */
  n: number;
  /** Examples whose predicted label is the expected one. */
  correct: number;
  /** Examples whose answer was not a label (predicted null); they count as wrong. */
  invalid: number;
  /** correct / n. */
  accuracy: number;
  /** The Wilson score 95% interval of the accuracy: [low, high]. */
  ci95: [number, number];
}

export interface AccuracyReport extends AccuracyStats {
  /** The same figures per group, groups in sorted order; examples without a group are in the totals only. */
  byGroup: Record<string, AccuracyStats>;
}

export interface NormalizeAnswerOptions {
  /**
   * Shortest first word accepted as the beginning of a label ("neg" for "negative"), when exactly
   * one label starts with it (default 3). Infinity turns prefixes off: exact labels only.
   */
  minPrefix?: number;
}

const EDGE_PUNCTUATION = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;

/** Lowercased words of one line, each without punctuation at its ends ("Positive." -> "positive"). */
function answerWords(line: string): string[] {
  return line
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(EDGE_PUNCTUATION, ""))
    .filter((w) => w !== "");
}

/**
 * The label a generated completion names, or null when it names none (an invalid answer).
 *
 * The rules, in order:
 *   1. leading white space (spaces, new lines) is dropped, and only the first line is read:
 *      the model may go on writing after its answer (" positive\nThe case is");
 *   2. the line is lowercased and cut into words at white space; punctuation and symbols at each
 *      word's ends are dropped ("Positive." and "(positive)" are "positive"; "4-star" stays "4-star");
 *   3. a label whose words are the first words of the answer wins ("positive", "positive review",
 *      "Yes, I did" for "yes"; a two-word label is compared with the first two words);
 *   4. otherwise, a first word of at least `minPrefix` (3) characters that begins exactly one label
 *      names that label (" neg" is "negative": generation may stop mid-word at its token limit);
 *      a prefix shared by two labels ("n" for "no" and "negative") is ambiguous and invalid.
 * Everything else is invalid: "The film is good", "positively" (a label must not be merely the
 * start of a longer word), "4/5", an empty completion. Labels are matched case-insensitively and the
 * label is returned as the caller spelled it.
 *
 * @param completion the generated text after the prompt
 * @param labels the answers this example accepts, e.g. ["negative", "positive"], ["no", "yes"], ["1", ..., "5"]
 */
export function normalizeAnswer(
  completion: string,
  labels: readonly string[],
  options: NormalizeAnswerOptions = {},
): string | null {
  if (typeof completion !== "string")
    throw new Error(`normalizeAnswer: the completion must be a string, got ${typeof completion}.`);
  const minPrefix = options.minPrefix ?? 3;
  if (!(minPrefix >= 1))
    throw new Error(`normalizeAnswer: minPrefix must be at least 1 (Infinity turns prefixes off), got ${minPrefix}.`);
  const labelWords = checkLabels(labels, "normalizeAnswer").map(answerWords);

  const firstLine = completion.trimStart().split(/\r?\n|\r/)[0];
  const words = answerWords(firstLine);
  if (words.length === 0) return null;

  // Rule 3; the label with the most words first, so "very positive" beats "very" when both are labels.
  let best = -1;
  labelWords.forEach((lw, i) => {
    if (
      lw.length <= words.length &&
      lw.every((w, j) => w === words[j]) &&
      (best < 0 || lw.length > labelWords[best].length)
    )
      best = i;
  });
  if (best >= 0) return labels[best];

  // Rule 4: only for one-word labels, and only when unambiguous.
  const first = words[0];
  if (first.length < minPrefix) return null;
  const starts = labelWords.map((lw, i) => (lw.length === 1 && lw[0].startsWith(first) ? i : -1)).filter((i) => i >= 0);
  return starts.length === 1 ? labels[starts[0]] : null;
}

/** Checks a label set (non-empty, distinct ignoring case, not blank) and returns it. */
function checkLabels(labels: readonly string[], where: string): readonly string[] {
  if (!Array.isArray(labels) || labels.length === 0)
    throw new Error(
      `${where}: the label set is empty; pass the answers an example accepts, e.g. ["negative", "positive"].`,
    );
  const seen = new Map<string, string>();
  for (const label of labels) {
    if (typeof label !== "string" || answerWords(label).length === 0) {
      throw new Error(
        `${where}: the label ${JSON.stringify(label)} has no letters or digits; labels are words such as "positive" or "5".`,
      );
    }
    const key = answerWords(label).join(" ");
    const other = seen.get(key);
    if (other !== undefined)
      throw new Error(
        `${where}: the labels ${JSON.stringify(other)} and ${JSON.stringify(label)} are the same answer once case and punctuation are ignored; list each answer once.`,
      );
    seen.set(key, label);
  }
  return labels;
}

/**
 * The mean of scores in [0, 1] with its normal-approximation 95% interval: mean ± 1.96 · s / √n, s
 * the sample standard deviation (n − 1), clipped to [0, 1]; one score has no spread: [x, x].
 * For averages of graded scores (ROUGE-L F1), where Wilson's interval for a share does not apply.
 */
export function meanInterval(values: readonly number[]): { mean: number; ci95: [number, number] } {
  const n = values.length;
  if (n === 0) throw new Error("meanInterval: no values to average.");
  const mean = values.reduce((s, x) => s + x, 0) / n;
  if (n === 1) return { mean, ci95: [mean, mean] };
  const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const half = (1.96 * Math.sqrt(variance)) / Math.sqrt(n);
  return { mean, ci95: [Math.max(0, mean - half), Math.min(1, mean + half)] };
}

/**
 * The Wilson score interval of a proportion k/n: where the true rate lies with ~95% confidence (z 1.96).
 * Unlike p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and is not zero-wide at 0/n or n/n, which
 * matters for the small test splits of the lesson (99 examples: ±0.08 around 0.8).
 *
 *   center = (p + z²/2n) / (1 + z²/n),  half width = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)
 */
export function wilsonInterval(k: number, n: number, z = 1.96): [number, number] {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`wilsonInterval: n (the number of trials) must be a whole number >= 1, got ${n}.`);
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new Error(`wilsonInterval: k (the successes) must be a whole number from 0 to n = ${n}, got ${k}.`);
  if (!(z > 0)) throw new Error(`wilsonInterval: z must be > 0 (1.96 for 95%), got ${z}.`);
  const p = k / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamped: at k = 0 or k = n rounding can put an end a hair outside [0, 1].
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** Checks the predictions (and, when given, that every label is in `labels`). */
function checkPredictions(predictions: readonly Prediction[], where: string, labels?: readonly string[]): void {
  if (!Array.isArray(predictions) || predictions.length === 0)
    throw new Error(`${where}: there are no predictions to score; pass one {expected, predicted} per test example.`);
  const known = labels ? new Set(labels) : undefined;
  predictions.forEach((p, i) => {
    if (typeof p?.expected !== "string" || p.expected === "")
      throw new Error(`${where}: prediction ${i} has no expected label (got ${JSON.stringify(p?.expected)}).`);
    if (p.predicted !== null && typeof p.predicted !== "string") {
      throw new Error(
        `${where}: prediction ${i} has predicted ${JSON.stringify(p.predicted)}; it must be a label, or null for an invalid answer (normalizeAnswer gives these).`,
      );
    }
    if (p.group !== undefined && typeof p.group !== "string")
      throw new Error(
        `${where}: prediction ${i} has group ${JSON.stringify(p.group)}; a group is a string (or leave it out).`,
      );
    if (known) {
      if (!known.has(p.expected))
        throw new Error(
          `${where}: prediction ${i} expects ${JSON.stringify(p.expected)}, which is not one of the labels ${labels!.join(", ")}.`,
        );
      if (p.predicted !== null && !known.has(p.predicted)) {
        throw new Error(
          `${where}: prediction ${i} predicted ${JSON.stringify(p.predicted)}, which is not one of the labels ${labels!.join(", ")}; map answers to labels with normalizeAnswer (null for an invalid one).`,
        );
      }
    }
  });
}

function stats(list: readonly Prediction[]): AccuracyStats {
  const n = list.length;
  const correct = list.filter((p) => p.predicted === p.expected).length;
  const invalid = list.filter((p) => p.predicted === null).length;
  return { n, correct, invalid, accuracy: correct / n, ci95: wilsonInterval(correct, n) };
}

/**
 * Accuracy of a list of predictions, overall and per group, each with its Wilson 95% interval.
 * An invalid answer (predicted null) is wrong, and counted in `invalid` as well.
 * With `labels`, a predicted or expected label outside it is an error (a typo, or an answer that
 * was not normalized).
 */
export function accuracyReport(
  predictions: readonly Prediction[],
  options: { labels?: readonly string[] } = {},
): AccuracyReport {
  if (options.labels) checkLabels(options.labels, "accuracyReport");
  checkPredictions(predictions, "accuracyReport", options.labels);
  const groups = new Map<string, Prediction[]>();
  for (const p of predictions) {
    if (p.group === undefined) continue;
    const list = groups.get(p.group);
    if (list) list.push(p);
    else groups.set(p.group, [p]);
  }
  const byGroup: Record<string, AccuracyStats> = {};
  for (const g of [...groups.keys()].sort()) byGroup[g] = stats(groups.get(g)!);
  return { ...stats(predictions), byGroup };
}

/** Rows for showTable: one per group, then "all"; accuracy and interval rounded to 3 places. */
export function accuracyRows(report: AccuracyReport): Record<string, string | number>[] {
  const row = (group: string, s: AccuracyStats) => ({
    group,
    n: s.n,
    correct: s.correct,
    invalid: s.invalid,
    accuracy: Number(s.accuracy.toFixed(3)),
    ci95: `${s.ci95[0].toFixed(3)} - ${s.ci95[1].toFixed(3)}`,
  });
  return [...Object.entries(report.byGroup).map(([g, s]) => row(g, s)), row("all", report)];
}

export interface ConfusionMatrix {
  /** The labels: the rows (expected) and, in the same order, the first columns (predicted). */
  labels: string[];
  /** counts[i][j]: examples expecting labels[i] predicted as labels[j]; j = labels.length is "invalid". */
  counts: number[][];
}

/**
 * Rows: expected label; columns: predicted label, then one "invalid" column for answers that were
 * not a label. Every expected and predicted label must be in `labels` (an error says which is not).
 */
export function confusionMatrix(predictions: readonly Prediction[], labels: readonly string[]): ConfusionMatrix {
  checkLabels(labels, "confusionMatrix");
  checkPredictions(predictions, "confusionMatrix", labels);
  const index = new Map(labels.map((l, i) => [l, i]));
  const counts = labels.map(() => new Array<number>(labels.length + 1).fill(0));
  for (const p of predictions)
    counts[index.get(p.expected)!][p.predicted === null ? labels.length : index.get(p.predicted)!] += 1;
  return { labels: labels.slice(), counts };
}

/**
 * Rows for showTable: { expected: "negative", "→ negative": 40, "→ positive": 9, invalid: 1, total: 50 }.
 * Predicted columns are marked with an arrow so a label can never collide with "expected" or "total".
 */
export function confusionRows(matrix: ConfusionMatrix): Record<string, string | number>[] {
  const { labels, counts } = matrix;
  return labels.map((label, i) => {
    const row: Record<string, string | number> = { expected: label };
    labels.forEach((l, j) => (row[`→ ${l}`] = counts[i][j]));
    row.invalid = counts[i][labels.length];
    row.total = counts[i].reduce((a, b) => a + b, 0);
    return row;
  });
}

/**
 * The chance level of a test set: the share of its most common label, i.e. the accuracy of a
 * "classifier" that ignores the input and always gives that label. On balanced data it equals
 * 1 / (number of labels), the expected accuracy of guessing uniformly at random; on unbalanced data
 * it is higher than that, so it is the fair bar for "better than chance".
 *
 * @param expectedLabels the expected label of every test example
 */
export function chanceAccuracy(expectedLabels: readonly string[]): number {
  if (!Array.isArray(expectedLabels) || expectedLabels.length === 0)
    throw new Error("chanceAccuracy: the list of test labels is empty; pass the expected label of every test example.");
  const counts = new Map<string, number>();
  for (const label of expectedLabels) {
    if (typeof label !== "string") throw new Error(`chanceAccuracy: labels are strings, got ${JSON.stringify(label)}.`);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return Math.max(...counts.values()) / expectedLabels.length;
}
