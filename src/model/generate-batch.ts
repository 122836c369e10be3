// Greedy generation for many prompts at once: how the workbook evaluates short answers quickly.
//
// Classification answers are a token or two (" positive", then the end-of-text token), so evaluating
// a test split means many short generations. One at a time, each costs a few forward passes of a
// single row. Here the prompts run together: rows are right-padded to the longest and run through
// the model once, then each step feeds every row's newest token at that row's own position, with a
// key/value cache (model/decoder.ts). Right padding is safe with causal attention: a real token never
// attends to the pads after it, so every row gets exactly the tokens generate() would give it alone
// (the tests compare).
//
//   const outs = generateBatch(model, tokenizer, prompts, { maxNewTokens: 3 });
//   // [{ ids: [1432], text: " positive", stoppedBy: "eos", promptTokens: 17 }, ...]
import * as tf from "@tensorflow/tfjs";
import { Decoder } from "./decoder";
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
    // Every row stays in the batch until the chunk ends (a finished row's steps are ignored): the
    // batch keeps one shape, so one recorded decoding step serves the whole chunk.
    const longest = Math.max(...rows.map((r) => r.ids.length));
    const decoder = Decoder.forGeneration(model, longest, maxNew);
    try {
      for (let step = 0; step < maxNew; step++) {
        for (const r of rows) {
          if (!r.done && r.ids.length > window) {
            r.done = true;
            results[r.index].stoppedBy = "context-window";
          }
        }
        if (rows.every((r) => r.done)) break;
        const next = tf.tidy(() => {
          // Each row feeds its newest token at its own position; a finished row repeats its last one.
          const logits =
            step === 0
              ? decoder.prefill(rows.map((r) => r.ids))
              : decoder.step(
                  rows.map((r) => r.ids[r.ids.length - 1]),
                  rows.map((r) => Math.min(r.ids.length, decoder.capacity) - 1),
                );
          return tf.argMax(logits, -1).dataSync(); // (B)
        });
        rows.forEach((r, b) => {
          if (r.done) return;
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
    } finally {
      decoder.dispose();
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
