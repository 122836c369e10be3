import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/index";
import { describeBackend } from "../../src/runtime/backend";
import { assertClose } from "../support/tolerance";

/** Runs a snippet in a fresh Node process (through tsx) and returns what it printed. */
function runFresh(code: string, env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    cwd: process.cwd(),
  });
  assert.equal(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe("backend choice", () => {
  after(async () => {
    await initBackend({ quiet: true });
  });

  it("takes the native TensorFlow backend on this machine after setup", async function () {
    if (process.env.WORKBOOK_ALLOW_FALLBACK === "1") this.skip(); // for laptops where the build cannot work
    const choice = await initBackend({ quiet: true });
    assert.equal(choice.name, "tensorflow", describeBackend(choice));
    assert.match(choice.description, /native TensorFlow 2\.\d+/);
    assert.equal(tf.getBackend(), "tensorflow");
  });

  it("prints the choice once, and says why native was skipped when it is", () => {
    const out = runFresh(
      `const wb = require("./src/index"); (async () => { await wb.initBackend(); await wb.initBackend(); })();`,
      { WORKBOOK_NO_NATIVE: "1" },
    );
    const lines = out.trim().split("\n");
    assert.equal(lines.filter((l) => l.includes("backend: ")).length, 1, out);
    assert.match(out, /backend: wasm - WebAssembly/);
    assert.match(out, /not tensorflow: turned off by WORKBOOK_NO_NATIVE=1/);
  });

  it("honours WORKBOOK_BACKEND and refuses an unknown name clearly", async () => {
    const out = runFresh(`require("./src/index").initBackend().then(c => console.log("chosen", c.name));`, {
      WORKBOOK_BACKEND: "cpu",
    });
    assert.match(out, /chosen cpu/);
    await assert.rejects(initBackend({ prefer: "gpu" as never }), /Unknown backend "gpu".*tensorflow, wasm, cpu/);
  });

  it("trains an embedding on wasm: gather's gradient equals the plain JS backend's", async () => {
    const table = [
      [0.1, -0.2, 0.3],
      [0.4, 0.5, -0.6],
      [0.7, 0.8, 0.9],
      [-1, 1.1, 1.2],
    ];
    const ids = [
      [1, 3, 1],
      [0, 1, 2],
    ]; // (B=2, T=3): id 1 appears three times
    const gradOn = async (backend: "wasm" | "cpu") => {
      await initBackend({ prefer: backend, quiet: true });
      return tf.tidy(() => {
        const weights = tf.tensor2d(table);
        const f = (w: tf.Tensor) => tf.sum(tf.square(tf.gather(w, tf.tensor2d(ids, undefined, "int32"))));
        return tf.grad(f)(weights).dataSync();
      });
    };
    const wasm = await gradOn("wasm");
    const cpu = await gradOn("cpu");
    assertClose(wasm, cpu, 1e-6, 0, "d loss / d embedding");
    // By hand: row 1 is gathered 3 times, so its gradient is 3 * 2 * row.
    assertClose(wasm.slice(3, 6), [2.4, 3.0, -3.6], 1e-6, 0, "row 1");
  });

  it("gathers along an inner axis with the one-hot gradient too", async () => {
    const gradOn = async (backend: "wasm" | "cpu") => {
      await initBackend({ prefer: backend, quiet: true });
      return tf.tidy(() => {
        const x = tf.reshape(tf.range(0, 24, 1, "float32"), [2, 4, 3]);
        return tf
          .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, [3, 0, 3], 1), tf.range(1, 19).reshape([2, 3, 3]))))(x)
          .dataSync();
      });
    };
    assertClose(await gradOn("wasm"), await gradOn("cpu"), 1e-5, 0, "d loss / d x");
  });
});
