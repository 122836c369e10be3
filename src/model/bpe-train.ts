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

  // 1. Count the distinct words of the corpus.
  const wordCounts = new Map<string, number>();
  const specialPattern = specialTokenPattern(specialTokens);
  for (const text of typeof texts === "string" ? [texts] : texts) {
    if (typeof text !== "string") throw new Error(`trainBPE: texts must be strings, got ${typeof text}.`);
    for (const part of splitOnSpecialTokens(text, specialPattern)) {
      if (part.special) continue;
      for (const word of preTokenize(part.text)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
  }

  // 2. Spell every word in bytes: token id b is byte b, written as GPT-2's symbol for it.
  const tokens = byteSymbols();
  const tokenIds = new Map(tokens.map((t, id) => [t, id] as [string, number]));
  const utf8 = new TextEncoder();
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Int32Array.from(utf8.encode(word)));
    freqs.push(count);
  }

  // 3. Count adjacent pairs. A pair (a, b) is the number a * vocabSize + b (ids stay below vocabSize).
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>(); // pair -> words that contain (or once contained) it
  const grown = new Set<number>(); // pairs whose count went up during the current merge
  const change = (a: number, b: number, word: number, delta: number) => {
    const key = a * vocabSize + b;
    const count = (pairCount.get(key) ?? 0) + delta;
    if (count > 0) pairCount.set(key, count);
    else pairCount.delete(key);
    if (delta > 0) {
      let list = pairWords.get(key);
      if (!list) pairWords.set(key, (list = []));
      if (list[list.length - 1] !== word) list.push(word); // a word adds itself once per visit
      grown.add(key);
    }
  };
  words.forEach((s, w) => {
    for (let i = 0; i + 1 < s.length; i++) change(s[i], s[i + 1], w, freqs[w]);
  });

  const heap = new BinaryHeap<PairEntry>((x, y) => {
    if (x.count !== y.count) return x.count > y.count;
    const [xa, xb] = [Math.floor(x.key / vocabSize), x.key % vocabSize];
    const [ya, yb] = [Math.floor(y.key / vocabSize), y.key % vocabSize];
    return tokens[xa] !== tokens[ya] ? tokens[xa] < tokens[ya] : tokens[xb] < tokens[yb];
  });
  for (const [key, count] of pairCount) heap.push({ key, count });
  grown.clear();

  // 4. Merge the most frequent pair until the vocabulary is full.
  const merges: [string, string][] = [];
  const visited = new Int32Array(words.length).fill(-1); // merge step at which a word was last visited
  while (tokens.length + specialTokens.length < vocabSize) {
    const best = popCurrent(heap, pairCount);
    if (!best || best.count < minFrequency) break;
    const a = Math.floor(best.key / vocabSize);
    const b = best.key % vocabSize;
    const merged = tokens[a] + tokens[b];
    let id = tokenIds.get(merged); // another pair may already have made this token ("a"+"bc" vs "ab"+"c")
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      tokenIds.set(merged, id);
    }
    const step = merges.length;
    merges.push([tokens[a], tokens[b]]);

    for (const w of pairWords.get(best.key) ?? []) {
      if (visited[w] === step) continue;
      visited[w] = step;
      words[w] = mergeInWord(words[w], a, b, id, w, freqs[w], change);
    }
    pairCount.delete(best.key);
    pairWords.delete(best.key);
    for (const key of grown) {
      const count = pairCount.get(key);
      if (count) heap.push({ key, count });
    }
    grown.clear();
  }

  return new BPETokenizer(tokenIds, merges, { specialTokens });
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
