// Builds @tensorflow/tfjs-node's N-API addon against the TensorFlow C library of a PyPI wheel.
//
// Why: tfjs-node's own install script downloads libtensorflow from a host these machines cannot
// reach. The PyPI wheel tensorflow-cpu ships the same C API (TF_* and TFE_* symbols live in
// libtensorflow_cc.so.2) plus the headers, so we compile the addon's two C++ files against it.
// The binding compiles unchanged against the 2.21 headers; no patch is applied.
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

function buildKey(root) {
  const pkg = JSON.parse(fs.readFileSync(path.join(tfjsNodeDir(root), "package.json"), "utf8"));
  const h = createHash("sha256");
  h.update(JSON.stringify({ TF_WHEEL, tfjsNode: pkg.version, NAPI_VERSION, arch: process.arch }));
  h.update(fs.readFileSync(THIS_FILE));
  return { key: h.digest("hex").slice(0, 12), tfjsNodeVersion: pkg.version };
}

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
  if (r.error) throw new Error(`could not start ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.slice(0, 3).join(" ")} ... failed:\n${out.split("\n").slice(-15).join("\n")}`);
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
  if (!found) throw new Error(`Node's C headers (node_api.h) were not found in ${candidates.join(", ")}; ` +
    "install them (Debian: `apt-get install libnode-dev`, or use an official Node.js build).");
  return found;
}

/**
 * Returns the status of the native build for this checkout, building it if needed.
 * Never throws: a failure is returned as {ok: false, reason} so that setup can go on with wasm.
 */
export function buildNativeBackend({ root, state, python, log, say }) {
  if (process.platform !== "linux") {
    return { ok: false, reason: `the wheel route is written for Linux; this is ${process.platform}` };
  }
  if (!fs.existsSync(tfjsNodeDir(root))) return { ok: false, reason: "node_modules/@tensorflow/tfjs-node is missing" };
  const { key, tfjsNodeVersion } = buildKey(root);
  const dir = path.join(state, "native", key);
  const statusFile = path.join(dir, "status.json");
  if (fs.existsSync(statusFile)) {
    const status = JSON.parse(fs.readFileSync(statusFile, "utf8"));
    if (status.ok || process.env.WORKBOOK_REBUILD_NATIVE !== "1") {
      log(`native backend: cached build ${key} (${status.ok ? "ok" : "failed earlier; WORKBOOK_REBUILD_NATIVE=1 retries"})`);
      return { ...status, dir };
    }
  }
  // Old builds of other keys are large (850 MB each): keep only the current one.
  fs.rmSync(path.join(state, "native"), { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "lib"), { recursive: true });
  const t0 = Date.now();
  let status;
  try {
    say(`native backend: building the tfjs-node ${tfjsNodeVersion} addon against ${TF_WHEEL.name} ${TF_WHEEL.version} (about a minute, once)`);
    if (spawnSync("g++", ["--version"]).status !== 0) {
      throw new Error("no C++ compiler: install g++ (Debian: `apt-get install g++`)");
    }
    const nodeInclude = nodeIncludeDir();
    const download = path.join(dir, "download");
    log(`native backend: pip download ${TF_WHEEL.name}==${TF_WHEEL.version}`);
    sh(python, ["-m", "pip", "download", "--disable-pip-version-check", "-q", "--no-deps", "--only-binary=:all:",
      "-d", download, `${TF_WHEEL.name}==${TF_WHEEL.version}`]);
    const wheel = fs.readdirSync(download).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new Error(`pip download produced no wheel in ${download}`);
    log(`native backend: extracting the C library and headers from ${wheel}`);
    const extractDir = path.join(dir, "wheel");
    sh(python, ["-c", EXTRACT_PY, path.join(download, wheel), extractDir, JSON.stringify(HEADER_PREFIXES), JSON.stringify(LIBRARIES)]);
    for (const lib of LIBRARIES) fs.renameSync(path.join(extractDir, lib), path.join(dir, "lib", path.basename(lib)));
    fs.rmSync(download, { recursive: true, force: true });

    log("native backend: compiling the addon (g++)");
    const binding = path.join(tfjsNodeDir(root), "binding");
    sh("g++", [
      "-std=c++17", "-O2", "-fPIC", "-shared", `-DNAPI_VERSION=${NAPI_VERSION}`,
      `-I${nodeInclude}`, `-I${path.join(extractDir, "tensorflow", "include")}`, `-I${tfjsNodeDir(root)}`,
      path.join(binding, "tfjs_backend.cc"), path.join(binding, "tfjs_binding.cc"),
      `-L${path.join(dir, "lib")}`, "-l:libtensorflow_cc.so.2", "-l:libtensorflow_framework.so.2",
      "-Wl,-rpath,$ORIGIN", "-o", path.join(dir, "lib", "tfjs_binding.node"),
    ]);
    fs.rmSync(extractDir, { recursive: true, force: true });

    status = { ok: true, key, tensorflowVersion: TF_WHEEL.version, wheel, tfjsNodeVersion, napi: NAPI_VERSION,
      builtAt: new Date().toISOString(), buildSeconds: Math.round((Date.now() - t0) / 1000) };
    linkNativeBackend({ root, status: { ...status, dir } });
    const check = verifyNativeBackend(root);
    status.check = check;
  } catch (err) {
    unlinkNativeBackend(root);
    status = { ok: false, key, reason: String(err.message ?? err), builtAt: new Date().toISOString() };
    fs.rmSync(path.join(dir, "lib"), { recursive: true, force: true });
  }
  fs.writeFileSync(statusFile, `${JSON.stringify(status, null, 2)}\n`);
  if (status.ok) say(`native backend: built in ${status.buildSeconds} s`);
  return { ...status, dir };
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

/** Loads the built addon in a fresh Node process and runs one op; throws with the reason if it fails. */
function verifyNativeBackend(root) {
  const script = `
    const tf = require("@tensorflow/tfjs-node");
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
    if (tf.getBackend() !== "tensorflow" || y[0] !== 17 || y[1] !== 39) throw new Error("wrong result " + y);
    console.log(JSON.stringify({ backend: tf.getBackend(), tfVersion: tf.backend().binding.TF_Version }));`;
  const out = sh(process.execPath, ["-e", script], { cwd: root, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" } });
  return JSON.parse(out.split("\n").pop());
}

function bindingLinkPath(root) {
  return path.join(tfjsNodeDir(root), "lib", `napi-v${NAPI_VERSION}`, "tfjs_binding.node");
}

/** Points node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node at the cached build. */
export function linkNativeBackend({ root, status }) {
  const link = bindingLinkPath(root);
  const target = path.join(status.dir, "lib", "tfjs_binding.node");
  let current = null;
  try { current = fs.readlinkSync(link); } catch { /* no link yet */ }
  if (current === target) return;
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link);
}

function unlinkNativeBackend(root) {
  fs.rmSync(bindingLinkPath(root), { force: true });
}
