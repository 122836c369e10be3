// Training a byte-level BPE tokenizer on a corpus: GPT-2's recipe, so that a small model can have
// a small vocabulary (4096 or 8192 tokens instead of GPT-2's 50257) fitted to its own data.
//
//   const tok = trainBPE(reviews, { vocabSize: 4096 });   // reviews: an array (or any iterable) of strings
//   tok.encode("Great product!");                          // a few ids, all below 4096
//   tok.save("data/tokenizer-4096");                       // loads in transformers' AutoTokenizer too
//
// The result is a BPETokenizer (tokenizer.ts): the same pre-tokenizer, byte alphabet and merge rule
// as GPT-2, only with merges learned from your corpus.
import {
  BPETokenizer,
  byteSymbols,
  END_OF_TEXT,
  preTokenize,
  specialTokenPattern,
  splitOnSpecialTokens,
} from "./tokenizer";
import { BinaryHeap } from "../util/binary-heap";

export interface TrainBPEOptions {
  /** Size of the final vocabulary: 256 byte symbols + learned tokens + special tokens. */
  vocabSize: number;
  /** Tokens matched literally and never split, given the last ids. Default: ["<|endoftext|>"]. */
  specialTokens?: string[];
  /**
   * A pair must occur at least this often to be merged (default 2). Training stops early, with a
   * smaller vocabulary than asked, when no pair is that frequent: merging pairs seen once would only
   * memorize single words. Read the size you got from tokenizer.vocabSize.
   */
  minFrequency?: number;
}

/**
 * Learns byte-level BPE merges from `texts` and returns the tokenizer.
 *
 * How: every text is split into GPT-2's pre-tokens (special tokens are cut out first and never
 * learned from). Each distinct word is counted once, and spelled as its UTF-8 bytes, which are the
 * 256 starting tokens. Then, repeatedly, the most frequent pair of adjacent tokens over all words
 * (weighted by word counts) becomes a new token, and every occurrence of the pair is replaced by it,
 * until the vocabulary reaches vocabSize. Ties go to the pair whose left token, then right token,
 * comes first in string order, so the same corpus always gives the same tokenizer.
 *
 * Why it is fast: recounting all pairs after each merge would cost a pass over the corpus per merge.
 * Instead the pair counts are kept in a map, with, for each pair, the list of words that contain it.
 * A merge visits only the words that contain the merged pair and adjusts the counts of the pairs it
 * destroys and creates: merging (B, C) in "A B C D" takes away (A, B), (B, C), (C, D) and adds
 * (A, BC), (BC, D). The most frequent pair is taken from a heap whose stale entries are skipped
 * (an entry whose count no longer matches the map is re-queued with its current count).
 *
 * A plain string is taken as one text (not as an iterable of characters).
 */
export function trainBPE(texts: Iterable<string>, options: TrainBPEOptions): BPETokenizer {
  const specialTokens = options.specialTokens ?? [END_OF_TEXT];
  const minFrequency = options.minFrequency ?? 2;
  const { vocabSize } = options;
  checkOptions(specialTokens, vocabSize, minFrequency);

  // 1. Count the distinct words of the corpus.
  const wordCounts = countWords(texts, specialTokens);

  // 2. Spell every word in bytes: token id b is byte b, written as GPT-2's symbol for it.
  const tokens = byteSymbols();
  const tokenIds = new Map(tokens.map((t, id) => [t, id] as [string, number]));
  const corpus = spellInBytes(wordCounts);

  // 3. Count adjacent pairs. A pair (a, b) is the number a * vocabSize + b (ids stay below vocabSize).
  const pairs = pairTable(vocabSize);
  corpus.words.forEach((s, w) => {
    for (let i = 0; i + 1 < s.length; i++) pairs.change(s[i], s[i + 1], w, corpus.freqs[w]);
  });
  const heap = pairHeap(pairs, tokens, vocabSize);

  // 4. Merge the most frequent pair until the vocabulary is full.
  const merges: [string, string][] = [];
  const visited = new Int32Array(corpus.words.length).fill(-1); // merge step at which a word was last visited
  while (tokens.length + specialTokens.length < vocabSize) {
    const best = popCurrent(heap, pairs.count);
    if (!best || best.count < minFrequency) break;
    const a = Math.floor(best.key / vocabSize);
    const b = best.key % vocabSize;
    const id = tokenFor(tokens, tokenIds, tokens[a] + tokens[b]);
    const step = merges.length;
    merges.push([tokens[a], tokens[b]]);
    applyMerge(corpus, pairs, best.key, a, b, id, visited, step);
    requeueGrown(heap, pairs);
  }

  return new BPETokenizer(tokenIds, merges, { specialTokens });
}

/** Throws on an empty special token, a vocabSize outside [256 + specials, 2^21] or a minFrequency below 1. */
function checkOptions(specialTokens: string[], vocabSize: number, minFrequency: number): void {
  for (const t of specialTokens) {
    if (typeof t !== "string" || t === "")
      throw new Error(`trainBPE: specialTokens must be non-empty strings, got ${JSON.stringify(t)}.`);
  }
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + specialTokens.length || vocabSize > 2 ** 21) {
    throw new Error(
      `trainBPE: vocabSize must be an integer from ${256 + specialTokens.length} (256 bytes + ${specialTokens.length} special tokens) to ${2 ** 21}, got ${vocabSize}.`,
    );
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 1)
    throw new Error(`trainBPE: minFrequency must be a positive integer, got ${minFrequency}.`);
}

/** How often each distinct pre-token occurs in the texts, special tokens cut out (in first-seen order). */
function countWords(texts: Iterable<string>, specialTokens: string[]): Map<string, number> {
  const wordCounts = new Map<string, number>();
  const specialPattern = specialTokenPattern(specialTokens);
  for (const text of typeof texts === "string" ? [texts] : texts) {
    if (typeof text !== "string") throw new Error(`trainBPE: texts must be strings, got ${typeof text}.`);
    for (const part of splitOnSpecialTokens(text, specialPattern)) {
      if (part.special) continue;
      for (const word of preTokenize(part.text)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
  }
  return wordCounts;
}

/** The distinct words as token ids, with their counts: words[w] occurs freqs[w] times. */
interface Corpus {
  /** Word w's tokens, shortened in place as merges apply. */
  words: Int32Array[];
  freqs: number[];
}

/** Spells every word in its UTF-8 bytes (token id b is byte b), in the order of `wordCounts`. */
function spellInBytes(wordCounts: Map<string, number>): Corpus {
  const utf8 = new TextEncoder();
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Int32Array.from(utf8.encode(word)));
    freqs.push(count);
  }
  return { words, freqs };
}

/** Counts of adjacent pairs over the corpus, keyed a * vocabSize + b, and the words that hold each. */
interface PairTable {
  /** pair -> its count, weighted by word counts (pairs at 0 are removed) */
  count: Map<number, number>;
  /** pair -> words that contain (or once contained) it */
  words: Map<number, number[]>;
  /** pairs whose count went up during the current merge */
  grown: Set<number>;
  /** Adds `delta` occurrences of (a, b) in `word` (a word's count, or minus it). */
  change: (a: number, b: number, word: number, delta: number) => void;
}

/** An empty pair table for token ids below vocabSize. */
function pairTable(vocabSize: number): PairTable {
  const count = new Map<number, number>();
  const words = new Map<number, number[]>();
  const grown = new Set<number>();
  const change = (a: number, b: number, word: number, delta: number) => {
    const key = a * vocabSize + b;
    const n = (count.get(key) ?? 0) + delta;
    if (n > 0) count.set(key, n);
    else count.delete(key);
    if (delta > 0) {
      let list = words.get(key);
      if (!list) words.set(key, (list = []));
      if (list[list.length - 1] !== word) list.push(word); // a word adds itself once per visit
      grown.add(key);
    }
  };
  return { count, words, grown, change };
}

/**
 * A heap of every counted pair, most frequent first, ties to the pair whose left token, then right
 * token, comes first in string order. `tokens` is read as it grows. Clears the table's `grown`.
 */
function pairHeap(pairs: PairTable, tokens: string[], vocabSize: number): BinaryHeap<PairEntry> {
  const heap = new BinaryHeap<PairEntry>((x, y) => {
    if (x.count !== y.count) return x.count > y.count;
    const [xa, xb] = [Math.floor(x.key / vocabSize), x.key % vocabSize];
    const [ya, yb] = [Math.floor(y.key / vocabSize), y.key % vocabSize];
    return tokens[xa] !== tokens[ya] ? tokens[xa] < tokens[ya] : tokens[xb] < tokens[yb];
  });
  for (const [key, count] of pairs.count) heap.push({ key, count });
  pairs.grown.clear();
  return heap;
}

/** The id of token `merged`, added to the vocabulary if new (another pair may have made it: "a"+"bc" vs "ab"+"c"). */
function tokenFor(tokens: string[], tokenIds: Map<string, number>, merged: string): number {
  let id = tokenIds.get(merged);
  if (id === undefined) {
    id = tokens.length;
    tokens.push(merged);
    tokenIds.set(merged, id);
  }
  return id;
}

/**
 * Replaces pair (a, b), keyed `key`, by token `id` in every word that holds it (each word once per
 * merge `step`, tracked in `visited`), updating the pair table; then forgets the pair.
 */
function applyMerge(
  corpus: Corpus,
  pairs: PairTable,
  key: number,
  a: number,
  b: number,
  id: number,
  visited: Int32Array,
  step: number,
): void {
  for (const w of pairs.words.get(key) ?? []) {
    if (visited[w] === step) continue;
    visited[w] = step;
    corpus.words[w] = mergeInWord(corpus.words[w], a, b, id, w, corpus.freqs[w], pairs.change);
  }
  pairs.count.delete(key);
  pairs.words.delete(key);
}

/** Pushes every pair whose count went up during the merge, with its current count, and clears `grown`. */
function requeueGrown(heap: BinaryHeap<PairEntry>, pairs: PairTable): void {
  for (const key of pairs.grown) {
    const count = pairs.count.get(key);
    if (count) heap.push({ key, count });
  }
  pairs.grown.clear();
}

/**
 * Replaces each (a, b) in the word, left to right, by `id`, reporting every pair it removes or
 * creates to `change`; returns the shortened word. The array is rewritten in place.
 */
function mergeInWord(
  s: Int32Array,
  a: number,
  b: number,
  id: number,
  word: number,
  freq: number,
  change: (a: number, b: number, word: number, delta: number) => void,
): Int32Array {
  let out = 0; // s[0..out) is the merged word so far; reading stays ahead of writing
  for (let i = 0; i < s.length;) {
    if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
      change(a, b, word, -freq);
      if (out > 0) {
        change(s[out - 1], a, word, -freq); // the left neighbour now touches the new token
        change(s[out - 1], id, word, freq);
      }
      if (i + 2 < s.length) {
        change(b, s[i + 2], word, -freq); // and so does the right one
        change(id, s[i + 2], word, freq);
      }
      s[out++] = id;
      i += 2;
    } else {
      s[out++] = s[i++];
    }
  }
  return s.subarray(0, out);
}

interface PairEntry {
  key: number;
  count: number;
}

/**
 * Pops the best pair whose count is current. Counts only go down without a new entry being pushed,
 * so every live pair has an entry at least as high as its count: an entry above the current count is
 * re-queued with it, and one below it is dropped (a newer, higher entry exists).
 */
function popCurrent(heap: BinaryHeap<PairEntry>, pairCount: Map<number, number>): PairEntry | undefined {
  while (heap.size > 0) {
    const top = heap.pop()!;
    const count = pairCount.get(top.key) ?? 0;
    if (count === top.count) return top;
    if (count > 0 && count < top.count) heap.push({ key: top.key, count });
  }
  return undefined;
}
