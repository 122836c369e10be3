// Keeps TensorFlow's start-up log lines away from the learner.
//
// TensorFlow 2.21's C library writes notices straight to the process's stderr as it loads and at its
// first op, whatever TF_CPP_MIN_LOG_LEVEL says: absl's "WARNING: All log messages before
// absl::InitializeLog() ..." preamble, "I0000 ... port.cc:153] oneDNN custom operations are on ..."
// on AVX-512 CPUs, "I0000 ... cpu_feature_guard.cc:227] This TensorFlow binary is optimized ..." with
// a continuation line. They come from C++, below Node, so no JavaScript hook can stop them; the
// process that starts ours reads its stderr instead and moves these lines to a log file
// (.workbook/logs/tensorflow.log), passing everything else through unchanged, errors included.
//
//   node kernel/tensorflow-log.cjs <command> [args...]    runs the command with its stderr filtered
//   const { spawnWithTensorFlowLogFiltered } = require("./tensorflow-log.cjs")
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const LOG_FILE = path.join(ROOT, ".workbook", "logs", "tensorflow.log");

const ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR";
/** absl's line prefix: severity, MMDD, hh:mm:ss.us (seconds since 1970 before absl is set up), thread, file:line]. I and W only. */
const INFO_OR_WARNING = /^[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.+-]+:\d+\] /;
/**
 * Two error-level lines that are notices: TensorFlow's XLA persistent compile cache
 * (.workbook/xla-cache) first tries to read an entry as text ("Error parsing text-format ...
 * XlaSerializedCacheEntry"), then reads it as binary; and on AMD EPYC it warns for each tuning flag
 * of the compiled code ("+prefer-no-scatter", "+prefer-no-gather") that is not a CPU feature. The
 * entry loads and runs either way (the decoding tests compare its results with the full model's).
 */
const XLA_CACHE_NOTICE =
  /^E\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ (text_format\.cc:\d+\] Error parsing text-format tensorflow\.XlaSerializedCacheEntry: |cpu_aot_loader\.cc:\d+\] Loading XLA:CPU AOT result\. Target machine feature \+prefer-no-(scatter|gather) is not {1,2}supported on the host machine\.)/;
/** cpu_feature_guard's message spans two lines; this is the second. */
const CPU_FEATURE_CONTINUATION =
  /^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.$/;

/**
 * True for a TensorFlow start-up notice. `previous` is the line before it, for continuation lines.
 * Errors (E) and fatal messages (F) are never matched, but for the XLA cache's two notices above:
 * they must reach the learner.
 */
function isTensorFlowNotice(line, previous = "") {
  if (line === ABSL_PREAMBLE || INFO_OR_WARNING.test(line) || XLA_CACHE_NOTICE.test(line)) return true;
  return CPU_FEATURE_CONTINUATION.test(line) && /cpu_feature_guard\.cc:\d+\]/.test(previous);
}

/**
 * A line filter for a stream of stderr chunks: whole lines go to `pass` or `divert` as they complete;
 * end() flushes a last line without a newline.
 */
class TensorFlowLogFilter {
  constructor(pass, divert) {
    this.pass = pass;
    this.divert = divert;
    this.partial = "";
    this.previous = "";
  }

  write(chunk) {
    const text = this.partial + String(chunk);
    const lines = text.split("\n");
    this.partial = lines.pop();
    for (const line of lines) this.line(line, "\n");
  }

  end() {
    if (this.partial) this.line(this.partial, "");
    this.partial = "";
  }

  line(line, newline) {
    const clean = line.replace(/\r$/, "");
    (isTensorFlowNotice(clean, this.previous) ? this.divert : this.pass)(line + newline);
    this.previous = clean;
  }
}

/** Appends diverted lines to .workbook/logs/tensorflow.log (best effort: a log must never break a run). */
function appendToLog(text) {
  try {
    fs.mkdirSync(path.dirname(LOG_FILE), { recursive: true });
    fs.appendFileSync(LOG_FILE, text);
  } catch {
    /* no room or no permission: drop the notice */
  }
}

/**
 * Spawns a command with stdin and stdout inherited and stderr filtered; SIGTERM and SIGHUP sent to
 * this process are passed on. Resolves with the child's exit code (128 + signal number if a signal ended it).
 */
function spawnWithTensorFlowLogFiltered(command, args, options = {}) {
  const child = spawn(command, args, { ...options, stdio: ["inherit", "inherit", "pipe"] });
  const filter = new TensorFlowLogFilter((s) => process.stderr.write(s), appendToLog);
  child.stderr.on("data", (chunk) => filter.write(chunk));
  // Ctrl-C in a terminal and Jupyter's interrupt (killpg) reach the whole process group, the child
  // included: this process only has to survive SIGINT, not pass it on (the child would get it twice).
  process.on("SIGINT", () => undefined);
  const forward = (signal) => () => {
    if (child.exitCode === null) child.kill(signal);
  };
  for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, forward(signal));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      filter.end();
      resolve(code ?? 128 + (os.constants.signals[signal] ?? 0));
    });
  });
}

module.exports = { isTensorFlowNotice, TensorFlowLogFilter, spawnWithTensorFlowLogFiltered, LOG_FILE, ABSL_PREAMBLE };

if (require.main === module) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error("usage: node kernel/tensorflow-log.cjs <command> [args...]");
    process.exit(2);
  }
  spawnWithTensorFlowLogFiltered(command, args).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`could not start ${command}: ${err.message}`);
      process.exit(1);
    },
  );
}
