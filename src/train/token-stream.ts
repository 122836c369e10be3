// Text as one long stream of token ids, and seeded random windows of it: the batches of
// self-supervised pre-training (every position predicts the next token; no labels needed).
import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "../runtime/random";

/** Tokenizes documents and joins them, each followed by the end-of-text token. */
export function tokenStream(
  documents: readonly string[],
  tokenizer: { encode(text: string): number[]; eosTokenId?: number },
): Int32Array {
  const eos = tokenizer.eosTokenId;
  if (eos === undefined) throw new Error("tokenStream: the tokenizer has no end-of-text token to separate documents.");
  const parts: number[][] = [];
  let total = 0;
  for (const d of documents) {
    const ids = tokenizer.encode(d);
    ids.push(eos);
    parts.push(ids);
    total += ids.length;
  }
  const out = new Int32Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * A batch of `batchSize` windows of `length` tokens at random offsets. The offsets depend only on
 * (seed, step), so a resumed run sees exactly the batches an uninterrupted one would.
 * Returns ids (B, length) int32 and a loss mask of ones (every position is supervised).
 */
export function randomWindows(
  stream: Int32Array,
  batchSize: number,
  length: number,
  seed: number | string,
  step: number,
): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  if (stream.length <= length)
    throw new Error(`randomWindows: the token stream has ${stream.length} tokens, fewer than one window of ${length}.`);
  const rng = new SeededRandom(seed).fork(`batch/${step}`);
  const data = new Int32Array(batchSize * length);
  for (let b = 0; b < batchSize; b++) {
    const offset = rng.int(stream.length - length);
    data.set(stream.subarray(offset, offset + length), b * length);
  }
  return {
    ids: tf.tensor2d(data, [batchSize, length], "int32"),
    mask: tf.ones([batchSize, length]) as tf.Tensor2D,
  };
}

/** Consecutive non-overlapping windows from the start of the stream: a fixed validation set. */
export function fixedWindows(stream: Int32Array, count: number, length: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let i = 0; i < count && (i + 1) * length <= stream.length; i++)
    out.push(stream.slice(i * length, (i + 1) * length));
  if (out.length === 0)
    throw new Error(
      `fixedWindows: the validation stream has ${stream.length} tokens, fewer than one window of ${length}.`,
    );
  return out;
}
