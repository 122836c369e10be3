// TensorFlow's start-up notices (which no setting silences on AVX-512 CPUs) are moved out of the
// learner's terminal by kernel/tensorflow-log.cjs; everything else, errors included, passes through.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { isTensorFlowNotice, TensorFlowLogFilter } from "../../kernel/tensorflow-log.cjs";
import { ROOT } from "../support/notebooks";

const XEON_NOTICES = [
  "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
  "I0000 00:00:1795853696.251284    3625 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
  "I0000 00:00:1795853696.314339    3625 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.",
  "To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 AVX512_FP16 AVX_VNNI AMX_TILE AMX_INT8 AMX_BF16 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.",
  "W0000 00:00:1795853699.000001    3625 cpu_allocator_impl.cc:83] Allocation of 411041792 exceeds 10% of free system memory.",
  // The XLA compile cache on an AMD EPYC (two error-level notices the entry loads despite).
  "E0000 00:00:1796410110.828714    7400 text_format.cc:378] Error parsing text-format tensorflow.XlaSerializedCacheEntry: 2:1: Expected identifier, got: 5",
  "E0000 00:00:1796410110.838907    7400 cpu_aot_loader.cc:220] Loading XLA:CPU AOT result. Target machine feature +prefer-no-scatter is not  supported on the host machine. Machine type used for XLA:CPU compilation doesn't match the machine type for execution. Compile machine features: [+64bit,+adx]",
  "E0000 00:00:1796410110.838952    7400 cpu_aot_loader.cc:220] Loading XLA:CPU AOT result. Target machine feature +prefer-no-gather is not  supported on the host machine. Machine type used for XLA:CPU compilation doesn't match the machine type for execution.",
];

describe("TensorFlow's start-up notices", () => {
  it("recognises the notices, but never an error, a fatal message or the learner's own lines", () => {
    XEON_NOTICES.forEach((line, i) => assert.ok(isTensorFlowNotice(line, XEON_NOTICES[i - 1]), line));
    for (const line of [
      "E0000 00:00:1795853699.1 3625 op_kernel.cc:1857] OP_REQUIRES failed at matmul_op.cc: INVALID_ARGUMENT",
      "F0000 00:00:1795853699.1 3625 logging.cc:1] Check failed",
      "E0000 00:00:1796410110.838952    7400 cpu_aot_loader.cc:220] Loading XLA:CPU AOT result. Target machine feature +avx512f is not supported on the host machine.",
      "[workbook] backend: tensorflow - native TensorFlow 2.21.0",
      "Error: Pre-training stopped at step 3: the loss is NaN.",
      "WARNING: something else",
      "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.",
    ])
      assert.equal(isTensorFlowNotice(line, "[workbook] previous line"), false, line);
  });

  it("filters a stream split at any point, keeping the other lines whole and in order", () => {
    const text = [
      "[lesson] running 6 notebook(s)",
      ...XEON_NOTICES,
      "Traceback: a real problem",
      "E0000 00:00:1.0 1 x.cc:1] kept",
      "last line, no newline",
    ].join("\n");
    for (const size of [1, 7, 64, text.length]) {
      const passed: string[] = [];
      const diverted: string[] = [];
      const filter = new TensorFlowLogFilter(
        (s) => passed.push(s),
        (s) => diverted.push(s),
      );
      for (let i = 0; i < text.length; i += size) filter.write(text.slice(i, i + size));
      filter.end();
      assert.equal(
        passed.join(""),
        "[lesson] running 6 notebook(s)\nTraceback: a real problem\nE0000 00:00:1.0 1 x.cc:1] kept\nlast line, no newline",
        `chunks of ${size}`,
      );
      assert.equal(diverted.join(""), XEON_NOTICES.map((l) => `${l}\n`).join(""));
    }
  });

  it("runs a command with its stderr filtered, passing its output and exit code through", () => {
    const script = `console.log("out"); console.error(${JSON.stringify(XEON_NOTICES.join("\n"))}); console.error("a real error"); process.exit(3);`;
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, "kernel", "tensorflow-log.cjs"), process.execPath, "-e", script],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 3);
    assert.equal(r.stdout, "out\n");
    assert.equal(r.stderr, "a real error\n");
  });
});
