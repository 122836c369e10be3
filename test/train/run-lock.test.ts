// One writer per run folder (src/train/run-lock.ts), a real SIGINT turned into a clean stop
// (src/runtime/interrupt.ts) in a process of its own, as Ctrl-C or Kernel -> Interrupt sends it,
// and the kernel's interrupt file that synchronous loops read between batches.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { lockRunFolder } from "../../src/train/run-lock";
import { InterruptedError, interruptible, throwIfInterruptedSince } from "../../src/runtime/interrupt";
import { ROOT } from "../support/notebooks";

describe("a run folder's writer lock", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-lock-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses a live writer of another process, naming its pid, and takes over a dead one's", async () => {
    const folder = path.join(dir, "run");
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      fs.mkdirSync(folder, { recursive: true });
      const held = { pid: other.pid, host: os.hostname(), what: "fine-tuning", since: "2026-12-06T10:00:00.000Z" };
      fs.writeFileSync(path.join(folder, "writer.lock"), JSON.stringify(held));
      assert.throws(
        () => lockRunFolder(folder, "fine-tuning"),
        new RegExp(
          `already being trained by another process \\(pid ${other.pid}, fine-tuning since 2026-12-06T10:00:00\\.000Z\\)`,
        ),
      );
    } finally {
      other.kill("SIGKILL");
      await new Promise((r) => other.once("exit", r));
    }
    // Its writer is gone (a killed kernel): the lock is stale and taken over, then released.
    const release = lockRunFolder(folder, "fine-tuning");
    assert.equal(JSON.parse(fs.readFileSync(path.join(folder, "writer.lock"), "utf8")).pid, process.pid);
    assert.throws(() => lockRunFolder(folder, "pre-training"), /by this very process/);
    release();
    assert.equal(fs.existsSync(path.join(folder, "writer.lock")), false);
    lockRunFolder(folder, "fine-tuning")(); // free again
  });
});

describe("an interrupt (SIGINT) during training", function () {
  this.timeout(120_000);

  it("stops pre-training at a step boundary with its checkpoint saved, and the process lives on", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-sigint-"));
    // A tiny pre-training that sends itself SIGINT at step 3, as Ctrl-C would; the process must not
    // die of the signal, and must say afterwards that it is still running.
    const script = `
      const { initBackend } = require("./src/runtime/backend");
      const { trainBPE } = require("./src/model/bpe-train");
      const { pretrain, pretrainConfig } = require("./src/train/pretrain");
      (async () => {
        await initBackend({ quiet: true });
        const text = Array.from({ length: 40 }, (_, i) => "the phone works well and the case is good " + i).join(" ");
        const tokenizer = trainBPE([text], { vocabSize: 300 });
        const ids = Int32Array.from(tokenizer.encode(text));
        const config = pretrainConfig({ model: { blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }, batchSize: 2, steps: 50,
          warmupSteps: 1, evalEvery: 25, evalWindows: 2, sampleEvery: 0, checkpointEvery: 25, learningRate: 1e-3 });
        try {
          await pretrain({ config, tokenizer, trainStream: ids, validationStream: ids, outDir: ${JSON.stringify(out)},
            onEvent: (e) => { if (e.kind === "step" && e.step === 3) process.kill(process.pid, "SIGINT"); } });
          console.log("NOT INTERRUPTED");
        } catch (err) {
          console.log(err.name + ": " + err.message);
        }
        console.log("still running, SIGINT listeners left: " + process.listenerCount("SIGINT"));
      })();`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8" });
    fs.rmSync(out, { recursive: true, force: true });
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ""}\n${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stdout,
      /InterruptedError: Interrupted: pre-training stopped after step 3 of 50\. The run is saved in .*latest\. Run the same cell \(or command\) again with the same config and outDir, and it resumes from step 3/,
    );
    assert.match(r.stdout, /still running, SIGINT listeners left: 0/);
  });
});

describe("an interrupt during synchronous work (the kernel's interrupt file)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-interrupt-file-"));
  const file = path.join(dir, "kernel-1");
  before(() => {
    process.env.WORKBOOK_INTERRUPT_FILE = file;
  });
  after(() => {
    delete process.env.WORKBOOK_INTERRUPT_FILE;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("throws once the file holds a time after the work began, and never inside interruptible work", async () => {
    const began = Date.now();
    assert.doesNotThrow(() => throwIfInterruptedSince(began, () => "scoring stopped")); // no interrupt yet
    fs.writeFileSync(file, String(began - 1000));
    assert.doesNotThrow(() => throwIfInterruptedSince(began, () => "scoring stopped")); // an older one
    fs.writeFileSync(file, String(began + 1));
    assert.throws(
      () => throwIfInterruptedSince(began, () => "scoring stopped after 3 of 9 rows"),
      (err: unknown) =>
        err instanceof InterruptedError &&
        err.message ===
          "Interrupted: scoring stopped after 3 of 9 rows. What it had computed is dropped (it cannot resume part-way); run the cell again to start it over.",
    );
    // Training stops at its own step boundary instead: its evaluations are not cut short.
    await interruptible(async () => {
      assert.doesNotThrow(() => throwIfInterruptedSince(began, () => "generation stopped"));
    });
  });
});
