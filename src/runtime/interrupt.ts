// Stopping long work when the learner asks: Ctrl-C in a terminal, Kernel -> Interrupt in JupyterLab
// (both send SIGINT). A loop that can stop cleanly (fine-tuning, pre-training) runs inside
// `interruptible(...)`; a SIGINT then only sets a flag, which the loop reads at its next step
// boundary (`stopRequested()`). There it saves what it has and throws an InterruptedError that says
// what stopped, at which step, where the checkpoint is and how to go on.
//
//   await interruptible(async () => {
//     for (...) { if (stopRequested()) { save(); throw new InterruptedError("..."); } await step(); }
//   });
//
// Node runs a signal's listeners between turns of the event loop, so the flag is seen at the first
// `await` after a synchronous stretch (a training step, an evaluation) ends.
//
// In the kernel, tslab's own SIGINT handling would end the running cell at once and leave the
// loop's promise running in the background; kernel/tslab-kernel.cjs holds tslab's handler back while
// such work runs (it reads the global `interruptible` sets), so the loop ends the cell itself,
// with its message, and nothing trains on after the cell has ended.
//
// Generation and scoring are synchronous TensorFlow calls: no signal handler runs until they
// return. In the kernel the launcher's parent process (idle, so it hears the signal at once) writes
// the interrupt's time to a file (WORKBOOK_INTERRUPT_FILE); those loops read it between batches
// (`throwIfInterruptedSince`) and stop with an InterruptedError of their own.

import fs from "node:fs";

/** The global the kernel launcher reads (kernel/tslab-kernel.cjs): true while interruptible work runs. */
const WORK_RUNNING = Symbol.for("instruct-workbook.interruptible-work");
/** When the running cell began (ms since 1970), set by the kernel launcher before each cell. */
const CELL_STARTED = Symbol.for("instruct-workbook.cell-started");

/** Work stopped by the learner's interrupt, at a step boundary, with its checkpoint saved. */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InterruptedError";
    // The learner asked for this stop: the message is the whole story, a stack trace only noise.
    this.stack = `${this.name}: ${message}`;
  }
}

let depth = 0;
let requested = false;
const onInterrupt = () => requestStop();

/** What an interrupt does while interruptible work runs: asks it to stop at its next step boundary (tests call it too). */
export function requestStop(): void {
  if (depth > 0) requested = true;
}

/**
 * Runs `work` with SIGINT turned into a request to stop (stopRequested) instead of the process's
 * default; nested calls share one listener. The listener goes when the outermost call ends.
 */
export async function interruptible<T>(work: () => Promise<T>): Promise<T> {
  if (depth === 0) {
    requested = false;
    process.on("SIGINT", onInterrupt);
    (globalThis as Record<symbol, unknown>)[WORK_RUNNING] = true;
  }
  depth += 1;
  try {
    return await work();
  } finally {
    depth -= 1;
    if (depth === 0) {
      process.off("SIGINT", onInterrupt);
      (globalThis as Record<symbol, unknown>)[WORK_RUNNING] = false;
      requested = false;
    }
  }
}

/** True once an interrupt arrived during interruptible work: the loop stops at this step boundary. */
export function stopRequested(): boolean {
  return requested;
}

/** The time (ms since 1970) of the kernel's last interrupt, from the launcher's file; -Infinity outside the kernel. */
function lastInterruptTime(): number {
  const file = process.env.WORKBOOK_INTERRUPT_FILE;
  if (!file) return -Infinity;
  try {
    return Number(fs.readFileSync(file, "utf8"));
  } catch {
    return -Infinity; // no interrupt yet
  }
}

/**
 * For synchronous work (generation, scoring), called between batches: throws an InterruptedError
 * saying `what()` when the learner interrupted the kernel since `since` (Date.now() when the work
 * began) or since the running cell began. Inside interruptible work (training) it does nothing:
 * that loop stops at its own step.
 */
export function throwIfInterruptedSince(since: number, what: () => string): void {
  // In the kernel, an interrupt counts from the start of the running cell (the launcher records it):
  // one that came while the cell did something else stops the generation that follows, too.
  const cellStarted = (globalThis as Record<symbol, unknown>)[CELL_STARTED];
  const from = typeof cellStarted === "number" ? Math.min(since, cellStarted) : since;
  if (depth > 0 || lastInterruptTime() < from) return;
  throw new InterruptedError(
    `Interrupted: ${what()}. What it had computed is dropped (it cannot resume part-way); run the cell again to start it over.`,
  );
}
