// Scoring a mix of tasks, each by its own metric: hand-made answers with hand-worked figures, the
// flags of written text, the judge, and evaluateTasks on a tiny model (every metric, the seeds of
// sampled reviews, a missing judge refused).
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { generationFlags, repeatsItself } from "../../src/eval/generation-quality";
import { judgeAccuracy, trainSentimentJudge } from "../../src/eval/judge";
import { wilsonInterval } from "../../src/eval/metrics";
import {
  evaluateTasks,
  scoreTasks,
  taskScoreRows,
  validationSummary,
  type TaskAnswer,
  type TaskExample,
} from "../../src/eval/tasks";
import { GPT } from "../../src/model/gpt";
import { gptConfig } from "../../src/model/config";
import { trainBPE } from "../../src/model/bpe-train";
import { renderTemplate } from "../../src/prompts/template";
import { getTemplate } from "../../src/prompts/registry";

const answer = (over: Partial<TaskAnswer>): TaskAnswer => ({
  task: "sentiment-classification",
  templateId: "sentiment-classify",
  sourceId: "a:1",
  metric: "accuracy",
  scoring: "generation",
  prompt: "p",
  expected: "positive",
  output: " positive",
  predicted: "positive",
  score: 1,
  ...over,
});

describe("task scores", () => {
  it("scores each task by its metric: accuracy with Wilson intervals, the judge, mean ROUGE-L, stars' MAE", () => {
    const answers: TaskAnswer[] = [
      answer({}),
      answer({ sourceId: "a:2", expected: "negative", predicted: "positive", score: 0 }),
      answer({ sourceId: "a:3", predicted: null, output: " movie", score: 0 }),
      answer({
        task: "review-generation",
        templateId: "review-write-sentiment",
        metric: "judge",
        requested: "positive",
        predicted: "positive",
        score: 1,
        flags: { empty: false, repeats: true, pastStop: false },
      }),
      answer({
        task: "review-generation",
        templateId: "review-write-sentiment",
        metric: "judge",
        requested: "negative",
        predicted: null,
        output: "",
        score: 0,
        flags: { empty: true, repeats: false, pastStop: true },
      }),
      answer({
        task: "headline-generation",
        templateId: "headline-describe",
        metric: "rouge-l",
        expected: "Broke fast",
        output: " broke",
        predicted: null,
        score: 2 / 3,
      }),
      answer({
        task: "headline-generation",
        templateId: "headline-describe",
        metric: "rouge-l",
        expected: "Broke fast",
        output: " great",
        predicted: null,
        score: 0,
      }),
      answer({ task: "rating-prediction", templateId: "rating-predict", expected: "2", predicted: "4", score: 0 }),
      answer({ task: "rating-prediction", templateId: "rating-predict", expected: "5", predicted: "5", score: 1 }),
      answer({ task: "rating-prediction", templateId: "rating-predict", expected: "1", predicted: null, score: 0 }),
    ];
    const scores = Object.fromEntries(scoreTasks(answers).map((s) => [s.task, s]));
    const sentiment = scores["sentiment-classification"];
    assert.equal(sentiment.n, 3);
    assert.equal(sentiment.score, 1 / 3);
    assert.equal(sentiment.invalid, 1);
    assert.deepEqual(sentiment.ci95, wilsonInterval(1, 3));
    const reviews = scores["review-generation"];
    assert.equal(reviews.score, 0.5);
    assert.equal(reviews.invalid, 1, "an empty review has nothing to judge");
    assert.deepEqual([reviews.empty, reviews.repeats, reviews.pastStop], [0.5, 0.5, 0.5]);
    const headlines = scores["headline-generation"];
    assert.equal(headlines.score, 1 / 3);
    // Mean 1/3 of [2/3, 0]: sample sd sqrt(2) * 1/3, interval 1/3 +- 1.96 * (1/3); clipped at 0.
    assert.ok(
      Math.abs(headlines.ci95[1] - (1 / 3 + 1.96 / 3)) < 1e-9 && headlines.ci95[0] === 0,
      String(headlines.ci95),
    );
    // Stars: |4 - 2| and |5 - 5| over the two valid answers.
    assert.equal(scores["rating-prediction"].meanAbsoluteError, 1);
    assert.equal(sentiment.meanAbsoluteError, undefined);
    const rows = taskScoreRows(scoreTasks(answers));
    assert.equal(rows.find((r) => r.task === "headline-generation")!.score, "0.333");
    assert.equal(rows.find((r) => r.task === "sentiment-classification")!.score, "33.3%");
  });

  it("picks the best model by the mean of the tasks' written-answer scores, not by answer count", () => {
    const answers = [
      answer({}),
      answer({ sourceId: "a:2", score: 1 }),
      answer({ sourceId: "a:3", score: 0, predicted: "negative" }),
      answer({ sourceId: "a:3", scoring: "likelihood", score: 0 }),
      answer({
        task: "review-topic",
        templateId: "topic-what-is-reviewed",
        expected: "movie",
        predicted: "movie",
        score: 1,
      }),
    ];
    const summary = validationSummary(answers);
    assert.deepEqual(summary.byTask, { "sentiment-classification": 2 / 3, "review-topic": 1 });
    assert.equal(summary.score, (2 / 3 + 1) / 2);
  });

  it("flags written text that is empty, repeats itself or runs past the stop", () => {
    assert.deepEqual(generationFlags(" Great phone. Great phone. Great phone.", "eos"), {
      empty: false,
      repeats: true,
      pastStop: false,
    });
    assert.deepEqual(generationFlags(" ...", "stop-string"), { empty: true, repeats: false, pastStop: false });
    assert.deepEqual(generationFlags(" It works well and I like it", "max-tokens"), {
      empty: false,
      repeats: false,
      pastStop: true,
    });
    assert.equal(repeatsItself("I like it and I like the case"), false, "two words repeated are not a loop");
    assert.equal(repeatsItself("I like it, and I like it"), true);
  });

  it("trains a judge that reads sentiment, says null for an empty text and reports its own accuracy", () => {
    const judge = trainSentimentJudge(
      [
        { text: "great, works well, love it", label: "positive" },
        { text: "excellent and great value", label: "positive" },
        { text: "broke fast, terrible, waste", label: "negative" },
        { text: "terrible quality, returned it", label: "negative" },
      ],
      "four hand-written reviews",
    );
    assert.equal(judge.verdict("great phone"), "positive");
    assert.equal(judge.verdict("terrible phone"), "negative");
    assert.equal(judge.verdict("  ..."), null);
    const report = judgeAccuracy(judge, [
      { text: "love it", label: "positive" },
      { text: "waste", label: "negative" },
      { text: "fine", label: "neutral" }, // a label the judge cannot tell is left out
    ]);
    assert.equal(report.n, 2);
    assert.equal(report.accuracy, 1);
    assert.throws(() => trainSentimentJudge([], "nothing"), /no reviews to train the judge on/);
  });
});

describe("evaluateTasks on a tiny model", function () {
  this.timeout(120_000);
  const record = (i: number) => ({
    sourceId: `r:${i}`,
    text: i % 2 ? "great phone, works well" : "broke after a week",
    label: i % 2 ? "positive" : "negative",
    title: i % 2 ? "Works well" : "Broke",
    rating: i % 2 ? 5 : 1,
  });
  const templates = ["sentiment-classify", "review-write-sentiment", "headline-describe"];
  const examples: TaskExample[] = [];
  for (let i = 0; i < 6; i++)
    for (const id of templates) {
      const t = getTemplate(id);
      examples.push({
        ...renderTemplate(t, record(i)),
        label: record(i).label,
        templateId: id,
        sourceId: record(i).sourceId,
        task: t.task,
      });
    }
  const tokenizer = trainBPE(examples.map((e) => e.prompt + e.completion).slice(), { vocabSize: 300 });
  const model = new GPT(
    gptConfig({ vocabSize: tokenizer.vocabSize, blockSize: 96, nLayer: 1, nHead: 2, nEmbd: 16 }),
    1,
  );
  const judge = trainSentimentJudge(
    [
      { text: "great, works well", label: "positive" },
      { text: "broke, terrible", label: "negative" },
    ],
    "two reviews",
  );
  after(() => model.dispose());

  it("scores every example by its template's metric, by generation and (for classification) likelihood", () => {
    const before = tf.memory().numTensors;
    const answers = evaluateTasks(model, tokenizer, examples, { seed: 0, judge, review: { maxNewTokens: 8 } });
    assert.equal(tf.memory().numTensors, before, "evaluateTasks leaves no tensors behind");
    const of = (metric: string, scoring = "generation") =>
      answers.filter((a) => a.metric === metric && a.scoring === scoring);
    assert.equal(of("accuracy").length, 6);
    assert.equal(of("accuracy", "likelihood").length, 6);
    assert.ok(
      of("accuracy", "likelihood").every((a) => ["negative", "positive"].includes(a.predicted!)),
      "likelihood always picks a choice",
    );
    assert.equal(of("judge").length, 6);
    assert.ok(
      of("judge").every(
        (a) =>
          a.requested ===
          (a.sourceId.endsWith("1") || a.sourceId.endsWith("3") || a.sourceId.endsWith("5") ? "positive" : "negative"),
      ),
    );
    assert.equal(of("rouge-l").length, 6);
    assert.ok(of("rouge-l").every((a) => a.score >= 0 && a.score <= 1 && a.flags !== undefined));
    // Sampled reviews are seeded per example: the same seed gives the same reviews, another seed others.
    const again = evaluateTasks(model, tokenizer, examples, { seed: 0, judge, review: { maxNewTokens: 8 } });
    assert.deepEqual(
      again.map((a) => a.output),
      answers.map((a) => a.output),
    );
    const other = evaluateTasks(model, tokenizer, examples, {
      seed: 1,
      judge,
      review: { maxNewTokens: 8 },
      likelihood: false,
    });
    assert.notDeepEqual(
      other.filter((a) => a.metric === "judge").map((a) => a.output),
      of("judge").map((a) => a.output),
    );
  });

  it("refuses review templates without a judge, and prompts that do not match the examples", () => {
    assert.throws(
      () => evaluateTasks(model, tokenizer, examples, { seed: 0 }),
      /scored by the sentiment judge; pass \{ judge \}/,
    );
    assert.throws(
      () => evaluateTasks(model, tokenizer, examples, { seed: 0, judge, prompts: ["a"] }),
      /1 prompts for 18 examples/,
    );
  });
});
