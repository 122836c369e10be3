// A saved run's history, sent again as the events it made while training: a notebook that loads a
// finished run draws the same live charts as one that has just trained it, and a run that resumes
// draws the steps it had made before it goes on.
import type { FinetuneEvent, FinetuneState } from "../train/finetune-state";

/** Sends a saved run's recorded steps and evaluations to onEvent, so its charts draw as if it had just run. */
export function replayHistory(state: FinetuneState, onEvent?: (e: FinetuneEvent) => void): void {
  if (!onEvent) return;
  const steps = state.history.length;
  if (state.start)
    onEvent({
      kind: "eval",
      step: 0,
      epoch: 0,
      ...state.start,
      validationByTask: state.start.validationByTask ?? {},
      invalid: 0,
      best: state.best?.step === 0,
    });
  for (const h of state.history) {
    onEvent({
      kind: "step",
      step: h.step,
      steps,
      epoch: h.epoch,
      loss: h.trainLoss,
      learningRate: h.learningRate,
      gradNorm: NaN,
      tokensPerSecond: state.tokensSeen / Math.max(state.elapsedSeconds, 1e-9),
      elapsedSeconds: state.elapsedSeconds,
      etaSeconds: 0,
    });
    if (h.validationScore !== undefined) {
      onEvent({
        kind: "eval",
        step: h.step,
        epoch: h.epoch,
        validationLoss: h.validationLoss!,
        validationScore: h.validationScore,
        validationByTask: h.validationByTask ?? {},
        invalid: 0,
        best: state.best?.step === h.step,
      });
    }
  }
}
