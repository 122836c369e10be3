// Greedy generation for many prompts at once: how the workbook evaluates short answers quickly.
//
// Classification answers are a token or two (" positive", then the end-of-text token), so evaluating
// a test split means many short generations. One at a time, each costs a few forward passes of a
// single row. Here the prompts run together: rows are right-padded to the longest, each step runs the
// batch once, and row i reads its next token at its own last position. Right padding is safe with
// causal attention: a real token never attends to the pads after it, so every row gets exactly the
// tokens generate() would give it alone (the tests compare).
//
//   const outs = generateBatch(model, tokenizer, prompts, { maxNewTokens: 3 });
//   // [{ ids: [1432], text: " positive", stoppedBy: "eos", promptTokens: 17 }, ...]
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "./gpt";
import type { Generation, TextCodec } from "./generate";

export interface BatchGenerateOptions {
  /** Most tokens to add to each prompt (default 8). */
  maxNewTokens?: number;
  /** Prompts per forward pass (default 32). */
  batchSize?: number;
  /** Stop a row when it produces one of these (default: the tokenizer's end-of-sequence token). */
  stopTokenIds?: number[];
  /** Stop a row when its text contains one of these; its text is cut before it. */
  stopStrings?: string[];
}

/** Greedy continuations of every prompt; the same tokens as generate() with temperature 0. */
export function generateBatch(
  model: GPT,
  codec: TextCodec,
  prompts: readonly (string | number[])[],
  options: BatchGenerateOptions = {},
): Generation[] {
  const maxNew = options.maxNewTokens ?? 8;
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(maxNew) || maxNew < 1)
    throw new Error(`generateBatch: maxNewTokens must be a positive integer, got ${maxNew}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`generateBatch: batchSize must be a positive integer, got ${batchSize}.`);
  const window = model.config.blockSize;
  const stopIds = new Set(options.stopTokenIds ?? (codec.eosTokenId !== undefined ? [codec.eosTokenId] : []));
  const encoded = prompts.map((p, i) => {
    const ids = typeof p === "string" ? codec.encode(p) : p.slice();
    if (ids.length === 0) throw new Error(`generateBatch: prompt ${i} is empty; give at least one token.`);
    if (ids.length > window) {
      throw new Error(
        `generateBatch: prompt ${i} has ${ids.length} tokens but the model's context window is ${window}; shorten it (fewer examples or a shorter text).`,
      );
    }
    return ids;
  });
  const results: Generation[] = encoded.map((ids) => ({
    ids: [],
    text: "",
    stoppedBy: "max-tokens",
    promptTokens: ids.length,
  }));

  for (let start = 0; start < encoded.length; start += batchSize) {
    const rows = encoded
      .slice(start, start + batchSize)
      .map((ids, r) => ({ index: start + r, ids: ids.slice(), done: false }));
    for (let step = 0; step < maxNew; step++) {
      const active = rows.filter((r) => !r.done);
      if (active.length === 0) break;
      for (const r of active) {
        if (r.ids.length > window) {
          r.done = true;
          results[r.index].stoppedBy = "context-window";
        }
      }
      const live = active.filter((r) => !r.done);
      if (live.length === 0) break;
      const T = Math.max(...live.map((r) => r.ids.length));
      const V = model.config.vocabSize;
      const next = tf.tidy(() => {
        const ids = tf.tensor2d(
          live.map((r) => [...r.ids, ...new Array(T - r.ids.length).fill(0)]),
          [live.length, T],
          "int32",
        );
        const logits = tf.reshape(model.forward(ids), [live.length * T, V]); // (B*T, V)
        const last = tf.tensor1d(
          live.map((r, b) => b * T + r.ids.length - 1),
          "int32",
        ); // each row's last real position
        return tf.argMax(tf.gather(logits, last), -1).dataSync(); // (B)
      });
      live.forEach((r, b) => {
        const token = next[b];
        const result = results[r.index];
        if (stopIds.has(token)) {
          r.done = true;
          result.stoppedBy = "eos";
          return;
        }
        r.ids.push(token);
        result.ids.push(token);
        if (options.stopStrings?.length) {
          const text = codec.decode(result.ids);
          if (options.stopStrings.some((s) => text.includes(s))) {
            r.done = true;
            result.stoppedBy = "stop-string";
          }
        }
      });
    }
  }
  for (const result of results) {
    let text = codec.decode(result.ids);
    if (result.stoppedBy === "stop-string")
      text = text.slice(0, Math.min(...options.stopStrings!.map((s) => text.indexOf(s)).filter((i) => i >= 0)));
    result.text = text;
  }
  return results;
}
