#!/usr/bin/env node
// Starts the tslab kernel for the workbook (kernel.json written by kernel/setup.mjs points here).
//
// The kernel runs with the repository root as its working directory, whichever folder the notebook
// is in. tslab compiles imports relative to its working directory and refuses files outside it, so
// this is what lets every notebook import the library with one stable line:
//     import * as wb from "./src/index";
// and read data with repository-relative paths such as "data/...". Editing src/ and restarting the
// kernel picks up the change: tslab compiles the imported TypeScript afresh at each start.
//
// Kernel -> Interrupt (SIGINT to the kernel's process group) stops the running cell and nothing
// else: a training loop stops itself at its next step (src/runtime/interrupt.ts), for which this
// launcher holds tslab's own interrupt back while such a loop runs, and re-arms Node's SIGINT
// handler after each cell (see the two functions below for why).
//
// The kernel itself runs in a child process whose stderr passes through kernel/tensorflow-log.cjs:
// TensorFlow's C library writes start-up notices there that no setting silences, and Jupyter would
// show them in the terminal of `npm start` and `npm run lesson`.
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
process.chdir(root);
// TensorFlow's C library logs CPU-feature notices at start; keep the learner's output clean.
process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
process.env.WORKBOOK_IN_KERNEL = "1";

const connectionFile = process.argv[2];
if (!connectionFile) {
  console.error("usage: tslab-kernel.cjs <connection_file> (Jupyter passes it; see kernel.json)");
  process.exit(2);
}

/** The global src/runtime/interrupt.ts sets while a loop that stops itself on an interrupt is running. */
const WORK_RUNNING = Symbol.for("instruct-workbook.interruptible-work");
/** The global that holds when the running cell began (ms since 1970), for the same module. */
const CELL_STARTED = Symbol.for("instruct-workbook.cell-started");

/**
 * Kernel -> Interrupt sends SIGINT. tslab's handler then ends the running cell at once, and a
 * training loop awaited by that cell would go on in the background. While such a loop runs (it
 * stops itself at its next step, saves a checkpoint and fails the cell with what to do next), hold
 * tslab's handler back; at any other time it works as tslab wrote it.
 */
function deferTslabInterruptToRunningWork() {
  for (const listener of process.listeners("SIGINT")) {
    process.removeListener("SIGINT", listener);
    process.on("SIGINT", (...args) => {
      if (globalThis[WORK_RUNNING] !== true) listener(...args);
    });
  }
}

/**
 * tslab runs each cell with vm.runInThisContext(..., { breakOnSigint: true }), so that an interrupt
 * can break a cell stuck in a synchronous loop. But Node (20) leaves SIGINT at its default action
 * (end the process) after such a script when a SIGINT listener was added while it ran: the next
 * Kernel -> Interrupt then killed the kernel. A cell adds one whenever it starts interruptible work
 * (src/runtime/interrupt.ts) or a library's signal handling. After each such script, take the
 * listeners off and put them back, which makes Node install its signal handler again. Before it,
 * note when the cell began: an interrupt after that time stops the cell's generation too.
 */
function rearmSigintAfterEachCell() {
  const vm = require("node:vm");
  const runInThisContext = vm.runInThisContext;
  vm.runInThisContext = function (code, options) {
    if (options?.breakOnSigint) globalThis[CELL_STARTED] = Date.now();
    try {
      return runInThisContext.call(this, code, options);
    } finally {
      if (options?.breakOnSigint) {
        const listeners = process.listeners("SIGINT");
        process.removeAllListeners("SIGINT");
        for (const listener of listeners) process.on("SIGINT", listener);
      }
    }
  };
}

if (process.env.WORKBOOK_KERNEL_PROCESS === "1") {
  rearmSigintAfterEachCell();
  process.argv = [process.argv[0], "tslab", "kernel", "--config-path", connectionFile];
  require(path.join(root, "node_modules", "tslab", "dist", "main.js")).main();
  // tslab's main() installs its SIGINT handler synchronously, before any cell runs.
  if (process.listenerCount("SIGINT") === 0)
    console.error("[workbook] tslab installed no SIGINT handler: Kernel -> Interrupt may not stop a cell.");
  deferTslabInterruptToRunningWork();
} else {
  const { spawnWithTensorFlowLogFiltered } = require("./tensorflow-log.cjs");
  // Generation and scoring are synchronous in the kernel: no signal handler runs there until they
  // return. This process is idle, so it hears an interrupt at once and writes its time to a file
  // that those loops read between batches (src/runtime/interrupt.ts, throwIfInterruptedSince).
  const interruptFile = path.join(root, ".workbook", "interrupts", `kernel-${process.pid}`);
  process.on("SIGINT", () => {
    try {
      fs.mkdirSync(path.dirname(interruptFile), { recursive: true });
      fs.writeFileSync(interruptFile, String(Date.now()));
    } catch {
      /* no room to write: the interrupt still stops training at its next step */
    }
  });
  process.on("exit", () => fs.rmSync(interruptFile, { force: true }));
  spawnWithTensorFlowLogFiltered(process.execPath, [__filename, connectionFile], {
    env: { ...process.env, WORKBOOK_KERNEL_PROCESS: "1", WORKBOOK_INTERRUPT_FILE: interruptFile },
  }).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[workbook] could not start the tslab kernel: ${err.message}`);
      process.exit(1);
    },
  );
}
