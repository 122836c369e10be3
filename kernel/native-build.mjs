// Builds @tensorflow/tfjs-node's N-API addon against the TensorFlow C library of a PyPI wheel.
//
// Why: tfjs-node's own install script downloads libtensorflow from a host these machines cannot
// reach. The PyPI wheel tensorflow-cpu ships the same C API (TF_* and TFE_* symbols live in
// libtensorflow_cc.so.2) plus the headers, so we compile the addon's two C++ files against it.
// The binding compiles unchanged against the 2.21 headers. We add one file of our own,
// kernel/native/graph_function.cc (record eager work once, replay it as one TensorFlow function:
// src/runtime/graph-function.ts), joined to tfjs-node's sources by two one-line hooks (GRAPH_HOOKS).
//
// Layout of a build (never in git; the wheel itself is deleted after extraction):
//   .workbook/native/<key>/lib/libtensorflow_cc.so.2, libtensorflow_framework.so.2
//   .workbook/native/<key>/lib/tfjs_binding.node     (rpath $ORIGIN: finds the two libraries beside it)
//   .workbook/native/<key>/status.json               ({ok, reason, tensorflowVersion, ...})
// <key> hashes every input (wheel pin, tfjs-node version, Node-API version, this file), so a second
// setup reuses the build and a changed input builds anew.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The wheel whose C library the addon links. Pinned: bump it deliberately and rerun the parity tests. */
export const TF_WHEEL = { name: "tensorflow-cpu", version: "2.21.0" };
/** Node-API version the addon is built for; tfjs-node looks in lib/napi-v<N>/. */
const NAPI_VERSION = 8;
const THIS_FILE = fileURLToPath(import.meta.url);
/** Our C++ sources compiled into the addon beside tfjs-node's. */
const OWN_SOURCES = [path.join(path.dirname(THIS_FILE), "native", "graph_function.cc")];

/**
 * The two edits that join graph_function.cc to tfjs-node's binding, applied to a copy of its
 * sources: our code may read the backend's TensorFlow context and tensor table, and the addon's
 * init registers our entry points. Each must match exactly once, so a changed tfjs-node fails the
 * build with a clear reason instead of compiling something else.
 */
const GRAPH_HOOKS = [
  {
    file: "tfjs_backend.h",
    find: " private:\n  TFJSBackend(napi_env env);",
    replace: " private:\n  friend struct GraphFunctionAccess;\n  TFJSBackend(napi_env env);",
  },
  {
    file: "tfjs_binding.cc",
    find: "  return exports;\n}\n\nNAPI_MODULE",
    replace: "  RegisterGraphFunctions(env, exports);\n  return exports;\n}\n\nNAPI_MODULE",
  },
  {
    file: "tfjs_binding.cc",
    find: "namespace tfnodejs {\n\n/**\n * Get the TFJSBackend",
    replace:
      "namespace tfnodejs {\n\nvoid RegisterGraphFunctions(napi_env env, napi_value exports);\n\n/**\n * Get the TFJSBackend",
  },
];

/** Copies tfjs-node's binding sources to `to` and applies GRAPH_HOOKS; throws if one does not match. */
export function hookedBindingSources(root, to) {
  const from = path.join(tfjsNodeDir(root), "binding");
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
  for (const { file, find, replace } of GRAPH_HOOKS) {
    const text = fs.readFileSync(path.join(to, file), "utf8");
    const count = text.split(find).length - 1;
    if (count !== 1)
      throw new Error(
        `tfjs-node's binding/${file} has ${count} places for the graph-function hook (expected 1): ` +
          "this tfjs-node version is not the one kernel/native-build.mjs was written for",
      );
    fs.writeFileSync(path.join(to, file), text.replace(find, replace));
  }
  return to;
}

/** Header folders of the wheel that the C API headers include (found by compiling, kept minimal). */
const HEADER_PREFIXES = [
  "tensorflow/include/tensorflow/c/",
  "tensorflow/include/tensorflow/core/platform/",
  "tensorflow/include/tsl/platform/",
  "tensorflow/include/tsl/c/",
  "tensorflow/include/xla/tsl/platform/",
  "tensorflow/include/xla/tsl/c/",
];
const LIBRARIES = ["tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"];

function tfjsNodeDir(root) {
  return path.join(root, "node_modules", "@tensorflow", "tfjs-node");
}

export function buildKey(root) {
  const pkg = JSON.parse(fs.readFileSync(path.join(tfjsNodeDir(root), "package.json"), "utf8"));
  const h = createHash("sha256");
  h.update(JSON.stringify({ TF_WHEEL, tfjsNode: pkg.version, NAPI_VERSION, arch: process.arch }));
  h.update(fs.readFileSync(THIS_FILE));
  for (const f of OWN_SOURCES) h.update(fs.readFileSync(f));
  return { key: h.digest("hex").slice(0, 12), tfjsNodeVersion: pkg.version };
}

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
  if (r.error) throw new Error(`could not start ${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`${cmd} ${argv.slice(0, 3).join(" ")} ... failed:\n${out.split("\n").slice(-15).join("\n")}`);
  return out;
}

/** Node's own headers (node_api.h); Debian puts them in /usr/include/node, nvm beside the binary. */
function nodeIncludeDir() {
  const candidates = [
    path.join(path.dirname(path.dirname(process.execPath)), "include", "node"),
    "/usr/include/node",
    "/usr/local/include/node",
  ];
  const found = candidates.find((d) => fs.existsSync(path.join(d, "node_api.h")));
  if (!found)
    throw new Error(
      `Node's C headers (node_api.h) were not found in ${candidates.join(", ")}; ` +
        "install them (Debian: `apt-get install libnode-dev`, or use an official Node.js build).",
    );
  return found;
}

/** How to retry, in the words setup and initBackend give the learner. */
export const RETRY_BUILD = "WORKBOOK_REBUILD_NATIVE=1 npm run setup";
export const RETRY_CHECK = "npm run setup";

/**
 * Returns the status of the native backend for this checkout, building the addon if needed.
 * Never throws: a failure is returned as {ok: false, stage, reason} so that setup can go on with wasm.
 *
 * Two stages fail for different reasons and are remembered differently:
 *   stage "build": pip, the wheel or g++ failed. Cached with the compiler's last lines: rebuilding
 *     would fail the same way, so later setups say so at once (RETRY_BUILD forces a rebuild).
 *   stage "check": the addon was built but loading it and running one op failed. The build is kept
 *     and the next setup checks again (a busy machine, a missing library fixed since).
 */
export function buildNativeBackend({ root, state, python, log, say }) {
  if (process.platform !== "linux") {
    return { ok: false, stage: "build", reason: `the wheel route is written for Linux; this is ${process.platform}` };
  }
  if (!fs.existsSync(tfjsNodeDir(root)))
    return { ok: false, stage: "build", reason: "node_modules/@tensorflow/tfjs-node is missing" };
  const { key, tfjsNodeVersion } = buildKey(root);
  const dir = path.join(state, "native", key);
  const statusFile = path.join(dir, "status.json");
  const addon = path.join(dir, "lib", "tfjs_binding.node");
  let status = readStatus(statusFile);
  const rebuild = process.env.WORKBOOK_REBUILD_NATIVE === "1";

  if (status && !rebuild) {
    if (status.ok && fs.existsSync(addon)) {
      log(`native backend: cached build ${key}`);
      return { ...status, dir };
    }
    if (status.stage === "build") {
      log(`native backend: the build failed earlier (${key}); \`${RETRY_BUILD}\` tries again`);
      return { ...status, dir };
    }
    // A failed check (or an ok status whose addon went missing): check the kept build again.
  }
  const compile = !status || rebuild || !fs.existsSync(addon);
  if (compile) {
    status = compileAddon({ root, state, dir, key, tfjsNodeVersion, python, log, say });
    if (!status.ok) {
      writeStatus(statusFile, status);
      return { ...status, dir };
    }
  }
  status = checkAddon({ root, dir, status, log });
  writeStatus(statusFile, status);
  if (status.ok && compile) say(`native backend: built in ${status.buildSeconds} s`);
  return { ...status, dir };
}

function readStatus(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

function writeStatus(file, status) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(status, null, 2)}\n`);
}

/** Downloads the wheel, takes its C library and headers, compiles the addon. Returns a build status. */
function compileAddon({ root, state, dir, key, tfjsNodeVersion, python, log, say }) {
  // Old builds of other keys are large (850 MB each): keep only the current one.
  fs.rmSync(path.join(state, "native"), { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "lib"), { recursive: true });
  const t0 = Date.now();
  try {
    say(
      `native backend: building the tfjs-node ${tfjsNodeVersion} addon against ${TF_WHEEL.name} ${TF_WHEEL.version} (about a minute, once)`,
    );
    if (spawnSync("g++", ["--version"]).status !== 0) {
      throw new Error("no C++ compiler: install g++ (Debian: `apt-get install g++`)");
    }
    const nodeInclude = nodeIncludeDir();
    const download = path.join(dir, "download");
    log(`native backend: pip download ${TF_WHEEL.name}==${TF_WHEEL.version}`);
    sh(python, [
      "-m",
      "pip",
      "download",
      "--disable-pip-version-check",
      "-q",
      "--no-deps",
      "--only-binary=:all:",
      "-d",
      download,
      `${TF_WHEEL.name}==${TF_WHEEL.version}`,
    ]);
    const wheel = fs.readdirSync(download).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new Error(`pip download produced no wheel in ${download}`);
    log(`native backend: extracting the C library and headers from ${wheel}`);
    const extractDir = path.join(dir, "wheel");
    sh(python, [
      "-c",
      EXTRACT_PY,
      path.join(download, wheel),
      extractDir,
      JSON.stringify(HEADER_PREFIXES),
      JSON.stringify(LIBRARIES),
    ]);
    for (const lib of LIBRARIES) fs.renameSync(path.join(extractDir, lib), path.join(dir, "lib", path.basename(lib)));
    fs.rmSync(download, { recursive: true, force: true });

    log("native backend: compiling the addon (g++)");
    const binding = hookedBindingSources(root, path.join(dir, "binding"));
    sh("g++", [
      "-std=c++17",
      "-O2",
      "-fPIC",
      "-shared",
      `-DNAPI_VERSION=${NAPI_VERSION}`,
      `-I${nodeInclude}`,
      `-I${path.join(extractDir, "tensorflow", "include")}`,
      `-I${tfjsNodeDir(root)}`,
      `-I${binding}`,
      path.join(binding, "tfjs_backend.cc"),
      path.join(binding, "tfjs_binding.cc"),
      ...OWN_SOURCES,
      `-L${path.join(dir, "lib")}`,
      "-l:libtensorflow_cc.so.2",
      "-l:libtensorflow_framework.so.2",
      "-Wl,-rpath,$ORIGIN",
      "-o",
      path.join(dir, "lib", "tfjs_binding.node"),
    ]);
    fs.rmSync(extractDir, { recursive: true, force: true });
    fs.rmSync(binding, { recursive: true, force: true });
    const builtAt = new Date().toISOString();
    return {
      ok: true,
      key,
      tensorflowVersion: TF_WHEEL.version,
      wheel,
      tfjsNodeVersion,
      napi: NAPI_VERSION,
      builtAt,
      buildSeconds: Math.round((Date.now() - t0) / 1000),
    };
  } catch (err) {
    unlinkNativeBackend(root);
    fs.rmSync(path.join(dir, "lib"), { recursive: true, force: true });
    return { ok: false, stage: "build", key, reason: String(err.message ?? err), builtAt: new Date().toISOString() };
  }
}

/** Links the built addon and runs the probe in a fresh process; returns the status with the verdict. */
function checkAddon({ root, dir, status, log }) {
  const checkedAt = new Date().toISOString();
  const built = { ...status, ok: true };
  delete built.stage;
  delete built.reason;
  linkNativeBackend({ root, status: { ...built, dir } });
  try {
    const check = runNativeProbe(root);
    log(`native backend: checked (${check.backend}, TensorFlow ${check.tfVersion})`);
    return { ...built, checkedAt, check };
  } catch (err) {
    unlinkNativeBackend(root);
    return { ...built, ok: false, stage: "check", checkedAt, reason: String(err.message ?? err) };
  }
}
// Extracts the needed members of the wheel (a zip) with Python's zipfile: no unzip tool needed.
const EXTRACT_PY = `
import json, sys, zipfile
wheel, out, prefixes, libs = sys.argv[1], sys.argv[2], tuple(json.loads(sys.argv[3])), set(json.loads(sys.argv[4]))
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n in libs or (n.startswith(prefixes) and n.endswith('.h'))]
    missing = libs - set(names)
    if missing: sys.exit('the wheel lacks ' + ', '.join(sorted(missing)))
    for n in names: z.extract(n, out)
`;

/**
 * The probe's report travels on a line of its own that starts with this marker. TensorFlow may write
 * log lines to either stream as it loads (absl notices, oneDNN on AVX-512 CPUs), so nothing else
 * that the child prints is parsed.
 */
export const PROBE_MARKER = "WORKBOOK_NATIVE_PROBE ";

const PROBE_SCRIPT = `
  const say = (report) => console.log(${JSON.stringify(PROBE_MARKER)} + JSON.stringify(report));
  try {
    const tf = require("@tensorflow/tfjs-node");
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
    if (tf.getBackend() !== "tensorflow") say({ error: "tfjs chose the " + tf.getBackend() + " backend" });
    else if (y[0] !== 17 || y[1] !== 39) say({ error: "matMul gave " + Array.from(y) + " instead of 17,39" });
    else {
      // The graph-function entry points: record x -> x * x once, replay it on another tensor.
      const b = tf.backend().binding;
      const x = b.createTensor([2], b.TF_FLOAT, new Float32Array([3, 4]));
      b.graphBegin([x]);
      const attrs = [{ name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }];
      const sq = b.executeOp("Mul", attrs, [x, x], 1)[0].id;
      b.graphAddOp("Mul", attrs, [x, x], [sq]);
      b.graphEnd("workbook_probe", [x], [sq], false);
      const z = b.createTensor([2], b.TF_FLOAT, new Float32Array([5, 6]));
      const r = Array.from(b.tensorDataSync(b.graphCall("workbook_probe", [z])[0].id));
      if (r[0] !== 25 || r[1] !== 36) say({ error: "a recorded graph function gave " + r + " instead of 25,36" });
      else say({ backend: tf.getBackend(), tfVersion: b.TF_Version, graphFunctions: true });
    }
  } catch (err) {
    say({ error: String(err && err.message || err).split("\\n")[0] });
  }`;

/**
 * Reads the probe's verdict from its stdout: the last marker line. Throws with a plain reason when
 * the probe reported an error or printed no report (then the end of stderr says why, e.g. a crash).
 */
export function readProbeReport(stdout, stderr = "", exitStatus = 0) {
  const lines = String(stdout)
    .split(/\r?\n/)
    .filter((l) => l.startsWith(PROBE_MARKER));
  if (lines.length === 0) {
    const tail = String(stderr).trim().split("\n").slice(-5).join("\n");
    throw new Error(
      `the probe process ${exitStatus === 0 ? "printed no report" : `exited with ${exitStatus} before reporting`}` +
        (tail ? `; its last lines on stderr:\n${tail}` : ""),
    );
  }
  let report;
  try {
    report = JSON.parse(lines[lines.length - 1].slice(PROBE_MARKER.length));
  } catch {
    throw new Error(`the probe's report is not JSON: ${lines[lines.length - 1].slice(0, 200)}`);
  }
  if (report.error) throw new Error(report.error);
  if (report.backend !== "tensorflow") throw new Error(`the probe reported backend ${report.backend}`);
  return report;
}

/** Loads the linked addon in a fresh Node process and runs one op; throws with the reason if it fails. */
export function runNativeProbe(root, env = process.env) {
  const r = spawnSync(process.execPath, ["-e", PROBE_SCRIPT], { cwd: root, encoding: "utf8", env, timeout: 120000 });
  if (r.error) throw new Error(`could not start the probe: ${r.error.message}`);
  return readProbeReport(r.stdout, r.stderr, r.status);
}

function bindingLinkPath(root) {
  return path.join(tfjsNodeDir(root), "lib", `napi-v${NAPI_VERSION}`, "tfjs_binding.node");
}

/** Points node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node at the cached build. */
export function linkNativeBackend({ root, status }) {
  const link = bindingLinkPath(root);
  const target = path.join(status.dir, "lib", "tfjs_binding.node");
  let current = null;
  try {
    current = fs.readlinkSync(link);
  } catch {
    /* no link yet */
  }
  if (current === target) return;
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link);
}

function unlinkNativeBackend(root) {
  fs.rmSync(bindingLinkPath(root), { force: true });
}
