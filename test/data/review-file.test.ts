// A user's own review files: CSV, TSV, JSONL and the Amazon presets, and every error a learner can meet.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { DataFileError } from "../../src/util/data-file-error";
import { frameRecords } from "../../src/data/frame";
import { loadReviewFile, readReviewFile } from "../../src/data/review-file";
import { cleanReviewText, sentimentFromRating } from "../../src/data/reviews";
import { setNoticeHandler, type Notice } from "../../src/util/notices";

const AMAZON_US_HEADER = ["marketplace", "customer_id", "review_id", "product_id", "product_parent", "product_title", "product_category",
  "star_rating", "helpful_votes", "total_votes", "vine", "verified_purchase", "review_headline", "review_body", "review_date"];

/** One line of an Amazon US Reviews TSV (unquoted, <br /> for line breaks, as the real files are). */
function amazonUsLine(id: string, stars: string, headline: string, body: string, title = "Sport Watch"): string {
  return ["US", "1234", id, "B00X", "555", title, "Watches", stars, "0", "0", "N", "Y", headline, body, "2015-08-31"].join("\t");
}

let dir: string;
function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}
/** The error a call throws, checked to be a DataFileError. */
function fileError(fn: () => unknown): DataFileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DataFileError, `expected a DataFileError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an error");
}

describe("review files", () => {
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-reviews-")); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it("derives sentiment from stars: 1-2 negative, 3 neutral, 4-5 positive", () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(sentimentFromRating), ["negative", "negative", "neutral", "positive", "positive"]);
    assert.throws(() => sentimentFromRating(6), /a rating is a whole number from 1 to 5, got 6/);
  });

  it("cleans review text: <br /> runs become one newline, entities their characters, ends trimmed", () => {
    assert.equal(cleanReviewText("  Good.<br /><br />Really &quot;good&quot; &amp; cheap &#34;5&#34;<BR>end  "), 'Good.\nReally "good" & cheap "5"\nend');
  });

  it("loads an Amazon US Reviews TSV with the preset: rating, derived label, title, product, category, review id", () => {
    const file = write("amazon_reviews_us_Watches.tsv", [
      AMAZON_US_HEADER.join("\t"),
      amazonUsLine("R1", "5", "Five Stars", '"Best" watch I own.<br />Love it.'),
      amazonUsLine("R2", "3", "OK", "It keeps time."),
      amazonUsLine("R3", "1", "Broke", "The strap broke after a week."),
    ].join("\n") + "\n");
    const before = fs.readFileSync(file);
    const df = loadReviewFile(file, { columns: "amazon-us-reviews" });
    assert.deepEqual(df.columns, ["sourceId", "text", "label", "rating", "title", "product", "category"]);
    assert.deepEqual(df.dtypes, ["string", "string", "string", "int32", "string", "string", "string"]);
    assert.deepEqual(frameRecords(df), [
      { sourceId: "R1", text: '"Best" watch I own.\nLove it.', label: "positive", rating: 5, title: "Five Stars", product: "Sport Watch", category: "Watches" },
      { sourceId: "R2", text: "It keeps time.", label: "neutral", rating: 3, title: "OK", product: "Sport Watch", category: "Watches" },
      { sourceId: "R3", text: "The strap broke after a week.", label: "negative", rating: 1, title: "Broke", product: "Sport Watch", category: "Watches" },
    ]);
    assert.deepEqual(fs.readFileSync(file), before, "the user's file is unchanged");
  });

  it("loads a gzipped TSV the same way", () => {
    const file = write("reviews.tsv.gz", zlib.gzipSync(AMAZON_US_HEADER.join("\t") + "\n" + amazonUsLine("R9", "4", "Nice", "Nice band.") + "\n"));
    assert.deepEqual(readReviewFile(file, { columns: "amazon-us-reviews" }).map((r) => [r.sourceId, r.rating, r.label]), [["R9", 4, "positive"]]);
  });

  it("loads Amazon Reviews 2023 JSONL with the preset (ratings like 4.0), naming records by line", () => {
    const file = write("All_Beauty.jsonl", [
      JSON.stringify({ rating: 4.0, title: "Smells nice", text: "Light scent, lasts all day.", images: [], asin: "B01", parent_asin: "B01P", user_id: "U1", timestamp: 1588687728923, helpful_vote: 0, verified_purchase: true }),
      "",
      JSON.stringify({ rating: 1.0, title: "", text: "Arrived broken.", images: [], asin: "B02", parent_asin: "B02P", user_id: "U2", timestamp: 1588687728924, helpful_vote: 1, verified_purchase: true }),
    ].join("\n"));
    const df = loadReviewFile(file, { columns: "amazon-reviews-2023" });
    assert.deepEqual(df.columns, ["sourceId", "text", "label", "rating", "title", "product"]);
    assert.deepEqual(frameRecords(df), [
      { sourceId: "All_Beauty.jsonl:1", text: "Light scent, lasts all day.", label: "positive", rating: 4, title: "Smells nice", product: "B01P" },
      { sourceId: "All_Beauty.jsonl:3", text: "Arrived broken.", label: "negative", rating: 1, title: "", product: "B02P" },
    ]);
  });

  it("loads a CSV with a mapping of its own, quoted fields and a label column", () => {
    const file = write("mine.csv", 'body,verdict,headline\n"Loud, clear ""bass""",POS,Great\n"Two\nlines",0,\n');
    assert.deepEqual(readReviewFile(file, { columns: { text: "body", label: "verdict", title: "headline" } }), [
      { sourceId: "mine.csv:2", text: 'Loud, clear "bass"', label: "positive", title: "Great" },
      { sourceId: "mine.csv:3", text: "Two\nlines", label: "negative", title: "" },
    ]);
    const custom = readReviewFile(file, { columns: { text: "body", label: "verdict" }, labelValues: { pos: "positive", "0": "negative" } });
    assert.deepEqual(custom.map((r) => r.label), ["positive", "negative"]);
  });

  it("keeps only the first `limit` rows", () => {
    const file = write("limit.csv", "text,stars\na,1\nb,2\nc,3\n");
    assert.deepEqual(readReviewFile(file, { columns: { text: "text", rating: "stars" }, limit: 2 }).map((r) => r.text), ["a", "b"]);
  });

  it("says when the file is missing, empty, a folder, or has only a header", () => {
    const missing = path.join(dir, "nope.csv");
    let e = fileError(() => readReviewFile(missing, { columns: { text: "t", rating: "r" } }));
    assert.equal(e.message, `${missing}: no such file (looked for ${missing}). Fix: check the path; relative paths start at the working directory, ${process.cwd()} (in a notebook, the repository root).`);
    e = fileError(() => readReviewFile(write("empty.csv", ""), { columns: { text: "t", rating: "r" } }));
    assert.equal(e.message, `${path.join(dir, "empty.csv")}: is empty (0 bytes). Fix: put the reviews in it, with a header line for CSV/TSV.`);
    e = fileError(() => readReviewFile(write("header.csv", "t,r\n"), { columns: { text: "t", rating: "r" } }));
    assert.match(e.message, /header\.csv: has a header line but no review rows\. Fix: add the reviews below the header\.$/);
    e = fileError(() => readReviewFile(dir + "/sub.csv", { columns: { text: "t", rating: "r" } }));
    assert.match(e.message, /no such file/);
    fs.mkdirSync(path.join(dir, "folder.csv"));
    assert.match(fileError(() => readReviewFile(path.join(dir, "folder.csv"), { columns: { text: "t", rating: "r" } })).message, /folder\.csv: is a folder, not a file\./);
  });

  it("names a missing column and lists the columns that exist", () => {
    const file = write("cols.tsv", "body\tstars\nFine.\t4\n");
    const e = fileError(() => readReviewFile(file, { columns: { text: "review_body", rating: "stars" } }));
    assert.equal(e.line, 1);
    assert.equal(e.column, "review_body");
    assert.equal(e.message, `${file}, line 1, column "review_body": the header has no such column (mapped to text). The file's columns are: body, stars. Fix: map text to one of those in { columns: { text: "..." } }.`);
    const jsonl = write("cols.jsonl", '{"body": "Fine.", "stars": 4}\n');
    assert.match(fileError(() => readReviewFile(jsonl, { columns: "amazon-reviews-2023" })).message,
      /cols\.jsonl, line 1, column "text": the first record has no key "text" \(mapped to text\)\. Its keys are: body, stars\./);
  });

  it("names the line and column of a rating that is not 1-5, and can skip such rows instead", () => {
    const file = write("ratings.csv", "text,stars\nGood.,5\nBad.,0\nHm.,4.5\nOk.,three\nFine.,\n");
    const e = fileError(() => readReviewFile(file, { columns: { text: "text", rating: "stars" } }));
    assert.equal(e.message, `${file}, line 3, column "stars": the rating "0" is not a whole number from 1 to 5. Fix: correct the rating, map rating to the star-rating column, or pass { skipBadRows: true } to leave such rows out.`);
    const skipped: DataFileError[] = [];
    const records = readReviewFile(file, { columns: { text: "text", rating: "stars" }, skipBadRows: true, onSkip: (p) => skipped.push(p) });
    assert.deepEqual(records.map((r) => r.text), ["Good."]);
    assert.deepEqual(skipped.map((p) => [p.line, p.column, p.problem]), [
      [3, "stars", 'the rating "0" is not a whole number from 1 to 5.'],
      [4, "stars", 'the rating "4.5" is not a whole number from 1 to 5.'],
      [5, "stars", 'the rating "three" is not a whole number from 1 to 5.'],
      [6, "stars", "is empty."],
    ]);
  });

  it("names a row with the wrong number of fields, and a line that is not JSON", () => {
    const tsv = write("fields.tsv", "text\tstars\nGood.\t5\nToo\tmany\t5\n");
    assert.equal(fileError(() => readReviewFile(tsv, { columns: { text: "text", rating: "stars" } })).message,
      `${tsv}, line 3: has 3 fields; the header has 2. Fix: put a field that contains the delimiter (a tab), a quote or a line break in double quotes, or fix the row.`);
    const jsonl = write("bad.jsonl", '{"text": "Good.", "rating": 5}\n{"text": "Oops", "rating": 5\n[1, 2]\n');
    const e = fileError(() => readReviewFile(jsonl, { columns: { text: "text", rating: "rating" } }));
    assert.equal(e.line, 2);
    assert.match(e.message, /bad\.jsonl, line 2: is not valid JSON \(.+\)\. Fix: write one JSON object per line, e\.g\. \{"text": "Works well\.", "rating": 5\}\.$/);
    const skipped: string[] = [];
    readReviewFile(jsonl, { columns: { text: "text", rating: "rating" }, skipBadRows: true, onSkip: (p) => skipped.push(`${p.line}: ${p.problem}`) });
    assert.equal(skipped.length, 2);
    assert.equal(skipped[1], "3: holds an array, not a JSON object.");
  });

  it("names a JSON record that lacks a required key, an empty text, an unknown label and a duplicate id", () => {
    const jsonl = write("keys.jsonl", '{"text": "Good.", "rating": 5}\n{"rating": 2}\n');
    assert.equal(fileError(() => readReviewFile(jsonl, { columns: { text: "text", rating: "rating" } })).message,
      `${jsonl}, line 2, column "text": this record has no key "text"; its keys are: rating. Fix: add "text" to the record, or map the field to a key the records have.`);
    const csv = write("labels.csv", "text,label,id\nGood.,positive,a\n <br /> ,positive,b\nMeh.,so-so,c\nBad.,neg,a\n");
    const mapping = { text: "text", label: "label", id: "id" };
    const problems: string[] = [];
    readReviewFile(csv, { columns: mapping, skipBadRows: true, onSkip: (p) => problems.push(`${p.line} ${p.column}: ${p.problem}`) });
    assert.deepEqual(problems, [
      "3 text: is empty once HTML line breaks are removed.",
      "4 label: the label \"so-so\" is not one of 0, 1, negative, positive, neutral, neg, pos.",
      "5 id: the id \"a\" was already used on line 2.",
    ]);
  });

  it("refuses a bad mapping, an unknown preset or format, and a CSV read as TSV", () => {
    const file = write("any.csv", "text,stars\nGood.,5\n");
    assert.throws(() => readReviewFile(file, { columns: { text: "text" } }), /map a rating column \(1-5 stars\) or a label column/);
    assert.throws(() => readReviewFile(file, { columns: { text: "text", stars: "stars" } as never }), /unknown field "stars" in columns; the fields are text, rating, label, title, product, category, id/);
    assert.throws(() => readReviewFile(file, { columns: "amazon" as never }), /unknown preset "amazon"; the presets are amazon-us-reviews, amazon-reviews-2023/);
    const noExt = write("reviews.txt", "text,stars\nGood.,5\n");
    assert.match(fileError(() => readReviewFile(noExt, { columns: { text: "text", rating: "stars" } })).message, /cannot tell the format from the file's extension\. Fix: name it \.csv, \.tsv or \.jsonl, or pass \{ format: "csv" \| "tsv" \| "jsonl" \}\./);
    assert.equal(readReviewFile(noExt, { columns: { text: "text", rating: "stars" }, format: "csv" })[0].rating, 5);
    assert.match(fileError(() => readReviewFile(file, { columns: { text: "text", rating: "stars" }, format: "tsv" })).message, /line 1: the header has a single column \("text,stars"\)\. Fix: is it a CSV file\? Pass \{ format: "csv" \}\./);
  });

  it("sends one notice when rows were skipped without onSkip", () => {
    const file = write("warn.csv", "text,stars\nGood.,5\nBad.,9\n");
    const notices: Notice[] = [];
    setNoticeHandler((n) => notices.push(n));
    try {
      assert.equal(readReviewFile(file, { columns: { text: "text", rating: "stars" }, skipBadRows: true }).length, 1);
    } finally {
      setNoticeHandler(undefined);
    }
    assert.equal(notices.length, 1);
    assert.equal(notices[0].source, "loadReviewFile");
    assert.match(notices[0].message, /^skipped 1 bad row of .*warn\.csv; the first: .*warn\.csv, line 3, column "stars": the rating "9"/);
  });

});
