// The shipped base model (data/models/review-gpt-base) is what its model card says it is.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { BPETokenizer, initBackend, loadCheckpoint } from "../../src/index";
import { loadPretrainingCorpus } from "../../src/data/pretraining-corpus";
import { DEFAULT_PRETRAIN_CONFIG, validationLoss } from "../../src/train/pretrain";
import { fixedWindows, tokenStream } from "../../src/train/token-stream";
import { ROOT } from "../support/notebooks";
import { bitsPerCharacter } from "../../src/train/bits-per-character";
import { verifyShippedRun } from "../../src/cli/pretrain";
import { runReference } from "../support/reference";
import { maxAbsDiff } from "../support/tolerance";

const MODEL_DIR = path.join(ROOT, "data", "models", "review-gpt-base");

/** A value from the model card's two-column tables: "| name | value |". */
function cardValue(card: string, name: string): string {
  const row = card.split("\n").find((l) => l.startsWith(`| ${name} |`));
  assert.ok(row, `the model card has no row "${name}"`);
  return row.split("|")[2].trim();
}

describe("the shipped base model", function () {
  this.timeout(300_000);
  const card = fs.readFileSync(path.join(MODEL_DIR, "README.md"), "utf8");
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("is a Hugging Face checkpoint of at most 40 MB whose architecture matches its model card", () => {
    const files = fs.readdirSync(MODEL_DIR);
    for (const f of [
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "vocab.json",
      "merges.txt",
      "README.md",
      "training-log.json",
    ]) {
      assert.ok(files.includes(f), `${f} is missing`);
    }
    const bytes = files.reduce((n, f) => n + fs.statSync(path.join(MODEL_DIR, f)).size, 0);
    assert.ok(bytes <= 40 * 1024 * 1024, `${bytes} bytes`);
    const { model, config } = loadCheckpoint(MODEL_DIR);
    assert.equal(cardValue(card, "parameters"), model.parameterCount().toLocaleString());
    assert.equal(cardValue(card, "layers, heads, width"), `${config.nLayer}, ${config.nHead}, ${config.nEmbd}`);
    assert.equal(cardValue(card, "context window"), `${config.blockSize} tokens`);
    const tokenizer = BPETokenizer.fromPretrained(MODEL_DIR);
    assert.equal(tokenizer.vocabSize, config.vocabSize);
    assert.match(cardValue(card, "vocabulary"), new RegExp(`^${config.vocabSize} byte-level BPE`));
    model.dispose();
  });

  it("loads in transformers: the same token ids and logits as ours", function () {
    const text = "Classify this review: The battery died after two days.\nSentiment:";
    const theirs = JSON.parse(
      runReference(this, ["torch", "transformers"], "test/model/gpt2_reference.py", ["text", MODEL_DIR, text]),
    ) as { ids: number[]; logits: number[] };
    const tokenizer = BPETokenizer.fromPretrained(MODEL_DIR);
    const ids = tokenizer.encode(text);
    assert.deepEqual(theirs.ids, ids);
    const { model } = loadCheckpoint(MODEL_DIR);
    const logits = tf.tidy(() => model.forward(tf.tensor2d([ids], undefined, "int32")).dataSync());
    model.dispose();
    // fp32 on both sides, summed in different orders: a few 1e-6 of logits up to about 20.
    assert.ok(maxAbsDiff(logits, theirs.logits) <= 1e-3, `largest difference ${maxAbsDiff(logits, theirs.logits)}`);
  });

  it("has the validation perplexity its model card reports, on the same held-out documents", () => {
    const { model, config } = loadCheckpoint(MODEL_DIR);
    const tokenizer = BPETokenizer.fromPretrained(MODEL_DIR);
    const corpus = loadPretrainingCorpus({ seed: DEFAULT_PRETRAIN_CONFIG.seed });
    const windows = fixedWindows(
      tokenStream(corpus.validation, tokenizer),
      DEFAULT_PRETRAIN_CONFIG.evalWindows,
      config.blockSize,
    );
    const before = tf.memory().numTensors;
    const loss = validationLoss(model, windows, DEFAULT_PRETRAIN_CONFIG.batchSize);
    assert.equal(tf.memory().numTensors, before);
    const reported = Number(cardValue(card, "final validation loss"));
    assert.ok(Math.abs(loss - reported) < 0.01, `validation loss ${loss.toFixed(4)} vs the card's ${reported}`);
    const perplexity = Number(cardValue(card, "final validation perplexity"));
    assert.ok(
      Math.abs(Math.exp(loss) - perplexity) / perplexity < 0.02,
      `perplexity ${Math.exp(loss)} vs ${perplexity}`,
    );
    model.dispose();
  });

  it("has the bits per character its model card reports, on the held-out documents", () => {
    const { model } = loadCheckpoint(MODEL_DIR);
    const tokenizer = BPETokenizer.fromPretrained(MODEL_DIR);
    const corpus = loadPretrainingCorpus({ seed: DEFAULT_PRETRAIN_CONFIG.seed });
    const measured = bitsPerCharacter(model, tokenizer, corpus.validation);
    model.dispose();
    const row = card.split("\n").find((l) => l.startsWith("| this model |"));
    assert.ok(row, "the model card has no bits-per-character row for this model");
    const reported = Number(row.split("|")[2]);
    assert.ok(
      Math.abs(measured.bitsPerCharacter - reported) < 0.002,
      `measured ${measured.bitsPerCharacter.toFixed(4)} vs the card's ${reported}`,
    );
    // The previous model's row is there, and this model is better on the same characters.
    const previous = card.split("\n").find((l) => l.startsWith("| the previous base model"));
    assert.ok(previous, "the model card does not compare with the previous base model");
    assert.ok(reported < Number(previous.split("|")[2]), previous);
  });

  it("is what `npm run pretrain` makes: its first 40 steps repeat the shipped training log", async () => {
    const r = await verifyShippedRun(40);
    assert.ok(r.sameVocabulary, "the vocabulary trained from the config differs from the shipped one");
    if (r.arithmetic === r.shippedArithmetic) {
      assert.equal(
        r.identicalSteps,
        40,
        `same arithmetic (${r.arithmetic}), yet ${40 - r.identicalSteps} losses differ`,
      );
    } else {
      // Another vector width or oneDNN setting sums in another order: equal to rounding only.
      assert.ok(r.maxRelativeDifference < 1e-3, `largest relative difference ${r.maxRelativeDifference}`);
    }
  });

  it("learned something: far below the loss of a uniform guess", () => {
    const reported = Number(cardValue(card, "final validation loss"));
    const vocab = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, "config.json"), "utf8")).vocab_size;
    assert.ok(
      reported < Math.log(vocab) - 3,
      `validation loss ${reported} vs ln ${vocab} = ${Math.log(vocab).toFixed(2)}`,
    );
  });
});
