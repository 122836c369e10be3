import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { formatBytes, formatMemoryReport, initBackend } from "../../src/index";
import { memoryReport } from "../../src/runtime/memory";

describe("memory report", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("counts live tensors and their bytes", () => {
    const before = memoryReport();
    const t = tf.zeros([256, 256]); // 256*256*4 bytes
    const during = memoryReport();
    t.dispose();
    const after = memoryReport();
    assert.equal(during.tensors - before.tensors, 1);
    assert.equal(during.tensorBytes - before.tensorBytes, 256 * 256 * 4);
    assert.equal(after.tensors, before.tensors);
    assert.ok(during.rssBytes > 0 && during.heapUsedBytes > 0);
  });

  it("formats bytes in binary units", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.50 KiB");
    assert.equal(formatBytes(124 * 1024 * 1024), "124.0 MiB");
    assert.equal(formatBytes(-2048), "-2.00 KiB");
  });

  it("prints the backend and tensor count", () => {
    const text = formatMemoryReport();
    assert.match(text, /^backend +\w+/);
    assert.match(text, /tensors +\d+ \(/);
  });
});
