// What a language model outputs: after a prompt, a probability for every token of its vocabulary.
//
//   const d = nextTokenDistribution(model, tokenizer, "Classify this review: ...\nSentiment:", { target: " positive" });
//   d.top              // the 10 most probable next tokens, most probable first
//   d.target           // the right answer's first token: its probability, rank, and -ln p (the cross-entropy)
//
// Training compares this distribution with a one-hot target (probability 1 on the right token, 0 on
// every other); the cross-entropy between them is -ln p(right token), the loss of this position.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "./gpt";
import type { TextCodec } from "./generate";

export interface TokenProbability {
  /** The token's text (a leading space is part of it: " positive"). */
  token: string;
  id: number;
  probability: number;
}

export interface NextTokenDistribution {
  prompt: string;
  /** Tokens of the prompt (the distribution is the prediction at the last one). */
  promptTokens: number;
  /** The most probable next tokens, most probable first. */
  top: TokenProbability[];
  /** The target's first token, with its rank (1: the most probable) and -ln p. */
  target?: TokenProbability & { rank: number; crossEntropy: number };
  /** Probability of the tokens outside `top`. */
  rest: number;
  /** Tokens in the vocabulary: the distribution has one probability for each. */
  vocabSize: number;
}

/** The model's next-token distribution after the prompt; see the header. */
export function nextTokenDistribution(
  model: GPT,
  codec: TextCodec,
  prompt: string,
  options: { top?: number; target?: string } = {},
): NextTokenDistribution {
  const k = options.top ?? 10;
  const ids = codec.encode(prompt);
  if (ids.length === 0) throw new Error("nextTokenDistribution: the prompt is empty.");
  if (ids.length > model.config.blockSize)
    throw new Error(
      `nextTokenDistribution: the prompt takes ${ids.length} tokens but the context window is ${model.config.blockSize}; shorten it.`,
    );
  const targetIds = options.target === undefined ? [] : codec.encode(options.target);
  if (options.target !== undefined && targetIds.length === 0)
    throw new Error("nextTokenDistribution: the target is empty; give the answer the prompt should lead to.");
  // (V) probabilities at the last position: the prediction of the token after the prompt.
  const probabilities = tf.tidy(() => {
    const logits = model.forward(tf.tensor2d([ids], [1, ids.length], "int32")); // (1, T, V)
    const last = tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]).reshape([-1]); // (V)
    return tf.softmax(last).dataSync() as Float32Array;
  });
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a]);
  const entry = (id: number): TokenProbability => ({
    token: codec.decode([id]),
    id,
    probability: probabilities[id],
  });
  const top = order.slice(0, k).map(entry);
  let target: NextTokenDistribution["target"];
  if (targetIds.length > 0) {
    const id = targetIds[0];
    target = { ...entry(id), rank: order.indexOf(id) + 1, crossEntropy: -Math.log(probabilities[id]) };
  }
  return {
    prompt,
    promptTokens: ids.length,
    top,
    target,
    rest: Math.max(0, 1 - top.reduce((s, t) => s + t.probability, 0)),
    vocabSize: probabilities.length,
  };
}
