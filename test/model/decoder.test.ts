import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { gptConfig } from "../../src/model/config";
import { cacheCapacity, Decoder } from "../../src/model/decoder";
import { GPT } from "../../src/model/gpt";
import { maxAbsDiff } from "../support/tolerance";

/** The logits of the last position of each sequence, from the full forward pass (no cache). */
function lastLogits(model: GPT, seqs: number[][]): Float32Array[] {
  return seqs.map((s) =>
    tf.tidy(() => {
      const logits = model.forward(tf.tensor2d([s], [1, s.length], "int32"));
      return logits.slice([0, s.length - 1, 0], [1, 1, -1]).dataSync() as Float32Array;
    }),
  );
}

describe("decoding with a fixed-capacity cache", () => {
  let model: GPT;
  before(async () => {
    await initBackend({ quiet: true });
    model = new GPT(gptConfig({ vocabSize: 61, blockSize: 48, nLayer: 2, nHead: 2, nEmbd: 16 }), 5);
  });
  after(() => model.dispose());

  it("rounds the capacity up to a multiple of 32, never past the window", () => {
    assert.equal(cacheCapacity(1, 128), 32);
    assert.equal(cacheCapacity(33, 128), 64);
    assert.equal(cacheCapacity(100, 48), 48);
  });

  for (const xla of [false, true]) {
    it(`gives every row, each at its own position, the logits of a full forward pass${xla ? " (step compiled with XLA)" : ""}`, () => {
      // Prompts of different lengths: right-padded in the prefill, each row writing its own slot after.
      const seqs = [
        [3, 14, 15, 9, 2, 6],
        [5, 35],
        [8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2],
      ];
      const decoder = new Decoder(model, cacheCapacity(11 + 6, 48), { xla });
      const before = tf.memory().numTensors;
      let logits = decoder.prefill(seqs);
      for (let step = 0; step < 6; step++) {
        const want = lastLogits(model, seqs);
        const got = logits.arraySync() as number[][];
        seqs.forEach((_, b) =>
          assert.ok(maxAbsDiff(Float32Array.from(got[b]), want[b]) < 1e-4, `row ${b}, step ${step}`),
        );
        const next = seqs.map((s, b) => (s.length * 7 + b + step) % 61); // any tokens will do
        logits.dispose();
        seqs.forEach((s, b) => s.push(next[b]));
        logits = decoder.step(
          next,
          seqs.map((s) => s.length - 1),
        );
      }
      logits.dispose();
      decoder.dispose();
      assert.equal(tf.memory().numTensors, before, "the cache and every logits tensor are freed");
    });
  }

  it("serves decoders of different capacities on one model, each with its own cache size", () => {
    const seq = [4, 8, 15, 16, 23, 42];
    for (const capacity of [32, 48, 32]) {
      const decoder = new Decoder(model, capacity);
      decoder.prefill([seq.slice(0, 5)]).dispose();
      const got = decoder.step([seq[5]], [5]);
      const [want] = lastLogits(model, [seq]);
      assert.ok(maxAbsDiff(got.dataSync(), want) < 1e-4, `capacity ${capacity}`);
      got.dispose();
      decoder.dispose();
    }
  });

  it("refuses a capacity past the window, a step before the prompt and a position outside the cache", () => {
    assert.throws(() => new Decoder(model, 49), /capacity must be an integer in \[1, 48\]/);
    const decoder = new Decoder(model, 32);
    assert.throws(() => decoder.step([1], [0]), /call prefill first/);
    decoder.prefill([[1, 2, 3]]).dispose();
    assert.throws(() => decoder.step([1], [32]), /positions must be in \[0, 32\)/);
    assert.throws(() => decoder.prefill([new Array(33).fill(1)]), /does not fit a capacity of 32/);
    decoder.dispose();
  });
});
