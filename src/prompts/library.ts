// The shipped prompt templates: several phrasings per task, as promptsource keeps them per dataset.
// registry.ts registers them all at start; tests assert every one's exact rendered string.
//
// "sentiment" (any data with text and a label; the embedded UCI sentences and IMDB reviews):
//   classify the review, did the reviewer like it (yes/no), write a positive or negative review.
// "review-topic" (the embedded UCI sentences, whose `domain` says what is reviewed): is the review
//   about a product, a restaurant or a movie? Three answers, so not always one of two words.
// "star-rating" (star-rated Amazon reviews a user brings as a file; text, rating 1-5, title):
//   predict the stars, write an N-star review, give a short sentence describing it (its headline).
//
// Phrasing rules (see template.ts): the prompt ends without a space, usually with a cue such as
// "Sentiment:" that a base model can continue; the completion is rendered after one space.
import type { TemplateSpec } from "./template";

const SENTIMENTS = ["negative", "positive"];
const STARS = ["1", "2", "3", "4", "5"];
const DOMAINS = ["movie", "product", "restaurant"];

export const SENTIMENT_TEMPLATES: readonly TemplateSpec[] = [
  {
    // The lesson's own prompt (step 1: the base model fails at it zero-shot).
    id: "sentiment-classify",
    collection: "sentiment",
    task: "sentiment-classification",
    instruction: "Classify this review: {{text}}\nSentiment:",
    completion: "{{answer}}",
    answerField: "label",
    answerChoices: SENTIMENTS,
    metric: "accuracy",
    originalTask: true,
  },
  {
    id: "sentiment-positive-or-negative",
    collection: "sentiment",
    task: "sentiment-classification",
    instruction: "Review: {{text}}\nIs this review negative or positive?\nAnswer:",
    completion: "{{answer}}",
    answerField: "label",
    answerChoices: SENTIMENTS,
    metric: "accuracy",
    originalTask: true,
  },
  {
    // The question first, the review after it: the answer words are named in the instruction.
    id: "sentiment-question-first",
    collection: "sentiment",
    task: "sentiment-classification",
    instruction: "Is the following review positive or negative?\n{{text}}\nAnswer:",
    completion: "{{answer}}",
    answerField: "label",
    answerChoices: SENTIMENTS,
    metric: "accuracy",
    originalTask: true,
  },
  {
    // The question first, with its own cue word.
    id: "sentiment-how-does-it-feel",
    collection: "sentiment",
    task: "sentiment-classification",
    instruction: "How does the reviewer feel, positive or negative? {{text}}\nFeeling:",
    completion: "{{answer}}",
    answerField: "label",
    answerChoices: SENTIMENTS,
    metric: "accuracy",
    originalTask: true,
  },
  {
    // The shortest phrasing: the review, then the cue.
    id: "sentiment-review-cue",
    collection: "sentiment",
    task: "sentiment-classification",
    instruction: "Review: {{text}}\nSentiment:",
    completion: "{{answer}}",
    answerField: "label",
    answerChoices: SENTIMENTS,
    metric: "accuracy",
    originalTask: true,
  },
  {
    // A continuation a base model can complete without understanding "classify".
    id: "sentiment-continuation",
    collection: "sentiment",
    task: "sentiment-classification",
    instruction: "Here is a review: {{text}}\nThe sentiment of this review is",
    completion: "{{answer}}",
    answerField: "label",
    answerChoices: SENTIMENTS,
    metric: "accuracy",
    originalTask: true,
  },
  {
    // Same task, other words for the answers: the label is mapped to yes/no.
    id: "sentiment-liked-yes-no",
    collection: "sentiment",
    task: "sentiment-classification",
    instruction: "Review: {{text}}\nDid the reviewer like it, yes or no?\nAnswer:",
    completion: "{{answer}}",
    answerField: "label",
    answerMap: { negative: "no", positive: "yes" },
    answerChoices: ["no", "yes"],
    metric: "accuracy",
    originalTask: true,
  },
  {
    // The task turned around: the label is the input and the review the output.
    id: "review-write-sentiment",
    collection: "sentiment",
    task: "review-generation",
    instruction: "Write a {{label}} review.",
    completion: "{{text}}",
    metric: "judge",
    originalTask: false,
  },
  {
    id: "review-here-is-sentiment",
    collection: "sentiment",
    task: "review-generation",
    instruction: "Here is a {{label}} review:",
    completion: "{{text}}",
    metric: "judge",
    originalTask: false,
  },
];

export const REVIEW_TOPIC_TEMPLATES: readonly TemplateSpec[] = [
  {
    id: "topic-product-restaurant-movie",
    collection: "review-topic",
    task: "review-topic",
    instruction: "Review: {{text}}\nIs this review about a product, a restaurant or a movie?\nAnswer:",
    completion: "{{answer}}",
    answerField: "domain",
    answerChoices: DOMAINS,
    metric: "accuracy",
    originalTask: false,
  },
  {
    id: "topic-what-is-reviewed",
    collection: "review-topic",
    task: "review-topic",
    instruction: "What is reviewed here, a movie, a product or a restaurant? {{text}}\nReviewed:",
    completion: "{{answer}}",
    answerField: "domain",
    answerChoices: DOMAINS,
    metric: "accuracy",
    originalTask: false,
  },
];

export const STAR_RATING_TEMPLATES: readonly TemplateSpec[] = [
  {
    id: "rating-predict",
    collection: "star-rating",
    task: "rating-prediction",
    instruction: "Predict the star rating (1 to 5) of this review: {{text}}\nRating:",
    completion: "{{answer}}",
    answerField: "rating",
    answerChoices: STARS,
    metric: "accuracy",
    originalTask: true,
  },
  {
    id: "rating-how-many-stars",
    collection: "star-rating",
    task: "rating-prediction",
    instruction: "Review: {{text}}\nHow many stars, from 1 to 5, did the reviewer give?\nStars:",
    completion: "{{answer}}",
    answerField: "rating",
    answerChoices: STARS,
    metric: "accuracy",
    originalTask: true,
  },
  {
    id: "review-write-stars",
    collection: "star-rating",
    task: "review-generation",
    instruction: "Write a {{rating}}-star review.",
    completion: "{{text}}",
    metric: "judge",
    originalTask: false,
  },
  {
    id: "review-write-stars-titled",
    collection: "star-rating",
    task: "review-generation",
    instruction: "Title: {{title}}\nWrite a {{rating}}-star review with this title.",
    completion: "{{text}}",
    metric: "judge",
    originalTask: false,
  },
  {
    id: "headline-describe",
    collection: "star-rating",
    task: "headline-generation",
    instruction: "Give a short sentence describing this review: {{text}}\nSummary:",
    completion: "{{title}}",
    metric: "rouge-l",
    originalTask: false,
  },
  {
    id: "headline-title",
    collection: "star-rating",
    task: "headline-generation",
    instruction: "Review: {{text}}\nA title for this review:",
    completion: "{{title}}",
    metric: "rouge-l",
    originalTask: false,
  },
];
