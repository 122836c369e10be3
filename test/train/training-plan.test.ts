// The run planned before it starts (steps, warm-up, graded tokens), the run that follows the plan
// (with its step-0 evaluation), and one step taken apart: each checked against arithmetic by hand.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { trainBPE } from "../../src/model/bpe-train";
import { gptConfig, countParameters } from "../../src/model/config";
import { GPT } from "../../src/model/gpt";
import { finetune } from "../../src/train/finetune";
import { finetuneConfig } from "../../src/train/finetune-config";
import { type FinetuneEvent } from "../../src/train/finetune-state";
import { inspectOneStep, layerOf } from "../../src/train/one-step";
import { tokenizeExamples } from "../../src/train/sft-batches";
import {
  epochBatchesOf,
  gradedPositions,
  learningRateCurve,
  planRows,
  prepareTraining,
  trainingPlan,
} from "../../src/train/training-plan";
import { evaluationsOf, validationRows } from "../../src/lesson/validation-table";
import { stepSentence } from "../../src/lesson/one-step-view";

const TEXTS = [
  ["Great phone, works well", "positive"],
  ["Broke after a week", "negative"],
  ["I love this case", "positive"],
  ["Waste of money", "negative"],
  ["Excellent sound and battery", "positive"],
  ["It never worked", "negative"],
  ["Best purchase ever", "positive"],
];
const examples = Array.from({ length: 35 }, (_, i) => ({
  prompt: `Review: ${TEXTS[i % TEXTS.length][0]}\nSentiment:`,
  completion: ` ${TEXTS[i % TEXTS.length][1]}`,
  label: TEXTS[i % TEXTS.length][1],
  templateId: "t",
  sourceId: `s${i}`,
}));

describe("the training plan, the step-0 evaluation and one step taken apart", function () {
  this.timeout(300_000);
  const tokenizer = trainBPE(
    examples.map((e) => e.prompt + e.completion),
    { vocabSize: 300 },
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-plan-"));
  let base: GPT;
  before(async () => {
    await initBackend({ quiet: true });
    base = new GPT(gptConfig({ vocabSize: tokenizer.vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32 }), 5);
  });
  after(() => {
    base.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("works out batches, steps, warm-up and graded tokens by the arithmetic it prints", () => {
    const config = finetuneConfig({ epochs: 3, batchSize: 8, gradAccumulation: 2, warmupFraction: 0.1, maxLength: 32 });
    const tokenized = tokenizeExamples(examples, tokenizer, { maxLength: 32 }).examples;
    const plan = trainingPlan(config, tokenized);
    // 35 examples / 8 = 5 batches (the last of 3); 5 batches / 2 per step = 3 steps; x 3 epochs = 9.
    assert.equal(plan.batchesPerEpoch, 5);
    assert.equal(plan.stepsPerEpoch, 3);
    assert.equal(plan.totalSteps, 9);
    assert.equal(plan.warmupSteps, 1); // round(0.9)
    const graded = tokenized.reduce((n, e) => n + e.completionTokens + 1, 0);
    assert.equal(plan.gradedTokensPerEpoch, graded);
    const rows = planRows(plan);
    const row = (q: string) => rows.find((r) => r.quantity === q)!;
    assert.equal(row("batches per epoch")["worked out"], "ceil(35 / 8)");
    assert.equal(row("steps per epoch")["worked out"], "ceil(5 / 2 batches per step)");
    assert.equal(row("steps in all").value, "9");
    assert.equal(row("warm-up steps")["worked out"], "9 x 0.1 = 0.9, rounded");
    const single = planRows(trainingPlan(finetuneConfig({ batchSize: 8 }), tokenized));
    assert.equal(
      single.find((r) => r.quantity === "steps per epoch")!["worked out"],
      "ceil(35 / 8): one batch has 3 examples",
    );
  });

  it("leaves out and counts the examples longer than maxLength", () => {
    const long = { ...examples[0], prompt: `${"very ".repeat(40)}long\nSentiment:`, sourceId: "long" };
    const { plan, examples: kept } = prepareTraining([...examples, long], tokenizer, finetuneConfig({ maxLength: 32 }));
    assert.equal(plan.skipped, 1);
    assert.equal(plan.trainExamples, 35);
    assert.equal(kept.length, 35);
    assert.match(planRows(plan)[0]["worked out"], /36 - 1 too long/);
  });

  it("warms the learning rate up to its peak, then decays it along a cosine to the minimum", () => {
    const config = finetuneConfig({ epochs: 2, batchSize: 5, learningRate: 1e-3, warmupFraction: 0.25 });
    const plan = trainingPlan(config, tokenizeExamples(examples.slice(0, 20), tokenizer, { maxLength: 32 }).examples);
    const { steps, rates } = learningRateCurve(plan);
    assert.equal(steps.length, 8);
    assert.equal(plan.warmupSteps, 2);
    assert.ok(Math.abs(rates[0] - 5e-4) < 1e-12, "step 1 of 2 warm-up steps: half the peak");
    assert.ok(Math.abs(rates[1] - 1e-3) < 1e-12, "the peak at the end of the warm-up");
    assert.ok(Math.abs(rates[7] - 1e-4) < 1e-12, "a tenth of the peak at the last step");
    for (let i = 2; i < 8; i++) assert.ok(rates[i] <= rates[i - 1], "falls after the warm-up");
  });

  it("runs exactly the planned steps, scores the base model at step 0 first, and counts the graded tokens", async () => {
    const config = finetuneConfig({
      epochs: 2,
      batchSize: 8,
      maxLength: 32,
      learningRate: 3e-3,
      evalAtStart: true,
      lossWeighting: "example",
    });
    const { plan } = prepareTraining(examples, tokenizer, config);
    const runInto = (events: FinetuneEvent[]) =>
      finetune({
        base,
        tokenizer,
        train: examples,
        validation: examples.slice(0, 6),
        config,
        outDir: path.join(dir, "run"),
        onEvent: (e) => events.push(e),
      });
    const events: FinetuneEvent[] = [];
    const run = await runInto(events);
    assert.equal(run.state.step, plan.totalSteps);
    const evals = events.filter((e): e is Extract<FinetuneEvent, { kind: "eval" }> => e.kind === "eval");
    assert.deepEqual(
      evals.map((e) => [e.step, e.epoch]),
      [
        [0, 0],
        [5, 1],
        [10, 2],
      ],
    );
    assert.ok(run.state.start, "the step-0 evaluation is recorded");
    assert.equal(run.state.start!.validationLoss, evals[0].validationLoss);
    assert.equal(run.state.gradedTokens, plan.epochs * plan.gradedTokensPerEpoch, "graded tokens, counted per step");
    assert.ok(evals[2].validationLoss < evals[0].validationLoss, "validation loss fell from the base model's");
    const table = validationRows(run.state);
    assert.deepEqual(
      table.map((r) => [r.step, r.model, r["train loss (last batch)"] === "-"]),
      [
        [0, "the base model", true],
        [5, "after 5 steps", false],
        [10, "after 10 steps", false],
      ],
    );
    assert.equal(evaluationsOf(run.state).length, 3);
    assert.equal(table.filter((r) => r.best === "saved").length, 1);
    run.model.dispose();

    // A finished run resumed does not score step 0 again.
    const again: FinetuneEvent[] = [];
    const resumed = await runInto(again);
    assert.ok(!again.some((e) => e.kind === "eval" && e.step === 0));
    resumed.model.dispose();
  });

  it("takes one step apart: gradients per layer, AdamW's first update, a lower loss on the same batch", () => {
    const config = finetuneConfig({ batchSize: 8, maxLength: 32, learningRate: 1e-3, weightDecay: 0 });
    const { examples: prepared } = prepareTraining(examples, tokenizer, config);
    const batch = epochBatchesOf(prepared, config, 0, tokenizer.eosTokenId, 32)[0];
    assert.equal(gradedPositions(batch), 2 * batch.inputIds.length, "a one-token label and end-of-text per example");
    const weights = base.param("transformer.h.1.mlp.c_fc.weight").dataSync().slice();
    const tensors = tf.memory().numTensors;
    const step = inspectOneStep(base, batch, config);
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked");
    assert.deepEqual(base.param("transformer.h.1.mlp.c_fc.weight").dataSync(), weights, "the model itself changed");
    assert.ok(step.lossAfter < step.lossBefore, `${step.lossAfter} is not below ${step.lossBefore}`);
    assert.equal(
      step.layers.reduce((n, l) => n + l.parameters, 0),
      countParameters(base.config),
      "every weight is in one layer",
    );
    // The global norm is the norm of the layers' norms.
    const global = Math.sqrt(step.layers.reduce((s, l) => s + l.gradientNorm ** 2, 0));
    assert.ok(Math.abs(global - step.gradientNorm) / global < 1e-4, `${global} vs ${step.gradientNorm}`);
    // AdamW's first step moves each weight with a gradient by about lr (m / sqrt(v) = g / |g|): a
    // layer's update norm is lr x sqrt(its parameters) when every weight of it has a gradient.
    const mlp = step.layers.find((l) => l.layer === "block 2 MLP")!;
    const byHand = 1e-3 * Math.sqrt(mlp.parameters);
    assert.ok(Math.abs(mlp.updateNorm - byHand) / byHand < 0.01, `update ${mlp.updateNorm} vs lr x sqrt(n) ${byHand}`);
    const sentence = stepSentence(step);
    assert.match(sentence, /the loss is now [\d.]+ \(lower by/);
    assert.match(sentence, /block \d MLP moves by 0\.001 x sqrt\(8,416\) = 0\.092 by hand, 0\.09\d measured/);
    assert.equal(layerOf("transformer.h.0.ln_1.weight"), "block 1 attention");
    assert.equal(layerOf("transformer.h.3.ln_2.bias"), "block 4 MLP");
    assert.equal(layerOf("transformer.wte.weight"), "token embeddings (= output layer)");
    assert.equal(layerOf("transformer.wte.weight", false), "token embeddings");
    assert.ok(
      step.layers.some((l) => l.layer === "token embeddings (= output layer)"),
      "tied, as GPT-2",
    );
  });
});
