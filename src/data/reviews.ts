// The review record: the one schema that every loader in src/data/ returns (as rows of a danfojs
// DataFrame), and that the prompt templates in src/prompts/ read their {{fields}} from.
//
//   column     type                                   present
//   sourceId   string, unique in the dataset          always: "amazon:17" (package file, record 17),
//                                                     "reviews.tsv:5" (a user's file, line 5) or the
//                                                     file's own review id when one is mapped
//   text       string, trimmed, never empty           always: the review (sentence or body)
//   label      "negative" | "positive" | "neutral"    always: the sentiment (from the data's label, or
//                                                     derived from the rating by sentimentFromRating)
//   rating     integer 1-5                            star-rated data only
//   title      string ("" when the row has none)      when the file has a headline column
//   product    string ("" when the row has none)      when the file names the product
//   category   string ("" when the row has none)      when the file has a product category
//   domain     "product" | "restaurant" | "movie"     the embedded UCI sentences: what kind of thing
//                                                     is reviewed (the review-topic task's answer)
//
// The order of the columns is the order above. Every split, template and few-shot prompt downstream
// refers to a review by its sourceId, so one review never lands in two splits.

export type Sentiment = "negative" | "positive" | "neutral";

/** The sentiment labels of binary data (the UCI sentences, IMDB), in answer-choice order. */
export const BINARY_SENTIMENTS: readonly Sentiment[] = ["negative", "positive"];

/** The columns of the review schema, in DataFrame order. */
export const REVIEW_COLUMNS = ["sourceId", "text", "label", "rating", "title", "product", "category", "domain"] as const;

export interface ReviewRecord {
  /** Unique in the dataset; names where the review came from. */
  sourceId: string;
  /** The review itself, trimmed and never empty. */
  text: string;
  /** Its sentiment. */
  label: Sentiment;
  /** Stars, 1 to 5, for star-rated data. */
  rating?: number;
  /** The review's headline (a short sentence describing it). */
  title?: string;
  /** The product's name or id. */
  product?: string;
  /** The product's category. */
  category?: string;
  /** What kind of thing the review is about (the embedded data: "product", "restaurant" or "movie"). */
  domain?: string;
}

/**
 * The sentiment of a star rating: 1-2 stars negative, 3 neutral, 4-5 positive (the usual rule for
 * Amazon reviews, e.g. in the Amazon polarity data set, which drops the 3-star ones).
 */
export function sentimentFromRating(rating: number): Sentiment {
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
    throw new Error(`sentimentFromRating: a rating is a whole number from 1 to 5, got ${rating}.`);
  }
  return rating <= 2 ? "negative" : rating === 3 ? "neutral" : "positive";
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#34": '"', "#39": "'" };

/**
 * Review text as it goes into a prompt: HTML line breaks (`<br />`, which IMDB and Amazon US Reviews
 * use for new lines) become one newline each run, the common HTML entities (&amp; &lt; &gt; &quot;
 * &#34; &#39; &apos;) become their characters, and the ends are trimmed.
 */
export function cleanReviewText(text: string): string {
  return text
    .replace(/[ \t]*(?:<br\s*\/?>[ \t]*)+/gi, "\n")
    .replace(/&(amp|lt|gt|quot|apos|#34|#39);/g, (_, name: string) => ENTITIES[name])
    .trim();
}
