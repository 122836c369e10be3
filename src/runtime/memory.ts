// What the process holds: tfjs tensors (count and bytes) and the Node process's own memory.
import * as tf from "@tensorflow/tfjs";

export interface MemoryReport {
  /** Live tfjs tensors (tf.memory().numTensors). */
  tensors: number;
  /** Bytes held by live tensors, as tfjs counts them. */
  tensorBytes: number;
  /** Resident set size of the whole process (includes native TensorFlow's buffers). */
  rssBytes: number;
  /** V8 heap in use (JavaScript objects). */
  heapUsedBytes: number;
  /** Memory outside the V8 heap held by JavaScript objects (ArrayBuffers, wasm memory). */
  externalBytes: number;
  backend: string;
}

export function memoryReport(): MemoryReport {
  const m = tf.memory();
  const p = process.memoryUsage();
  return {
    tensors: m.numTensors,
    tensorBytes: m.numBytes,
    rssBytes: p.rss,
    heapUsedBytes: p.heapUsed,
    externalBytes: p.external,
    backend: tf.getBackend(),
  };
}

/** 1536 -> "1.5 KiB"; binary units, as memory is counted. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1);
  return `${bytes < 0 ? "-" : ""}${s} ${units[u]}`;
}

/** The report as aligned lines, for a terminal or a notebook's text output. */
export function formatMemoryReport(r: MemoryReport = memoryReport()): string {
  return [
    `backend          ${r.backend}`,
    `tensors          ${r.tensors} (${formatBytes(r.tensorBytes)})`,
    `process RSS      ${formatBytes(r.rssBytes)}`,
    `V8 heap used     ${formatBytes(r.heapUsedBytes)}`,
    `external         ${formatBytes(r.externalBytes)}`,
  ].join("\n");
}
