// Generation for many prompts at once, greedy or sampled: how the workbook evaluates quickly.
//
// Classification answers are a token or two (" positive", then the end-of-text token), so evaluating
// a test split means many short generations. One at a time, each costs a few forward passes of a
// single row. Here the prompts run together: rows are right-padded to the longest and run through
// the model once, then each step feeds every row's newest token at that row's own position, with a
// key/value cache (model/decoder.ts). Right padding is safe with causal attention: a real token never
// attends to the pads after it, so every row gets exactly the tokens generate() would give it alone
// (the tests compare).
//
// Greedy (temperature 0, the default) takes the argmax on the tensor side and reads B ids a step.
// Sampled (temperature > 0, with topK / topP) reads the (B, V) logits once a step and picks each row's
// token with pickToken (model/generate.ts) and that row's own SeededRandom: seeds[i] if given, else
// `${seed}:${i}` (seed defaults to 0). So a row's text depends only on its prompt, its seed and the
// options, not on the batch size or the other prompts, and generate(prompt, { ...options, seed: rowSeed })
// gives the same tokens (the tests compare).
//
//   const outs = generateBatch(model, tokenizer, prompts, { maxNewTokens: 3 });
//   // [{ ids: [1432], text: " positive", stoppedBy: "eos", promptTokens: 17 }, ...]
//   const reviews = generateBatch(model, tokenizer, Array(50).fill("Write a positive review."), {
//     maxNewTokens: 60, temperature: 0.8, topP: 0.95, seed: 1, // row i samples with seed "1:i"
//   });
import * as tf from "@tensorflow/tfjs";
import { throwIfInterruptedSince } from "../runtime/interrupt";
import { SeededRandom } from "../runtime/random";
import { Decoder } from "./decoder";
import type { GPT } from "./gpt";
import { pickToken, type Generation, type TextCodec } from "./generate";

export interface BatchGenerateOptions {
  /** Most tokens to add to each prompt (default 8). */
  maxNewTokens?: number;
  /** Prompts per forward pass (default 32). It changes the speed, never the tokens. */
  batchSize?: number;
  /** 0 (default) picks each row's most likely token (greedy); above 0 samples, higher = more random. */
  temperature?: number;
  /** Sample only among the k most likely tokens (0 = no limit, the default). */
  topK?: number;
  /** Sample only among the most likely tokens whose probabilities add up to p (1 = no limit, the default). */
  topP?: number;
  /** Seed for sampling (default 0): row i samples with seed `${seed}:${i}`, i its index in `prompts`. */
  seed?: number | string;
  /** One seed per prompt (overrides `seed`): row i samples with seeds[i], as generate() with seed seeds[i]. */
  seeds?: readonly (number | string)[];
  /** Stop a row when it produces one of these (default: the tokenizer's end-of-sequence token). */
  stopTokenIds?: number[];
  /** Stop a row when its text contains one of these; its text is cut before it. */
  stopStrings?: string[];
}

function validate(options: BatchGenerateOptions, prompts: number): void {
  const { maxNewTokens = 8, batchSize = 32, temperature = 0, topK = 0, topP = 1, seed = 0, seeds } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1)
    throw new Error(`generateBatch: maxNewTokens must be a positive integer, got ${maxNewTokens}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`generateBatch: batchSize must be a positive integer, got ${batchSize}.`);
  if (!(temperature >= 0)) throw new Error(`generateBatch: temperature must be >= 0 (0 = greedy), got ${temperature}.`);
  if (!Number.isInteger(topK) || topK < 0)
    throw new Error(`generateBatch: topK must be a whole number >= 0 (0 = no limit), got ${topK}.`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`generateBatch: topP must be in (0, 1], got ${topP}.`);
  const seedOk = (s: unknown) => typeof s === "string" || (typeof s === "number" && Number.isFinite(s));
  if (!seedOk(seed)) throw new Error(`generateBatch: seed must be a finite number or a string, got ${String(seed)}.`);
  if (seeds !== undefined) {
    if (!Array.isArray(seeds) || seeds.length !== prompts)
      throw new Error(
        `generateBatch: seeds must have one seed per prompt: ${Array.isArray(seeds) ? seeds.length : "no array of"} seeds for ${prompts} prompts.`,
      );
    const bad = seeds.findIndex((s) => !seedOk(s));
    if (bad >= 0)
      throw new Error(`generateBatch: seeds[${bad}] must be a finite number or a string, got ${String(seeds[bad])}.`);
  }
}

/** What every chunk's decoding reads, fixed for the whole call. */
interface BatchSettings {
  /** Most new tokens per row. */
  maxNew: number;
  /** The model's context window (blockSize). */
  window: number;
  /** Whether rows sample (temperature > 0) or take the argmax. */
  sampled: boolean;
  /** pickToken's options when sampling. */
  pick: { temperature?: number; topK?: number; topP?: number };
  /** Tokens that end a row (not added to it). */
  stopIds: Set<number>;
  /** Strings that end a row once its text contains one. */
  stopStrings?: string[];
}

/** One prompt being continued in a chunk: its tokens so far (prompt + new), and its sampler. */
interface Row {
  /** The prompt's index in `prompts` (its result's index). */
  index: number;
  ids: number[];
  done: boolean;
  /** The row's own random numbers when sampling; undefined when greedy. */
  rng: SeededRandom | undefined;
}

/** Each prompt's token ids (text encoded, ids copied); throws on an empty prompt or one longer than the window. */
function encodePrompts(codec: TextCodec, prompts: readonly (string | number[])[], window: number): number[][] {
  return prompts.map((p, i) => {
    const ids = typeof p === "string" ? codec.encode(p) : p.slice();
    if (ids.length === 0) throw new Error(`generateBatch: prompt ${i} is empty; give at least one token.`);
    if (ids.length > window) {
      throw new Error(
        `generateBatch: prompt ${i} has ${ids.length} tokens but the model's context window is ${window}; shorten it (fewer examples or a shorter text).`,
      );
    }
    return ids;
  });
}

/** The rows of the chunk of prompts starting at `start`, each with its own seeded sampler when sampling. */
function chunkRows(
  encoded: number[][],
  start: number,
  batchSize: number,
  sampled: boolean,
  options: BatchGenerateOptions,
): Row[] {
  return encoded.slice(start, start + batchSize).map((ids, r) => {
    const index = start + r;
    // Seeded by the prompt's index, not its place in the chunk: the batch size cannot change it.
    const rng = sampled ? new SeededRandom(options.seeds?.[index] ?? `${options.seed ?? 0}:${index}`) : undefined;
    return { index, ids: ids.slice(), done: false, rng };
  });
}

/**
 * Runs the model for decoding step `step` (the prefill at 0, then one token per row) and returns how to
 * pick row b's next token: sampled from the row's logits with its own rng, or the argmax.
 */
function nextTokenPicker(decoder: Decoder, rows: Row[], step: number, s: BatchSettings): (b: number) => number {
  // Each row feeds its newest token at its own position; a finished row repeats its last one.
  const forward = () =>
    step === 0
      ? decoder.prefill(rows.map((r) => r.ids))
      : decoder.step(
          rows.map((r) => r.ids[r.ids.length - 1]),
          rows.map((r) => Math.min(r.ids.length, decoder.capacity) - 1),
        ); // (B, V)
  if (s.sampled) {
    // Read outside tf.tidy: tidy walks a returned typed array element by element.
    const t = tf.tidy(forward);
    const V = t.shape[1]!;
    const logits = t.dataSync() as Float32Array; // (B * V)
    t.dispose();
    return (b) => pickToken(logits.subarray(b * V, (b + 1) * V), s.pick, rows[b].rng!);
  }
  const ids = tf.tidy(() => tf.argMax(forward(), -1).dataSync()); // (B)
  return (b) => ids[b];
}

/** Adds `token` to an unfinished row and its result, or ends the row on a stop token or stop string. */
function acceptToken(row: Row, token: number, result: Generation, codec: TextCodec, s: BatchSettings): void {
  if (s.stopIds.has(token)) {
    row.done = true;
    result.stoppedBy = "eos";
    return;
  }
  row.ids.push(token);
  result.ids.push(token);
  if (s.stopStrings?.length) {
    const text = codec.decode(result.ids);
    if (s.stopStrings.some((str) => text.includes(str))) {
      row.done = true;
      result.stoppedBy = "stop-string";
    }
  }
}

/** Decodes one chunk of rows to the end, writing each row's new tokens and stop reason into `results`. */
function generateChunk(model: GPT, codec: TextCodec, rows: Row[], results: Generation[], s: BatchSettings): void {
  // Every row stays in the batch until the chunk ends (a finished row's steps are ignored): the
  // batch keeps one shape, so one recorded decoding step serves the whole chunk.
  const longest = Math.max(...rows.map((r) => r.ids.length));
  const decoder = Decoder.forGeneration(model, longest, s.maxNew);
  try {
    for (let step = 0; step < s.maxNew; step++) {
      for (const r of rows) {
        if (!r.done && r.ids.length > s.window) {
          r.done = true;
          results[r.index].stoppedBy = "context-window";
        }
      }
      if (rows.every((r) => r.done)) break;
      const pickRow = nextTokenPicker(decoder, rows, step, s);
      rows.forEach((r, b) => {
        if (r.done) return; // a finished row draws no random number, as generate() stops drawing
        acceptToken(r, pickRow(b), results[r.index], codec, s);
      });
    }
  } finally {
    decoder.dispose();
  }
}

/** Sets every result's text: its new tokens decoded, cut before the first stop string it stopped on. */
function setTexts(results: Generation[], codec: TextCodec, stopStrings: string[] | undefined): void {
  for (const result of results) {
    let text = codec.decode(result.ids);
    if (result.stoppedBy === "stop-string")
      text = text.slice(0, Math.min(...stopStrings!.map((s) => text.indexOf(s)).filter((i) => i >= 0)));
    result.text = text;
  }
}

/**
 * Continues every prompt (text, or token ids) with up to maxNewTokens tokens, `batchSize` rows per
 * forward pass: logits (B, V) a step, B <= batchSize. Greedy by default (the same tokens as generate()
 * with temperature 0); with temperature > 0 row i samples with its own SeededRandom, seeded by
 * seeds[i] or else `${seed ?? 0}:${i}`, and gets the tokens generate(prompts[i], { ...options,
 * seed: thatSeed }) gives. Returns one Generation per prompt, in order.
 */
export function generateBatch(
  model: GPT,
  codec: TextCodec,
  prompts: readonly (string | number[])[],
  options: BatchGenerateOptions = {},
): Generation[] {
  validate(options, prompts.length);
  const batchSize = options.batchSize ?? 32;
  const settings: BatchSettings = {
    maxNew: options.maxNewTokens ?? 8,
    window: model.config.blockSize,
    sampled: (options.temperature ?? 0) > 0,
    pick: { temperature: options.temperature, topK: options.topK, topP: options.topP },
    stopIds: new Set(options.stopTokenIds ?? (codec.eosTokenId !== undefined ? [codec.eosTokenId] : [])),
    stopStrings: options.stopStrings,
  };
  const encoded = encodePrompts(codec, prompts, settings.window);
  const results: Generation[] = encoded.map((ids) => ({
    ids: [],
    text: "",
    stoppedBy: "max-tokens",
    promptTokens: ids.length,
  }));
  const began = Date.now();
  for (let start = 0; start < encoded.length; start += batchSize) {
    // Kernel -> Interrupt reaches a synchronous loop only through the launcher's file (runtime/interrupt.ts).
    throwIfInterruptedSince(began, () => `generation stopped after ${start} of ${encoded.length} prompts`);
    const rows = chunkRows(encoded, start, batchSize, settings.sampled, options);
    generateChunk(model, codec, rows, results, settings);
  }
  setTexts(results, codec, options.stopStrings);
  return results;
}
