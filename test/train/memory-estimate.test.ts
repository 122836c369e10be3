// The memory estimate of full fine-tuning (src/train/memory-estimate.ts) counted by hand on a tiny
// config, GPT-2's sizes, and the lesson's table and sentence made from it (src/lesson/memory-tables.ts).
import assert from "node:assert/strict";
import { formatBytes } from "../../src/index";
import { gptConfig, gptPreset } from "../../src/model/config";
import { GPT_PRESETS } from "../../src/model/config";
import { estimateTrainingMemory } from "../../src/train/memory-estimate";
import {
  formatCount,
  fullFineTuningSentence,
  LARGE_GPT2_CONFIGS,
  memoryTableModels,
  trainingMemoryTable,
} from "../../src/lesson/memory-tables";

/** Small enough to count by hand: vocab 10, context 8, 1 layer, 2 heads, 4 wide. */
const HAND = gptConfig({ vocabSize: 10, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 4 });

describe("memory estimate of full fine-tuning", () => {
  it("counts weights, gradients and optimizer state of a hand-sized config exactly", () => {
    // wte 10*4 + wpe 8*4 + block (ln 2*2*4 + c_attn 4*12+12 + c_proj 4*4+4 + c_fc 4*16+16 + proj 16*4+4) + ln_f 2*4
    // = 40 + 32 + (16 + 60 + 20 + 80 + 68) + 8 = 324 parameters.
    const e = estimateTrainingMemory(HAND, { batchSize: 2, seqLen: 3 });
    assert.equal(e.parameters, 324);
    assert.equal(e.weightsBytes, 1296);
    assert.equal(e.gradientsBytes, 1296);
    assert.equal(e.optimizerBytes, 2592, "AdamW: m and v, 4 bytes each");
    const half = estimateTrainingMemory(HAND, { batchSize: 2, seqLen: 3 }, { bytesPerValue: 2 });
    assert.deepEqual([half.weightsBytes, half.gradientsBytes, half.optimizerBytes], [648, 648, 1296]);
    const sgd = estimateTrainingMemory(HAND, { batchSize: 2, seqLen: 3 }, { optimizer: "sgd" });
    assert.equal(sgd.optimizerBytes, 0);
    assert.equal(sgd.totalBytes, 1296 + 1296 + sgd.activationsBytes);
  });

  it("counts the activations a backward pass keeps, part by part, for B=2, T=3", () => {
    // N = 6 positions, (B,T,C) = 24 values, (B,H,T,T) = 36, (B,T,4C) = 96, (B*T,V) = 60; 4 bytes each.
    const e = estimateTrainingMemory(HAND, { batchSize: 2, seqLen: 3 });
    assert.deepEqual(e.activations, {
      embeddings: 4 * 6 + 4 * 24, // ids + x0
      residuals: 4 * 2 * 24, // after attention, after MLP
      layerNorms: 4 * (2 * 24 + 2 * 2 * 6), // ln_1, ln_2 outputs and their mean, 1/std
      qkv: 4 * 3 * 24,
      attentionScores: 4 * 2 * 36, // scores and probabilities
      attentionOutput: 4 * 24,
      mlpHidden: 4 * 2 * 96, // before and after GELU
      finalLayerNorm: 4 * (24 + 2 * 6),
      logits: 4 * 60,
      loss: 4 * (60 + 6) + 4 * 2 * 6 + 4 * 6, // exps and row sums, (row, target) int32 pairs, weights
    });
    assert.equal(e.activationsBytes, 2760);
    assert.equal(e.totalBytes, 1296 + 1296 + 2592 + 2760);
  });

  it("knows GPT-2's sizes and what AdamW costs per parameter", () => {
    assert.equal(estimateTrainingMemory(gptPreset("gpt2"), { batchSize: 1, seqLen: 2 }).parameters, 124_439_808);
    assert.equal(
      estimateTrainingMemory(LARGE_GPT2_CONFIGS["gpt2-large"], { batchSize: 1, seqLen: 2 }).parameters,
      774_030_080,
    );
    assert.equal(LARGE_GPT2_CONFIGS["gpt2-xl"], GPT_PRESETS["gpt2-xl"], "the table's big models are the presets");
    const xl = estimateTrainingMemory(LARGE_GPT2_CONFIGS["gpt2-xl"], { batchSize: 1, seqLen: 2 });
    assert.equal(xl.parameters, 1_557_611_200);
    assert.equal(xl.weightsBytes + xl.gradientsBytes + xl.optimizerBytes, 16 * 1_557_611_200);
    const sentence = fullFineTuningSentence("gpt2-xl", LARGE_GPT2_CONFIGS["gpt2-xl"]);
    assert.match(
      sentence,
      /^Full fine-tuning gpt2-xl \(1\.56B parameters\) with AdamW in float32 needs 23\.2 GiB before any activation: 16 bytes per parameter/,
    );
    assert.match(
      fullFineTuningSentence("gpt2", gptPreset("gpt2"), { bytesPerValue: 2, optimizer: "sgd" }),
      /needs 474\.7 MiB .* 4 bytes per parameter/,
    );
    assert.equal(formatCount(1_334_016), "1.3M");
  });

  it("makes a table of string rows, one per model, capping the sequence at each context window", () => {
    const rows = trainingMemoryTable({ batchSize: 8 });
    assert.deepEqual(
      rows.map((r) => r.model),
      Object.keys(memoryTableModels()),
    );
    assert.deepEqual(Object.keys(rows[0]), [
      "model",
      "parameters",
      "batch",
      "weights",
      "gradients",
      "AdamW state",
      "activations",
      "total",
      "total on tfjs",
    ]);
    assert.ok(rows.every((r) => Object.values(r).every((v) => typeof v === "string" && v.length > 0)));
    assert.equal(rows[0].batch, "8 x 256");
    assert.equal(rows[0].parameters, "5.3M", "the first row is the shipped base model");
    assert.equal(rows[4].batch, "8 x 1024");
    assert.equal(rows[4].parameters, "1.56B");
    const xl = estimateTrainingMemory(LARGE_GPT2_CONFIGS["gpt2-xl"], { batchSize: 8, seqLen: 1024 });
    assert.equal(rows[4].total, formatBytes(xl.totalBytes));
    assert.ok(
      xl.activationsBytes > xl.weightsBytes + xl.gradientsBytes + xl.optimizerBytes,
      "at 8 x 1024 the activations outweigh the state",
    );
    assert.equal(trainingMemoryTable({ batchSize: 1, seqLen: 64, optimizer: "sgd" })[1].batch, "1 x 64");
    assert.ok("SGD state" in trainingMemoryTable({ optimizer: "sgd" })[0]);
  });

  it("refuses a bad batch or option with a message naming it", () => {
    const test = gptPreset("test"); // blockSize 32
    assert.throws(
      () => estimateTrainingMemory(test, { batchSize: 0, seqLen: 8 }),
      /batchSize must be a positive integer .*got 0/,
    );
    assert.throws(
      () => estimateTrainingMemory(test, { batchSize: 2.5, seqLen: 8 }),
      /batchSize must be a positive integer/,
    );
    assert.throws(
      () => estimateTrainingMemory(test, { batchSize: 2, seqLen: 33 }),
      /seqLen must be an integer from 2 to the context window \(blockSize 32\), got 33/,
    );
    assert.throws(() => estimateTrainingMemory(test, { batchSize: 2, seqLen: 1 }), /seqLen must be .* got 1/);
    assert.throws(
      () => estimateTrainingMemory(test, { batchSize: 2, seqLen: 8 }, { bytesPerValue: 3 as 4 }),
      /MemoryEstimateOptions.bytesPerValue: must be 4 \(float32\) or 2/,
    );
    assert.throws(
      () => estimateTrainingMemory(test, { batchSize: 2, seqLen: 8 }, { optimizer: "adam" as "adamw" }),
      /MemoryEstimateOptions.optimizer: must be one of "adamw", "sgd", got "adam"/,
    );
    assert.throws(
      () => estimateTrainingMemory({ ...test, nHead: 3 }, { batchSize: 2, seqLen: 8 }),
      /divisible by nHead/,
    );
    assert.throws(() => trainingMemoryTable({ seqLen: 1 }), /seqLen must be an integer >= 2/);
  });
});
