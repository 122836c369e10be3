// Every shipped template, rendered on fixed records: the exact prompt and completion strings.
import assert from "node:assert/strict";
import { REVIEW_TOPIC_TEMPLATES, SENTIMENT_TEMPLATES, STAR_RATING_TEMPLATES } from "../../src/prompts/library";
import { getTemplate, listTemplates } from "../../src/prompts/registry";
import { renderTemplate } from "../../src/prompts/template";

const positive = { sourceId: "amazon:3", text: "Great for the jawbone.", label: "positive", domain: "product" };
const restaurant = { sourceId: "yelp:7", text: "The fries were cold.", label: "negative", domain: "restaurant" };
const negative = { sourceId: "amazon:1", text: "Battery died in a day.", label: "negative" };
const star = {
  sourceId: "R1",
  text: "The strap broke after a week.",
  label: "negative",
  rating: 2,
  title: "Broke fast",
  product: "Watch",
  category: "Watches",
};

/** template id -> [record, prompt, completion]; each shipped template must be here. */
const EXPECTED: Record<string, [object, string, string][]> = {
  "sentiment-classify": [
    [positive, "Classify this review: Great for the jawbone.\nSentiment:", " positive"],
    [negative, "Classify this review: Battery died in a day.\nSentiment:", " negative"],
  ],
  "sentiment-positive-or-negative": [
    [positive, "Review: Great for the jawbone.\nIs this review negative or positive?\nAnswer:", " positive"],
    [negative, "Review: Battery died in a day.\nIs this review negative or positive?\nAnswer:", " negative"],
  ],
  "sentiment-question-first": [
    [positive, "Is the following review positive or negative?\nGreat for the jawbone.\nAnswer:", " positive"],
  ],
  "sentiment-how-does-it-feel": [
    [negative, "How does the reviewer feel, positive or negative? Battery died in a day.\nFeeling:", " negative"],
  ],
  "sentiment-review-cue": [[positive, "Review: Great for the jawbone.\nSentiment:", " positive"]],
  "sentiment-continuation": [
    [positive, "Here is a review: Great for the jawbone.\nThe sentiment of this review is", " positive"],
    [negative, "Here is a review: Battery died in a day.\nThe sentiment of this review is", " negative"],
  ],
  "sentiment-liked-yes-no": [
    [positive, "Review: Great for the jawbone.\nDid the reviewer like it, yes or no?\nAnswer:", " yes"],
    [negative, "Review: Battery died in a day.\nDid the reviewer like it, yes or no?\nAnswer:", " no"],
  ],
  "review-write-sentiment": [
    [positive, "Write a positive review.", " Great for the jawbone."],
    [negative, "Write a negative review.", " Battery died in a day."],
  ],
  "review-here-is-sentiment": [[positive, "Here is a positive review:", " Great for the jawbone."]],
  "topic-product-restaurant-movie": [
    [
      positive,
      "Review: Great for the jawbone.\nIs this review about a product, a restaurant or a movie?\nAnswer:",
      " product",
    ],
    [
      restaurant,
      "Review: The fries were cold.\nIs this review about a product, a restaurant or a movie?\nAnswer:",
      " restaurant",
    ],
  ],
  "topic-what-is-reviewed": [
    [
      restaurant,
      "What is reviewed here, a movie, a product or a restaurant? The fries were cold.\nReviewed:",
      " restaurant",
    ],
  ],
  "rating-predict": [
    [star, "Predict the star rating (1 to 5) of this review: The strap broke after a week.\nRating:", " 2"],
  ],
  "rating-how-many-stars": [
    [star, "Review: The strap broke after a week.\nHow many stars, from 1 to 5, did the reviewer give?\nStars:", " 2"],
  ],
  "review-write-stars": [[star, "Write a 2-star review.", " The strap broke after a week."]],
  "review-write-stars-titled": [
    [star, "Title: Broke fast\nWrite a 2-star review with this title.", " The strap broke after a week."],
  ],
  "headline-describe": [
    [star, "Give a short sentence describing this review: The strap broke after a week.\nSummary:", " Broke fast"],
  ],
  "headline-title": [[star, "Review: The strap broke after a week.\nA title for this review:", " Broke fast"]],
};

describe("shipped prompt templates", () => {
  it("are all registered, and each has an expected rendering below", () => {
    const shipped = [...SENTIMENT_TEMPLATES, ...REVIEW_TOPIC_TEMPLATES, ...STAR_RATING_TEMPLATES].map((t) => t.id);
    assert.deepEqual(shipped.slice().sort(), Object.keys(EXPECTED).sort());
    for (const id of shipped) assert.equal(getTemplate(id).id, id);
    assert.deepEqual(
      listTemplates({ collection: "sentiment" }).map((t) => t.id),
      SENTIMENT_TEMPLATES.map((t) => t.id),
    );
    assert.deepEqual(
      listTemplates({ collection: "star-rating" }).map((t) => t.id),
      STAR_RATING_TEMPLATES.map((t) => t.id),
    );
  });

  for (const [id, cases] of Object.entries(EXPECTED)) {
    it(`${id} renders the exact strings`, () => {
      for (const [record, prompt, completion] of cases) {
        assert.deepEqual(renderTemplate(getTemplate(id), record), { prompt, completion });
      }
    });
  }

  it('include the lesson\'s prompt: it begins "Classify this review:" and ends "Sentiment:"', () => {
    const { prompt } = renderTemplate(getTemplate("sentiment-classify"), positive);
    assert.ok(prompt.startsWith("Classify this review:") && prompt.endsWith("Sentiment:"), prompt);
  });

  it("follow the space convention: no prompt ends with whitespace, every completion starts with one space", () => {
    for (const [id, cases] of Object.entries(EXPECTED)) {
      for (const [record] of cases) {
        const { prompt, completion } = renderTemplate(getTemplate(id), record);
        assert.match(prompt, /\S$/, id);
        assert.match(completion, /^ \S/, id);
      }
    }
  });

  it("declare tasks, answer choices, metrics and the fields they need", () => {
    const t = (id: string) => getTemplate(id);
    assert.deepEqual(t("sentiment-classify").fields, ["text", "label"]);
    assert.deepEqual(t("sentiment-liked-yes-no").answerChoices, ["no", "yes"]);
    assert.deepEqual(t("rating-predict").answerChoices, ["1", "2", "3", "4", "5"]);
    assert.deepEqual(t("rating-predict").fields, ["text", "rating"]);
    assert.deepEqual(t("review-write-stars-titled").fields, ["title", "rating", "text"]);
    assert.deepEqual(t("headline-describe").fields, ["text", "title"]);
    assert.equal(t("headline-describe").metric, "rouge-l");
    assert.equal(t("review-write-sentiment").metric, "judge");
    assert.deepEqual(t("topic-product-restaurant-movie").answerChoices, ["movie", "product", "restaurant"]);
    assert.deepEqual(t("topic-product-restaurant-movie").fields, ["text", "domain"]);
    assert.equal(t("review-write-sentiment").answerChoices, undefined);
    assert.deepEqual(
      listTemplates({ task: "rating-prediction" }).map((x) => x.id),
      ["rating-predict", "rating-how-many-stars"],
    );
    assert.deepEqual(
      listTemplates({ task: "headline-generation" }).map((x) => x.id),
      ["headline-describe", "headline-title"],
    );
    assert.deepEqual(
      listTemplates({ collection: "sentiment", originalTask: false }).map((x) => x.id),
      ["review-write-sentiment", "review-here-is-sentiment"],
    );
    // Data with text and label only: the sentiment templates, none that needs a rating or a title.
    const shipped = listTemplates({ fields: ["text", "label"] }).filter((x) => x.collection !== "user");
    assert.deepEqual(
      shipped.map((x) => x.id),
      SENTIMENT_TEMPLATES.map((x) => x.id),
    );
  });

  it("refuse a neutral review in a negative/positive template, naming the template, record and field", () => {
    const neutral = { ...star, label: "neutral", rating: 3 };
    assert.throws(
      () => renderTemplate(getTemplate("sentiment-liked-yes-no"), neutral),
      /^TemplateRenderError: Template "sentiment-liked-yes-no" on record R1: its label "neutral" is not one of the answer choices \(negative, positive\)/,
    );
    assert.deepEqual(renderTemplate(getTemplate("rating-predict"), neutral).completion, " 3");
  });
});
