// GPT-2's tokenizer: byte-level byte-pair encoding (BPE), giving the same ids as Hugging Face's
// GPT2TokenizerFast.
//
// Text becomes ids in four steps:
//   1. special tokens such as "<|endoftext|>" are cut out of the text first; each is one id;
//   2. the rest is split into words by GPT-2's regex ("Hello", " world", "'s", " 42", "!!", "  ");
//   3. each word's UTF-8 bytes are spelled with 256 one-character symbols (byte 0x20, a space, is
//      "Ġ"), so text in any script can be written with the base vocabulary: nothing is unknown;
//   4. the merges learned in training ("Ġ t" -> "Ġt", later "Ġt he" -> "Ġthe") are applied, the
//      earliest learned first, until none applies; each remaining symbol is one token id.
// Decoding turns the ids back into bytes and reads them as UTF-8.
//
//   const tok = BPETokenizer.fromPretrained("data/gpt2");  // tokenizer.json, or vocab.json + merges.txt
//   tok.encode("Hello world<|endoftext|>");                // [15496, 995, 50256]
//   tok.decode([15496, 995]);                              // "Hello world"
//   tok.save("data/my-tokenizer");                         // files that transformers' AutoTokenizer reads
//
// trainBPE (bpe-train.ts) learns a new vocabulary and merges from a corpus.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../util/atomic-write";
import { BinaryHeap } from "../util/binary-heap";
import { DataFileError } from "../util/data-file-error";

/** GPT-2's end-of-text token: it separates documents in training and ends every example. */
export const END_OF_TEXT = "<|endoftext|>";

/** What a tokenizer folder holds; appended to loading errors. */
const FOLDER_HINT =
  "A Hugging Face GPT-2 tokenizer folder holds tokenizer.json (vocabulary, merges and special tokens in one file) " +
  'and/or vocab.json (a JSON object from token to id) with merges.txt (a first line "#version: 0.2", then one ' +
  'merge "left right" per line, in the order the merges were learned).';

// ---------------------------------------------------------------------------------------------
// The byte-level alphabet and the pre-tokenizer, shared with the trainer.

/**
 * GPT-2's byte -> symbol table: entry b is the one-character symbol written for byte b.
 * Printable bytes ("!".."~", "¡".."¬", "®".."ÿ") stand for themselves; the other 68 (control bytes,
 * the space, 0x7f-0xa0 and 0xad) take the code points 256, 257, ... in byte order. That keeps every
 * token in vocab.json visible: a space is "Ġ" (U+0120), a newline "Ċ" (U+010A).
 */
export function byteSymbols(): string[] {
  const symbols: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    symbols.push(String.fromCharCode(printable ? b : next++));
  }
  return symbols;
}

// Whitespace as Hugging Face's tokenizers (Oniguruma) sees it: Unicode's White_Space characters.
// JavaScript's \s differs (it includes U+FEFF and lacks U+0085), so the class is spelled out.
const WS = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** GPT-2's pre-tokenizer: the regex that splits text into the words BPE works on. */
export const GPT2_SPLIT_PATTERN = new RegExp(
  [
    "'s|'t|'re|'ve|'m|'ll|'d", //   English contractions (lowercase only, as in GPT-2)
    " ?\\p{L}+", //                  a run of letters, with the space before it
    " ?\\p{N}+", //                  a run of digits and other numbers
    ` ?[^${WS}\\p{L}\\p{N}]+`, //    a run of punctuation and symbols
    `[${WS}]+(?![^${WS}])`, //       whitespace, leaving its last space to the word that follows
    `[${WS}]+`, //                   whitespace at the end of the text
  ].join("|"),
  "gu",
);

/** Splits text into GPT-2's pre-tokens: preTokenize("Hi there!!") -> ["Hi", " there", "!!"]. */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}

/** A token matched literally in the text before pre-tokenization (Hugging Face's "added token"). */
export interface SpecialToken {
  content: string;
  id: number;
  /** Special tokens (true) are the control tokens like "<|endoftext|>"; false marks a plain added word. */
  special: boolean;
}

/**
 * Cuts text at every occurrence of the given tokens: ["Hi", "<|endoftext|>", "Bye"]. `pattern` is
 * made by specialTokenPattern; undefined means there are no special tokens.
 */
export function splitOnSpecialTokens(text: string, pattern: RegExp | undefined): { text: string; special: boolean }[] {
  const parts: { text: string; special: boolean }[] = [];
  if (!pattern) {
    if (text) parts.push({ text, special: false });
    return parts;
  }
  let start = 0;
  for (const m of text.matchAll(pattern)) {
    const at = m.index ?? 0;
    if (at > start) parts.push({ text: text.slice(start, at), special: false });
    parts.push({ text: m[0], special: true });
    start = at + m[0].length;
  }
  if (start < text.length) parts.push({ text: text.slice(start), special: false });
  return parts;
}

/** A regex matching any of the tokens, longest first (so "<|a|>x" wins over "<|a|>" where both match). */
export function specialTokenPattern(tokens: readonly string[]): RegExp | undefined {
  if (tokens.length === 0) return undefined;
  const escaped = [...tokens].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(escaped.join("|"), "gu");
}

// ---------------------------------------------------------------------------------------------

/** Options of the BPETokenizer constructor and of fromFiles. */
export interface BPETokenizerOptions {
  /**
   * Tokens matched literally in the text and encoded as one id each. A string takes its id from the
   * vocabulary, or the next free id. Default: ["<|endoftext|>"] when the vocabulary has it (GPT-2).
   */
  specialTokens?: (string | SpecialToken)[];
  /** The end-of-text token. Default: "<|endoftext|>" when it is a special token, else the first special token. */
  eosToken?: string;
}

// Merges are looked up by a pair of ids packed into one number: left * PAIR_BASE + right.
const PAIR_BASE = 2 ** 22;
// Words longer than this many characters are not cached (they are rare and would fill the cache).
const MAX_CACHED_WORD = 256;
const MAX_CACHE_ENTRIES = 100_000;

const utf8Encoder = new TextEncoder();
// fatal: false writes U+FFFD for invalid bytes (like Python's errors="replace"); ignoreBOM keeps a
// leading U+FEFF, which is text like any other.
const utf8Decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** A byte-level BPE tokenizer with GPT-2's alphabet, pre-tokenizer and merge rule. */
export class BPETokenizer {
  /** The merges in the order they were learned: merges[rank] = [left, right]. */
  readonly merges: ReadonlyArray<readonly [string, string]>;
  /** Special tokens, matched in the text before anything else. */
  readonly specialTokens: readonly SpecialToken[];
  /** The end-of-text token, or undefined when the tokenizer has none. */
  readonly eosToken: string | undefined;

  private readonly vocab = new Map<string, number>();
  private readonly tokens: (string | undefined)[] = []; // id -> token
  private readonly byteIds: number[] = []; // byte -> id of its symbol
  private readonly symbolBytes = new Map<string, number>(); // symbol -> byte (for decoding)
  private readonly mergeRank = new Map<number, number>(); // packed pair -> rank
  private readonly mergeResult: number[] = []; // rank -> id of the merged token
  private readonly specialById = new Map<number, SpecialToken>();
  private readonly specialPattern: RegExp | undefined;
  private readonly cache = new Map<string, number[]>(); // word -> ids
  private readonly tokenBytes: (number[] | undefined)[] = []; // id -> bytes, filled by decode

  /**
   * @param vocab token -> id, tokens written in GPT-2's byte symbols (see byteSymbols).
   * @param merges [left, right] pairs, earliest learned first.
   */
  constructor(
    vocab: Record<string, number> | Map<string, number>,
    merges: ReadonlyArray<readonly [string, string]>,
    options: BPETokenizerOptions = {},
  ) {
    const entries = vocab instanceof Map ? [...vocab] : Object.entries(vocab);
    for (const [token, id] of entries) {
      if (!Number.isInteger(id) || id < 0 || id >= PAIR_BASE) {
        throw new Error(
          `vocabulary: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}; ids must be integers in [0, ${PAIR_BASE}).`,
        );
      }
      if (this.tokens[id] !== undefined) {
        throw new Error(
          `vocabulary: tokens ${JSON.stringify(this.tokens[id])} and ${JSON.stringify(token)} have the same id ${id}.`,
        );
      }
      this.vocab.set(token, id);
      this.tokens[id] = token;
    }
    byteSymbols().forEach((symbol, byte) => {
      const id = this.vocab.get(symbol);
      if (id === undefined) {
        throw new Error(
          `vocabulary: the byte symbol ${JSON.stringify(symbol)} (byte ${byte}) is missing; a byte-level BPE vocabulary has all 256.`,
        );
      }
      this.byteIds.push(id);
      this.symbolBytes.set(symbol, byte);
    });

    this.merges = merges.map(([left, right], rank) => {
      const a = this.vocab.get(left);
      const b = this.vocab.get(right);
      const merged = this.vocab.get(left + right);
      const what = `merge #${rank + 1} ${JSON.stringify(left + " " + right)}`;
      if (a === undefined || b === undefined)
        throw new Error(`${what}: ${JSON.stringify(a === undefined ? left : right)} is not in the vocabulary.`);
      if (merged === undefined)
        throw new Error(`${what}: the merged token ${JSON.stringify(left + right)} is not in the vocabulary.`);
      const key = a * PAIR_BASE + b;
      this.mergeRank.set(key, rank); // a merge listed twice keeps its later rank, as in Hugging Face's tokenizers
      this.mergeResult.push(merged);
      return [left, right] as const;
    });

    // Special tokens: from the options, else GPT-2's <|endoftext|> when the vocabulary has it.
    const requested = options.specialTokens ?? (this.vocab.has(END_OF_TEXT) ? [END_OF_TEXT] : []);
    const specials: SpecialToken[] = [];
    for (const s of requested) {
      const content = typeof s === "string" ? s : s.content;
      if (!content) throw new Error("special tokens: a special token cannot be the empty string.");
      if (specials.some((t) => t.content === content)) continue;
      const known = this.vocab.get(content);
      const id = typeof s === "string" ? (known ?? this.tokens.length) : s.id;
      if (!Number.isInteger(id) || id < 0 || id >= PAIR_BASE)
        throw new Error(`special token ${JSON.stringify(content)}: bad id ${JSON.stringify(id)}.`);
      if (known !== undefined && known !== id)
        throw new Error(`special token ${JSON.stringify(content)} has id ${id} but the vocabulary gives it ${known}.`);
      if (known === undefined && this.tokens[id] !== undefined) {
        throw new Error(
          `special token ${JSON.stringify(content)}: its id ${id} already belongs to ${JSON.stringify(this.tokens[id])}.`,
        );
      }
      this.vocab.set(content, id);
      this.tokens[id] = content;
      const token: SpecialToken = { content, id, special: typeof s === "string" ? true : s.special !== false };
      specials.push(token);
      this.specialById.set(id, token);
    }
    this.specialTokens = specials;
    this.specialPattern = specialTokenPattern(specials.map((t) => t.content));

    const eos =
      options.eosToken ??
      (this.specialById.size === 0
        ? undefined
        : specials.some((t) => t.content === END_OF_TEXT)
          ? END_OF_TEXT
          : specials[0].content);
    if (eos !== undefined && !specials.some((t) => t.content === eos)) {
      throw new Error(
        `eosToken ${JSON.stringify(eos)} is not one of the special tokens (${specials.map((t) => JSON.stringify(t.content)).join(", ") || "none"}).`,
      );
    }
    this.eosToken = eos;
  }

  // ---- Loading

  /** Loads GPT-2's two classic files: vocab.json (token -> id) and merges.txt. */
  static fromFiles(vocabJsonPath: string, mergesTxtPath: string, options: BPETokenizerOptions = {}): BPETokenizer {
    const vocab = readJson(vocabJsonPath, "vocab.json");
    if (!isPlainObject(vocab))
      throw new DataFileError({ file: vocabJsonPath }, "expected a JSON object from token to id.", FOLDER_HINT);
    const merges = parseMergesTxt(readText(mergesTxtPath, "merges.txt"), mergesTxtPath);
    return withFileContext(
      `${vocabJsonPath} + ${mergesTxtPath}`,
      () => new BPETokenizer(vocab as Record<string, number>, merges, options),
    );
  }

  /**
   * Loads a Hugging Face tokenizer.json (model.vocab, model.merges, added_tokens). Only GPT-2's
   * recipe is accepted: a BPE model, a ByteLevel pre-tokenizer without prefix space, no normalizer.
   */
  static fromTokenizerJson(
    tokenizerJsonPath: string,
    options: Pick<BPETokenizerOptions, "eosToken"> = {},
  ): BPETokenizer {
    const json = readJson(tokenizerJsonPath, "tokenizer.json");
    const fail = (why: string): never => {
      throw new DataFileError(
        { file: tokenizerJsonPath },
        `${why} BPETokenizer reads GPT-2-style byte-level BPE tokenizers.`,
        FOLDER_HINT,
      );
    };
    if (!isPlainObject(json) || !isPlainObject(json.model)) return fail('has no "model" object.');
    const model = json.model;
    if (model.type !== undefined && model.type !== "BPE") fail(`has a ${JSON.stringify(model.type)} model, not "BPE".`);
    if (!isPlainObject(model.vocab)) fail("has no model.vocab object (token -> id).");
    if (!Array.isArray(model.merges)) fail("has no model.merges list.");
    if (model.continuing_subword_prefix || model.end_of_word_suffix || model.ignore_merges || model.dropout) {
      fail(
        "uses BPE options GPT-2 does not (continuing_subword_prefix, end_of_word_suffix, ignore_merges or dropout).",
      );
    }
    if (json.normalizer != null) fail(`has a normalizer (${JSON.stringify(json.normalizer)}), which GPT-2 does not.`);
    const pre = json.pre_tokenizer;
    if (!isPlainObject(pre) || pre.type !== "ByteLevel" || pre.add_prefix_space === true || pre.use_regex === false) {
      fail(
        `has pre_tokenizer ${JSON.stringify(pre)}; GPT-2's is {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}.`,
      );
    }
    // Merges are "left right" strings in older files, [left, right] arrays in newer ones.
    const merges = (model.merges as unknown[]).map((m, i): [string, string] => {
      if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string")
        return [m[0], m[1]];
      const parts = typeof m === "string" ? m.split(" ") : [];
      if (parts.length !== 2 || !parts[0] || !parts[1])
        fail(`model.merges[${i}] is ${JSON.stringify(m)}; expected "left right" or ["left", "right"].`);
      return [parts[0], parts[1]];
    });
    const added = json.added_tokens ?? [];
    if (!Array.isArray(added)) fail("has an added_tokens entry that is not a list.");
    const specialTokens = (added as unknown[]).map((t, i): SpecialToken => {
      if (!isPlainObject(t) || typeof t.content !== "string" || !Number.isInteger(t.id))
        fail(`added_tokens[${i}] needs "id" and "content".`);
      const token = t as Record<string, unknown>;
      return { content: token.content as string, id: token.id as number, special: token.special !== false };
    });
    return withFileContext(
      tokenizerJsonPath,
      () =>
        new BPETokenizer(model.vocab as Record<string, number>, merges, { specialTokens, eosToken: options.eosToken }),
    );
  }

  /**
   * Loads a tokenizer folder as saved by Hugging Face (or by save): tokenizer.json when present, else
   * vocab.json + merges.txt. The end-of-text token comes from tokenizer_config.json when it names one.
   */
  static fromPretrained(folder: string): BPETokenizer {
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
      throw new DataFileError({ file: folder }, "this tokenizer folder does not exist.", FOLDER_HINT);
    }
    const file = (name: string) => path.join(folder, name);
    const eosToken = configuredEosToken(file("tokenizer_config.json"));
    if (fs.existsSync(file("tokenizer.json")))
      return BPETokenizer.fromTokenizerJson(file("tokenizer.json"), { eosToken });
    if (fs.existsSync(file("vocab.json")) && fs.existsSync(file("merges.txt"))) {
      const tok = BPETokenizer.fromFiles(file("vocab.json"), file("merges.txt"));
      return eosToken === undefined || eosToken === tok.eosToken
        ? tok
        : BPETokenizer.fromFiles(file("vocab.json"), file("merges.txt"), { specialTokens: [eosToken], eosToken });
    }
    const found = fs.readdirSync(folder).sort().join(", ") || "nothing";
    throw new DataFileError(
      { file: folder },
      `this tokenizer folder has neither tokenizer.json nor vocab.json + merges.txt (it has: ${found}).`,
      FOLDER_HINT,
    );
  }

  // ---- Encoding and decoding

  /** Number of ids, i.e. the rows the model's token embedding needs (GPT-2: 50257). */
  get vocabSize(): number {
    return this.tokens.length;
  }

  /** The id of the end-of-text token (GPT-2: 50256). */
  get eosTokenId(): number {
    if (this.eosToken === undefined)
      throw new Error("This tokenizer has no end-of-text token; give it one with the specialTokens option.");
    return this.vocab.get(this.eosToken) as number;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  /** Text -> token ids. Special tokens in the text become their single id, as in transformers. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const part of splitOnSpecialTokens(text, this.specialPattern)) {
      if (part.special) {
        ids.push(this.vocab.get(part.text) as number);
        continue;
      }
      for (const word of preTokenize(part.text)) {
        for (const id of this.encodeWord(word)) ids.push(id);
      }
    }
    return ids;
  }

  /** Token ids -> text. Bytes that are not valid UTF-8 (a token cut inside a character) become U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    const bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const tokenBytes = this.bytesOf(ids[i]);
      if (!tokenBytes)
        throw new Error(
          `decode: id ${ids[i]} (position ${i}) is not in the vocabulary (ids 0..${this.vocabSize - 1}).`,
        );
      for (const b of tokenBytes) bytes.push(b);
    }
    return utf8Decoder.decode(Uint8Array.from(bytes));
  }

  /** The bytes a token stands for (computed once per id), or undefined for an unknown id. */
  private bytesOf(id: number): number[] | undefined {
    const cached = this.tokenBytes[id];
    if (cached) return cached;
    const token = this.tokens[id];
    if (token === undefined) return undefined;
    const symbols = Array.from(token, (ch) => this.symbolBytes.get(ch));
    // Special tokens, and any token not spelled in byte symbols, stand for their own text (as in Hugging Face).
    const bytes =
      this.specialById.has(id) || symbols.some((b) => b === undefined)
        ? Array.from(utf8Encoder.encode(token))
        : (symbols as number[]);
    this.tokenBytes[id] = bytes;
    return bytes;
  }

  /** One pre-token -> ids: its bytes as symbols, then the merges (cached per word). */
  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const symbols = Array.from(utf8Encoder.encode(word), (b) => this.byteIds[b]);
    const ids = this.applyMerges(symbols);
    if (word.length <= MAX_CACHED_WORD) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  /**
   * Applies merges to a word's symbols, lowest rank first and leftmost first among equals, the way
   * Hugging Face's tokenizers does: a heap of candidate pairs (rank, position) over a linked list of
   * symbols, so a long word costs O(n log n) instead of rescanning all pairs after every merge.
   */
  private applyMerges(sym: number[]): number[] {
    const n = sym.length;
    if (n < 2) return sym;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const gone = new Uint8Array(n); // 1 once the symbol has been merged into its left neighbour
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new BinaryHeap<number>((x, y) => x < y); // entries rank * n + position: smaller rank first, then leftmost
    const consider = (pos: number) => {
      if (next[pos] < 0) return;
      const rank = this.mergeRank.get(sym[pos] * PAIR_BASE + sym[next[pos]]);
      if (rank !== undefined) heap.push(rank * n + pos);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    while (heap.size > 0) {
      const entry = heap.pop()!;
      const pos = entry % n;
      const rank = (entry - pos) / n;
      const right = next[pos];
      if (gone[pos] || right < 0) continue;
      // Skip stale entries: the right neighbour may have changed since this pair was queued.
      if (this.mergeRank.get(sym[pos] * PAIR_BASE + sym[right]) !== rank) continue;
      sym[pos] = this.mergeResult[rank];
      gone[right] = 1;
      next[pos] = next[right];
      if (next[pos] >= 0) prev[next[pos]] = pos;
      if (prev[pos] >= 0) consider(prev[pos]);
      consider(pos);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
    return out;
  }

  // ---- Saving

  /**
   * Writes the tokenizer in Hugging Face's formats: vocab.json, merges.txt, tokenizer.json,
   * tokenizer_config.json and special_tokens_map.json. Each file is written to a temporary name and
   * renamed, so a crash never leaves half a file. transformers' AutoTokenizer.from_pretrained(folder)
   * loads the result.
   */
  save(folder: string): void {
    fs.mkdirSync(folder, { recursive: true });
    const vocab: Record<string, number> = {};
    this.tokens.forEach((token, id) => {
      if (token !== undefined) vocab[token] = id;
    });
    const mergeLines = this.merges.map(([a, b]) => `${a} ${b}`);
    const addedTokens = this.specialTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    }));
    const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
    const tokenizerJson = {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: { ...byteLevel, trim_offsets: false },
      decoder: byteLevel,
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: "",
        end_of_word_suffix: "",
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: mergeLines,
      },
    };
    const eos = this.eosToken;
    const specialMap = eos === undefined ? {} : { bos_token: eos, eos_token: eos, unk_token: eos };
    const config = {
      tokenizer_class: "GPT2Tokenizer",
      add_prefix_space: false,
      errors: "replace",
      clean_up_tokenization_spaces: false,
      ...specialMap,
      added_tokens_decoder: Object.fromEntries(addedTokens.map(({ id, ...rest }) => [String(id), rest])),
    };

    writeFileAtomic(path.join(folder, "vocab.json"), JSON.stringify(vocab) + "\n");
    writeFileAtomic(path.join(folder, "merges.txt"), ["#version: 0.2", ...mergeLines].join("\n") + "\n");
    writeFileAtomic(path.join(folder, "tokenizer.json"), JSON.stringify(tokenizerJson, null, 2) + "\n");
    writeFileAtomic(path.join(folder, "tokenizer_config.json"), JSON.stringify(config, null, 2) + "\n");
    writeFileAtomic(path.join(folder, "special_tokens_map.json"), JSON.stringify(specialMap, null, 2) + "\n");
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Parses merges.txt: an optional "#version" first line, then "left right" per line. */
export function parseMergesTxt(text: string, file = "merges.txt"): [string, string][] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop(); // the final newline
  const merges: [string, string][] = [];
  lines.forEach((line, i) => {
    if (i === 0 && line.startsWith("#version")) return;
    const parts = line.split(" ");
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new DataFileError(
        { file, line: i + 1 },
        `expected two tokens separated by one space, got ${JSON.stringify(line)}.`,
        FOLDER_HINT,
      );
    }
    merges.push([parts[0], parts[1]]);
  });
  return merges;
}

function readText(file: string, kind: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new DataFileError({ file }, `cannot read the tokenizer's ${kind}: ${why}.`, FOLDER_HINT);
  }
}

function readJson(file: string, kind: string): unknown {
  const text = readText(file, kind);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DataFileError({ file }, `is not valid JSON (${(err as Error).message}).`, FOLDER_HINT);
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Runs a constructor and prefixes its error with the file(s) it came from. */
function withFileContext<T>(where: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    throw new DataFileError({ file: where }, (err as Error).message, FOLDER_HINT);
  }
}

/** eos_token from a tokenizer_config.json (a string or {"content": ...}), if the file names one. */
function configuredEosToken(file: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  const config = readJson(file, "tokenizer_config.json");
  const eos = isPlainObject(config) ? config.eos_token : undefined;
  if (typeof eos === "string") return eos;
  return isPlainObject(eos) && typeof eos.content === "string" ? eos.content : undefined;
}
