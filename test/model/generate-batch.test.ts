// Sampled batch generation: every row draws from its own seeded generator, so it gives what
// generate() gives that prompt alone with the row's seed, whatever the batch size or the other
// prompts. (Greedy batch generation against generate() is in test/train/finetune.test.ts.)
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { trainBPE } from "../../src/model/bpe-train";
import { gptConfig } from "../../src/model/config";
import { generate, pickToken, type GenerateOptions } from "../../src/model/generate";
import { SeededRandom } from "../../src/runtime/random";
import { generateBatch, type BatchGenerateOptions } from "../../src/model/generate-batch";
import { GPT } from "../../src/model/gpt";

const TEXTS = [
  "Write a positive review.\nGreat phone, works well and the battery lasts.",
  "Write a negative review.\nBroke after a week, a waste of money.",
  "Review: I love this case\nSentiment: positive",
  "Review: Terrible sound, do not buy\nSentiment: negative",
];
// Prompts of different lengths, the review prompt several times over (the case sampling is for).
const PROMPTS = [
  "Write a positive review.",
  "Review: I love this case\nSentiment:",
  "Write a positive review.",
  "Write a negative review.",
  "Review: Terrible sound",
  "Write a positive review.",
  "Great",
];
const MAX_NEW = 12;

/** The option sets the sampled tests run with, each named by its parameters. */
const SAMPLING: { name: string; options: GenerateOptions }[] = [
  { name: "temperature 1", options: { temperature: 1 } },
  { name: "temperature 0.7, topK 5", options: { temperature: 0.7, topK: 5 } },
  { name: "temperature 1.3, topP 0.9", options: { temperature: 1.3, topP: 0.9 } },
  {
    name: "temperature 1, topK 20, topP 0.8, stop string",
    options: { temperature: 1, topK: 20, topP: 0.8, stopStrings: ["e"] },
  },
];

describe("batch generation with sampling", function () {
  this.timeout(300_000);
  const tokenizer = trainBPE(
    Array.from({ length: 20 }, (_, i) => TEXTS[i % TEXTS.length]),
    { vocabSize: 300 },
  );
  let model: GPT;
  before(async () => {
    await initBackend({ quiet: true });
    model = new GPT(gptConfig({ vocabSize: tokenizer.vocabSize, blockSize: 48, nLayer: 2, nHead: 2, nEmbd: 32 }), 11);
  });
  after(() => model.dispose());

  const batch = (prompts: string[], options: BatchGenerateOptions) =>
    generateBatch(model, tokenizer, prompts, { maxNewTokens: MAX_NEW, ...options });

  for (const { name, options } of SAMPLING) {
    it(`gives each row what generate() gives it with the row's seed (${name})`, () => {
      const rows = batch(PROMPTS, { ...options, seed: 3, batchSize: 3 });
      PROMPTS.forEach((p, i) => {
        const alone = generate(model, tokenizer, p, { ...options, maxNewTokens: MAX_NEW, seed: `3:${i}` });
        assert.deepEqual(rows[i], alone, `prompt ${i} (seed "3:${i}")`);
      });
      const seeds = PROMPTS.map((_, i) => (i % 2 ? `review-${i}` : 100 + i));
      const seeded = batch(PROMPTS, { ...options, seeds, batchSize: 4 });
      PROMPTS.forEach((p, i) => {
        const alone = generate(model, tokenizer, p, { ...options, maxNewTokens: MAX_NEW, seed: seeds[i] });
        assert.deepEqual(seeded[i], alone, `prompt ${i} (seed ${seeds[i]})`);
      });
    });
  }

  it("gives the same texts for the same seed with batch sizes 1, 3 and 32, and whatever shares the batch", () => {
    const options = { temperature: 1, topP: 0.95, seed: "s" };
    const many = Array.from({ length: 40 }, (_, i) => PROMPTS[i % PROMPTS.length]); // 32 rows, then 8
    const [one, three, all] = [1, 3, 32].map((batchSize) => batch(many, { ...options, batchSize }));
    assert.deepEqual(three, one, "batch size 3 against 1");
    assert.deepEqual(all, one, "batch size 32 against 1");
    // A row with its own seed, alone or among others (other prompts, other order), is unchanged.
    const seeds = PROMPTS.map((_, i) => `row-${i}`);
    const together = batch(PROMPTS, { ...options, seeds });
    const reversed = batch([...PROMPTS].reverse(), { ...options, seeds: [...seeds].reverse() });
    PROMPTS.forEach((p, i) => {
      assert.deepEqual(batch([p], { ...options, seeds: [seeds[i]] })[0], together[i], `prompt ${i} alone`);
      assert.deepEqual(reversed[PROMPTS.length - 1 - i], together[i], `prompt ${i} in reverse order`);
    });
  });

  it("gives different texts for different seeds on the same prompt", () => {
    const prompts = Array<string>(8).fill("Write a positive review.");
    const options = { temperature: 1, maxNewTokens: 16, stopTokenIds: [] };
    const texts = batch(prompts, { ...options, seed: 1 }).map((g) => g.text);
    assert.equal(new Set(texts).size, prompts.length, `8 rows, 8 different texts: ${JSON.stringify(texts)}`);
    const other = batch(prompts, { ...options, seed: 2 }).map((g) => g.text);
    texts.forEach((t, i) => assert.notEqual(other[i], t, `row ${i}: seed 1 and seed 2`));
  });

  it("stays greedy at temperature 0, whatever the seeds", () => {
    const greedy = batch(PROMPTS, {});
    assert.deepEqual(batch(PROMPTS, { temperature: 0, topK: 3, topP: 0.5, seed: 9 }), greedy);
    assert.deepEqual(batch(PROMPTS, { seeds: PROMPTS.map((_, i) => i), batchSize: 2 }), greedy);
    assert.deepEqual(batch(PROMPTS, { batchSize: 1 }), greedy, "batch size 1");
  });

  it("refuses bad options with messages", () => {
    const refuses = (options: BatchGenerateOptions, message: RegExp) =>
      assert.throws(() => batch(PROMPTS, options), message);
    refuses({ temperature: -1 }, /generateBatch: temperature must be >= 0 \(0 = greedy\), got -1/);
    refuses({ temperature: NaN }, /generateBatch: temperature must be >= 0 \(0 = greedy\), got NaN/);
    refuses({ topK: 2.5 }, /generateBatch: topK must be a whole number >= 0 \(0 = no limit\), got 2.5/);
    refuses({ topK: -1 }, /generateBatch: topK must be a whole number >= 0/);
    refuses({ topP: 0 }, /generateBatch: topP must be in \(0, 1\], got 0/);
    refuses({ topP: 1.5 }, /generateBatch: topP must be in \(0, 1\], got 1.5/);
    refuses({ seeds: [1, 2] }, /generateBatch: seeds must have one seed per prompt: 2 seeds for 7 prompts/);
    refuses(
      { seeds: PROMPTS.map((_, i) => (i === 4 ? Infinity : i)) },
      /generateBatch: seeds\[4\] must be a finite number or a string, got Infinity/,
    );
    refuses({ seed: NaN }, /generateBatch: seed must be a finite number or a string, got NaN/);
    refuses({ maxNewTokens: 0 }, /generateBatch: maxNewTokens must be a positive integer, got 0/);
  });

  for (const temperature of [0, 1]) {
    it(`leaves no tensors behind (temperature ${temperature})`, () => {
      const options = { temperature, topK: 10, seed: 5, batchSize: 3 };
      batch(PROMPTS, options); // the first call records the decoding steps
      const before = tf.memory().numTensors;
      batch(PROMPTS, options);
      assert.equal(tf.memory().numTensors, before);
    });
  }
});

describe("pickToken's top-k", () => {
  it("samples exactly as a full stable sort cut to k would, ties included", () => {
    const r = new SeededRandom(3);
    for (let trial = 0; trial < 300; trial++) {
      const V = 1 + r.int(300);
      const logits = Float32Array.from({ length: V }, () => Math.round(r.next() * 20) / 4); // many ties
      const k = 1 + r.int(V + 5);
      const order = Array.from(logits.keys())
        .sort((a, b) => logits[b] - logits[a])
        .slice(0, k);
      const weights = order.map((i) => Math.exp((logits[i] - logits[order[0]]) / 0.9));
      const total = weights.reduce((a, b) => a + b, 0);
      let u = new SeededRandom(trial).next();
      let expected = order[order.length - 1];
      for (let i = 0; i < order.length; i++) {
        u -= weights[i] / total;
        if (u < 0) {
          expected = order[i];
          break;
        }
      }
      assert.equal(
        pickToken(logits, { temperature: 0.9, topK: k }, new SeededRandom(trial)),
        expected,
        `trial ${trial}`,
      );
    }
  });
});
