// The lesson's multi-task instruction dataset: what each split holds, what is held out, and what
// the judge of written reviews may read.
import assert from "node:assert/strict";
import { lessonData } from "../../src/lesson/lesson-data";
import { lessonHyperparameters, SINGLE_TASK } from "../../src/lesson/hyperparameters";
import { getTemplate } from "../../src/prompts/registry";

describe("the lesson's instruction dataset", function () {
  this.timeout(60_000);
  const hp = lessonHyperparameters();
  const data = lessonData(hp);
  const { train, validation, test } = data.splits;

  it("mixes three tasks, each in several phrasings, and keeps every review in one split", () => {
    assert.deepEqual(
      new Set([...train, ...test].map((e) => e.task)),
      new Set(["sentiment-classification", "review-generation", "review-topic"]),
    );
    for (const task of ["sentiment-classification", "review-generation", "review-topic"])
      assert.ok(
        new Set(train.filter((e) => e.task === task).map((e) => e.templateId)).size >= 2,
        `${task}: one phrasing`,
      );
    const splitOf = new Map<string, string>();
    for (const [name, list] of Object.entries({ train, validation, test }))
      for (const e of list) {
        assert.notEqual(splitOf.get(e.sourceId) ?? name, undefined);
        assert.equal(
          splitOf.get(e.sourceId) ?? name,
          name,
          `${e.sourceId} is in ${splitOf.get(e.sourceId)} and ${name}`,
        );
        splitOf.set(e.sourceId, name);
      }
  });

  it("trains each review once per task, and tests it under every phrasing, the held-out one only there", () => {
    const perTask = new Map<string, number>();
    for (const e of [...train, ...validation])
      perTask.set(`${e.sourceId} ${e.task}`, (perTask.get(`${e.sourceId} ${e.task}`) ?? 0) + 1);
    assert.ok(
      [...perTask.values()].every((n) => n === 1),
      "a review appears twice for one task in training",
    );
    const [heldOut] = hp.heldOutTemplates;
    assert.equal([...train, ...validation].filter((e) => e.templateId === heldOut).length, 0);
    const testReviews = new Set(test.filter((e) => e.task === "sentiment-classification").map((e) => e.sourceId));
    const phrasings = [...hp.templates, ...hp.heldOutTemplates].filter(
      (id) => getTemplate(id).task === "sentiment-classification",
    );
    assert.equal(test.filter((e) => e.task === "sentiment-classification").length, testReviews.size * phrasings.length);
    assert.equal(test.filter((e) => e.templateId === heldOut).length, testReviews.size);
  });

  it("asks the topic question of product, restaurant and movie reviews in every split", () => {
    for (const list of [train, validation, test]) {
      const answers = new Set(list.filter((e) => e.task === "review-topic").map((e) => e.completion.trim()));
      assert.deepEqual([...answers].sort(), ["movie", "product", "restaurant"]);
    }
  });

  it("splits the main dataset as the single-instruction lesson does (notebook 1 tests the same reviews)", () => {
    const single = lessonData(lessonHyperparameters({ ...SINGLE_TASK }));
    const amazon = (list: { sourceId: string }[]) =>
      [...new Set(list.map((e) => e.sourceId).filter((id) => id.startsWith("amazon:")))].sort();
    assert.deepEqual(amazon(test), amazon(single.splits.test));
    assert.deepEqual(amazon(train), amazon(single.splits.train));
  });

  it("trains the judge on reviews none of the examples comes from", () => {
    assert.ok(data.judge.trainingReviews > 1000, `${data.judge.trainingReviews} reviews`);
    assert.match(data.judge.trainedOn, /yelp and imdb-sentences sentences that no instruction example comes from/);
    const used = new Set(data.examples.map((e) => e.sourceId));
    assert.equal(data.judgeReviews.length, data.judge.trainingReviews);
    assert.equal(
      data.judgeReviews.filter((r) => used.has(r.sourceId)).length,
      0,
      "the judge read a review of the instruction dataset",
    );
    assert.ok(data.judgeReviews.every((r) => /^(yelp|imdb-sentences):/.test(r.sourceId)));
    assert.equal(data.judge.model.training.converged, true);
  });

  it("refuses hyperparameters that contradict themselves, saying why", () => {
    assert.throws(
      () => lessonHyperparameters({ heldOutTemplates: ["sentiment-classify"] }),
      /heldOutTemplates: sentiment-classify is also in templates; a held-out phrasing is one never trained on/,
    );
    assert.throws(
      () => lessonHyperparameters({ topicReviews: 0 }),
      /topicReviews: is 0, so topic-product-restaurant-movie/,
    );
    assert.throws(
      () => lessonHyperparameters({ dataFile: "reviews.tsv", dataColumns: "amazon-us-reviews" }),
      /ask about the review's topic, which only the embedded sentences carry/,
    );
    assert.throws(
      () => lessonHyperparameters({ dataColumns: "amazon-us-reviews" }),
      /names the columns of a data file, but dataFile is empty/,
    );
  });
});
