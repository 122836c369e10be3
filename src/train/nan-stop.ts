// The message of a fine-tuning run stopped by a loss that is NaN or infinite: where it stopped, what
// was kept and whether it is worth keeping, and what to change. Training is deterministic, so
// running it again unchanged would stop at the same step: the fix is a new run with gentler settings.
import type { FinetuneState } from "./finetune-state";
import { readResumableState } from "./resumable";

export interface NanStop {
  /** The loss that stopped the run (NaN or ±Infinity). */
  loss: number;
  step: number;
  /** 1-based, as a learner counts epochs. */
  epoch: number;
  /** The run's state before the failed step (its history holds each step's training loss). */
  state: FinetuneState;
  /** The resumable checkpoint folder (<outDir>/latest) and the best model's (<outDir>/best). */
  latest: string;
  bestFolder: string;
  /** The model's vocabulary size: ln(vocabSize) is the loss of a uniform guess over every token. */
  vocabSize: number;
}

/** The error a NaN or infinite loss throws (see the header). */
export function nanStopError(stop: NanStop): Error {
  const { loss, step, epoch, state, latest, bestFolder, vocabSize } = stop;
  const c = state.config;
  const saved = readResumableState<FinetuneState>(latest);
  const uniform = Math.log(vocabSize);
  let kept: string;
  if (saved === undefined) {
    kept = "No checkpoint was written before it (nothing is in " + latest + ").";
  } else {
    // A checkpoint is good when the loss at its step was still below a uniform guess's: above that,
    // the run had diverged before the loss became NaN.
    const lossThere = saved.step === 0 ? undefined : saved.history.find((h) => h.step === saved.step)?.trainLoss;
    const good = lossThere === undefined || (Number.isFinite(lossThere) && lossThere < uniform);
    kept =
      `The last checkpoint, at step ${saved.step}, is in ${latest}` +
      (lossThere === undefined ? "" : ` (its training loss: ${lossThere.toPrecision(4)})`) +
      (good
        ? "; it was still sound."
        : `; the run had already diverged there (above ${uniform.toFixed(2)}, what guessing every token uniformly scores), so it is no place to restart from.`);
  }
  const best = state.best
    ? ` The best model so far (step ${state.best.step}, by validation score) is in ${bestFolder}.`
    : "";
  return new Error(
    `Fine-tuning stopped at step ${step} (epoch ${epoch}): the loss is ${loss}. ${kept}${best} ` +
      "Training is deterministic, so running it again with the same settings stops at the same step. " +
      `Lower learningRate (it is ${c.learningRate}; try ${Number((c.learningRate / 10).toPrecision(2))}) or raise warmupFraction (it is ${c.warmupFraction}), ` +
      "then run again: that is a new run, which starts from the base model " +
      "(in a notebook, change the hyperparameters cell; calling finetune() yourself, use another outDir or resume: false).",
  );
}
