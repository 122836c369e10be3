// Held-out quality that compares language models with different tokenizers: bits per character.
//
// Perplexity is per token, and a token of a 4096-word vocabulary covers less text than one of an
// 8192-word vocabulary, so two models' perplexities do not compare. The total information a model
// needs to encode the same documents does: sum the negative log-likelihood of every token of the
// held-out text (in bits) and divide by the number of characters of that text.
//
//   const { bitsPerCharacter } = bitsPerCharacter(model, tokenizer, corpus.validation);
//
// The documents are tokenized and joined as in pre-training (each followed by end-of-text) and cut
// into windows of the model's context that overlap by one token, so that every token but the very
// first is predicted exactly once, with the context its window gives it (a longer window sees more).
// The end-of-text tokens are predicted too (where a document ends is part of the text); characters
// are Unicode code points of the documents.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../model/gpt";
import { evaluationLoss } from "./gradients";
import { tokenStream } from "./token-stream";

export interface BitsPerCharacter {
  bitsPerCharacter: number;
  /** Code points of the documents. */
  characters: number;
  /** Tokens predicted (all but the first of the stream). */
  tokens: number;
  /** Mean loss per predicted token, in nats (the per-token figure, for this tokenizer only). */
  lossPerToken: number;
}

export function bitsPerCharacter(
  model: GPT,
  tokenizer: { encode(text: string): number[]; eosTokenId?: number },
  documents: readonly string[],
  options: { batchSize?: number } = {},
): BitsPerCharacter {
  const batchSize = options.batchSize ?? 16;
  if (documents.length === 0) throw new Error("bitsPerCharacter: no documents to measure.");
  const stream = tokenStream(documents, tokenizer);
  const T = model.config.blockSize;
  if (stream.length < 2) throw new Error("bitsPerCharacter: the documents make fewer than two tokens.");

  // Window starts every T - 1 tokens: window k predicts tokens k(T-1)+1 .. k(T-1)+T-1.
  const full: Int32Array[] = [];
  let start = 0;
  for (; start + T <= stream.length; start += T - 1) full.push(stream.subarray(start, start + T));
  // The tail: its first token was the last one predicted above (or is the stream's first), so it is context.
  const rest = stream.subarray(start);

  let nats = 0;
  const run = (windows: Int32Array[]) => {
    const L = windows[0].length;
    const data = new Int32Array(windows.length * L);
    windows.forEach((w, i) => data.set(w, i * L));
    const ids = tf.tensor2d(data, [windows.length, L], "int32");
    const mask = tf.ones([windows.length, L]) as tf.Tensor2D;
    // evaluationLoss is the mean over the windows' L - 1 predicted tokens each.
    nats += evaluationLoss(model, ids, mask) * windows.length * (L - 1);
    tf.dispose([ids, mask]);
  };
  for (let i = 0; i < full.length; i += batchSize) run(full.slice(i, i + batchSize));
  if (rest.length >= 2) run([rest]);

  const tokens = stream.length - 1;
  const characters = documents.reduce((n, d) => n + [...d].length, 0);
  return { bitsPerCharacter: nats / Math.LN2 / characters, characters, tokens, lossPerToken: nats / tokens };
}
