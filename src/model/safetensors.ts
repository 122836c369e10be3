// Reading and writing the safetensors format (Hugging Face's model.safetensors).
//
// The format is simple: 8 bytes (little-endian u64) giving the length N of a JSON header, the
// header itself ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}), then
// the tensors' raw little-endian bytes back to back. Offsets are relative to the end of the header.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../util/atomic-write";

export interface NamedTensor {
  shape: number[];
  /** float32 values, row-major. (F16/BF16/F64 files are converted on reading.) */
  data: Float32Array;
}

const BYTES_PER_ELEMENT: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1, BOOL: 1 };

/** IEEE half precision to float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function toFloat32(dtype: string, bytes: Buffer, count: number, where: string): Float32Array {
  const out = new Float32Array(count);
  switch (dtype) {
    case "F32":
      for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(4 * i);
      return out;
    case "F64":
      for (let i = 0; i < count; i++) out[i] = bytes.readDoubleLE(8 * i);
      return out;
    case "F16":
      for (let i = 0; i < count; i++) out[i] = halfToFloat(bytes.readUInt16LE(2 * i));
      return out;
    case "BF16": {
      // bfloat16 is the top half of a float32.
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = bytes.readUInt16LE(2 * i) << 16;
      return out;
    }
    default:
      throw new Error(`${where}: dtype ${dtype} is not a floating-point type this loader reads (F32, F16, BF16, F64).`);
  }
}

/**
 * Reads every floating-point tensor of a .safetensors file. Integer tensors (such as the causal
 * mask buffers old GPT-2 checkpoints carry) are listed in `skipped`.
 */
export function readSafetensors(file: string): {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
  skipped: string[];
} {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist.`);
  const buf = fs.readFileSync(file);
  const fail = (why: string): never => {
    throw new Error(`${file} is not a valid safetensors file: ${why}.`);
  };
  if (buf.length < 8) fail("it is shorter than its 8-byte header length");
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (headerLength <= 0 || 8 + headerLength > buf.length)
    fail(
      `its header length ${headerLength} does not fit in ${buf.length} bytes (a file cut short inside its header: copy it again, or rerun the run that wrote it)`,
    );
  let header: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLength).toString("utf8"));
  } catch (err) {
    return fail(`its JSON header does not parse (${(err as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  // A copy or a download that stopped early leaves a whole header and too few bytes after it.
  const dataEnd = Math.max(
    0,
    ...Object.entries(header)
      .filter(([name]) => name !== "__metadata__")
      .map(([, entry]) => Number((entry as { data_offsets?: [number, number] }).data_offsets?.[1] ?? 0)),
  );
  if (dataStart + dataEnd > buf.length)
    throw new Error(
      `${file} is cut short: its header describes ${dataEnd.toLocaleString("en-US")} bytes of tensors, but only ` +
        `${(buf.length - dataStart).toLocaleString("en-US")} follow it. Copy the file again, or rerun the run that wrote it.`,
    );
  const tensors = new Map<string, NamedTensor>();
  const skipped: string[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const count = shape.reduce((a, b) => a * b, 1);
    const size = BYTES_PER_ELEMENT[dtype];
    if (size === undefined) fail(`tensor "${name}" has unknown dtype ${dtype}`);
    if (offsets[1] - offsets[0] !== count * size || dataStart + offsets[1] > buf.length) {
      fail(
        `tensor "${name}" (${dtype} ${JSON.stringify(shape)}) has byte range ${offsets} that does not match its shape`,
      );
    }
    if (!["F32", "F16", "BF16", "F64"].includes(dtype)) {
      skipped.push(name);
      continue;
    }
    tensors.set(name, {
      shape,
      data: toFloat32(dtype, buf.subarray(dataStart + offsets[0], dataStart + offsets[1]), count, `${file}: "${name}"`),
    });
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {}, skipped };
}

/** Writes float32 tensors as a .safetensors file (names sorted, header padded to 8 bytes), atomically. */
export function writeSafetensors(
  file: string,
  tensors: Map<string, NamedTensor>,
  metadata: Record<string, string> = { format: "pt" },
): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/** The bytes of a .safetensors file holding these float32 tensors. */
export function encodeSafetensors(
  tensors: Map<string, NamedTensor>,
  metadata: Record<string, string> = { format: "pt" },
): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`writeSafetensors: "${name}" has shape ${JSON.stringify(t.shape)} but ${t.data.length} values.`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, pos); // x86 and ARM are little-endian
    pos += data.byteLength;
  }
  return out;
}
