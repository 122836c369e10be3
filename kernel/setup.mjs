#!/usr/bin/env node
// Sets up everything the workbook needs, from a fresh clone, and is cheap to run again.
//
//   node kernel/setup.mjs            npm packages, the Jupyter .venv, the kernelspec, the native backend
//   node kernel/setup.mjs --browser  also Debian's chromium (for static plot images and browser tests)
//   node kernel/setup.mjs --reference  also PyTorch and transformers in .venv (the tests' reference)
//   node kernel/setup.mjs --quiet    print only what changed and what failed
//
// Every step keeps a stamp (a hash of its inputs) under .workbook/, so a second run does nothing
// but checks. Uses only Node's built-ins: it runs before node_modules exists.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RETRY_BUILD, RETRY_CHECK, buildNativeBackend, linkNativeBackend } from "./native-build.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STATE = path.join(ROOT, ".workbook");
const VENV = path.join(ROOT, ".venv");
const VENV_PY = path.join(VENV, "bin", "python");
export const KERNEL_NAME = "instruct-workbook";

const args = new Set(process.argv.slice(2));
const quiet = args.has("--quiet");
const wantBrowser = args.has("--browser");
const wantReference = args.has("--reference");
const skipNative = args.has("--no-native") || process.env.WORKBOOK_NO_NATIVE === "1";

const log = (msg) => {
  if (!quiet) console.log(`[setup] ${msg}`);
};
const say = (msg) => console.log(`[setup] ${msg}`);

/** Stops setup with a message that says what to install. */
function fail(msg) {
  console.error(`\n[setup] FAILED: ${msg}\n`);
  process.exit(1);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, stdio: quiet ? "pipe" : "inherit", encoding: "utf8", ...opts });
  if (r.error) fail(`could not start ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    if (quiet) process.stderr.write(`${r.stdout ?? ""}${r.stderr ?? ""}`);
    fail(`${cmd} ${argv.join(" ")} exited with ${r.status}`);
  }
  return r;
}

function hashOf(...parts) {
  const h = createHash("sha256");
  for (const p of parts) h.update(fs.existsSync(p) ? fs.readFileSync(p) : `missing:${p}`);
  return h.digest("hex").slice(0, 16);
}

function stampMatches(name, hash) {
  const f = path.join(STATE, "stamps", `${name}.txt`);
  return fs.existsSync(f) && fs.readFileSync(f, "utf8").trim() === hash;
}

function writeStamp(name, hash) {
  fs.mkdirSync(path.join(STATE, "stamps"), { recursive: true });
  fs.writeFileSync(path.join(STATE, "stamps", `${name}.txt`), `${hash}\n`);
}

function checkNode() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 20) fail(`Node ${process.versions.node} is too old: install Node.js 20 or newer.`);
}

function findPython() {
  for (const py of [process.env.WORKBOOK_PYTHON, "python3", "python"].filter(Boolean)) {
    const r = spawnSync(py, ["-c", "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"], {
      encoding: "utf8",
    });
    if (r.status === 0) {
      const [maj, min] = r.stdout.trim().split(".").map(Number);
      if (maj === 3 && min >= 9) return py;
    }
  }
  fail(
    "no Python 3.9+ with the venv module was found. Install it (Debian/Ubuntu: " +
      "`apt-get install python3 python3-venv`), or point WORKBOOK_PYTHON at one.",
  );
}

/** npm packages: `npm ci` when package.json or the lockfile changed since the last install. */
function setupNpm() {
  const hash = hashOf(path.join(ROOT, "package.json"), path.join(ROOT, "package-lock.json"));
  const marker = path.join(ROOT, "node_modules", ".workbook-npm-stamp");
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() === hash) {
    log("npm packages: up to date");
    return;
  }
  say("npm packages: installing (npm ci; install scripts are off, see .npmrc)");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
  fs.writeFileSync(marker, `${hash}\n`);
}

/**
 * danfojs-node requires @tensorflow/tfjs-node. package.json's override makes that the project's own
 * 4.22.0 (never a second tfjs 3.x); this link then hands danfojs-node kernel/tfjs-node-shim, which
 * re-exports @tensorflow/tfjs, so importing danfojs never loads the native addon by itself and
 * still works when the workbook falls back to wasm. (npm cannot do this with a file: override:
 * it records the path relative to danfojs-node and \`npm ci\` then makes a broken link.)
 */
function linkDanfoShim() {
  const link = path.join(ROOT, "node_modules", "danfojs-node", "node_modules", "@tensorflow", "tfjs-node");
  const target = path.join(ROOT, "kernel", "tfjs-node-shim");
  let current = null;
  try {
    current = fs.readlinkSync(link);
  } catch {
    /* not a link yet */
  }
  if (current === target) return;
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(target, link);
  log("danfojs-node: linked to the one tfjs (kernel/tfjs-node-shim)");
}

/** The project-local Python environment with pinned JupyterLab, nbclient and the plotly renderer. */
function setupVenv() {
  const req = path.join(ROOT, "kernel", "requirements.txt");
  const lock = path.join(ROOT, "kernel", "constraints.txt");
  const hash = hashOf(req, lock);
  if (fs.existsSync(VENV_PY) && stampMatches("venv", hash)) {
    log("Python environment (.venv): up to date");
    return;
  }
  if (!fs.existsSync(VENV_PY)) {
    const py = findPython();
    say(`Python environment: creating .venv with ${py}`);
    run(py, ["-m", "venv", VENV]);
  }
  say("Python environment: installing kernel/requirements.txt (JupyterLab, nbclient, plotly)");
  run(VENV_PY, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", req, "-c", lock]);
  writeStamp("venv", hash);
}

/** PyTorch (CPU) and transformers, the reference the parity tests and benchmarks compare against. */
function setupReference() {
  const req = path.join(ROOT, "kernel", "requirements-reference.txt");
  const lock = path.join(ROOT, "kernel", "constraints.txt");
  const hash = hashOf(req, lock);
  if (stampMatches("venv-reference", hash)) {
    log("reference (torch, transformers): up to date");
    return;
  }
  say("reference: installing kernel/requirements-reference.txt (PyTorch CPU, transformers; about 2 minutes, once)");
  run(VENV_PY, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", req, "-c", lock]);
  writeStamp("venv-reference", hash);
}

/**
 * The tslab kernelspec, registered inside .venv only (Jupyter looks in sys.prefix/share/jupyter).
 * It starts kernel/tslab-kernel.cjs, which moves to the repository root so that notebooks import
 * the library as "./src" wherever they live.
 */
function setupKernelspec() {
  const dir = path.join(VENV, "share", "jupyter", "kernels", KERNEL_NAME);
  const spec = {
    argv: [process.execPath, path.join(ROOT, "kernel", "tslab-kernel.cjs"), "{connection_file}"],
    display_name: "TypeScript (instruction workbook)",
    language: "typescript",
    metadata: { debugger: false },
  };
  const text = `${JSON.stringify(spec, null, 2)}\n`;
  const file = path.join(dir, "kernel.json");
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) {
    log(`kernelspec ${KERNEL_NAME}: up to date`);
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, text);
  for (const logo of ["logo-32x32.png", "logo-64x64.png"]) {
    const src = path.join(ROOT, "kernel", "logo", logo);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, logo));
  }
  say(`kernelspec ${KERNEL_NAME}: registered in .venv ("${spec.display_name}")`);
}

/**
 * JupyterLab settings for the workbook's environment: no pop-up asking to fetch Jupyter news
 * (it would reach the internet; the workbook runs offline).
 */
function setupLabSettings() {
  const file = path.join(VENV, "share", "jupyter", "lab", "settings", "overrides.json");
  const settings = { "@jupyterlab/apputils-extension:notification": { fetchNews: "false", checkForUpdates: false } };
  const text = `${JSON.stringify(settings, null, 2)}\n`;
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  log("JupyterLab settings: news and update checks off");
}

/** A Chromium the workbook can use (WORKBOOK_CHROMIUM, or Debian's), as src/notebook/png.ts looks for it. */
function chromiumPresent() {
  if (process.env.WORKBOOK_CHROMIUM) return fs.existsSync(process.env.WORKBOOK_CHROMIUM);
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].some((c) => fs.existsSync(c));
}

/** Without --browser: say once, plainly, that charts will have no static image and how to get them. */
function checkBrowser() {
  if (chromiumPresent()) return log("chromium: present (charts get static images)");
  if (process.env.WORKBOOK_CHROMIUM === "none") return log("chromium: off (WORKBOOK_CHROMIUM=none)");
  say(
    "no Chromium here: charts stay interactive in JupyterLab, but carry no static image, so a notebook read " +
      "elsewhere (lesson-output/, GitHub) shows none. To get them, run `npm run setup -- --browser` " +
      "(installs Debian's chromium with apt-get), or set WORKBOOK_CHROMIUM to a Chromium binary.",
  );
}

/** Debian's chromium, which renders plots to PNG and runs the browser tests. */
function setupBrowser() {
  if (chromiumPresent()) {
    log("chromium: present");
    return;
  }
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!isRoot || !hasApt) {
    fail(
      "chromium is needed for the browser tests and static plot images. Install it " +
        "(Debian: `sudo apt-get install chromium`), or point WORKBOOK_CHROMIUM at a Chromium binary.",
    );
  }
  say("chromium: installing Debian's package (apt-get)");
  run("apt-get", ["update", "-q"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  run("apt-get", ["install", "-y", "-q", "--no-install-recommends", "chromium", "fonts-liberation"], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** The native TensorFlow backend: built once into .workbook/native, linked into node_modules. */
function setupNative() {
  const status = skipNative
    ? { ok: false, stage: "off", reason: "setup ran with --no-native (or WORKBOOK_NO_NATIVE=1)" }
    : buildNativeBackend({ root: ROOT, state: STATE, python: VENV_PY, log, say });
  // src/runtime/backend.ts reads this to tell the learner why the native backend was not taken.
  fs.writeFileSync(path.join(STATE, "native-status.json"), `${JSON.stringify(status, null, 2)}\n`);
  if (status.ok) {
    linkNativeBackend({ root: ROOT, status });
    log(`native backend: ready (TensorFlow ${status.tensorflowVersion})`);
  } else {
    const what =
      { build: "the addon could not be built", check: "the addon was built but failed its check", off: "skipped" }[
        status.stage
      ] ?? "unavailable";
    const retry = status.stage === "build" ? RETRY_BUILD : RETRY_CHECK;
    say(
      `native backend: NOT available (${what}), so the workbook falls back to wasm, about 10 times slower. Reason: ${status.reason}` +
        `\n[setup]   to try again: ${retry}`,
    );
  }
}

function main() {
  const t0 = Date.now();
  checkNode();
  fs.mkdirSync(STATE, { recursive: true });
  setupNpm();
  linkDanfoShim();
  setupVenv();
  if (wantReference) setupReference();
  setupKernelspec();
  setupLabSettings();
  setupNative();
  if (wantBrowser) setupBrowser();
  else checkBrowser();
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main();
