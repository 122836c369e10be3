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
// The kernel itself runs in a child process whose stderr passes through kernel/tensorflow-log.cjs:
// TensorFlow's C library writes start-up notices there that no setting silences, and Jupyter would
// show them in the terminal of `npm start` and `npm run lesson`.
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

if (process.env.WORKBOOK_KERNEL_PROCESS === "1") {
  process.argv = [process.argv[0], "tslab", "kernel", "--config-path", connectionFile];
  require(path.join(root, "node_modules", "tslab", "dist", "main.js")).main();
} else {
  const { spawnWithTensorFlowLogFiltered } = require("./tensorflow-log.cjs");
  spawnWithTensorFlowLogFiltered(process.execPath, [__filename, connectionFile], {
    env: { ...process.env, WORKBOOK_KERNEL_PROCESS: "1" },
  }).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[workbook] could not start the tslab kernel: ${err.message}`);
      process.exit(1);
    },
  );
}
