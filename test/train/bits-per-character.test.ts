// Bits per character: every token but the first predicted once, in bits, over the documents' characters.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { trainBPE } from "../../src/model/bpe-train";
import { gptConfig } from "../../src/model/config";
import { GPT } from "../../src/model/gpt";
import { bitsPerCharacter } from "../../src/train/bits-per-character";
import { tokenStream } from "../../src/train/token-stream";

const DOCS = [
  "The battery lasts all day and the screen is bright.",
  "Terrible customer service: the case broke in a week. Ünïcode too.",
  "Great sound, great price, I would buy it again.",
];

describe("bitsPerCharacter", function () {
  this.timeout(120_000);
  before(async () => {
    await initBackend({ quiet: true });
  });
  const tokenizer = trainBPE(DOCS, { vocabSize: 300 });

  /** Each predicted token's negative log-likelihood from the logits of its own window, added up in nats. */
  function expectedNats(model: GPT, stream: Int32Array): number {
    const T = model.config.blockSize;
    let nats = 0;
    for (let start = 0; start < stream.length - 1; start += T - 1) {
      const window = stream.subarray(start, Math.min(start + T, stream.length));
      const logProbs = tf.tidy(() =>
        tf.logSoftmax(model.forward(tf.tensor2d([Array.from(window)], [1, window.length], "int32"))).arraySync(),
      ) as number[][][];
      for (let t = 0; t + 1 < window.length; t++) nats -= logProbs[0][t][window[t + 1]];
    }
    return nats;
  }

  for (const blockSize of [8, 13, 512]) {
    it(`predicts every token after the first once, with windows of ${blockSize}`, () => {
      const model = new GPT(gptConfig({ vocabSize: 300, blockSize, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0 }), 3);
      const stream = tokenStream(DOCS, tokenizer);
      const r = bitsPerCharacter(model, tokenizer, DOCS, { batchSize: 4 });
      const characters = DOCS.reduce((n, d) => n + [...d].length, 0);
      assert.equal(r.characters, characters); // code points: "Ü" is one character, two bytes
      assert.equal(r.tokens, stream.length - 1);
      const nats = expectedNats(model, stream);
      assert.ok(Math.abs(r.lossPerToken - nats / r.tokens) < 1e-4, `${r.lossPerToken} vs ${nats / r.tokens}`);
      assert.ok(
        Math.abs(r.bitsPerCharacter - nats / Math.LN2 / characters) < 1e-4,
        `${r.bitsPerCharacter} vs ${nats / Math.LN2 / characters}`,
      );
      model.dispose();
    });
  }

  it("a random model loses about ln(vocabulary) nats per token", () => {
    const model = new GPT(gptConfig({ vocabSize: 300, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0 }), 1);
    const r = bitsPerCharacter(model, tokenizer, DOCS);
    // Small random weights give nearly uniform predictions: ln 300 nats per token.
    assert.ok(Math.abs(r.lossPerToken - Math.log(300)) < 0.05, `${r.lossPerToken}`);
    model.dispose();
  });

  it("refuses an empty document list", () => {
    const model = new GPT(gptConfig({ vocabSize: 300, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0 }), 1);
    assert.throws(() => bitsPerCharacter(model, tokenizer, []), /no documents/);
    model.dispose();
  });
});
