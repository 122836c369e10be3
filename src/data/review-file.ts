// A user's own review file (CSV, TSV or JSON Lines, optionally gzipped) as a DataFrame with the
// review schema (reviews.ts). Star-rated Amazon reviews come this way: no registry package ships them.
//
//   loadReviewFile("data/my/amazon_reviews_us_Books.tsv", { columns: "amazon-us-reviews" });
//   loadReviewFile("data/my/All_Beauty.jsonl", { columns: "amazon-reviews-2023" });
//   loadReviewFile("mine.csv", { columns: { text: "body", rating: "stars", title: "headline" } });
//
// The column mapping says which of the file's columns holds each field of the schema: `text` and
// either `rating` (1-5 stars; the label is then derived: 1-2 negative, 3 neutral, 4-5 positive) or
// `label` (negative/positive/neutral, or 0/1) are required. Every problem is a DataFileError that
// names the file, the line and the column and says how to fix it; with skipBadRows the bad rows are
// left out and reported instead. The file itself is only read.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { parseDelimited } from "./delimited";
import { DataFileError } from "../util/data-file-error";
import { notify } from "../util/notices";
import { reviewFrame, type DataFrame } from "./frame";
import { cleanReviewText, sentimentFromRating, type ReviewRecord, type Sentiment } from "./reviews";

export type ReviewFileFormat = "csv" | "tsv" | "jsonl";

/** Which column of the file holds each field of the review schema. */
export interface ColumnMapping {
  /** The review text (required). */
  text: string;
  /** Star rating, a whole number 1-5 ("4.0" is read as 4). */
  rating?: string;
  /** Sentiment label; when both are mapped, the label column wins over the rating's sentiment. */
  label?: string;
  /** Headline or title of the review. */
  title?: string;
  /** Product name or id. */
  product?: string;
  /** Product category. */
  category?: string;
  /** A unique review id, used as sourceId (otherwise "<file name>:<line>"). */
  id?: string;
}

/** A known file layout: format, quoting, mapping and whether its text holds HTML line breaks. */
export interface ReviewFileLayout {
  format: ReviewFileFormat;
  quoting: "quotes" | "none";
  columns: ColumnMapping;
  description: string;
}

export const REVIEW_FILE_PRESETS = {
  /**
   * Amazon Customer Reviews (amazon_reviews_us_<Category>_v1_00.tsv[.gz]): tab-separated with a header
   * marketplace, customer_id, review_id, product_id, product_parent, product_title, product_category,
   * star_rating, helpful_votes, total_votes, vine, verified_purchase, review_headline, review_body,
   * review_date. Fields are not quoted (a body may start with a bare "), and line breaks in a body are
   * written as <br />.
   */
  "amazon-us-reviews": {
    format: "tsv", quoting: "none",
    columns: { text: "review_body", rating: "star_rating", title: "review_headline", product: "product_title", category: "product_category", id: "review_id" },
    description: "Amazon Customer Reviews (US) TSV",
  },
  /**
   * Amazon Reviews 2023 (McAuley lab, <Category>.jsonl[.gz]): one JSON object per line with rating
   * (1.0-5.0), title, text, images, asin, parent_asin, user_id, timestamp, helpful_vote,
   * verified_purchase. There is no review id and no product name in a review record.
   */
  "amazon-reviews-2023": {
    format: "jsonl", quoting: "quotes",
    columns: { text: "text", rating: "rating", title: "title", product: "parent_asin" },
    description: "Amazon Reviews 2023 JSONL",
  },
} satisfies Record<string, ReviewFileLayout>;

export type ReviewFilePreset = keyof typeof REVIEW_FILE_PRESETS;

export interface ReviewFileOptions {
  /** A mapping, or the name of a preset (which also sets format and quoting). */
  columns: ColumnMapping | ReviewFilePreset;
  /** Default: from the extension (.csv, .tsv/.tab, .jsonl/.ndjson, each optionally .gz), else the preset's. */
  format?: ReviewFileFormat;
  /** For CSV/TSV: "quotes" (default) or "none" (quotes are ordinary characters). */
  quoting?: "quotes" | "none";
  /** How the file's label values map to sentiments (matched without regard to case). Default: DEFAULT_LABEL_VALUES. */
  labelValues?: Record<string, Sentiment>;
  /** Keep only the first `limit` good rows of the file. */
  limit?: number;
  /** Leave bad rows out (each reported to onSkip, or all in one notice, see util/notices) instead of stopping at the first. */
  skipBadRows?: boolean;
  /** Called for each row left out by skipBadRows. */
  onSkip?: (problem: DataFileError) => void;
}

export const DEFAULT_LABEL_VALUES: Readonly<Record<string, Sentiment>> = {
  negative: "negative", positive: "positive", neutral: "neutral", neg: "negative", pos: "positive", "0": "negative", "1": "positive",
};

/** The file's rows as "column -> value" lookups (CSV/TSV cells are strings, JSON values any type). */
interface RawRow {
  line: number;
  values: Record<string, unknown>;
}

/** Reads a review file into records of the review schema; loadReviewFile wraps them in a DataFrame. */
export function readReviewFile(file: string, options: ReviewFileOptions): ReviewRecord[] {
  const preset = typeof options.columns === "string" ? REVIEW_FILE_PRESETS[options.columns] as ReviewFileLayout | undefined : undefined;
  if (typeof options.columns === "string" && !preset) {
    throw new Error(`loadReviewFile: unknown preset ${JSON.stringify(options.columns)}; the presets are ${Object.keys(REVIEW_FILE_PRESETS).join(", ")}, or pass a mapping such as { text: "body", rating: "stars" }.`);
  }
  const columns = preset ? preset.columns : options.columns as ColumnMapping;
  checkMapping(columns);
  const format = options.format ?? formatFromName(file) ?? preset?.format;
  if (!format) {
    throw new DataFileError({ file }, "cannot tell the format from the file's extension.", 'name it .csv, .tsv or .jsonl, or pass { format: "csv" | "tsv" | "jsonl" }.');
  }
  const text = readText(file);
  const rows = format === "jsonl" ? jsonlRows(file, text, columns)
    : delimitedRows(file, text, format === "csv" ? "," : "\t", options.quoting ?? preset?.quoting ?? "quotes", columns);
  return toRecords(file, rows, columns, options);
}

/**
 * Loads a review file as a DataFrame with the review schema: sourceId, text, label, then rating,
 * title, product, category for the columns the mapping names (see reviews.ts).
 */
export function loadReviewFile(file: string, options: ReviewFileOptions): DataFrame {
  const records = readReviewFile(file, options);
  const mapping = typeof options.columns === "string" ? REVIEW_FILE_PRESETS[options.columns].columns as ColumnMapping : options.columns;
  const columns = ["sourceId", "text", "label"].concat((["rating", "title", "product", "category"] as const).filter((c) => mapping[c] !== undefined));
  return reviewFrame(records, columns);
}

const MAPPING_KEYS = ["text", "rating", "label", "title", "product", "category", "id"];

function checkMapping(columns: ColumnMapping): void {
  if (typeof columns !== "object" || columns === null) throw new Error("loadReviewFile: `columns` must be a mapping such as { text: \"body\", rating: \"stars\" } or a preset name.");
  for (const key of Object.keys(columns)) {
    if (!MAPPING_KEYS.includes(key)) throw new Error(`loadReviewFile: unknown field "${key}" in columns; the fields are ${MAPPING_KEYS.join(", ")}.`);
    const v = (columns as unknown as Record<string, unknown>)[key];
    if (typeof v !== "string" || v === "") throw new Error(`loadReviewFile: columns.${key} must name a column of the file, got ${JSON.stringify(v)}.`);
  }
  if (!columns.text) throw new Error("loadReviewFile: columns.text is required: the column that holds the review text.");
  if (!columns.rating && !columns.label) throw new Error("loadReviewFile: map a rating column (1-5 stars) or a label column (negative/positive) in columns, e.g. { text: \"body\", rating: \"stars\" }.");
}

function formatFromName(file: string): ReviewFileFormat | undefined {
  const ext = path.extname(file.replace(/\.gz$/i, "")).toLowerCase();
  return ext === ".csv" ? "csv" : ext === ".tsv" || ext === ".tab" ? "tsv" : ext === ".jsonl" || ext === ".ndjson" ? "jsonl" : undefined;
}

function readText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new DataFileError({ file }, `no such file (looked for ${path.resolve(file)}).`,
        `check the path; relative paths start at the working directory, ${process.cwd()} (in a notebook, the repository root).`);
    }
    if (code === "EISDIR") throw new DataFileError({ file }, "is a folder, not a file.", "name the file inside it.");
    throw new DataFileError({ file }, `cannot be read (${(err as Error).message}).`);
  }
  if (/\.gz$/i.test(file)) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new DataFileError({ file }, `is named .gz but is not gzip data (${(err as Error).message}).`, "rename it without .gz, or decompress it.");
    }
  }
  const text = bytes.toString("utf8");
  if (text.replace(/^\uFEFF/, "").trim() === "") throw new DataFileError({ file }, `is empty (${bytes.length} bytes).`, "put the reviews in it, with a header line for CSV/TSV.");
  return text;
}

function delimitedRows(file: string, text: string, delimiter: string, quoting: "quotes" | "none", mapping: ColumnMapping): RawRow[] {
  const records = parseDelimited(text, { file, delimiter, quoting });
  const header = records[0].fields.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new DataFileError({ file, line: records[0].line, column: h }, "the header names this column twice.", "give each column its own name.");
    seen.add(h);
  }
  if (header.length === 1 && records.length > 0 && text.includes(delimiter === "," ? "\t" : ",")) {
    // One column only: the delimiter is likely the other one; say so rather than "no column text".
    const other = delimiter === "," ? "tsv" : "csv";
    throw new DataFileError({ file, line: records[0].line }, `the header has a single column (${JSON.stringify(header[0].slice(0, 60))}).`, `is it a ${other.toUpperCase()} file? Pass { format: "${other}" }.`);
  }
  for (const [field, column] of Object.entries(mapping)) {
    if (column !== undefined && !seen.has(column)) {
      throw new DataFileError({ file, line: records[0].line, column }, `the header has no such column (mapped to ${field}). The file's columns are: ${header.join(", ")}.`,
        `map ${field} to one of those in { columns: { ${field}: "..." } }.`);
    }
  }
  if (records.length < 2) throw new DataFileError({ file }, "has a header line but no review rows.", "add the reviews below the header.");
  const rows: RawRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const { fields, line } = records[r];
    if (fields.length !== header.length) {
      // Report the row as a bad row; toRecords decides whether to throw or skip it.
      rows.push({ line, values: { [BAD_ROW]: new DataFileError({ file, line }, `has ${fields.length} fields; the header has ${header.length}.`,
        quoting === "none"
          ? "a field must not contain a tab or a line break in a file without quoting; remove them, or quote the fields and read it with { quoting: \"quotes\" }."
          : `put a field that contains the delimiter (${delimiter === "," ? "a comma" : "a tab"}), a quote or a line break in double quotes, or fix the row.`) } });
      continue;
    }
    const values: Record<string, unknown> = {};
    header.forEach((h, j) => { values[h] = fields[j]; });
    rows.push({ line, values });
  }
  return rows;
}

function jsonlRows(file: string, text: string, mapping: ColumnMapping): RawRow[] {
  const rows: RawRow[] = [];
  text.replace(/^\uFEFF/, "").split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      rows.push({ line: i + 1, values: { [BAD_ROW]: new DataFileError({ file, line: i + 1 }, `is not valid JSON (${(err as Error).message}).`, "write one JSON object per line, e.g. {\"text\": \"Works well.\", \"rating\": 5}.") } });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      rows.push({ line: i + 1, values: { [BAD_ROW]: new DataFileError({ file, line: i + 1 }, `holds ${Array.isArray(value) ? "an array" : JSON.stringify(value)}, not a JSON object.`, "write one JSON object per line, e.g. {\"text\": \"Works well.\", \"rating\": 5}.") } });
      return;
    }
    rows.push({ line: i + 1, values: value as Record<string, unknown> });
  });
  // The first record stands in for a header: a mapped key it lacks is most likely a misspelt mapping.
  const first = rows.find((r) => !(BAD_ROW in r.values));
  for (const [field, column] of Object.entries(mapping)) {
    if (first && column !== undefined && !(column in first.values)) {
      throw new DataFileError({ file, line: first.line, column }, `the first record has no key "${column}" (mapped to ${field}). Its keys are: ${Object.keys(first.values).join(", ")}.`,
        `map ${field} to one of those in { columns: { ${field}: "..." } }.`);
    }
  }
  return rows;
}

/** Key under which a row that could not be split into fields carries its error. */
const BAD_ROW = "\u0000bad-row";

function toRecords(file: string, rows: RawRow[], mapping: ColumnMapping, options: ReviewFileOptions): ReviewRecord[] {
  const labelValues = new Map(Object.entries(options.labelValues ?? DEFAULT_LABEL_VALUES).map(([k, v]) => [k.toLowerCase(), v]));
  const base = path.basename(file);
  const records: ReviewRecord[] = [];
  const skipped: DataFileError[] = [];
  const ids = new Map<string, number>();
  for (const row of rows) {
    if (options.limit !== undefined && records.length >= options.limit) break;
    try {
      const record = toRecord(file, base, row, mapping, labelValues);
      const first = ids.get(record.sourceId);
      if (first !== undefined) {
        throw new DataFileError({ file, line: row.line, column: mapping.id }, `the id ${JSON.stringify(record.sourceId)} was already used on line ${first}.`, "give each review its own id, or leave id out of the mapping.");
      }
      ids.set(record.sourceId, row.line);
      records.push(record);
    } catch (err) {
      if (!(err instanceof DataFileError) || !options.skipBadRows) throw err;
      skipped.push(err);
      options.onSkip?.(err);
    }
  }
  if (skipped.length > 0 && !options.onSkip) {
    notify("loadReviewFile", `skipped ${skipped.length} bad row${skipped.length === 1 ? "" : "s"} of ${file}; the first: ${skipped[0].message}`);
  }
  if (records.length === 0) {
    throw new DataFileError({ file }, `has no usable review rows (${skipped.length} skipped).`, "check the column mapping and the rows named above.");
  }
  return records;
}

function cell(file: string, row: RawRow, column: string, required: boolean): string | number | undefined {
  if (!(column in row.values) && required) {
    // Only JSON Lines records can lack a key: CSV/TSV rows were checked against the header.
    throw new DataFileError({ file, line: row.line, column }, `this record has no key "${column}"; its keys are: ${Object.keys(row.values).join(", ")}.`,
      `add "${column}" to the record, or map the field to a key the records have.`);
  }
  const v = row.values[column];
  if (v === null || v === undefined || (typeof v === "string" && v.trim() === "")) {
    if (required) throw new DataFileError({ file, line: row.line, column }, "is empty.", "fill it in, or pass { skipBadRows: true } to leave such rows out.");
    return undefined;
  }
  if (typeof v === "number") return v;
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  throw new DataFileError({ file, line: row.line, column }, `holds ${JSON.stringify(v).slice(0, 60)}, not text or a number.`, "store it as a string or a number.");
}

function toRecord(file: string, base: string, row: RawRow, mapping: ColumnMapping, labelValues: Map<string, Sentiment>): ReviewRecord {
  const bad = row.values[BAD_ROW];
  if (bad instanceof DataFileError) throw bad;
  const text = cleanReviewText(String(cell(file, row, mapping.text, true)));
  if (text === "") throw new DataFileError({ file, line: row.line, column: mapping.text }, "is empty once HTML line breaks are removed.", "fill it in, or pass { skipBadRows: true }.");
  const record: ReviewRecord = { sourceId: `${base}:${row.line}`, text, label: "neutral" };
  if (mapping.rating) {
    const raw = cell(file, row, mapping.rating, true)!;
    const rating = typeof raw === "number" ? raw : Number(raw.trim());
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
      throw new DataFileError({ file, line: row.line, column: mapping.rating }, `the rating ${JSON.stringify(raw)} is not a whole number from 1 to 5.`,
        "correct the rating, map rating to the star-rating column, or pass { skipBadRows: true } to leave such rows out.");
    }
    record.rating = rating;
    record.label = sentimentFromRating(rating);
  }
  if (mapping.label) {
    const raw = String(cell(file, row, mapping.label, true)).trim();
    const label = labelValues.get(raw.toLowerCase());
    if (!label) {
      throw new DataFileError({ file, line: row.line, column: mapping.label }, `the label ${JSON.stringify(raw)} is not one of ${[...labelValues.keys()].join(", ")}.`,
        'say what the file\'s labels mean with { labelValues: { "bad": "negative", "good": "positive" } }.');
    }
    record.label = label;
  }
  for (const field of ["title", "product", "category"] as const) {
    const column = mapping[field];
    if (column) record[field] = cleanReviewText(String(cell(file, row, column, false) ?? ""));
  }
  if (mapping.id) record.sourceId = String(cell(file, row, mapping.id, true)).trim();
  return record;
}
