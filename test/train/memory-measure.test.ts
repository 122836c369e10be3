// One real training step measured with tf.profile (src/train/memory-measure.ts) against the estimate.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { formatBytes, GPT, gptPreset, initBackend } from "../../src/index";
import { estimateTrainingMemory } from "../../src/train/memory-estimate";
import { measureTrainingMemory } from "../../src/train/memory-measure";
import { trainingMemoryComparison } from "../../src/lesson/memory-tables";

function assertWithin(ratio: number, low: number, high: number, what: string): void {
  assert.ok(ratio >= low && ratio <= high, `${what}: measured / estimated = ${ratio.toFixed(3)}, outside [${low}, ${high}]`);
}

describe("memory of one measured training step", () => {
  before(async () => { await initBackend({ quiet: true }); });

  it("refuses a bad batch before allocating anything", async () => {
    const model = new GPT(gptPreset("test"), 0); // blockSize 32
    const tensors = tf.memory().numTensors;
    await assert.rejects(measureTrainingMemory(model, { batchSize: 0, seqLen: 8 }), /measureTrainingMemory: batchSize must be a positive integer/);
    await assert.rejects(measureTrainingMemory(model, { batchSize: 2, seqLen: 64 }), /measureTrainingMemory: seqLen .*blockSize 32\), got 64/);
    assert.equal(tf.memory().numTensors, tensors, "a refused measurement allocates nothing");
    model.dispose();
  });

  for (const [preset, batchSize, seqLen] of [["test", 4, 32], ["tiny", 4, 32]] as const) {
    it(`measures one AdamW step of "${preset}" at ${batchSize} x ${seqLen} close to the estimate, leaking nothing`, async () => {
      const model = new GPT(gptPreset(preset), 0);
      const probe = model.param("transformer.h.0.mlp.c_fc.weight");
      const weightsBefore = probe.dataSync().slice();
      const tensors = tf.memory().numTensors;
      const bytes = tf.memory().numBytes;

      const m = await measureTrainingMemory(model, { batchSize, seqLen });

      assert.equal(tf.memory().numTensors, tensors, "no tensor left behind");
      assert.equal(tf.memory().numBytes, bytes);
      assert.equal(m.leakedTensors, 0);
      assert.deepEqual(model.param("transformer.h.0.mlp.c_fc.weight").dataSync(), weightsBefore, "the weights are restored");
      assert.equal(m.afterBytes, m.beforeBytes, "after the step only the weights and the optimizer state remain");

      const e = estimateTrainingMemory(model.config, { batchSize, seqLen });
      assert.equal(m.weightsBytes, e.weightsBytes);
      assert.equal(m.optimizerBytes, e.optimizerBytes);
      assert.equal(m.gradientsBytes, e.gradientsBytes);
      assertWithin(m.activationsBytes / e.tfjs.activationsBytes, 0.5, 2, `activations on the tfjs tape (${formatBytes(m.activationsBytes)} measured)`);
      assertWithin(m.stepPeakBytes / e.tfjs.stepPeakBytes, 0.5, 2, `step peak (${formatBytes(m.stepPeakBytes)} measured)`);
      assert.ok(m.activationsBytes >= e.activationsBytes, "tfjs keeps at least what the backward pass needs");
      assert.ok(m.rssAfterBytes > 0 && m.maxRssBytes >= m.rssBeforeBytes);

      const rows = trainingMemoryComparison(e, m);
      assert.equal(rows[0].estimated, rows[0].measured);
      assert.equal(rows[0]["measured / estimated"], "1.00");
      model.dispose();
    });
  }

  it("measures a plain SGD step (no optimizer state), where tiny batches peak in the update", async () => {
    const model = new GPT(gptPreset("test"), 0);
    const tensors = tf.memory().numTensors;
    const m = await measureTrainingMemory(model, { batchSize: 1, seqLen: 2 }, { optimizer: "sgd" });
    assert.equal(m.optimizerBytes, 0);
    assert.equal(tf.memory().numTensors, tensors);
    const adamw = await measureTrainingMemory(model, { batchSize: 1, seqLen: 2 });
    const e = estimateTrainingMemory(model.config, { batchSize: 1, seqLen: 2 });
    // With two tokens the activations are tiny and AdamW's update, all weights in one tidy, is the peak.
    assert.ok(e.tfjs.updateBytes > e.tfjs.activationsBytes);
    assertWithin(adamw.stepPeakBytes / e.tfjs.stepPeakBytes, 0.5, 2, "step peak during the AdamW update");
    model.dispose();
  });
});
