// One real training step measured with tf.profile (src/train/memory-measure.ts) against what the tape
// model (src/train/memory-tape.ts) predicts TensorFlow.js holds, on shapes that move each term: batch,
// sequence length, width, heads, layers, vocabulary, a tied or untied head, AdamW or SGD.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { formatBytes, GPT, initBackend } from "../../src/index";
import { gptConfig, gptPreset } from "../../src/model/config";
import type { GPTConfig } from "../../src/model/config";
import { estimateTrainingMemory, type MemoryOptimizer } from "../../src/train/memory-estimate";
import { measureTrainingMemory } from "../../src/train/memory-measure";
import { trainingMemoryComparison } from "../../src/lesson/memory-tables";

/** measured / estimated must lie within 1% of 1 (on tfjs 4.22's native backend they are equal to the byte). */
const BAND = [0.99, 1.01] as const;

function assertRatio(measured: number, estimated: number, what: string): void {
  const ratio = measured / estimated;
  assert.ok(
    ratio >= BAND[0] && ratio <= BAND[1],
    `${what}: measured ${formatBytes(measured)} / estimated ${formatBytes(estimated)} = ${ratio.toFixed(4)}, outside [${BAND}]`,
  );
}

/** name, config, batch, sequence length, optimizer, and whether the update rather than the backward pass is the peak. */
const SHAPES: [string, GPTConfig, number, number, MemoryOptimizer, boolean][] = [
  ['"test" (2 layers, 32 wide, vocab 256), tied', gptPreset("test"), 4, 32, "adamw", false],
  ['"test", untied head', gptPreset("test", { tieEmbeddings: false }), 8, 16, "adamw", false],
  ['"tiny", the lesson\'s model at its sequence length', gptPreset("tiny"), 2, 96, "adamw", false],
  [
    "3 layers, 48 wide, 3 heads, vocab 100, untied",
    gptConfig({ vocabSize: 100, blockSize: 64, nLayer: 3, nHead: 3, nEmbd: 48, tieEmbeddings: false }),
    5,
    40,
    "adamw",
    false,
  ],
  [
    "1 layer, 16 wide, 1 head, vocab 2000 (logits dominate)",
    gptConfig({ vocabSize: 2000, blockSize: 64, nLayer: 1, nHead: 1, nEmbd: 16 }),
    2,
    64,
    "adamw",
    false,
  ],
  [
    "6 layers, 8 wide, 4 heads, vocab 50",
    gptConfig({ vocabSize: 50, blockSize: 16, nLayer: 6, nHead: 4, nEmbd: 8 }),
    7,
    13,
    "sgd",
    false,
  ],
  ['"test", 2 tokens: the update is the peak', gptPreset("test"), 1, 2, "adamw", true],
  [
    "1 layer, 256 wide, 2 tokens: the update is the peak",
    gptConfig({ vocabSize: 50, blockSize: 16, nLayer: 1, nHead: 4, nEmbd: 256 }),
    1,
    2,
    "sgd",
    true,
  ],
];

describe("memory of one measured training step", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("leaves the model as it was and leaks nothing", async () => {
    const model = new GPT(gptPreset("test"), 0);
    const probe = model.param("transformer.h.0.mlp.c_fc.weight");
    const weightsBefore = probe.dataSync().slice();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;

    const m = await measureTrainingMemory(model, { batchSize: 4, seqLen: 32 });

    assert.equal(tf.memory().numTensors, tensors, "no tensor left behind");
    assert.equal(tf.memory().numBytes, bytes);
    assert.equal(m.leakedTensors, 0);
    assert.deepEqual(
      model.param("transformer.h.0.mlp.c_fc.weight").dataSync(),
      weightsBefore,
      "the weights are restored",
    );
    assert.equal(m.afterBytes, m.beforeBytes, "after the step only the weights and the optimizer state remain");
    assert.ok(m.rssAfterBytes > 0 && m.maxRssBytes >= m.rssBeforeBytes);

    const e = estimateTrainingMemory(model.config, { batchSize: 4, seqLen: 32 });
    assert.equal(m.weightsBytes, e.weightsBytes);
    assert.equal(m.optimizerBytes, e.optimizerBytes);
    assert.equal(m.gradientsBytes, e.gradientsBytes);
    assert.ok(m.activationsBytes >= e.activationsBytes, "tfjs keeps at least what the backward pass needs");
    const rows = trainingMemoryComparison(e, m);
    assert.equal(rows[0].estimated, rows[0].measured);
    assert.equal(rows[0]["measured / estimated"], "1.00");
    assert.equal(rows[3]["measured / estimated"], "1.00", "activations held by the tfjs tape");
    model.dispose();
  });

  for (const [name, config, batchSize, seqLen, optimizer, updatePeak] of SHAPES) {
    it(`${name}, ${batchSize} x ${seqLen}, ${optimizer}: measured as estimated`, async () => {
      const model = new GPT(config, 0);
      const m = await measureTrainingMemory(model, { batchSize, seqLen }, { optimizer });
      const e = estimateTrainingMemory(model.config, { batchSize, seqLen }, { optimizer });
      model.dispose();
      assert.equal(m.leakedTensors, 0);
      assert.equal(m.optimizerBytes, e.optimizerBytes);
      assertRatio(m.stepPeakBytes, e.tfjs.stepPeakBytes, "step peak above weights and optimizer state");
      // measured activations = step peak - gradients: the tape's activations when the backward pass
      // is the peak, the update's temporaries when that is.
      assert.equal(
        e.tfjs.updateBytes > e.tfjs.activationsBytes,
        updatePeak,
        "the estimate puts the peak where this shape has it",
      );
      assertRatio(
        m.activationsBytes,
        updatePeak ? e.tfjs.updateBytes : e.tfjs.activationsBytes,
        updatePeak ? "temporaries of the optimizer update" : "activations held by the tfjs tape",
      );
    });
  }

  it("refuses a bad batch before allocating anything", async () => {
    const model = new GPT(gptPreset("test"), 0); // blockSize 32
    const tensors = tf.memory().numTensors;
    await assert.rejects(
      measureTrainingMemory(model, { batchSize: 0, seqLen: 8 }),
      /measureTrainingMemory: batchSize must be a positive integer/,
    );
    await assert.rejects(
      measureTrainingMemory(model, { batchSize: 2, seqLen: 64 }),
      /measureTrainingMemory: seqLen .*blockSize 32\), got 64/,
    );
    await assert.rejects(
      measureTrainingMemory(model, { batchSize: 2, seqLen: 8 }, { optimizer: "adam" as "adamw" }),
      /MemoryEstimateOptions.optimizer: must be one of/,
    );
    assert.equal(tf.memory().numTensors, tensors, "a refused measurement allocates nothing");
    model.dispose();
  });
});
