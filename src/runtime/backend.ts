// Chooses the tfjs backend: native TensorFlow first, then wasm, then plain JavaScript.
//
// Native TensorFlow (tfjs-node, built by kernel/setup.mjs) is ~50x faster than plain JS for a GPT
// training step and multithreaded; wasm is single-threaded in Node and lacks some kernels; plain JS
// always works. initBackend() prints once which one is active and why the faster ones were not taken.
// Set WORKBOOK_BACKEND=tensorflow|wasm|cpu to force one, or WORKBOOK_NO_NATIVE=1 to skip native.
import fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { useOneHotGatherGradient } from "./gather-gradient";
import { cpuFlags } from "./machine";
import { packageVersion, projectPath } from "./paths";

export type BackendName = "tensorflow" | "wasm" | "cpu";
export const BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

export interface BackendChoice {
  /** The active tfjs backend. */
  name: BackendName;
  /** What it is, with versions: "native TensorFlow 2.21.0 (tfjs-node 4.22.0, CPU)". */
  description: string;
  /** Faster backends that were tried first, each with the reason it was not taken. */
  notTaken: { name: BackendName; reason: string }[];
}

/** The automatic choice (fastest that works), made once per process. */
let automatic: BackendChoice | undefined;
/** The active choice: the automatic one, or one asked for with `prefer`. */
let current: BackendChoice | undefined;

/** What kernel/setup.mjs wrote to .workbook/native-status.json about the native addon. */
interface NativeStatus {
  ok: boolean;
  /** Which part failed: "build" (pip, the wheel or g++), "check" (the built addon did not load or compute), "off". */
  stage?: "build" | "check" | "off";
  reason?: string;
}

/**
 * Why the native backend is not available, in one sentence with the command that tries again, from
 * what setup recorded; undefined if setup says it is fine (then the load error itself is the reason).
 */
export function nativeUnavailableReason(status: NativeStatus | undefined): string | undefined {
  if (!status) return "setup has not built it on this machine yet: run `npm run setup`";
  if (status.ok) return undefined;
  // The first line only: a compiler's output follows it in .workbook/native-status.json.
  const why = String(status.reason ?? "no reason recorded")
    .split("\n")[0]
    .replace(/[.:;]+$/, "")
    .slice(0, 300);
  switch (status.stage) {
    case "build":
      return (
        `setup could not build the native TensorFlow addon (${why}); ` +
        "the details are in .workbook/native-status.json, and `WORKBOOK_REBUILD_NATIVE=1 npm run setup` builds it again"
      );
    case "check":
      return `the native TensorFlow addon was built but failed its check (${why}); \`npm run setup\` checks it again`;
    case "off":
      return "setup was told to skip it (--no-native or WORKBOOK_NO_NATIVE=1); run `npm run setup` without that to build it";
    default:
      return `${why}; \`npm run setup\` tries again`;
  }
}

function readNativeStatus(): NativeStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(projectPath(".workbook", "native-status.json"), "utf8"));
  } catch {
    return undefined;
  }
}

function isInstalled(pkg: string): boolean {
  return packageVersion(pkg) !== undefined;
}

/** Loads the native binding into this process's tfjs (it registers "tensorflow"), or throws why not. */
function loadNative(): string {
  if (process.env.WORKBOOK_NO_NATIVE === "1") throw new Error("turned off by WORKBOOK_NO_NATIVE=1");
  // TensorFlow's C library logs CPU-feature notices when it loads; they mean nothing to a learner.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  // oneDNN's kernels, chosen by measurement (`npm run bench -- onednn`, bench/results/onednn.md): on an
  // AVX-512 Xeon they make the training step 1.2-1.4x faster at the same parity with transformers, so
  // they are on there (as TensorFlow itself chooses today). On AVX2-only CPUs TensorFlow leaves them
  // off and nothing measured here says otherwise. A value the learner set wins.
  if (cpuFlags().includes("avx512f")) process.env.TF_ENABLE_ONEDNN_OPTS ??= "1";
  // Functions compiled with XLA (runtime/graph-function.ts) keep their compiled code here, so a
  // compile (about a second per function and shape) happens once per machine, not once per process.
  process.env.TF_XLA_FLAGS ??= `--tf_xla_persistent_cache_directory=${projectPath(".workbook", "xla-cache")}`;
  // The GPU build is preferred where it is installed (see README, "GPU"); it cannot be tested here.
  const pkg = isInstalled("@tensorflow/tfjs-node-gpu") ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
  try {
    // Loaded on demand, not imported: the addon may be missing, and then the workbook goes on with wasm.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(pkg);
  } catch (err) {
    throw new Error(nativeUnavailableReason(readNativeStatus()) ?? String((err as Error).message).split("\n")[0], {
      cause: err,
    });
  }
  return pkg;
}

/** "native TensorFlow 2.21.0 (tfjs-node 4.22.0, CPU)", read from the active binding. */
function describeNative(pkg: string): string {
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  const device = pkg.endsWith("gpu") ? "GPU" : "CPU";
  return `native TensorFlow ${binding?.TF_Version ?? "?"} (${pkg.replace("@tensorflow/", "")} ${packageVersion(pkg)}, ${device})`;
}

function loadWasm(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on demand: only when native is not taken
  require("@tensorflow/tfjs-backend-wasm");
  return `WebAssembly (tfjs-backend-wasm ${packageVersion("@tensorflow/tfjs-backend-wasm")}, SIMD, one thread)`;
}

async function activate(name: BackendName): Promise<string> {
  const nativePackage = name === "tensorflow" ? loadNative() : undefined;
  const wasmDescription = name === "wasm" ? loadWasm() : undefined;
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed to initialize`);
  await tf.ready();
  useOneHotGatherGradient(name === "wasm");
  // The plain JS backend greets its first use with advice to install tfjs-node; our own report
  // already says which backend runs and why, so mark it as used.
  if (name === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  if (nativePackage) return describeNative(nativePackage);
  return wasmDescription ?? `plain JavaScript (tfjs-backend-cpu ${packageVersion("@tensorflow/tfjs-backend-cpu")})`;
}

function requestedBackend(prefer?: BackendName): BackendName | undefined {
  const env = process.env.WORKBOOK_BACKEND as BackendName | undefined;
  const asked = prefer ?? (env || undefined);
  if (asked !== undefined && !BACKEND_ORDER.includes(asked)) {
    throw new Error(
      `Unknown backend "${asked}" (from ${prefer ? "initBackend's prefer" : "WORKBOOK_BACKEND"}): ` +
        `use one of ${BACKEND_ORDER.join(", ")}.`,
    );
  }
  return asked;
}

export interface InitBackendOptions {
  /** Take this backend, or throw if it cannot start (default: the fastest that works). */
  prefer?: BackendName;
  /** Do not print the choice (it is printed once per process otherwise). */
  quiet?: boolean;
}

/**
 * Activates the fastest backend that works (or the preferred one) and returns what was chosen.
 * Calling it again returns the same choice without printing; without `prefer` it switches back to
 * the automatic choice if another backend was preferred in between.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const asked = requestedBackend(options.prefer);
  // Without a preference, go back to the automatic choice (tests and benchmarks switch backends).
  const wanted = asked ?? automatic?.name;
  if (current && wanted === current.name) {
    if (tf.getBackend() !== current.name) await tf.setBackend(current.name);
    return current;
  }
  if (wanted !== undefined && !asked && automatic) {
    await activate(automatic.name);
    return (current = automatic);
  }
  const order = asked ? [asked] : BACKEND_ORDER;
  const notTaken: BackendChoice["notTaken"] = [];
  for (const name of order) {
    try {
      const description = await activate(name);
      const first = current === undefined;
      current = { name, description, notTaken };
      if (!asked) automatic = current;
      if (first && !options.quiet) console.log(describeBackend(current));
      return current;
    } catch (err) {
      notTaken.push({ name, reason: (err as Error).message });
    }
  }
  throw new Error(`No tfjs backend could start: ${notTaken.map((n) => `${n.name}: ${n.reason}`).join("; ")}`);
}

/** The choice as the learner reads it: the active backend, then why each faster one was skipped. */
export function describeBackend(choice: BackendChoice | undefined = current): string {
  if (!choice) return "backend: not chosen yet (call initBackend())";
  const lines = [`[workbook] backend: ${choice.name} - ${choice.description}`];
  for (const n of choice.notTaken) lines.push(`[workbook]   not ${n.name}: ${n.reason}`);
  return lines.join("\n");
}

/** The current choice, if initBackend() has run. */
export function backendChoice(): BackendChoice | undefined {
  return current;
}
