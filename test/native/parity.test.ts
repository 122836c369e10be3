// The native TensorFlow backend computes what the plain JS backend computes, forward and backward,
// for every op the GPT uses. The JS backend is tfjs's reference implementation; if the native
// addon (built against a newer TensorFlow than tfjs-node ships with) misbehaved in an op, it shows here.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { SeededRandom } from "../../src/runtime/random";
import { GPT } from "../../src/model/gpt";
import { gptPreset } from "../../src/model/config";
import { geluNew, layerNorm } from "../../src/model/layers";
import { maskedCrossEntropy } from "../../src/train/loss";
import { assertClose, maxAbsDiff } from "../support/tolerance";

/** Seeded standard-normal values, identical on every backend. */
function randn(shape: number[], seed: string): tf.Tensor {
  const r = new SeededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => r.normal()),
    shape,
  );
}

/** Runs `compute` on the plain JS backend and on native TensorFlow; returns both results. */
async function onBothBackends(
  compute: () => Record<string, tf.Tensor>,
): Promise<{ cpu: Record<string, Float32Array>; native: Record<string, Float32Array> }> {
  const run = async (backend: "cpu" | "tensorflow") => {
    await initBackend({ prefer: backend, quiet: true });
    assert.equal(tf.getBackend(), backend);
    const before = tf.memory().numTensors;
    const out: Record<string, Float32Array> = {};
    tf.tidy(() => {
      for (const [k, t] of Object.entries(compute())) out[k] = t.dataSync() as Float32Array;
    });
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    return out;
  };
  const cpu = await run("cpu");
  const native = await run("tensorflow");
  return { cpu, native };
}

function assertSame(
  results: { cpu: Record<string, Float32Array>; native: Record<string, Float32Array> },
  atol: number,
  rtol: number,
): void {
  for (const key of Object.keys(results.cpu)) {
    assertClose(results.native[key], results.cpu[key], atol, rtol, key);
  }
}

describe("native backend parity with the plain JS backend", function () {
  this.timeout(120_000);

  before(async function () {
    const choice = await initBackend({ quiet: true });
    if (choice.name !== "tensorflow") {
      if (process.env.WORKBOOK_ALLOW_FALLBACK === "1") this.skip();
      assert.fail(`the native backend is not active here: ${choice.notTaken.map((n) => n.reason).join("; ")}`);
    }
  });
  after(async () => {
    await initBackend({ quiet: true });
  });

  it("matMul: product and both gradients", async () => {
    const r = await onBothBackends(() => {
      const a = randn([64, 96], "a"),
        b = randn([96, 48], "b"),
        dy = randn([64, 48], "dy");
      const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D))(
        [a, b],
        dy,
      );
      return { y: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), da, db };
    });
    assertSame(r, 1e-4, 1e-5);
  });

  it("batched matMul with a transposed operand (attention's q . k^T)", async () => {
    const r = await onBothBackends(() => {
      const q = randn([2, 3, 16, 8], "q"),
        k = randn([2, 3, 16, 8], "k"),
        dy = randn([2, 3, 16, 16], "dy");
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, false, true);
      const [dq, dk] = tf.grads(f)([q, k], dy);
      return { scores: f(q, k), dq, dk };
    });
    assertSame(r, 1e-4, 1e-5);
  });

  it("softmax over the last axis and its gradient", async () => {
    const r = await onBothBackends(() => {
      const x = tf.mul(randn([4, 6, 50], "x"), 4),
        w = randn([4, 6, 50], "w");
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t, -1), w));
      return { y: tf.softmax(x, -1), dx: tf.grad(f)(x) };
    });
    assertSame(r, 1e-6, 1e-5);
  });

  it("gather (embedding lookup) and its gradient with repeated ids", async () => {
    const r = await onBothBackends(() => {
      const table = randn([300, 24], "table");
      const ids = tf.tensor2d(
        [
          [5, 17, 5, 299],
          [0, 5, 17, 1],
        ],
        [2, 4],
        "int32",
      );
      const dy = randn([2, 4, 24], "dy");
      const f = (t: tf.Tensor) => tf.gather(t, ids);
      return { y: f(table), dtable: tf.grads((t: tf.Tensor) => f(t))([table], dy)[0] };
    });
    assertSame(r, 1e-6, 0);
  });

  it("layer norm (mean, variance, rsqrt) and its gradients", async () => {
    const r = await onBothBackends(() => {
      const x = tf.add(tf.mul(randn([3, 7, 32], "x"), 3), 1),
        g = randn([32], "g"),
        b = randn([32], "b"),
        dy = randn([3, 7, 32], "dy");
      const [dx, dg, db] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNorm(a, c, d, 1e-5))(
        [x, g, b],
        dy,
      );
      return { y: layerNorm(x, g, b, 1e-5), dx, dg, db };
    });
    assertSame(r, 2e-5, 1e-5);
  });

  it("GELU (tanh form) and its gradient", async () => {
    const r = await onBothBackends(() => {
      const x = tf.mul(randn([1000], "x"), 3),
        dy = randn([1000], "dy");
      return { y: geluNew(x), dx: tf.grads((t: tf.Tensor) => geluNew(t))([x], dy)[0] };
    });
    // TensorFlow's tanh is a fast rational approximation (about 1e-6 absolute error), JS uses Math.tanh.
    assertSame(r, 1e-5, 1e-5);
  });

  it("masked cross-entropy and its gradient", async () => {
    const r = await onBothBackends(() => {
      const logits = tf.mul(randn([2, 5, 40], "logits"), 2) as tf.Tensor3D;
      const targets = tf.tensor2d(
        [
          [1, 2, 3, 4, 39],
          [0, 0, 7, 8, 9],
        ],
        [2, 5],
        "int32",
      );
      const mask = tf.tensor2d(
        [
          [0, 0, 1, 1, 1],
          [0, 1, 1, 1, 0],
        ],
        [2, 5],
      );
      const f = (l: tf.Tensor) => maskedCrossEntropy(l as tf.Tensor3D, targets, mask);
      return { loss: f(logits), dlogits: tf.grad(f)(logits) };
    });
    assertSame(r, 1e-6, 1e-5);
  });

  it("Adam: three optimizer steps land on the same weights", async () => {
    const train = async (backend: "cpu" | "tensorflow") => {
      await initBackend({ prefer: backend, quiet: true });
      const w = tf.variable(randn([16, 8], "w"));
      const x = randn([32, 16], "x"),
        y = randn([32, 8], "y");
      const opt = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
      for (let i = 0; i < 3; i++) {
        opt.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(x as tf.Tensor2D, w), y))) as tf.Scalar, false, [w]);
      }
      const out = w.dataSync() as Float32Array;
      tf.dispose([w, x, y]);
      opt.dispose();
      return out;
    };
    const cpu = await train("cpu");
    const native = await train("tensorflow");
    assertClose(native, cpu, 1e-5, 1e-5, "weights after 3 Adam steps");
  });

  it("a whole GPT: logits, loss and every weight's gradient", async () => {
    const config = gptPreset("test");
    const r = await onBothBackends(() => {
      const model = new GPT(config, 7);
      const ids = tf.tensor2d(
        [
          [1, 2, 3, 4, 5, 6, 7, 8],
          [9, 9, 9, 1, 2, 200, 255, 0],
        ],
        [2, 8],
        "int32",
      );
      const mask = tf.tensor2d(
        [
          [0, 0, 0, 1, 1, 1, 1, 1],
          [0, 0, 1, 1, 1, 1, 1, 1],
        ],
        [2, 8],
      );
      const lossOf = () => maskedCrossEntropy(model.forward(ids), ids, mask);
      const { value, grads } = tf.variableGrads(lossOf, model.trainableVariables());
      const out: Record<string, tf.Tensor> = { logits: model.forward(ids), loss: value };
      for (const [name, g] of Object.entries(grads)) out[`grad ${name.replace(/^gpt\d+\//, "")}`] = g;
      model.dispose();
      return out;
    });
    assert.ok(Object.keys(r.cpu).length > 20);
    assertSame(r, 5e-5, 1e-4);
    const worst = Math.max(...Object.keys(r.cpu).map((k) => maxAbsDiff(r.native[k], r.cpu[k])));
    assert.ok(worst < 5e-5, `worst difference ${worst}`);
  });
});
