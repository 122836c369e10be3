// The validation record of a fine-tuning run as a table: one row per evaluation, from the base model
// at step 0 (when the run scored it) to the last epoch, with each task's score, their mean, and the
// evaluation whose model was saved as the best.
//
//   showTable(validationRows(run.state));
import type { FinetuneState, ValidationRecord } from "../train/finetune-state";

/** Every evaluation of the run: step 0 (the base model) first when it was scored. */
export function evaluationsOf(
  state: FinetuneState,
): (ValidationRecord & { step: number; epoch: number; trainLoss?: number })[] {
  const later = state.history
    .filter((h) => h.validationScore !== undefined)
    .map((h) => ({
      step: h.step,
      epoch: h.epoch,
      trainLoss: h.trainLoss,
      validationLoss: h.validationLoss!,
      validationScore: h.validationScore!,
      validationByTask: h.validationByTask,
    }));
  return state.start ? [{ step: 0, epoch: 0, ...state.start }, ...later] : later;
}

/** Rows for showTable; see the header. */
export function validationRows(state: FinetuneState): Record<string, string | number>[] {
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  return evaluationsOf(state).map((e) => ({
    epoch: round(e.epoch, 2),
    step: e.step,
    model: e.step === 0 ? "the base model" : `after ${e.step} steps`,
    "train loss (last batch)": e.trainLoss === undefined ? "-" : round(e.trainLoss, 4),
    "validation loss": round(e.validationLoss, 4),
    "validation score (mean)": round(e.validationScore, 3),
    ...Object.fromEntries(Object.entries(e.validationByTask ?? {}).map(([task, x]) => [task, round(x, 3)])),
    best: state.best?.step === e.step ? "saved" : "",
  }));
}
