import assert from "node:assert/strict";
import { epochBatches, tokenizeExamples } from "../../src/train/sft-batches";

/** One token per word, the end-of-text token is 0: easy to check by hand. */
const words = new Map<string, number>();
const tokenizer = {
  eosTokenId: 0,
  encode: (text: string) =>
    text
      .split(/(?= )/)
      .filter(Boolean)
      .map((w) => {
        if (!words.has(w)) words.set(w, words.size + 1);
        return words.get(w)!;
      }),
};

describe("fine-tuning batches", () => {
  it("masks the prompt and supervises the completion and the end-of-text token", () => {
    const { examples } = tokenizeExamples(
      [{ prompt: "Classify: great phone. Sentiment:", completion: " positive" }],
      tokenizer,
      { maxLength: 16 },
    );
    const [ex] = examples;
    assert.equal(ex.promptTokens, 4);
    assert.equal(ex.completionTokens, 1);
    assert.deepEqual(ex.lossMask, [0, 0, 0, 0, 1, 1]);
    assert.equal(ex.inputIds[ex.inputIds.length - 1], 0, "ends with end-of-text");
    assert.deepEqual(
      ex.inputIds.slice(0, 4),
      tokenizer.encode("Classify: great phone. Sentiment:"),
      "the prompt's tokens are its own",
    );
  });

  it("refuses or skips an example longer than the window, and refuses an empty completion", () => {
    const long = [
      { prompt: "a b c d e f", completion: " g", sourceId: "r:7" },
      { prompt: "a", completion: " b" },
    ];
    assert.throws(
      () => tokenizeExamples(long, tokenizer, { maxLength: 5 }),
      /example 0 \(r:7\) takes 8 tokens but the context window is 5; .*onTooLong: "skip"/,
    );
    const r = tokenizeExamples(long, tokenizer, { maxLength: 5, onTooLong: "skip" });
    assert.equal(r.skipped, 1);
    assert.equal(r.examples.length, 1);
    assert.throws(
      () => tokenizeExamples([{ prompt: "a", completion: "" }], tokenizer, { maxLength: 5 }),
      /empty completion/,
    );
  });

  const data = tokenizeExamples(
    Array.from({ length: 103 }, (_, i) => ({
      prompt: Array.from({ length: 1 + ((i * 7) % 20) }, (_, j) => ` w${j}`).join(""),
      completion: " x",
    })),
    tokenizer,
    { maxLength: 64 },
  ).examples;

  it("gives every example exactly once per epoch, right-padded with a zero mask on the padding", () => {
    const batches = epochBatches(data, { batchSize: 8, seed: 1, epoch: 0 });
    assert.deepEqual(
      batches.flatMap((b) => b.indices).sort((a, b) => a - b),
      data.map((_, i) => i),
    );
    for (const b of batches) {
      const T = b.inputIds[0].length;
      b.indices.forEach((ex, row) => {
        const n = data[ex].inputIds.length;
        assert.equal(b.inputIds[row].length, T);
        assert.deepEqual(b.lossMask[row].slice(n), new Array(T - n).fill(0));
        assert.deepEqual(b.inputIds[row].slice(0, n), data[ex].inputIds);
      });
      assert.equal(
        b.tokens,
        b.indices.reduce((s, i) => s + data[i].inputIds.length, 0),
      );
    }
    assert.equal(batches.length, 13);
  });

  it("is reproducible per (seed, epoch), different across epochs, and buckets lengths to cut padding", () => {
    const a = epochBatches(data, { batchSize: 8, seed: 1, epoch: 2 });
    const b = epochBatches(data, { batchSize: 8, seed: 1, epoch: 2 });
    const c = epochBatches(data, { batchSize: 8, seed: 1, epoch: 3 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(
      a.map((x) => x.indices),
      c.map((x) => x.indices),
    );
    const padding = (bs: ReturnType<typeof epochBatches>) =>
      bs.reduce((s, x) => s + x.inputIds.length * x.inputIds[0].length - x.tokens, 0);
    const plain = epochBatches(data, { batchSize: 8, seed: 1, epoch: 2, bucketByLength: false });
    assert.ok(padding(a) < padding(plain) / 3, `padding ${padding(a)} with buckets vs ${padding(plain)} without`);
  });

  it("pads to a multiple of padToMultipleOf, never past maxLength, with the extra positions masked out", () => {
    const plain = epochBatches(data, { batchSize: 8, seed: 1, epoch: 0 });
    const rounded = epochBatches(data, { batchSize: 8, seed: 1, epoch: 0, padToMultipleOf: 16, maxLength: 40 });
    assert.deepEqual(
      rounded.map((b) => b.indices),
      plain.map((b) => b.indices),
    );
    rounded.forEach((b, i) => {
      const longest = plain[i].inputIds[0].length;
      const T = b.inputIds[0].length;
      assert.equal(T, Math.max(longest, Math.min(40, Math.ceil(longest / 16) * 16)), `batch ${i}`);
      b.lossMask.forEach((row, r) =>
        assert.deepEqual(row, [...plain[i].lossMask[r], ...new Array(T - longest).fill(0)]),
      );
    });
    assert.ok(new Set(rounded.map((b) => b.inputIds[0].length)).size <= 4);
    assert.throws(() => epochBatches(data, { batchSize: 8, seed: 1, epoch: 0, padToMultipleOf: 0 }), /padToMultipleOf/);
  });
});
