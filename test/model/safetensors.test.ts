import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readSafetensors, writeSafetensors } from "../../src/model/safetensors";

/** Builds a safetensors file by hand: header JSON, then the given raw bytes. */
function handMade(header: Record<string, unknown>, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe("safetensors", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-st-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads F32, F16 and BF16 as float32 and lists integer tensors as skipped", () => {
    const f16 = Buffer.alloc(6);
    [0x3c00, 0xc000, 0x3800].forEach((h, i) => f16.writeUInt16LE(h, 2 * i)); // 1, -2, 0.5
    const bf16 = Buffer.alloc(4);
    [0x3f80, 0x4040].forEach((h, i) => bf16.writeUInt16LE(h, 2 * i)); // 1, 3
    const f32 = Buffer.alloc(8);
    f32.writeFloatLE(1.5, 0);
    f32.writeFloatLE(-0.25, 4);
    const i64 = Buffer.alloc(8);
    const file = path.join(dir, "mixed.safetensors");
    fs.writeFileSync(
      file,
      handMade(
        {
          __metadata__: { format: "pt" },
          a: { dtype: "F16", shape: [3], data_offsets: [0, 6] },
          b: { dtype: "BF16", shape: [2], data_offsets: [6, 10] },
          c: { dtype: "F32", shape: [1, 2], data_offsets: [10, 18] },
          d: { dtype: "I64", shape: [1], data_offsets: [18, 26] },
        },
        Buffer.concat([f16, bf16, f32, i64]),
      ),
    );
    const { tensors, metadata, skipped } = readSafetensors(file);
    assert.deepEqual([...tensors.get("a")!.data], [1, -2, 0.5]);
    assert.deepEqual([...tensors.get("b")!.data], [1, 3]);
    assert.deepEqual(tensors.get("c")!.shape, [1, 2]);
    assert.deepEqual([...tensors.get("c")!.data], [1.5, -0.25]);
    assert.deepEqual(skipped, ["d"]);
    assert.deepEqual(metadata, { format: "pt" });
  });

  it("writes sorted names, an 8-byte aligned header, and reads back exactly", () => {
    const file = path.join(dir, "out.safetensors");
    const tensors = new Map([
      ["z", { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
      ["a", { shape: [3], data: Float32Array.from([0.1, -0, 1e-30]) }],
    ]);
    writeSafetensors(file, tensors);
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString());
    assert.deepEqual(Object.keys(header), ["__metadata__", "a", "z"]);
    assert.deepEqual(header.a.data_offsets, [0, 12]);
    const back = readSafetensors(file).tensors;
    assert.deepEqual([...back.get("z")!.data], [1, 2, 3, 4]);
    assert.deepEqual(back.get("a")!.data, tensors.get("a")!.data);
    assert.throws(
      () => writeSafetensors(file, new Map([["x", { shape: [2], data: new Float32Array(3) }]])),
      /"x" has shape \[2\] but 3 values/,
    );
  });

  it("refuses a truncated file or a header that lies about its sizes", () => {
    const short = path.join(dir, "short.safetensors");
    fs.writeFileSync(short, Buffer.from([1, 0]));
    assert.throws(
      () => readSafetensors(short),
      /not a valid safetensors file: it is shorter than its 8-byte header length/,
    );
    const lying = path.join(dir, "lying.safetensors");
    fs.writeFileSync(lying, handMade({ w: { dtype: "F32", shape: [4], data_offsets: [0, 8] } }, Buffer.alloc(8)));
    assert.throws(
      () => readSafetensors(lying),
      /tensor "w" \(F32 \[4\]\) has byte range 0,8 that does not match its shape/,
    );
    assert.throws(() => readSafetensors(path.join(dir, "none.safetensors")), /does not exist/);
  });

  it("says a file cut short is cut short, and how to get a whole one", () => {
    const whole = path.join(dir, "whole.safetensors");
    writeSafetensors(whole, new Map([["w", { shape: [64], data: new Float32Array(64).fill(1) }]]));
    const cut = path.join(dir, "cut.safetensors");
    const bytes = fs.readFileSync(whole);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    assert.throws(
      () => readSafetensors(cut),
      /cut\.safetensors is cut short: its header describes 256 bytes of tensors, but only 156 follow it\. Copy the file again, or rerun the run that wrote it\./,
    );
    fs.writeFileSync(cut, bytes.subarray(0, 20));
    assert.throws(() => readSafetensors(cut), /a file cut short inside its header: copy it again/);
  });
});
