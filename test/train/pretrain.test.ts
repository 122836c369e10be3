import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { containmentMatcher, evaluationSentences, loadPretrainingCorpus } from "../../src/data/pretraining-corpus";
import { trainBPE } from "../../src/model/bpe-train";
import { DEFAULT_PRETRAIN_CONFIG, pretrain, pretrainConfig, type PretrainEvent } from "../../src/train/pretrain";
import { randomWindows, tokenStream } from "../../src/train/token-stream";
import { maxAbsDiff } from "../support/tolerance";

const TEXTS = [
  "The battery lasts all day and the screen is bright.",
  "This movie was a waste of time, the plot made no sense.",
  "Great sound, great price, I would buy it again.",
  "The story drags in the middle but the ending is moving.",
  "Terrible customer service, the case broke in a week.",
];

describe("pre-training", function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-pretrain-"));
  const tokenizer = trainBPE(
    Array.from({ length: 40 }, (_, i) => TEXTS[i % TEXTS.length]),
    { vocabSize: 320 },
  );
  const stream = tokenStream(
    Array.from({ length: 60 }, (_, i) => TEXTS[(i * 3) % TEXTS.length]),
    tokenizer,
  );
  const validation = tokenStream(TEXTS, tokenizer);
  const config = pretrainConfig({
    model: { blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32 },
    batchSize: 8,
    steps: 12,
    warmupSteps: 2,
    learningRate: 3e-3,
    evalEvery: 6,
    evalWindows: 4,
    sampleEvery: 0,
    samplePrompts: ["The"],
    sampleTokens: 4,
    checkpointEvery: 4,
  });
  before(async () => {
    await initBackend({ quiet: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("starts near ln(vocab) and lowers the loss, leaking no tensors", async () => {
    const before = tf.memory().numTensors;
    const events: PretrainEvent[] = [];
    const r = await pretrain({
      config,
      tokenizer,
      trainStream: stream,
      validationStream: validation,
      outDir: path.join(dir, "a"),
      onEvent: (e) => events.push(e),
    });
    const losses = r.state.history.map((h) => h.trainLoss);
    assert.ok(
      Math.abs(losses[0] - Math.log(tokenizer.vocabSize)) < 0.5,
      `first loss ${losses[0]} vs ln V ${Math.log(tokenizer.vocabSize)}`,
    );
    assert.ok(losses[losses.length - 1] < losses[0] - 0.5, `loss did not fall: ${losses.map((l) => l.toFixed(2))}`);
    assert.deepEqual(
      events.filter((e) => e.kind === "eval").map((e) => e.step),
      [6, 12],
    );
    assert.deepEqual(
      events.filter((e) => e.kind === "checkpoint").map((e) => e.step),
      [4, 8, 12],
    );
    assert.equal(events.filter((e) => e.kind === "sample").length, 1);
    r.model.dispose();
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
  });

  it("resumes after an interruption to exactly the weights of an uninterrupted run", async () => {
    const whole = await pretrain({
      config,
      tokenizer,
      trainStream: stream,
      validationStream: validation,
      outDir: path.join(dir, "whole"),
    });
    const out = path.join(dir, "interrupted");
    const first = await pretrain({
      config,
      tokenizer,
      trainStream: stream,
      validationStream: validation,
      outDir: out,
      stopAfterSteps: 5,
    });
    assert.equal(first.state.step, 5);
    first.model.dispose();
    const events: PretrainEvent[] = [];
    const resumed = await pretrain({
      config,
      tokenizer,
      trainStream: stream,
      validationStream: validation,
      outDir: out,
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(events[0], { kind: "resume", step: 5 });
    assert.equal(resumed.state.step, 12);
    for (const [name, v] of whole.model.params) {
      const d = maxAbsDiff(v.dataSync(), resumed.model.param(name).dataSync());
      assert.ok(d <= 1e-6, `${name} differs by ${d}`);
    }
    assert.deepEqual(
      resumed.state.history.map((h) => h.step),
      whole.state.history.map((h) => h.step),
    );
    whole.model.dispose();
    resumed.model.dispose();
  });

  it("refuses to resume a run made with another config", async () => {
    await assert.rejects(
      pretrain({
        config: { ...config, learningRate: 1e-2 },
        tokenizer,
        trainStream: stream,
        validationStream: validation,
        outDir: path.join(dir, "whole"),
      }),
      /holds a run with another config/,
    );
  });

  it("stops on a NaN loss with a clear message and keeps the last good checkpoint", async () => {
    const out = path.join(dir, "nan");
    const first = await pretrain({
      config,
      tokenizer,
      trainStream: stream,
      validationStream: validation,
      outDir: out,
      stopAfterSteps: 4,
    });
    first.model.dispose();
    // Poison the saved weights: the next step's loss is NaN.
    const latest = path.join(out, "latest");
    const good = fs.readFileSync(path.join(latest, "model.safetensors"));
    const poisoned = Buffer.from(good);
    poisoned.writeFloatLE(NaN, poisoned.length - 4);
    fs.writeFileSync(path.join(latest, "model.safetensors"), poisoned);
    await assert.rejects(
      pretrain({ config, tokenizer, trainStream: stream, validationStream: validation, outDir: out }),
      /Pre-training stopped at step 5: the loss is NaN\. The last good checkpoint \(step 4\) is in .*latest\. Lower the learning rate/,
    );
    const state = JSON.parse(fs.readFileSync(path.join(latest, "state.json"), "utf8"));
    assert.equal(state.step, 4, "the checkpoint on disk was not replaced");
  });

  it("draws the same batches for the same (seed, step), different ones otherwise", () => {
    const a = randomWindows(stream, 4, 8, 0, 3),
      b = randomWindows(stream, 4, 8, 0, 3),
      c = randomWindows(stream, 4, 8, 0, 4);
    assert.deepEqual(a.ids.arraySync(), b.ids.arraySync());
    assert.notDeepEqual(a.ids.arraySync(), c.ids.arraySync());
    tf.dispose([a.ids, a.mask, b.ids, b.mask, c.ids, c.mask]);
  });

  it("refuses bad configs by field name", () => {
    assert.throws(
      () => pretrainConfig({ stepz: 3 } as never),
      /PretrainConfig: unknown field "stepz" \(did you mean "steps"\?\)/,
    );
    assert.throws(
      () => pretrainConfig({ steps: 10, warmupSteps: 10 }),
      /PretrainConfig.warmupSteps: must be below steps \(10\), got 10/,
    );
    assert.throws(
      () => pretrainConfig({ learningRate: 1e-3, minLearningRate: 1e-2 }),
      /PretrainConfig.minLearningRate: must be at most learningRate/,
    );
    // Fields the hand-written validator never checked:
    assert.throws(() => pretrainConfig({ beta2: 1 }), /PretrainConfig.beta2: must be >= 0 and < 1, got 1/);
    assert.throws(() => pretrainConfig({ weightDecay: -0.1 }), /PretrainConfig.weightDecay: must be >= 0, got -0.1/);
    assert.throws(() => pretrainConfig({ seed: 0.5 }), /PretrainConfig.seed: must be a whole number, got 0.5/);
    assert.throws(
      () => pretrainConfig({ model: { nLayers: 2 } as never }),
      /PretrainConfig.model: unknown field "nLayers" \(did you mean "nLayer"\?\)/,
    );
    assert.throws(
      () => pretrainConfig({ model: { nEmbd: 100, nHead: 3 } }),
      /GPTConfig.nEmbd: 100 must be divisible by nHead/,
    );
    assert.throws(() => {
      (DEFAULT_PRETRAIN_CONFIG as { steps: number }).steps = 1;
    }, TypeError);
  });
});

describe("pre-training corpus", function () {
  this.timeout(120_000);

  it("finds evaluation sentences inside documents, ignoring case and punctuation", () => {
    const contains = containmentMatcher([["the", "battery", "died", "after", "two", "days"]]);
    assert.equal(contains("Honestly... The BATTERY died, after two days! Never again."), true);
    assert.equal(contains("The battery died after three days."), false);
    const sentences = evaluationSentences();
    assert.ok(sentences.length > 2500 && sentences.every((s) => s.length >= 4), `${sentences.length} sentences`);
  });

  it("removes contaminated documents, splits by seed, and counts what it did", () => {
    const c = loadPretrainingCorpus({ sources: ["imdb-reviews", "moby-dick"], limitPerSource: 2000, seed: 1 });
    assert.deepEqual(c.documents, { "imdb-reviews": 2000, "moby-dick": 139 });
    assert.ok(c.removed["imdb-reviews"] > 0, "some IMDB reviews contain UCI IMDB sentences");
    const contains = containmentMatcher(evaluationSentences());
    assert.ok([...c.train, ...c.validation].every((d) => !contains(d)));
    assert.equal(c.train.length + c.validation.length, 2139 - c.removed["imdb-reviews"] - c.removed["moby-dick"]);
    assert.deepEqual(
      loadPretrainingCorpus({ sources: ["moby-dick"], seed: 1 }).validation,
      loadPretrainingCorpus({ sources: ["moby-dick"], seed: 1 }).validation,
    );
  });
});
