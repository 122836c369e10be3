// The native backend's set-up (kernel/native-build.mjs) judges the built addon by a probe that
// cannot be fooled by TensorFlow's log lines, remembers a failed build but re-checks a failed check,
// and every "not available" says why in a sentence with the command that tries again.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { nativeUnavailableReason } from "../../src/runtime/backend";

/** What TensorFlow 2.21 wrote to stderr on an Intel Xeon (AVX-512) as the probe loaded it. */
const XEON_STDERR = [
  "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
  "I0000 00:00:1795853696.251284    3625 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
  "I0000 00:00:1795853696.314339    3625 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.",
  "To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 AVX512_FP16 AVX_VNNI AMX_TILE AMX_INT8 AMX_BF16 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.",
].join("\n");

type NativeBuild = typeof import("../../kernel/native-build.mjs");

describe("native backend probe", () => {
  let nb: NativeBuild;
  before(async () => {
    nb = await import("../../kernel/native-build.mjs");
  });
  const report = (r: object) => `${nb.PROBE_MARKER}${JSON.stringify(r)}`;

  it("reads its own report line and nothing else, whatever TensorFlow logs on either stream", () => {
    const ok = report({ backend: "tensorflow", tfVersion: "2.21.0" });
    // The old probe joined stdout and stderr and parsed the last line: these all fooled it.
    for (const [stdout, stderr] of [
      [`${ok}\n`, XEON_STDERR],
      [`${ok}\n`, ""],
      [`${XEON_STDERR}\n${ok}\n${XEON_STDERR}`, XEON_STDERR],
      [`2026-11-28 08:00:00.000000: I tensorflow/core/platform/cpu_feature_guard.cc:193] AVX2 FMA\n${ok}`, ""],
      [`${ok}\r\n`, "E0000 00:00:1.0 1 something.cc:1] an error TensorFlow logged but survived"],
    ]) {
      assert.deepEqual(nb.readProbeReport(stdout, stderr, 0), { backend: "tensorflow", tfVersion: "2.21.0" });
    }
  });

  it("fails with the probe's own error, or the end of stderr when it printed no report", () => {
    assert.throws(
      () => nb.readProbeReport(report({ error: "matMul gave 0,0 instead of 17,39" }), XEON_STDERR),
      /^Error: matMul gave 0,0 instead of 17,39$/,
    );
    assert.throws(() => nb.readProbeReport(report({ backend: "cpu" }), ""), /the probe reported backend cpu/);
    assert.throws(
      () => nb.readProbeReport("", `${XEON_STDERR}\nSegmentation fault`, 139),
      /the probe process exited with 139 before reporting; its last lines on stderr:[\s\S]*Segmentation fault/,
    );
    assert.throws(() => nb.readProbeReport(`{"backend":"tensorflow"}`, "", 0), /printed no report/);
    assert.throws(() => nb.readProbeReport(`${nb.PROBE_MARKER}I0000 00:0`, "", 0), /report is not JSON/);
  });

  describe("what setup remembers", function () {
    this.timeout(60_000);
    let root: string;
    let state: string;
    const quiet = { log: () => undefined, say: () => undefined };
    beforeEach(() => {
      // A stand-in checkout: tfjs-node's package.json (for the build key), but no usable addon.
      root = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-native-"));
      state = path.join(root, ".workbook");
      fs.mkdirSync(path.join(root, "node_modules", "@tensorflow", "tfjs-node"), { recursive: true });
      fs.writeFileSync(
        path.join(root, "node_modules", "@tensorflow", "tfjs-node", "package.json"),
        JSON.stringify({ version: "4.22.0" }),
      );
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
    const statusFile = () => path.join(state, "native", nb.buildKey(root).key, "status.json");
    const writeStatus = (status: object) => {
      fs.mkdirSync(path.dirname(statusFile()), { recursive: true });
      fs.writeFileSync(statusFile(), JSON.stringify(status));
    };

    it("keeps a failed build's verdict (a rebuild would fail the same way) and says how to force one", () => {
      writeStatus({ ok: false, stage: "build", reason: "g++ failed:\nfatal error: node_api.h: No such file" });
      const lines: string[] = [];
      // python=/bin/false: were it to rebuild, the download would fail at once with another reason.
      const status = nb.buildNativeBackend({
        root,
        state,
        python: "/bin/false",
        log: (m: string) => lines.push(m),
        say: quiet.say,
      });
      assert.equal(status.ok, false);
      assert.equal(status.stage, "build");
      assert.match(status.reason ?? "", /node_api\.h/);
      assert.match(lines.join("\n"), /the build failed earlier .*WORKBOOK_REBUILD_NATIVE=1 npm run setup/);
    });

    it("checks a built addon again at the next setup when its check failed, without rebuilding", () => {
      writeStatus({ ok: false, stage: "check", reason: "the probe process printed no report", builtAt: "then" });
      const lib = path.join(path.dirname(statusFile()), "lib");
      fs.mkdirSync(lib, { recursive: true });
      fs.writeFileSync(path.join(lib, "tfjs_binding.node"), "not really an addon");
      const status = nb.buildNativeBackend({ root, state, python: "/bin/false", ...quiet });
      // The check ran again (the stand-in has no tfjs-node to load, so it fails again) and the build stays.
      assert.equal(status.stage, "check");
      assert.equal(status.builtAt, "then", "it rebuilt instead of checking again");
      assert.match(status.reason ?? "", /Cannot find module '@tensorflow\/tfjs-node'/);
      assert.ok(fs.existsSync(path.join(lib, "tfjs_binding.node")), "the build was thrown away");
      assert.equal(JSON.parse(fs.readFileSync(statusFile(), "utf8")).stage, "check");
    });
  });

  it("tells the learner why in one sentence, with the command that tries again", () => {
    assert.equal(nativeUnavailableReason({ ok: true }), undefined);
    assert.match(nativeUnavailableReason(undefined)!, /not built it on this machine yet: run `npm run setup`/);
    const build = nativeUnavailableReason({
      ok: false,
      stage: "build",
      reason: "g++ -std=c++17 ... failed:\nerror: x",
    })!;
    assert.equal(
      build,
      "setup could not build the native TensorFlow addon (g++ -std=c++17 ... failed); the details are in " +
        ".workbook/native-status.json, and `WORKBOOK_REBUILD_NATIVE=1 npm run setup` builds it again",
    );
    assert.match(
      nativeUnavailableReason({ ok: false, stage: "check", reason: "the probe process printed no report" })!,
      /^the native TensorFlow addon was built but failed its check \(the probe process printed no report\); `npm run setup` checks it again$/,
    );
    assert.match(nativeUnavailableReason({ ok: false, stage: "off" })!, /skip it .*run `npm run setup` without that/);
  });
});
