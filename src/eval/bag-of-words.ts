// A bag-of-words logistic regression: the classic baseline a fine-tuned language model must beat.
// It never reads word order, only which words a review contains, and trains in well under a second.
//
//   const model = trainBagOfWords(splits.train);                 // {text, label} records
//   model.predict("Great phone, works well.");                   // "positive"
//   model.predictProba("Great phone, works well.");              // { negative: 0.08, positive: 0.92 }
//   accuracyReport(model.evaluate(splits.test));                 // metrics.ts
//   tuneBagOfWords(splits.train, splits.validation);             // picks l2 on validation, never on test
//
// How:
//   tokens    lowercase words: runs of letters, digits and _ with inner apostrophes ("don't" is one
//             word); with bigrams, also each pair of neighbouring words ("not good").
//   vocabulary from the training texts only (a test word the model never saw is ignored), keeping the
//             tokens that occur in at least minCount training texts, in sorted order.
//   features  binary presence by default: 1 if the text has the token, else 0. Review sentences are
//             short and a word rarely repeats, and for sentiment presence does as well as counts or
//             better (Pang, Lee & Vaithyanathan 2002); features: "count" uses counts instead.
//   model     two labels: p(second label) = sigmoid(w·x + b), one weight per token (sorted labels, so
//             p(positive) for negative/positive). More labels: softmax over one score w_c·x + b_c per
//             label (star ratings "1".."5"). The same two models as scikit-learn's LogisticRegression.
//   objective mean cross-entropy over the training texts + (l2 / 2) · |w|², the bias not penalized;
//             in scikit-learn's terms C = 1 / (l2 · n_train).
//   training  full-batch gradient descent with Nesterov momentum (restarted when it stops going
//             downhill) and step 1 / L, L a proven bound on the curvature, from zero weights, until
//             the largest gradient entry is below `tolerance`. Deterministic: no random numbers.

import { defineConfig } from "../util/config";
import { notify } from "../util/notices";

/** A labelled text, e.g. a ReviewRecord or an InstructionExample's source record. */
export interface LabelledText {
  text: string;
  label: string;
  /** Passed through to the predictions of evaluate() as their group. */
  group?: string;
}

export interface BagOfWordsConfig {
  /**
   * L2 strength: (l2 / 2)·|w|² is added to the mean loss; larger gives smaller weights, a simpler
   * model. Default 0.001: the best mean validation accuracy over the amazon splits of seeds 0, 1, 2
   * (grid 0.0003 to 0.1); about scikit-learn's default C = 1 for 800 training texts.
   */
  l2: number;
  /** Also use pairs of neighbouring words as tokens ("not good"). Default false. */
  bigrams: boolean;
  /** Keep tokens found in at least this many training texts (default 1: all of them). */
  minCount: number;
  /** "binary" (default): 1 when the token is present; "count": how many times it occurs. */
  features: "binary" | "count";
  /** Stop when every gradient entry is below this in absolute value (default 1e-7). */
  tolerance: number;
  /** Give up after this many steps (default 20000); the model reports whether it converged. */
  maxIterations: number;
}

const BAG_OF_WORDS_CONFIG = defineConfig<BagOfWordsConfig>(
  "BagOfWordsConfig",
  {
    l2: 0.001,
    bigrams: false,
    minCount: 1,
    features: "binary",
    tolerance: 1e-7,
    maxIterations: 20000,
  },
  {
    l2: { type: "number", above: 0, hint: "try 0.001 to 0.1; without it separable data has no best weights" },
    bigrams: { type: "boolean" },
    minCount: { type: "integer", min: 1 },
    features: { type: "string", oneOf: ["binary", "count"] },
    tolerance: { type: "number", above: 0 },
    maxIterations: { type: "integer", min: 1 },
  },
);

/** How training went: whether it converged, in how many steps, and the final objective. */
export interface BagOfWordsTrainingSummary {
  converged: boolean;
  iterations: number;
  /** Mean cross-entropy + L2 penalty at the end. */
  objective: number;
  /** Largest |gradient entry| at the end. */
  gradientMax: number;
}

/** A trained baseline; see the header. */
export interface BagOfWordsModel {
  /** The labels, sorted; probabilities come in this order. */
  labels: string[];
  /** The tokens that are features, sorted. */
  vocabulary: string[];
  vocabularySize: number;
  config: BagOfWordsConfig;
  training: BagOfWordsTrainingSummary;
  /** The most likely label of a text (the first in `labels` on an exact tie). */
  predict(text: string): string;
  /** Each label's probability. */
  predictProba(text: string): Record<string, number>;
  /** Predictions for accuracyReport / confusionMatrix: expected is each record's label. */
  evaluate(records: readonly LabelledText[]): { expected: string; predicted: string; group?: string }[];
  /** The k tokens that push hardest toward `label`, with their weights (largest first). */
  topFeatures(label: string, k?: number): { token: string; weight: number }[];
  /** The feature vector of a text, as sparse [vocabulary index, value] pairs (for reference checks). */
  features(text: string): [number, number][];
}

/** A full, checked config from a partial one: unknown keys and bad values throw a ConfigError naming the field. */
export function bagOfWordsConfig(partial: Partial<BagOfWordsConfig> = {}): BagOfWordsConfig {
  return BAG_OF_WORDS_CONFIG.make(partial);
}

const WORD = /[\p{L}\p{N}_]+(?:'[\p{L}\p{N}_]+)*/gu;

/** The tokens of a text: lowercase words ("don't" is one), then, with bigrams, "w1 w2" pairs. */
export function bagOfWordsTokens(text: string, bigrams = false): string[] {
  // Curly apostrophes become straight ones, so "don’t" and "don't" are one word.
  const words =
    text
      .toLowerCase()
      .replace(/[\u2018\u2019\u02bc]/g, "'")
      .match(WORD) ?? [];
  if (!bigrams) return words;
  const pairs = words.slice(1).map((w, i) => `${words[i]} ${w}`);
  return [...words, ...pairs];
}

/** A sparse design matrix: row i's nonzeros are cols[start[i] .. start[i+1]) with values vals[...]. */
interface SparseRows {
  start: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
}

function checkRecords(records: readonly LabelledText[], where: string): void {
  if (!Array.isArray(records) || records.length === 0)
    throw new Error(`${where}: there are no records; pass {text, label} objects (the review records of a split).`);
  records.forEach((r, i) => {
    if (typeof r?.text !== "string")
      throw new Error(`${where}: record ${i} has no text (got ${JSON.stringify(r?.text)}).`);
    if (typeof r.label !== "string" || r.label === "")
      throw new Error(`${where}: record ${i} has no label (got ${JSON.stringify(r.label)}).`);
  });
}

/**
 * Trains the baseline on `train` (see the header for what it does).
 * Needs at least two labels among the records; every label is a class (softmax beyond two).
 */
export function trainBagOfWords(
  train: readonly LabelledText[],
  options: Partial<BagOfWordsConfig> = {},
): BagOfWordsModel {
  const config = bagOfWordsConfig(options);
  checkRecords(train, "trainBagOfWords");
  const labels = [...new Set(train.map((r) => r.label))].sort();
  if (labels.length < 2)
    throw new Error(
      `trainBagOfWords: every training record has the label "${labels[0]}"; a classifier needs at least two labels.`,
    );

  // Vocabulary: document frequency over the training texts only.
  const trainTokens = train.map((r) => bagOfWordsTokens(r.text, config.bigrams));
  const documentFrequency = new Map<string, number>();
  for (const tokens of trainTokens)
    for (const t of new Set(tokens)) documentFrequency.set(t, (documentFrequency.get(t) ?? 0) + 1);
  const vocabulary = [...documentFrequency.entries()]
    .filter(([, c]) => c >= config.minCount)
    .map(([t]) => t)
    .sort();
  if (vocabulary.length === 0)
    throw new Error(`trainBagOfWords: no token occurs in ${config.minCount} or more training texts; lower minCount.`);
  const index = new Map(vocabulary.map((t, i) => [t, i]));

  const featurize = (tokens: string[]): [number, number][] => {
    const counts = new Map<number, number>();
    for (const t of tokens) {
      const j = index.get(t);
      if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([j, c]) => [j, config.features === "binary" ? 1 : c]);
  };

  const rows = trainTokens.map(featurize);
  const X = toSparse(rows);
  const y = Int32Array.from(train, (r) => labels.indexOf(r.label));
  const fit = fitLogistic(X, y, labels.length, vocabulary.length, config);
  if (!fit.summary.converged) {
    notify(
      "trainBagOfWords",
      `not converged after ${fit.summary.iterations} steps (largest gradient entry ${fit.summary.gradientMax.toExponential(1)}, ` +
        `tolerance ${config.tolerance}); the weights are not yet the best ones. Raise maxIterations, or l2 (a larger l2 converges faster).`,
    );
  }
  const { weights, bias, outputs } = fit;
  const d = vocabulary.length;

  // Class scores: with two labels only the second has weights (the first scores 0), as in sigmoid.
  const probabilities = (feats: [number, number][]): number[] => {
    const scores = new Array<number>(labels.length).fill(0);
    for (let c = 0; c < outputs; c++) {
      let s = bias[c];
      for (const [j, v] of feats) s += weights[c * d + j] * v;
      scores[outputs === 1 ? 1 : c] = s;
    }
    return softmax(scores);
  };
  const predictIndex = (text: string) => {
    const p = probabilities(featurize(bagOfWordsTokens(text, config.bigrams)));
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    return best;
  };

  return {
    labels,
    vocabulary,
    vocabularySize: d,
    config,
    training: fit.summary,
    predict: (text) => labels[predictIndex(text)],
    predictProba: (text) => {
      const p = probabilities(featurize(bagOfWordsTokens(text, config.bigrams)));
      return Object.fromEntries(labels.map((l, c) => [l, p[c]]));
    },
    evaluate: (records) => {
      checkRecords(records, "evaluate");
      return records.map((r) => ({
        expected: r.label,
        predicted: labels[predictIndex(r.text)],
        ...(r.group !== undefined ? { group: r.group } : {}),
      }));
    },
    topFeatures: (label, k = 10) => {
      const c = labels.indexOf(label);
      if (c < 0)
        throw new Error(`topFeatures: "${label}" is not a label of this model; its labels are ${labels.join(", ")}.`);
      // Two labels: the first label's weights are the negated weights of the second.
      const weightOf = (j: number) => (outputs === 1 ? (c === 1 ? 1 : -1) * weights[j] : weights[c * d + j]);
      return vocabulary
        .map((token, j) => ({ token, weight: weightOf(j) }))
        .sort((a, b) => b.weight - a.weight || (a.token < b.token ? -1 : 1))
        .slice(0, k);
    },
    features: (text) => featurize(bagOfWordsTokens(text, config.bigrams)),
  };
}

function toSparse(rows: [number, number][][]): SparseRows {
  const start = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (start[i + 1] = start[i] + r.length));
  const cols = new Int32Array(start[rows.length]);
  const vals = new Float64Array(start[rows.length]);
  rows.forEach((r, i) =>
    r.forEach(([j, v], k) => {
      cols[start[i] + k] = j;
      vals[start[i] + k] = v;
    }),
  );
  return { start, cols, vals };
}

/** Softmax of scores, shifted by their maximum so exp never overflows. */
function softmax(scores: number[]): number[] {
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/**
 * Minimizes mean cross-entropy + (l2/2)|W|² over W (outputs × d, row-major) and b (outputs).
 * outputs = 1 for two classes (the sigmoid model), else the number of classes.
 */
function fitLogistic(X: SparseRows, y: Int32Array, classes: number, d: number, config: BagOfWordsConfig) {
  const n = y.length;
  const outputs = classes === 2 ? 1 : classes;
  const P = outputs * (d + 1); // parameters: W then b
  const { l2 } = config;

  // Curvature bound: the Hessian of the mean loss is at most c/n · XᵀX per class (c = 1/4 for the
  // sigmoid, 1/2 for softmax, Böhning's bound), and |XᵀX| <= |X|²_F; the bias adds a column of ones.
  let frobenius = n;
  for (let k = 0; k < X.vals.length; k++) frobenius += X.vals[k] * X.vals[k];
  const L = ((outputs === 1 ? 0.25 : 0.5) * frobenius) / n + l2;
  const step = 1 / L;

  // Objective and gradient at theta; grad is written in place.
  const scores = new Float64Array(classes);
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const a = X.start[i],
        e = X.start[i + 1];
      scores.fill(0);
      for (let c = 0; c < outputs; c++) {
        let s = theta[outputs * d + c];
        for (let k = a; k < e; k++) s += theta[c * d + X.cols[k]] * X.vals[k];
        scores[outputs === 1 ? 1 : c] = s;
      }
      let m = -Infinity;
      for (let c = 0; c < classes; c++) if (scores[c] > m) m = scores[c];
      let z = 0;
      for (let c = 0; c < classes; c++) z += Math.exp(scores[c] - m);
      loss += m + Math.log(z) - scores[y[i]];
      for (let c = 0; c < outputs; c++) {
        const cls = outputs === 1 ? 1 : c;
        const r = (Math.exp(scores[cls] - m) / z - (y[i] === cls ? 1 : 0)) / n; // dLoss/dscore, averaged
        grad[outputs * d + c] += r;
        for (let k = a; k < e; k++) grad[c * d + X.cols[k]] += r * X.vals[k];
      }
    }
    let penalty = 0;
    for (let j = 0; j < outputs * d; j++) {
      penalty += theta[j] * theta[j];
      grad[j] += l2 * theta[j];
    }
    return loss / n + (l2 / 2) * penalty;
  };
  const maxAbs = (v: Float64Array) => {
    let m = 0;
    for (let j = 0; j < v.length; j++) m = Math.max(m, Math.abs(v[j]));
    return m;
  };

  // Nesterov's accelerated gradient (FISTA momentum) with gradient restart (O'Donoghue & Candès
  // 2015): when the step goes against the momentum, the momentum is dropped. The gradient is taken
  // at the look-ahead point y; once it is below the tolerance there, y is the answer.
  let x = new Float64Array(P);
  let xPrevious = new Float64Array(P);
  const yPoint = new Float64Array(P);
  const grad = new Float64Array(P);
  let t = 1;
  let iterations = 0;
  let objective: number;
  let gradientMax: number;
  for (;;) {
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const beta = (t - 1) / tNext;
    for (let j = 0; j < P; j++) yPoint[j] = x[j] + beta * (x[j] - xPrevious[j]);
    objective = evaluate(yPoint, grad);
    gradientMax = maxAbs(grad);
    if (gradientMax < config.tolerance || iterations >= config.maxIterations) break;
    const xNew = xPrevious; // reuse the buffer
    let restart = 0;
    for (let j = 0; j < P; j++) {
      xNew[j] = yPoint[j] - step * grad[j];
      restart += grad[j] * (xNew[j] - x[j]);
    }
    xPrevious = x;
    x = xNew;
    t = restart > 0 ? 1 : tNext;
    iterations += 1;
  }
  x = yPoint;
  return {
    weights: x.subarray(0, outputs * d),
    bias: x.subarray(outputs * d),
    outputs,
    summary: {
      converged: gradientMax < config.tolerance,
      iterations,
      objective,
      gradientMax,
    } as BagOfWordsTrainingSummary,
  };
}

export interface BagOfWordsTuneResult {
  /** The best l2 and the model trained with it. */
  l2: number;
  model: BagOfWordsModel;
  /** Validation accuracy of each l2 tried, largest l2 first. */
  results: { l2: number; validationAccuracy: number }[];
}

/**
 * Picks l2 by validation accuracy (ties go to the larger l2, the simpler model): trains one model per
 * value on `train`, scores each on `validation`. The test split is never looked at.
 */
export function tuneBagOfWords(
  train: readonly LabelledText[],
  validation: readonly LabelledText[],
  options: Partial<BagOfWordsConfig> & { l2Grid?: readonly number[] } = {},
): BagOfWordsTuneResult {
  const { l2Grid = [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1], ...rest } = options;
  if (!Array.isArray(l2Grid) || l2Grid.length === 0)
    throw new Error("tuneBagOfWords: l2Grid is empty; pass the l2 values to try, e.g. [0.001, 0.01, 0.1].");
  checkRecords(validation, "tuneBagOfWords (validation)");
  const results: BagOfWordsTuneResult["results"] = [];
  let best: { l2: number; model: BagOfWordsModel; accuracy: number } | undefined;
  for (const l2 of [...l2Grid].sort((a, b) => b - a)) {
    const model = trainBagOfWords(train, { ...rest, l2 });
    const predictions = model.evaluate(validation);
    const validationAccuracy = predictions.filter((p) => p.predicted === p.expected).length / predictions.length;
    results.push({ l2, validationAccuracy });
    if (!best || validationAccuracy > best.accuracy) best = { l2, model, accuracy: validationAccuracy };
  }
  return { l2: best!.l2, model: best!.model, results };
}
