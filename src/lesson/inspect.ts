// Looking inside one training example: which tokens the loss grades, and what it makes of them.
//
//   const rows = gradedTokens(model, tokenizer, tokenized);   // one row per token of the example
//   const { loss } = exampleLoss(model, tokenizer, tokenized); // the masked cross-entropy of this example
//   showTable(teacherForcingRows(model, tokenizer, tokenized)); // each answer position: given the true
//                                                               // tokens before it, what the model expects
//
// The loss of an example is the mean, over its graded tokens (the answer and the end-of-text
// token), of -ln p(token | the tokens before it). The table shows each p, so the learner can check
// the loss by hand: the mean of the last column is the loss nextTokenLoss computes.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../model/gpt";
import type { TextCodec } from "../model/generate";
import { nextTokenLoss } from "../train/loss";
import type { TokenizedExample } from "../train/sft-batches";

/** The model's next-token probabilities at every position of the ids, in one forward pass: (T, V). */
function nextTokenProbabilities(model: GPT, ids: number[]): number[][] {
  return tf.tidy(() => {
    const logits = model.forward(tf.tensor2d([ids], [1, ids.length], "int32")); // (1, T, V)
    return tf.softmax(logits).arraySync()[0]; // (T, V)
  });
}

/** One row per token: its text, id, mask, and for graded tokens p(token) and -ln p under the model. */
export function gradedTokens(
  model: GPT,
  codec: TextCodec,
  example: TokenizedExample,
): Record<string, string | number>[] {
  const ids = example.inputIds;
  const probabilities = nextTokenProbabilities(model, ids);
  return ids.map((id, t) => {
    const graded = example.lossMask[t] > 0 && t > 0;
    const p = graded ? probabilities[t - 1][id] : NaN; // the prediction for position t is made at t - 1
    return {
      position: t,
      token: JSON.stringify(codec.decode([id])),
      id,
      "loss mask": example.lossMask[t],
      role: example.lossMask[t] > 0 ? "answer (graded)" : "prompt (not graded)",
      "p(token)": graded ? Number(p.toFixed(5)) : "",
      "-ln p": graded ? Number((-Math.log(p)).toFixed(4)) : "",
    };
  });
}

/** The masked loss of one example as training computes it, and the same mean worked out by hand. */
export function exampleLoss(
  model: GPT,
  codec: TextCodec,
  example: TokenizedExample,
): { loss: number; byHand: number; gradedTokens: number } {
  const rows = gradedTokens(model, codec, example).filter((r) => r["-ln p"] !== "");
  const byHand = rows.reduce((s, r) => s + (r["-ln p"] as number), 0) / rows.length;
  const loss = tf.tidy(
    () =>
      nextTokenLoss(
        model,
        tf.tensor2d([example.inputIds], undefined, "int32") as tf.Tensor2D,
        tf.tensor2d([example.lossMask]) as tf.Tensor2D,
      ).dataSync()[0],
  );
  return { loss, byHand, gradedTokens: rows.length };
}

/**
 * Teacher forcing, position by position over the answer: at each graded position the model reads the
 * true tokens before it (never its own guesses) and is graded on the true next token. The row shows
 * what it read last, what it should write, what it found most likely, and p(right token).
 */
export function teacherForcingRows(
  model: GPT,
  codec: TextCodec,
  example: TokenizedExample,
): Record<string, string | number>[] {
  const ids = example.inputIds;
  const p = nextTokenProbabilities(model, ids);
  const mostLikely = (row: number[]) => row.reduce((best, x, id) => (x > row[best] ? id : best), 0);
  const rows: Record<string, string | number>[] = [];
  for (let t = 1; t < ids.length; t++) {
    if (example.lossMask[t] === 0) continue;
    rows.push({
      position: t,
      "it has read (true tokens), ending": JSON.stringify(codec.decode(ids.slice(Math.max(0, t - 4), t))),
      "it should write": JSON.stringify(codec.decode([ids[t]])),
      "its most likely token": JSON.stringify(codec.decode([mostLikely(p[t - 1])])),
      "p(right token)": Number(p[t - 1][ids[t]].toPrecision(3)),
    });
  }
  return rows;
}
