import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { AdamW, decaysByDefault, learningRateAt } from "../../src/train/optimizer";
import { assertClose } from "../support/tolerance";
import { ROOT } from "../support/notebooks";
import { runReference } from "../support/reference";

const FIXTURE = path.join(ROOT, "test", "fixtures", "optim", "adamw-reference.json");
const reference = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));

describe("AdamW, clipping and the schedule", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("matches torch.optim.AdamW with clip_grad_norm_ over three steps (decay on the matrix, not the bias)", () => {
    const params = new Map<string, tf.Variable>([
      [
        "h.0.mlp.c_fc.weight",
        tf.variable(
          tf.tensor2d([
            [0.5, -1.0, 2.0],
            [0.1, 0.2, -0.3],
          ]),
        ),
      ],
      ["h.0.mlp.c_fc.bias", tf.variable(tf.tensor1d([0.05, -0.02, 0.3]))],
    ]);
    const before = tf.memory().numTensors;
    const opt = new AdamW(params, { learningRate: 0.01, weightDecay: 0.1 });
    const norms: number[] = [];
    for (const [gw, gb] of reference.grads as [number[][], number[]][]) {
      const raw = new Map<string, tf.Tensor>([
        ["h.0.mlp.c_fc.weight", tf.tensor2d(gw)],
        ["h.0.mlp.c_fc.bias", tf.tensor1d(gb)],
      ]);
      const { gradNorm } = opt.apply(raw, undefined, 1.0); // clipped to a global norm of 1 first
      norms.push(gradNorm);
      tf.dispose([...raw.values()]);
    }
    assertClose(norms, reference.norms, 1e-5, 0, "gradient norms");
    assertClose(params.get("h.0.mlp.c_fc.weight")!.dataSync(), reference.w, 1e-6, 0, "weights");
    assertClose(params.get("h.0.mlp.c_fc.bias")!.dataSync(), reference.b, 1e-6, 0, "biases");
    assert.equal(tf.memory().numTensors, before + 4, "only the optimizer's m and v remain");
    opt.dispose();
    for (const p of params.values()) p.dispose();
  });

  it("the reference script still gives the committed numbers", function () {
    this.timeout(60_000);
    assert.deepEqual(JSON.parse(runReference(this, ["torch"], "test/train/optim_reference.py")), reference);
  });

  it("saves and restores its state so that training resumes exactly", () => {
    const make = () => new Map([["w", tf.variable(tf.tensor1d([1, 2, 3]))]]);
    const g = new Map<string, tf.Tensor>([["w", tf.tensor1d([0.1, -0.2, 0.3])]]);
    const a = make();
    const optA = new AdamW(a, { learningRate: 0.1 });
    optA.apply(g);
    optA.apply(g);
    optA.apply(g);
    const b = make();
    const optB = new AdamW(b, { learningRate: 0.1 });
    optB.apply(g);
    const saved = JSON.parse(JSON.stringify(optB.getState()));
    const weights = b.get("w")!.dataSync().slice();
    const c = new Map([["w", tf.variable(tf.tensor1d(weights))]]);
    const optC = new AdamW(c, { learningRate: 0.1 });
    optC.setState(saved);
    optC.apply(g);
    optC.apply(g);
    assertClose(c.get("w")!.dataSync(), a.get("w")!.dataSync(), 1e-7, 0, "resumed weights");
    assert.throws(
      () => new AdamW(new Map([["other", tf.variable(tf.zeros([2]))]])).setState(saved),
      /no m of the right size for "other"/,
    );
  });

  it("does not decay biases or layer norms", () => {
    assert.equal(decaysByDefault("transformer.h.0.attn.c_attn.weight"), true);
    assert.equal(decaysByDefault("transformer.wte.weight"), true);
    assert.equal(decaysByDefault("transformer.h.0.attn.c_attn.bias"), false);
    assert.equal(decaysByDefault("transformer.h.11.ln_1.weight"), false);
    assert.equal(decaysByDefault("transformer.ln_f.weight"), false);
  });

  it("warms up linearly, then follows a cosine down to the minimum", () => {
    const s = { warmupSteps: 10, totalSteps: 110, learningRate: 1e-3, minLearningRate: 1e-4 };
    assert.equal(learningRateAt(1, s), 1e-4);
    assert.equal(learningRateAt(10, s), 1e-3);
    assert.ok(Math.abs(learningRateAt(60, s) - 5.5e-4) < 1e-12, "halfway down the cosine");
    assert.ok(Math.abs(learningRateAt(110, s) - 1e-4) < 1e-12);
    assert.ok(Math.abs(learningRateAt(500, s) - 1e-4) < 1e-12, "stays at the minimum after the end");
  });

  it("refuses nonsense settings", () => {
    assert.throws(() => new AdamW(new Map(), { learningRate: 0 }), /learningRate must be > 0/);
    assert.throws(() => new AdamW(new Map(), { beta2: 1 }), /beta1 and beta2 must be in \[0, 1\)/);
  });
});
