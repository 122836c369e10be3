// Kernel -> Interrupt during synchronous work in the real kernel: generation stops between batches
// (the launcher's interrupt file, src/runtime/interrupt.ts) with a plain message, within a second,
// and the kernel lives on with the notebook's variables. test/kernel/interrupt_cell.py drives the
// kernel as JupyterLab does (jupyter_client's interrupt_kernel: SIGINT to the process group).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { VENV_PYTHON } from "../../src/runtime/paths";
import { ROOT } from "../support/notebooks";

interface Interrupted {
  seconds_to_end: number | null;
  stdout: string;
  stderr: string;
  after: string;
  same_kernel: boolean;
}

const SETUP = `import * as wb from "./src/index";
import { generateBatch } from "./src/model/generate-batch";
import fs from "node:fs";
await wb.initBackend({ quiet: true });
const base = wb.loadBaseModel();`;

/** Runs SETUP, then `cell`, interrupting it `wait` seconds after it has created `marker`, then a cell that reads `base`. */
function interruptCell(cell: (marker: string) => string, wait: number): Interrupted {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-interrupt-"));
  try {
    const marker = path.join(dir, "started");
    const spec = path.join(dir, "spec.json");
    fs.writeFileSync(
      spec,
      JSON.stringify({
        setup: [SETUP],
        cell: cell(marker),
        marker,
        wait,
        after: "console.log(typeof base, base.model.config.blockSize)",
      }),
    );
    const r = spawnSync(VENV_PYTHON, [path.join(ROOT, "test", "kernel", "interrupt_cell.py"), spec], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 240_000,
    });
    assert.equal(r.status, 0, `interrupt_cell.py failed:\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout) as Interrupted;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const LONG_GENERATION = `generateBatch(base.model, base.tokenizer, Array(4000).fill("Write a positive review."), { maxNewTokens: 24, batchSize: 8 })`;

describe("Kernel -> Interrupt during generation (the real kernel)", function () {
  this.timeout(300_000);

  it("stops generation between batches within a second, with a plain message, and keeps the kernel and its variables", () => {
    const r = interruptCell(
      (marker) =>
        `await Promise.resolve();\nfs.writeFileSync(${JSON.stringify(marker)}, "");\nconst written = ${LONG_GENERATION};\nconsole.log("finished", written.length);`,
      1,
    );
    assert.ok(
      r.seconds_to_end !== null && r.seconds_to_end < 2,
      `the cell ended ${r.seconds_to_end} s after the interrupt`,
    );
    assert.match(
      r.stderr,
      /InterruptedError: Interrupted: generation stopped after \d+ of 4000 prompts\. What it had computed is dropped \(it cannot resume part-way\); run the cell again to start it over\./,
    );
    assert.doesNotMatch(r.stdout, /finished/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "a stack trace under the message");
    assert.equal(r.after.trim(), "object 256", "the notebook's variables are gone");
    assert.equal(r.same_kernel, true, "the kernel was restarted");
  });

  it("also stops the generation that follows other work the interrupt came during, in the same cell", () => {
    // Two seconds of synchronous work (no signal handler runs meanwhile), interrupted after one; then generation.
    const r = interruptCell(
      (marker) =>
        `await Promise.resolve();\nfs.writeFileSync(${JSON.stringify(marker)}, "");\nconst until = Date.now() + 2000; while (Date.now() < until) {}\nconst written = ${LONG_GENERATION};\nconsole.log("finished", written.length);`,
      1,
    );
    assert.match(r.stderr, /Interrupted: generation stopped after 0 of 4000 prompts/);
    assert.ok(
      r.seconds_to_end !== null && r.seconds_to_end < 3,
      `the cell ended ${r.seconds_to_end} s after the interrupt`,
    );
    assert.equal(r.after.trim(), "object 256");
    assert.equal(r.same_kernel, true);
  });
});
