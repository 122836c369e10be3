// Watching fine-tuning: one event handler that draws a live chart in a notebook and a progress bar
// in a terminal. finetune() reports every step and evaluation through onEvent; this turns them into
// what the learner sees.
//
//   const progress = finetuneProgress();
//   await finetune({ ..., onEvent: progress.onEvent });
//   await progress.finish();
import { ProgressBar, formatDuration } from "../util/progress-bar";
import { inNotebook } from "../notebook/display";
import { LiveCurves } from "../notebook/live-curves";
import type { FinetuneEvent } from "../train/finetune-state";
import { shownPath } from "../runtime/paths";

export interface FinetuneProgress {
  onEvent: (e: FinetuneEvent) => void;
  /** Final redraw of the charts (notebook) or the last line (terminal). */
  finish(): Promise<void>;
}

/** Live loss and validation-score charts (the mean and each task) in a notebook; a progress bar elsewhere (or always, with mode). */
export function finetuneProgress(
  options: { mode?: "notebook" | "terminal" | "silent"; stream?: NodeJS.WriteStream } = {},
): FinetuneProgress {
  const mode = options.mode ?? (inNotebook() ? "notebook" : "terminal");
  if (mode === "silent") return { onEvent: () => undefined, finish: async () => undefined };
  if (mode === "terminal") {
    const bar = new ProgressBar(options.stream ?? process.stdout, 10);
    return {
      onEvent: (e) => {
        if (e.kind === "start")
          bar.log(
            `[finetune] ${e.trainExamples} training examples${e.skipped ? ` (${e.skipped} too long, left out)` : ""}, ${e.steps} steps${e.resumedAt ? `, resuming at step ${e.resumedAt}` : ""}`,
          );
        else if (e.kind === "step") {
          bar.update(e.step, e.steps, {
            epoch: e.epoch.toFixed(2),
            loss: e.loss.toFixed(4),
            "tok/s": e.tokensPerSecond.toFixed(0),
            eta: formatDuration(e.etaSeconds),
          });
        } else if (e.kind === "eval") {
          bar.log(
            `[finetune] step ${e.step} (epoch ${e.epoch.toFixed(2)}): validation loss ${e.validationLoss.toFixed(4)}, validation score ${(100 * e.validationScore).toFixed(1)}%` +
              (Object.keys(e.validationByTask).length
                ? ` (${Object.entries(e.validationByTask)
                    .map(([task, x]) => `${task} ${(100 * x).toFixed(1)}%`)
                    .join(", ")})`
                : "") +
              `${e.invalid ? `, ${e.invalid} invalid answers` : ""}${e.best ? "  best so far, saved" : ""}`,
          );
        } else if (e.kind === "early-stop")
          bar.log(`[finetune] stopping early at step ${e.step}: no better validation score since step ${e.bestStep}`);
      },
      finish: async () => undefined,
    };
  }
  // The training curve first, although the step-0 evaluation's point arrives before any step's.
  const loss = new LiveCurves("Fine-tuning: loss on the answer tokens", {
    x: "epoch",
    y: "cross-entropy (nats)",
  }).declare("train (per batch)", "validation");
  const scores = new LiveCurves(
    "Validation score by task (answers written by the model)",
    { x: "epoch", y: "score (accuracy, judge agreement, ROUGE-L)" },
    0,
  );
  return {
    onEvent: (e) => {
      if (e.kind === "resume") console.log(resumedSentence(e));
      else if (e.kind === "step") loss.add("train (per batch)", e.epoch, e.loss);
      else if (e.kind === "eval") {
        loss.add("validation", e.epoch, e.validationLoss);
        scores.add("mean of the tasks (picks the best model)", e.epoch, e.validationScore);
        for (const [task, x] of Object.entries(e.validationByTask)) scores.add(task, e.epoch, x);
      }
    },
    finish: async () => {
      await loss.finish();
      await scores.finish();
    },
  };
}

/** What a notebook says when a run continues from its checkpoint instead of starting over. */
export function resumedSentence(e: Extract<FinetuneEvent, { kind: "resume" }>): string {
  return (
    `Resumed the run saved in ${shownPath(e.folder)} at step ${e.step} of ${e.steps}: it had stopped there before it finished ` +
    "(an interrupt, a restarted kernel). The charts show its steps so far, then go on; the result is the one an uninterrupted run gives."
  );
}
