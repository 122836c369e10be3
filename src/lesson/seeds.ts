// The lesson's result under another seed: the same hyperparameters with another split, batch order
// and sampled reviews, fine-tuned (or the saved run reused) and scored on its own test split. The
// instruct model and the bag of words only: the base model's scores hardly move with the seed (it
// writes no label whatever the split), and scoring it is most of a comparison's time.
//
//   const other = await seedComparison({ ...hp, seed: 1 }, base);
//   showTable(seedSummaryRows([{ seed: 0, comparison }, other]));
//
// lessonComparison is the one call `npm run finetune` and this file make of compareTasksOnTest.
import { compareTasksOnTest, type TaskComparison } from "../eval/task-comparison";
import { formatDuration } from "../util/progress-bar";
import type { GPT } from "../model/gpt";
import { ensureFinetuned } from "./finetuned";
import { lessonData, type LessonData } from "./lesson-data";
import { type BaseModel } from "./base-model";
import { type LessonHyperparameters } from "./hyperparameters";

/** The lesson's comparison on the test split of these hyperparameters: the base model (unless withBase is false), the instruct model, the bag of words. */
export function lessonComparison(
  hp: LessonHyperparameters,
  base: BaseModel,
  data: LessonData,
  instruct: GPT,
  options: { withBase?: boolean } = {},
): TaskComparison {
  return compareTasksOnTest({
    base: base.model,
    instruct,
    tokenizer: base.tokenizer,
    data,
    fewShot: hp.fewShot,
    seed: hp.seed,
    heldOutTemplates: hp.heldOutTemplates,
    withBase: options.withBase,
  });
}

export interface SeedComparison {
  seed: number;
  comparison: TaskComparison;
  /** True when the seed's fine-tuning was already saved under runs/. */
  reused: boolean;
  trainSeconds: number;
  evaluationSeconds: number;
  /** What happened, in one line. */
  line: string;
}

/** Fine-tunes (or reuses) the run of these hyperparameters and scores the instruct model and the bag of words on its test split. */
export async function seedComparison(hp: LessonHyperparameters, base: BaseModel): Promise<SeedComparison> {
  const data = lessonData(hp);
  const run = await ensureFinetuned(hp, base, data);
  try {
    const t0 = performance.now();
    const comparison = lessonComparison(hp, base, data, run.model, { withBase: false });
    const evaluationSeconds = (performance.now() - t0) / 1000;
    const trainSeconds = run.state.elapsedSeconds;
    return {
      seed: hp.seed,
      comparison,
      reused: run.reused,
      trainSeconds,
      evaluationSeconds,
      line:
        `seed ${hp.seed}: ${run.reused ? "reused the saved run" : "fine-tuned"} (${run.state.step} steps, ${formatDuration(trainSeconds)}), ` +
        `scored ${comparison.testExamples} test examples in ${evaluationSeconds.toFixed(0)} s`,
    };
  } finally {
    run.model.dispose();
  }
}
