// Text generation: greedy or sampled decoding with a key/value cache.
//
// Each step feeds only the newest token and reuses the keys and values of the earlier ones
// (model/decoder.ts: the prompt through GPT.prefill, then one recorded step per token),
// so a step costs O(T) instead of re-running the whole sequence. With
// useCache: false every step re-runs the full sequence: slower, same tokens (the tests check it).
import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "../runtime/random";
import { Decoder } from "./decoder";
import type { GPT } from "./gpt";

/** What generation needs from a tokenizer (BPETokenizer has all of it). */
export interface TextCodec {
  encode(text: string): number[];
  decode(ids: number[]): string;
  eosTokenId?: number;
}

export interface GenerateOptions {
  /** Most tokens to add (default 32). */
  maxNewTokens?: number;
  /** 0 (default) picks the most likely token each step (greedy); above 0 samples, higher = more random. */
  temperature?: number;
  /** Sample only among the k most likely tokens (0 = no limit). */
  topK?: number;
  /** Sample only among the most likely tokens whose probabilities add up to p (1 = no limit). */
  topP?: number;
  /** Seed for sampling: the same seed gives the same text. */
  seed?: number | string;
  /** Stop when one of these tokens is produced (default: the tokenizer's end-of-sequence token). */
  stopTokenIds?: number[];
  /** Stop when the generated text contains one of these; the text is cut before it. */
  stopStrings?: string[];
  /** Reuse keys and values across steps (default true). */
  useCache?: boolean;
}

export interface Generation {
  /** The new tokens (the stop token, if any, excluded). */
  ids: number[];
  /** Their text (cut before a stop string). */
  text: string;
  stoppedBy: "eos" | "stop-string" | "max-tokens" | "context-window";
  promptTokens: number;
}

/**
 * The k largest logits' indices, largest first, ties in index order: exactly the first k of a
 * stable sort by logit, without sorting all V of them (a sampled step of an 8192-token vocabulary
 * would otherwise sort 8192 numbers per row).
 */
function topKIndices(logits: Float32Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    // A later index with a logit equal to the k-th one comes after it in a stable sort: leave it out.
    if (top.length === k && !(x > logits[top[k - 1]])) continue;
    let j = top.length === k ? k - 1 : top.length;
    while (j > 0 && logits[top[j - 1]] < x) j--;
    top.splice(j, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}

/** Picks the next token from one row of logits (V), greedy or sampled. */
export function pickToken(logits: Float32Array, options: GenerateOptions, rng: SeededRandom): number {
  const temperature = options.temperature ?? 0;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i; // first maximum, as torch.argmax
    return best;
  }
  // Candidates sorted by logit, cut by top-k, then softmax with temperature, then cut by top-p.
  let order =
    options.topK && options.topK > 0 && options.topK < logits.length
      ? topKIndices(logits, options.topK)
      : Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  const max = logits[order[0]];
  const weights = order.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let probs = weights.map((w) => w / total);
  const topP = options.topP ?? 1;
  if (topP < 1) {
    let cumulative = 0;
    let keep = 0;
    while (keep < probs.length && cumulative < topP) cumulative += probs[keep++];
    order = order.slice(0, keep);
    const kept = probs.slice(0, keep);
    const sum = kept.reduce((a, b) => a + b, 0);
    probs = kept.map((p) => p / sum);
  }
  let u = rng.next();
  for (let i = 0; i < order.length; i++) {
    u -= probs[i];
    if (u < 0) return order[i];
  }
  return order[order.length - 1];
}

function validate(options: GenerateOptions): void {
  const { maxNewTokens = 32, temperature = 0, topK = 0, topP = 1 } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0)
    throw new Error(`generate: maxNewTokens must be a whole number >= 0, got ${maxNewTokens}.`);
  if (!(temperature >= 0)) throw new Error(`generate: temperature must be >= 0 (0 = greedy), got ${temperature}.`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`generate: topK must be a whole number >= 0, got ${topK}.`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`generate: topP must be in (0, 1], got ${topP}.`);
}

/**
 * Continues `prompt` (text, or token ids) with up to maxNewTokens tokens.
 * A prompt longer than the context window is an error; generation stops when the window is full.
 */
export function generate(
  model: GPT,
  codec: TextCodec,
  prompt: string | number[],
  options: GenerateOptions = {},
): Generation {
  validate(options);
  const promptIds = typeof prompt === "string" ? codec.encode(prompt) : prompt.slice();
  const window = model.config.blockSize;
  if (promptIds.length === 0) throw new Error("generate: the prompt is empty; give at least one token.");
  if (promptIds.length > window) {
    throw new Error(
      `generate: the prompt has ${promptIds.length} tokens but the model's context window is ${window}; shorten the prompt (fewer examples or a shorter text).`,
    );
  }
  const maxNew = options.maxNewTokens ?? 32;
  const stopIds = new Set(options.stopTokenIds ?? (codec.eosTokenId !== undefined ? [codec.eosTokenId] : []));
  const rng = new SeededRandom(options.seed ?? 0);
  const useCache = options.useCache ?? true;
  const out: number[] = [];
  let stoppedBy: Generation["stoppedBy"] = "max-tokens";
  // With the cache: the prompt once, then one recorded step per token (model/decoder.ts).
  const decoder = useCache ? Decoder.forGeneration(model, promptIds.length, maxNew) : undefined;
  try {
    while (out.length < maxNew) {
      if (promptIds.length + out.length > window) {
        stoppedBy = "context-window";
        break;
      }
      const last = tf.tidy(() => {
        if (decoder)
          return out.length === 0
            ? decoder.prefill([promptIds])
            : decoder.step([out[out.length - 1]], [promptIds.length + out.length - 1]); // (1, V)
        const all = [...promptIds, ...out];
        const logits = model.forward(tf.tensor2d([all], [1, all.length], "int32"));
        const T = logits.shape[1];
        return logits.slice([0, T - 1, 0], [1, 1, -1]); // (1, 1, V): the last position
      });
      // Read outside tf.tidy: tidy walks whatever its function returns, element by element for an array.
      const row = last.dataSync() as Float32Array; // (V)
      last.dispose();
      const next = pickToken(row, options, rng);
      if (stopIds.has(next)) {
        stoppedBy = "eos";
        break;
      }
      out.push(next);
      if (options.stopStrings?.length) {
        const text = codec.decode(out);
        if (options.stopStrings.some((s) => text.includes(s))) {
          stoppedBy = "stop-string";
          break;
        }
      }
    }
  } finally {
    decoder?.dispose();
  }
  let text = codec.decode(out);
  if (stoppedBy === "stop-string") {
    const cut = Math.min(...options.stopStrings!.map((s) => text.indexOf(s)).filter((i) => i >= 0));
    text = text.slice(0, cut);
  }
  return { ids: out, text, stoppedBy, promptTokens: promptIds.length };
}
