import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { gptConfig } from "../../src/model/config";
import { GPT } from "../../src/model/gpt";
import {
  graphFunctionsUnavailableReason,
  RecordedFunction,
  ShapeKeyedFunction,
} from "../../src/runtime/graph-function";
import { LossGradients } from "../../src/train/gradients";
import { setNoticeHandler, type Notice } from "../../src/util/notices";
import { maxAbsDiff } from "../support/tolerance";

/** A body with the kinds of ops a training step has: list inputs, reductions, int ops, reshapes. */
function mixedBody([x, y, idx]: tf.Tensor[]): tf.Tensor[] {
  const joined = tf.concat([x, y], 0); // ConcatV2: a list input and an axis
  const summed = tf.addN([x, tf.neg(x), tf.mul(x, 2)]); // AddN: a list input only
  const picked = tf.gather(joined, idx); // int32 indices
  const stats = tf.stack([tf.sum(summed), tf.max(picked), tf.mean(tf.square(joined))]); // Pack
  return [tf.reshape(tf.softmax(joined), [-1]), stats];
}

describe("graph functions: record once, replay as one TensorFlow function", () => {
  let notices: Notice[] = [];
  before(async () => {
    await initBackend({ quiet: true });
    setNoticeHandler((n) => notices.push(n));
  });
  after(() => setNoticeHandler(undefined));
  beforeEach(() => {
    notices = [];
  });

  it("are available on this machine's native backend (setup built them)", () => {
    assert.equal(graphFunctionsUnavailableReason(), undefined);
  });

  it("replay the recorded ops on new arguments, equal to running them eagerly", () => {
    const fn = new RecordedFunction("mixed", mixedBody);
    const before = tf.memory().numTensors;
    for (let call = 0; call < 3; call++) {
      const x = tf.randomNormal([3, 4], 0, 1, "float32", call);
      const y = tf.randomNormal([2, 4], 0, 1, "float32", 10 + call);
      const idx = tf.tensor1d([4 - call, 0, 2], "int32");
      const got = fn.call([x, y, idx]);
      const want = tf.tidy(() => mixedBody([x, y, idx]));
      got.forEach((g, i) => {
        assert.deepEqual(g.shape, want[i].shape);
        assert.ok(maxAbsDiff(g.dataSync(), want[i].dataSync()) < 1e-6, `output ${i} of call ${call}`);
      });
      tf.dispose([x, y, idx, ...got, ...want]);
    }
    assert.ok(fn.isRecorded);
    assert.ok(fn.recordedOps > 5, `${fn.recordedOps} ops recorded`);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    fn.dispose();
  });

  it("keep a tensor from outside the arguments (captured) even after the caller frees it", () => {
    // Made by an op, as a model's cached mask is (a tensor still held in JavaScript would be recorded as a constant).
    let outside: tf.Tensor | undefined = tf.tidy(() => tf.mul(tf.tensor1d([1, 2, 3]), 10));
    const fn = new RecordedFunction("capture", ([x]) => [tf.add(x, outside!)]);
    const first = fn.call([tf.tensor1d([1, 2, 3])]);
    assert.equal(fn.captured, 1);
    outside.dispose();
    outside = undefined;
    const second = fn.call([tf.tensor1d([4, 5, 6])]);
    assert.deepEqual(Array.from(first[0].dataSync()), [11, 22, 33]);
    assert.deepEqual(Array.from(second[0].dataSync()), [14, 25, 36]);
    tf.dispose([...first, ...second]);
    fn.dispose();
  });

  it("freeze a JavaScript number turned into a tensor inside the body: such values must be arguments", () => {
    let lr = 0.5;
    const fn = new RecordedFunction("frozen", ([x, rate]) => [tf.mul(x, lr), tf.mul(x, rate)]);
    const x = tf.tensor1d([2]);
    tf.dispose(fn.call([x, tf.scalar(0.5)]));
    lr = 0.1;
    const [frozen, passed] = fn.call([x, tf.scalar(0.1)]);
    assert.ok(Math.abs(frozen.dataSync()[0] - 1.0) < 1e-7, "the recorded constant stays 0.5");
    assert.ok(Math.abs(passed.dataSync()[0] - 0.2) < 1e-7, "the argument follows the call");
    tf.dispose([x, frozen, passed]);
    fn.dispose();
  });

  it("record again for each new shape, and replay the right one", () => {
    const fn = new ShapeKeyedFunction("shapes", ([x]) => [tf.sum(x, -1)]);
    for (const width of [3, 5, 3, 5, 7]) {
      const [s] = fn.call([tf.ones([2, width])]);
      assert.deepEqual(Array.from(s.dataSync()), [width, width]);
      s.dispose();
    }
    assert.equal(fn.recordings, 3);
    fn.dispose();
  });

  it("fall back to op-by-op execution, once and with a notice, when the graph cannot hold a body", () => {
    // Made by an op before the recording and returned as-is: the graph has no node for it.
    const made = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 0));
    const fn = new RecordedFunction("unrecordable", ([x]) => [tf.add(x, 1), made]);
    for (let i = 0; i < 2; i++) {
      const [a, b] = fn.call([tf.tensor1d([5, 6])]);
      assert.deepEqual(Array.from(a.dataSync()), [6, 7]);
      assert.deepEqual(Array.from(b.dataSync()), [1, 2]);
      a.dispose();
    }
    assert.equal(fn.isRecorded, false);
    assert.match(fn.failure ?? "", /was not made while recording/);
    assert.equal(notices.length, 1, JSON.stringify(notices));
    assert.match(notices[0].message, /unrecordable runs op by op/);
    made.dispose();
  });

  it("run eagerly with WORKBOOK_GRAPH=0, with the same results", () => {
    process.env.WORKBOOK_GRAPH = "0";
    try {
      assert.match(graphFunctionsUnavailableReason() ?? "", /WORKBOOK_GRAPH=0/);
      const fn = new RecordedFunction("off", ([x]) => [tf.square(x)]);
      const [y] = fn.call([tf.tensor1d([3])]);
      assert.equal(y.dataSync()[0], 9);
      assert.equal(fn.isRecorded, false);
      y.dispose();
    } finally {
      delete process.env.WORKBOOK_GRAPH;
    }
  });

  it("give a GPT's loss and gradients as the op-by-op step does, leaking nothing", () => {
    const model = new GPT(gptConfig({ vocabSize: 97, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32 }), 3);
    const ids = tf.tensor2d(
      Array.from({ length: 4 * 12 }, (_, i) => (i * 31) % 97),
      [4, 12],
      "int32",
    ) as tf.Tensor2D;
    const mask = tf.tensor2d(
      Array.from({ length: 4 * 12 }, (_, i) => (i % 12 >= 5 ? 1 : 0)),
      [4, 12],
    ) as tf.Tensor2D;
    const recorded = new LossGradients(model);
    process.env.WORKBOOK_GRAPH = "0";
    const opByOp = new LossGradients(model);
    const want = opByOp.compute(ids, mask);
    delete process.env.WORKBOOK_GRAPH;
    const first = recorded.compute(ids, mask); // the recording call
    tf.dispose([first.loss, ...first.grads.values()]);
    const before = tf.memory().numTensors;
    const got = recorded.compute(ids, mask);
    assert.equal(recorded.recordings, 1);
    assert.ok(Math.abs(got.loss.dataSync()[0] - want.loss.dataSync()[0]) < 1e-6);
    assert.equal(got.grads.size, model.params.size);
    for (const [name, g] of got.grads) {
      const d = maxAbsDiff(g.dataSync(), want.grads.get(name)!.dataSync());
      assert.ok(d < 1e-6, `${name}: ${d}`);
    }
    tf.dispose([got.loss, ...got.grads.values()]);
    assert.equal(tf.memory().numTensors, before, "a replayed step leaves no tensor behind");
    tf.dispose([want.loss, ...want.grads.values(), ids, mask]);
    recorded.dispose();
    model.dispose();
  });
});
