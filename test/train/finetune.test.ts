import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { trainBPE } from "../../src/model/bpe-train";
import { GPT } from "../../src/model/gpt";
import { gptConfig } from "../../src/model/config";
import { loadCheckpoint } from "../../src/model/checkpoint";
import { generate } from "../../src/model/generate";
import { generateBatch } from "../../src/model/generate-batch";
import { nextTokenLoss } from "../../src/train/loss";
import { accumulatedGradients } from "../../src/train/accumulate";
import { DEFAULT_FINETUNE_CONFIG, finetuneConfig } from "../../src/train/finetune-config";
import { finetune } from "../../src/train/finetune";
import { type FinetuneEvent } from "../../src/train/finetune-state";
import { epochBatches, tokenizeExamples } from "../../src/train/sft-batches";
import { LossGradients } from "../../src/train/gradients";
import { readSafetensors } from "../../src/model/safetensors";
import { maxAbsDiff } from "../support/tolerance";
import { InterruptedError, requestStop, stopRequested } from "../../src/runtime/interrupt";

const POSITIVE = [
  "Great phone, works well",
  "I love this case",
  "Excellent sound and battery",
  "Works great, very happy",
  "Best purchase ever",
  "Good value, good quality",
];
const NEGATIVE = [
  "Broke after a week",
  "Terrible battery, do not buy",
  "Waste of money",
  "The case cracked, very poor",
  "It never worked",
  "Bad sound, bad quality",
];
const example = (text: string, label: string, i: number) => ({
  prompt: `Review: ${text}\nSentiment:`,
  completion: ` ${label}`,
  label,
  templateId: "t",
  sourceId: `s${i}`,
});
const ALL = [
  ...POSITIVE.map((t, i) => example(t, "positive", i)),
  ...NEGATIVE.map((t, i) => example(t, "negative", i + 6)),
];

describe("full fine-tuning", function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-finetune-"));
  const tokenizer = trainBPE(
    Array.from({ length: 30 }, (_, i) => `${ALL[i % ALL.length].prompt}${ALL[i % ALL.length].completion}`),
    { vocabSize: 300 },
  );
  const train = Array.from({ length: 36 }, (_, i) => ALL[i % ALL.length]); // a few dozen examples
  const validation = ALL.slice(0, 4).concat(ALL.slice(6, 10));
  const config = finetuneConfig({
    epochs: 3,
    batchSize: 8,
    learningRate: 3e-3,
    warmupFraction: 0.2,
    maxLength: 32,
    checkpointEvery: 2,
    seed: 3,
  });
  let base: GPT;
  before(async () => {
    await initBackend({ quiet: true });
    base = new GPT(gptConfig({ vocabSize: tokenizer.vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32 }), 7);
  });
  after(() => {
    base.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("starts near ln(vocab), lowers the loss, keeps the base model and leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    const baseWeights = base.param("transformer.h.0.attn.c_attn.weight").dataSync().slice();
    const events: FinetuneEvent[] = [];
    const run = await finetune({
      base,
      tokenizer,
      train,
      validation,
      config,
      outDir: path.join(dir, "a"),
      onEvent: (e) => events.push(e),
    });
    const losses = run.state.history.map((h) => h.trainLoss);
    assert.ok(
      Math.abs(losses[0] - Math.log(tokenizer.vocabSize)) < 0.6,
      `first loss ${losses[0]} vs ln V ${Math.log(tokenizer.vocabSize)}`,
    );
    assert.ok(losses[losses.length - 1] < losses[0] - 1, `loss did not fall: ${losses.map((l) => l.toFixed(2))}`);
    assert.equal(run.state.step, 15, "3 epochs of 5 batches");
    assert.deepEqual(
      events.flatMap((e) => (e.kind === "eval" ? [e.step] : [])),
      [5, 10, 15],
    );
    const evals = events.filter((e): e is Extract<FinetuneEvent, { kind: "eval" }> => e.kind === "eval");
    assert.ok(
      evals.every((e) => e.validationScore >= 0 && e.validationScore <= 1 && Number.isFinite(e.validationLoss)),
    );
    assert.equal(
      maxAbsDiff(base.param("transformer.h.0.attn.c_attn.weight").dataSync(), baseWeights),
      0,
      "the base model changed",
    );
    // The best model on disk is the one returned.
    const best = loadCheckpoint(run.bestFolder).model;
    assert.equal(
      maxAbsDiff(best.param("transformer.wte.weight").dataSync(), run.model.param("transformer.wte.weight").dataSync()),
      0,
    );
    best.dispose();
    run.model.dispose();
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
  });

  it("keeps the tensor count flat from step to step", async () => {
    const counts: number[] = [];
    const run = await finetune({
      base,
      tokenizer,
      train,
      validation,
      config: { ...config, epochs: 1 },
      outDir: path.join(dir, "flat"),
      onEvent: (e) => {
        if (e.kind === "step") counts.push(tf.memory().numTensors);
      },
    });
    run.model.dispose();
    assert.ok(counts.length === 5 && counts.every((c) => c === counts[0]), `tensors per step: ${counts}`);
  });

  it("resumes after an interruption to exactly the weights of an uninterrupted run", async () => {
    const whole = await finetune({ base, tokenizer, train, validation, config, outDir: path.join(dir, "whole") });
    const out = path.join(dir, "interrupted");
    const first = await finetune({ base, tokenizer, train, validation, config, outDir: out, stopAfterSteps: 7 });
    assert.equal(first.state.step, 7);
    first.model.dispose();
    const events: FinetuneEvent[] = [];
    const resumed = await finetune({
      base,
      tokenizer,
      train,
      validation,
      config,
      outDir: out,
      onEvent: (e) => events.push(e),
    });
    assert.ok(
      events.some((e) => e.kind === "resume" && e.step === 7),
      "no resume event",
    );
    assert.equal(resumed.state.step, 15);
    for (const [name, v] of whole.model.params) {
      const d = maxAbsDiff(v.dataSync(), resumed.model.param(name).dataSync());
      assert.ok(d <= 1e-6, `${name} differs by ${d}`);
    }
    assert.deepEqual(
      resumed.state.history.map((h) => h.trainLoss.toFixed(5)),
      whole.state.history.map((h) => h.trainLoss.toFixed(5)),
    );
    assert.deepEqual(resumed.state.best, whole.state.best);
    whole.model.dispose();
    resumed.model.dispose();
    await assert.rejects(
      finetune({ base, tokenizer, train, validation, config: { ...config, learningRate: 1e-2 }, outDir: out }),
      /holds a fine-tuning run with another config/,
    );
  });

  it("stops at a step boundary on an interrupt, saves, says how to go on, and resumes bit for bit", async () => {
    const whole = await finetune({ base, tokenizer, train, validation, config, outDir: path.join(dir, "whole-2") });
    const out = path.join(dir, "interrupt");
    // The learner interrupts while step 6 runs (Kernel -> Interrupt or Ctrl-C call requestStop).
    let stepsAfterInterrupt = 0;
    const error = await finetune({
      base,
      tokenizer,
      train,
      validation,
      config,
      outDir: out,
      onEvent: (e) => {
        if (e.kind !== "step") return;
        if (e.step === 6) requestStop();
        if (e.step > 6) stepsAfterInterrupt += 1;
      },
    }).then(
      () => assert.fail("the run was not interrupted"),
      (err: unknown) => err,
    );
    assert.ok(error instanceof InterruptedError, String(error));
    assert.match(
      error.message,
      /^Interrupted: fine-tuning stopped after step 6 of 15 \(epoch 1\.20 of 3\)\. The run so far is saved in .*interrupt.latest\. Run the same cell \(or command\) again and it resumes from step 6/,
    );
    assert.equal(stepsAfterInterrupt, 0, "a step ran after the interrupt");
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, "latest", "state.json"), "utf8")).step, 6);
    assert.equal(fs.existsSync(path.join(out, "writer.lock")), false, "the lock outlived the interrupted run");
    assert.equal(stopRequested(), false, "the interrupt outlived the run it stopped");

    const events: FinetuneEvent[] = [];
    const resumed = await finetune({
      base,
      tokenizer,
      train,
      validation,
      config,
      outDir: out,
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(
      events.find((e) => e.kind === "resume"),
      { kind: "resume", step: 6, steps: 15, folder: path.join(out, "latest") },
    );
    assert.equal(resumed.state.step, 15);
    assert.deepEqual(
      resumed.state.history.map((h) => h.trainLoss),
      whole.state.history.map((h) => h.trainLoss),
      "the loss history differs from an uninterrupted run's",
    );
    for (const [name, v] of whole.model.params)
      assert.equal(maxAbsDiff(v.dataSync(), resumed.model.param(name).dataSync()), 0, `${name} differs`);
    assert.deepEqual(resumed.state.best, whole.state.best);
    whole.model.dispose();
    resumed.model.dispose();
  });

  it("refuses a second writer of the same run folder, naming who holds it", async () => {
    const out = path.join(dir, "two-writers");
    let second: unknown;
    const first = await finetune({
      base,
      tokenizer,
      train,
      validation,
      config,
      outDir: out,
      stopAfterSteps: 3,
      onEvent: (e) => {
        // While this run trains, another call tries the same folder.
        if (e.kind === "step" && e.step === 1 && second === undefined)
          second = finetune({ base, tokenizer, train, validation, config, outDir: out }).catch((err) => err);
      },
    });
    first.model.dispose();
    const refused = await second;
    assert.ok(refused instanceof Error);
    assert.match(
      refused.message,
      /^fine-tuning: .*two-writers is already being trained by this very process.*one writer at a time/,
    );
  });

  it("stops on a NaN loss from a poisoned batch with a clear message and keeps the last good checkpoint", async () => {
    const out = path.join(dir, "nan");
    const tokenized = tokenizeExamples(train, tokenizer, { maxLength: 32 }).examples;
    const first = await finetune({
      base,
      tokenizer,
      train: tokenized,
      validation,
      config,
      outDir: out,
      stopAfterSteps: 4,
    });
    first.model.dispose();
    // One example's loss mask carries a NaN: whichever batch holds it has a NaN loss.
    const poisoned = tokenized.map((e, i) =>
      i === 0 ? { ...e, lossMask: e.lossMask.map((m, j) => (j === e.lossMask.length - 1 ? NaN : m)) } : e,
    );
    await assert.rejects(
      finetune({ base, tokenizer, train: poisoned, validation, config, outDir: out }),
      /Fine-tuning stopped at step \d+ \(epoch \d\): the loss is NaN\. The last checkpoint, at step \d+, is in .*latest \(its training loss: [\d.]+\); it was still sound\..*same step\. Lower learningRate \(it is 0\.003; try 0\.0003\).*a new run, which starts from the base model/,
    );
    const saved = JSON.parse(fs.readFileSync(path.join(out, "latest", "state.json"), "utf8"));
    const check = loadCheckpoint(path.join(out, "latest")).model;
    assert.ok(
      [...check.params.values()].every((p) => p.dataSync().every(Number.isFinite)),
      "the saved weights are not all finite",
    );
    assert.ok(saved.step >= 4);
    check.dispose();
  });

  it("trains only the weights `trainable` chooses, and resumes such a run exactly", async () => {
    const chosen = (name: string) => name.startsWith("transformer.ln_f.") || name.includes(".h.1.mlp.");
    const cfg = { ...config, epochs: 2 };
    const run = await finetune({
      base,
      tokenizer,
      train,
      validation,
      config: cfg,
      outDir: path.join(dir, "some"),
      trainable: chosen,
    });
    const moved: string[] = [];
    for (const [name, p] of run.model.params)
      if (maxAbsDiff(p.dataSync(), base.param(name).dataSync()) > 0) moved.push(name);
    assert.deepEqual(moved.sort(), [...base.params.keys()].filter(chosen).sort(), "exactly the chosen weights moved");
    const optimizer = readSafetensors(path.join(dir, "some", "latest", "optimizer.safetensors"));
    assert.deepEqual(
      [...optimizer.tensors.keys()]
        .filter((k) => k.startsWith("m/"))
        .map((k) => k.slice(2))
        .sort(),
      [...base.params.keys()].filter(chosen).sort(),
      "AdamW keeps moments for the chosen weights only",
    );
    const out = path.join(dir, "some-resumed");
    (
      await finetune({
        base,
        tokenizer,
        train,
        validation,
        config: cfg,
        outDir: out,
        trainable: chosen,
        stopAfterSteps: 3,
      })
    ).model.dispose();
    const resumed = await finetune({ base, tokenizer, train, validation, config: cfg, outDir: out, trainable: chosen });
    for (const [name, p] of run.model.params)
      assert.equal(maxAbsDiff(p.dataSync(), resumed.model.param(name).dataSync()), 0, name);
    assert.throws(
      () => new LossGradients(base, ["no.such.weight"]),
      /LossGradients: the model has no weight named "no.such.weight"/,
    );
    await assert.rejects(
      finetune({
        base,
        tokenizer,
        train,
        validation,
        config: cfg,
        outDir: path.join(dir, "none"),
        trainable: () => false,
      }),
      /`trainable` chose no weight/,
    );
    run.model.dispose();
    resumed.model.dispose();
  });

  it("stops early after `patience` evaluations without a better validation accuracy", async () => {
    const events: FinetuneEvent[] = [];
    // A learning rate this small changes nothing measurable: accuracy cannot improve after the first evaluation.
    const run = await finetune({
      base,
      tokenizer,
      train,
      validation,
      config: { ...config, epochs: 6, learningRate: 1e-9, patience: 2 },
      outDir: path.join(dir, "early"),
      onEvent: (e) => events.push(e),
    });
    const early = events.find((e) => e.kind === "early-stop");
    assert.ok(early, "no early stop");
    assert.equal(run.state.stoppedEarly, true);
    assert.ok(run.state.step < 30, `ran ${run.state.step} of 30 steps`);
    run.model.dispose();
  });

  it("accumulates micro-batch gradients to the gradient of the whole batch", () => {
    const tokenized = tokenizeExamples(train.slice(0, 8), tokenizer, { maxLength: 32 }).examples;
    const [whole] = epochBatches(tokenized, { batchSize: 8, seed: 0, epoch: 0, bucketByLength: false, padId: 0 });
    const halves = epochBatches(tokenized, { batchSize: 4, seed: 0, epoch: 0, bucketByLength: false, padId: 0 });
    const gradients = new LossGradients(base);
    const a = accumulatedGradients(gradients, [whole], 1);
    const b = accumulatedGradients(gradients, halves, 1);
    gradients.dispose();
    assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `loss ${a.loss} vs ${b.loss}`);
    for (const [name, g] of a.grads) {
      const d = maxAbsDiff(g.dataSync(), b.grads.get(name)!.dataSync());
      assert.ok(d < 1e-6, `${name}: ${d}`);
    }
    tf.dispose([...a.grads.values(), ...b.grads.values()]);
  });

  it("computes the masked loss of a batch by hand", () => {
    // With all-zero weights except the output embedding, every position predicts the same distribution.
    const tiny = new GPT(gptConfig({ vocabSize: 4, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4 }), 0);
    for (const [name, v] of tiny.params) if (!name.includes("ln_")) v.assign(tf.zerosLike(v));
    // ln_f of zeros is zero (its bias is 0), so the logits are all 0: p = 1/4 for every token.
    const ids = tf.tensor2d([[0, 1, 2, 3]], [1, 4], "int32");
    const mask = tf.tensor2d([[0, 0, 1, 1]], [1, 4]);
    const loss = nextTokenLoss(tiny, ids as tf.Tensor2D, mask as tf.Tensor2D).dataSync()[0];
    assert.ok(Math.abs(loss - Math.log(4)) < 1e-6, `loss ${loss}, expected ln 4 = ${Math.log(4)}`);
    tf.dispose([ids, mask]);
    tiny.dispose();
  });

  it("generates in batches exactly what generate gives one prompt at a time", () => {
    const prompts = validation.map((e) => e.prompt);
    const batched = generateBatch(base, tokenizer, prompts, { maxNewTokens: 5, batchSize: 3 });
    prompts.forEach((p, i) =>
      assert.deepEqual(batched[i].ids, generate(base, tokenizer, p, { maxNewTokens: 5 }).ids, `prompt ${i}`),
    );
  });

  it("refuses bad configs by field name", () => {
    assert.throws(
      () => finetuneConfig({ epoch: 3 } as never),
      /FinetuneConfig: unknown field "epoch" \(did you mean "epochs"\?\)/,
    );
    assert.throws(() => finetuneConfig({ batchSize: 0 }), /FinetuneConfig.batchSize: must be >= 1, got 0/);
    assert.throws(
      () => finetuneConfig({ warmupFraction: 1 }),
      /FinetuneConfig.warmupFraction: must be >= 0 and < 1, got 1/,
    );
    assert.throws(
      () => finetuneConfig({ learningRate: 0 }),
      /FinetuneConfig.learningRate: must be > 0, got 0 \(fine-tuning a small model: try 1e-4 to 1e-3\)/,
    );
    assert.throws(() => finetuneConfig({ beta1: 1 }), /FinetuneConfig.beta1: must be >= 0 and < 1/);
    // A notebook cell that writes to the defaults would change every later run: it throws instead.
    assert.throws(() => {
      (DEFAULT_FINETUNE_CONFIG as { epochs: number }).epochs = 1;
    }, TypeError);
  });
});
