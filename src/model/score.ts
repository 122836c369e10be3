// Rank classification: how likely does the model find each answer choice after a prompt?
//
// For "Review: ... Sentiment:" and choices [" negative", " positive"], the score of a choice is the
// sum of the log-probabilities of its tokens given the prompt and the choice tokens before them.
// The highest score is the model's answer. Prompt and choice are tokenized separately and joined,
// so every choice is scored on the same prompt tokens. All rows of a batch run in one forward pass.
import * as tf from "@tensorflow/tfjs";
import { throwIfInterruptedSince } from "../runtime/interrupt";
import type { GPT } from "./gpt";
import type { TextCodec } from "./generate";

export interface ChoiceItem {
  prompt: string | number[];
  choices: (string | number[])[];
}

export interface ChoiceScores {
  /** Sum of log p(choice tokens | prompt) for each choice. */
  logLikelihoods: number[];
  /** Number of tokens of each choice (divide for a per-token score). */
  tokenCounts: number[];
  /** Index of the most likely choice. */
  best: number;
}

interface Row {
  item: number;
  ids: number[];
  start: number;
}

/** Scores the choices of many prompts, batchSize rows (prompt + one choice) per forward pass. */
export function scoreChoicesBatch(
  model: GPT,
  codec: TextCodec,
  items: ChoiceItem[],
  options: { batchSize?: number } = {},
): ChoiceScores[] {
  const batchSize = options.batchSize ?? 16;
  const window = model.config.blockSize;
  const rows: Row[] = [];
  const results: ChoiceScores[] = items.map((item, i) => {
    const promptIds = typeof item.prompt === "string" ? codec.encode(item.prompt) : item.prompt;
    if (promptIds.length === 0) throw new Error(`scoreChoices: item ${i} has an empty prompt.`);
    if (item.choices.length === 0) throw new Error(`scoreChoices: item ${i} has no answer choices.`);
    const tokenCounts: number[] = [];
    for (const choice of item.choices) {
      const choiceIds = typeof choice === "string" ? codec.encode(choice) : choice;
      if (choiceIds.length === 0) throw new Error(`scoreChoices: item ${i} has an empty answer choice.`);
      const ids = [...promptIds, ...choiceIds];
      if (ids.length > window) {
        throw new Error(
          `scoreChoices: item ${i}'s prompt and choice take ${ids.length} tokens but the context window is ${window}; shorten the prompt.`,
        );
      }
      rows.push({ item: i, ids, start: promptIds.length });
      tokenCounts.push(choiceIds.length);
    }
    return { logLikelihoods: [], tokenCounts, best: -1 };
  });

  const began = Date.now();
  for (let b = 0; b < rows.length; b += batchSize) {
    throwIfInterruptedSince(began, () => `scoring the answer choices stopped after ${b} of ${rows.length} rows`);
    const batch = rows.slice(b, b + batchSize);
    const T = Math.max(...batch.map((r) => r.ids.length));
    const V = model.config.vocabSize;
    // Right padding: causal attention never lets a real token see the pads after it.
    const ids = batch.map((r) => [...r.ids, ...new Array(T - r.ids.length).fill(0)]);
    // The logits at position t predict the token at t + 1.
    const flatIndex = batch.flatMap((r, bi) =>
      Array.from({ length: T }, (_, t) => (bi * T + t) * V + (ids[bi][t + 1] ?? 0)),
    );
    const logProbTensor = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(ids, [batch.length, T], "int32")); // (B, T, V)
      const picked = tf.gather(tf.reshape(logits, [-1]), tf.tensor1d(flatIndex, "int32")); // (B*T)
      return tf.sub(picked, tf.reshape(tf.logSumExp(logits, -1), [-1])); // log p(next token), (B*T)
    });
    const logProbs = logProbTensor.dataSync(); // read outside tidy, which would walk a returned array
    logProbTensor.dispose();
    batch.forEach((r, bi) => {
      let sum = 0;
      for (let t = r.start - 1; t < r.ids.length - 1; t++) sum += logProbs[bi * T + t];
      results[r.item].logLikelihoods.push(sum);
    });
  }
  for (const r of results) r.best = r.logLikelihoods.indexOf(Math.max(...r.logLikelihoods));
  return results;
}

/** Scores the answer choices of one prompt. */
export function scoreChoices(
  model: GPT,
  codec: TextCodec,
  prompt: string | number[],
  choices: (string | number[])[],
): ChoiceScores {
  return scoreChoicesBatch(model, codec, [{ prompt, choices }])[0];
}
