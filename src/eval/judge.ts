// A judge for written reviews: does a review the model wrote carry the sentiment it was asked for?
//
// Free text is never scored by exact match (there are many good reviews for "Write a positive
// review."). Instead a separate classifier reads each generated review and gives its verdict. The
// judge is a bag-of-words logistic regression (bag-of-words.ts) trained on labelled reviews that the
// fine-tuning never sees, so the instruct model cannot have learned to please it; its own accuracy on
// real reviews is reported next to its verdicts, because a judge that is right 80% of the time on
// real reviews puts a ceiling on what "carries the sentiment" can mean.
//
//   const judge = trainSentimentJudge(heldOutRecords, "Yelp and IMDB sentences not in the instruction dataset");
//   judge.verdict("Great phone, works well.");        // "positive"
//   judge.verdict("");                                // null: nothing to judge
//   judgeAccuracy(judge, testReviews).accuracy        // how often it agrees with people on real reviews
import { trainBagOfWords, type BagOfWordsModel, type LabelledText } from "./bag-of-words";
import { accuracyReport, type AccuracyReport } from "./metrics";

export interface SentimentJudge {
  /** The sentiments it tells apart (sorted): "negative", "positive". */
  labels: string[];
  /** What it was trained on, in words, for tables and notes. */
  trainedOn: string;
  /** Training reviews. */
  trainingReviews: number;
  model: BagOfWordsModel;
  /** The sentiment a text carries in the judge's reading; null for a text with no words. */
  verdict(text: string): string | null;
}

/** Trains the judge on labelled reviews (text, label) that fine-tuning never sees. */
export function trainSentimentJudge(records: readonly LabelledText[], trainedOn: string): SentimentJudge {
  if (records.length === 0)
    throw new Error(
      "trainSentimentJudge: no reviews to train the judge on; it needs labelled reviews that the fine-tuning never sees.",
    );
  const model = trainBagOfWords(records);
  return {
    labels: model.labels,
    trainedOn,
    trainingReviews: records.length,
    model,
    verdict: (text) => (/[\p{L}\p{N}]/u.test(text) ? model.predict(text) : null),
  };
}

/** The judge's accuracy on real, labelled reviews (records whose label it cannot judge are left out). */
export function judgeAccuracy(judge: SentimentJudge, records: readonly LabelledText[]): AccuracyReport {
  const judged = records.filter((r) => judge.labels.includes(r.label));
  if (judged.length === 0)
    throw new Error(`judgeAccuracy: none of the records has one of the judge's labels (${judge.labels.join(", ")}).`);
  return accuracyReport(judged.map((r) => ({ expected: r.label, predicted: judge.verdict(r.text) })));
}
