import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { countParameters, DEFAULT_GPT_CONFIG, GPT_PRESETS, gptConfig, gptPreset } from "../../src/model/config";
import { ConfigError } from "../../src/util/config";
import { GPT } from "../../src/model/gpt";
import { maskedCrossEntropy } from "../../src/train/loss";
import { assertClose } from "../support/tolerance";

describe("GPT config", () => {
  it("counts GPT-2 small's 124,439,808 parameters and the presets' sizes", () => {
    assert.equal(countParameters(GPT_PRESETS.gpt2), 124_439_808);
    assert.equal(countParameters(GPT_PRESETS.distilgpt2), 81_912_576);
    assert.equal(countParameters(GPT_PRESETS["gpt2-large"]), 774_030_080);
    assert.equal(countParameters(GPT_PRESETS["gpt2-xl"]), 1_557_611_200);
    assert.equal(countParameters(GPT_PRESETS.tiny), 1_334_016);
    assert.equal(countParameters(GPT_PRESETS.small), 6_868_992);
  });

  it("refuses unknown fields, bad sizes and indivisible heads with a message naming the field", () => {
    assert.throws(
      () => gptConfig({ n_layer: 2 } as never),
      /GPTConfig: unknown field "n_layer" \(did you mean "nLayer"\?\); the fields are vocabSize/,
    );
    assert.throws(() => gptConfig({ nLayer: 0 }), /GPTConfig.nLayer: must be >= 1, got 0/);
    assert.throws(() => gptConfig({ nLayer: 2.5 }), /GPTConfig.nLayer: must be a whole number, got 2.5/);
    assert.throws(() => gptConfig({ nEmbd: 100, nHead: 3 }), /GPTConfig.nEmbd: 100 must be divisible by nHead \(3\)/);
    assert.throws(() => gptConfig({ dropout: 1 }), /GPTConfig.dropout: must be >= 0 and < 1, got 1/);
    assert.throws(
      () => gptConfig({ tieEmbeddings: "yes" } as never),
      /GPTConfig.tieEmbeddings: must be true or false, got "yes"/,
    );
    assert.throws(
      () => gptPreset("tinny" as never),
      /gptPreset: unknown preset "tinny" \(did you mean "tiny"\?\); the presets are gpt2/,
    );
    assert.throws(() => gptConfig({ nLayer: 0 }), ConfigError);
  });

  it("keeps its defaults and presets frozen: a caller cannot change them for everyone", () => {
    assert.throws(() => {
      (DEFAULT_GPT_CONFIG as { nLayer: number }).nLayer = 2;
    }, TypeError);
    const c = gptConfig({ nLayer: 2 });
    c.nEmbd = 64; // a made config is the caller's own
    assert.equal(DEFAULT_GPT_CONFIG.nEmbd, 768);
    assert.throws(() => {
      (GPT_PRESETS.tiny as { nLayer: number }).nLayer = 2;
    }, TypeError);
  });
});

describe("GPT forward and loss", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("makes one variable per weight, as many numbers as the config says", () => {
    const model = new GPT(gptPreset("test"), 0);
    const total = model.trainableVariables().reduce((s, v) => s + v.size, 0);
    assert.equal(total, model.parameterCount());
    assert.deepEqual(model.param("transformer.h.1.attn.c_attn.weight").shape, [32, 96]);
    assert.throws(() => model.param("transformer.h.9.ln_1.weight"), /GPT has no weight "transformer.h.9.ln_1.weight"/);
    model.dispose();
  });

  it("returns (B, T, V) logits, starts near ln(V) loss, and leaks no tensor", () => {
    const config = gptPreset("test");
    const model = new GPT(config, 1);
    const before = tf.memory().numTensors;
    const loss = tf.tidy(() => {
      const ids = tf.tensor2d(
        [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
        [2, 4],
        "int32",
      );
      const logits = model.forward(ids);
      assert.deepEqual(logits.shape, [2, 4, 256]);
      // Targets differ from the inputs: with tied embeddings, predicting the input token itself is easy.
      const targets = tf.tensor2d(
        [
          [100, 150, 200, 250],
          [11, 60, 90, 130],
        ],
        [2, 4],
        "int32",
      );
      return maskedCrossEntropy(logits, targets, tf.ones([2, 4]) as tf.Tensor2D).dataSync()[0];
    });
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Math.abs(loss - Math.log(256)) < 0.1, `initial loss ${loss} vs ln 256 = ${Math.log(256)}`);
    model.dispose();
  });

  it("is causal: changing a later token leaves earlier logits unchanged", () => {
    const model = new GPT(gptPreset("test"), 2);
    const [a, b] = tf.tidy(() => [
      model
        .forward(tf.tensor2d([[10, 20, 30, 40]], [1, 4], "int32"))
        .slice([0, 0, 0], [1, 2, 256])
        .dataSync(),
      model
        .forward(tf.tensor2d([[10, 20, 99, 98]], [1, 4], "int32"))
        .slice([0, 0, 0], [1, 2, 256])
        .dataSync(),
    ]);
    assertClose(a as Float32Array, b as Float32Array, 1e-6, 0, "logits of the first two positions");
    model.dispose();
  });

  it("refuses an input longer than the context window", () => {
    const model = new GPT(gptPreset("test"), 0);
    assert.throws(
      () => model.forward(tf.zeros([1, 33], "int32") as tf.Tensor2D),
      /33 tokens but the context window is 32/,
    );
    model.dispose();
  });

  it("masked cross-entropy equals a hand-computed value, ignoring masked positions", () => {
    // One sequence, two positions, vocabulary of 3. Position 0 is masked out.
    // Position 1: logits [0, ln 2, 0] -> p = [1/4, 2/4, 1/4]; target 1 -> loss = -ln(1/2) = ln 2.
    const loss = tf.tidy(
      () =>
        maskedCrossEntropy(
          tf.tensor3d([
            [
              [5, -3, 2],
              [0, Math.log(2), 0],
            ],
          ]),
          tf.tensor2d([[0, 1]], [1, 2], "int32"),
          tf.tensor2d([[0, 1]]),
        ).dataSync()[0],
    );
    assert.ok(Math.abs(loss - Math.LN2) < 1e-6, `loss ${loss}`);
    const none = tf.tidy(
      () =>
        maskedCrossEntropy(
          tf.zeros([1, 2, 3]) as tf.Tensor3D,
          tf.zeros([1, 2], "int32") as tf.Tensor2D,
          tf.zeros([1, 2]) as tf.Tensor2D,
        ).dataSync()[0],
    );
    assert.equal(none, 0, "an all-masked batch gives 0, not NaN");
    assert.throws(
      () =>
        maskedCrossEntropy(
          tf.zeros([1, 2, 3]) as tf.Tensor3D,
          tf.zeros([1, 3], "int32") as tf.Tensor2D,
          tf.zeros([1, 2]) as tf.Tensor2D,
        ),
      /must share \(B, T\)/,
    );
  });

  it("masked cross-entropy: a masked position may hold any target (-100, out of range), and the gradient is share * (softmax - onehot)", () => {
    const before = tf.memory().numTensors;
    const [loss, grad] = tf.tidy(() => {
      const logits = tf.tensor3d([
        [
          [0, Math.log(2), 0],
          [1, 2, 3],
        ],
      ]); // position 0 counts, position 1 is masked
      const targets = tf.tensor2d([[1, -100]], [1, 2], "int32");
      const f = (l: tf.Tensor) => maskedCrossEntropy(l as tf.Tensor3D, targets, tf.tensor2d([[1, 0]]));
      return [f(logits).dataSync()[0], tf.grad(f)(logits).dataSync()];
    });
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Math.abs(loss - Math.LN2) < 1e-6, `loss ${loss}`);
    assertClose(grad as Float32Array, [0.25, -0.5, 0.25, 0, 0, 0], 1e-6, 0, "d loss / d logits");
  });
});
