// The lesson's result, written where `npm run lesson` collects it: notebook 4's per-task comparison
// as JSON and Markdown in lesson-output/ (or WORKBOOK_LESSON_OUT).
import fs from "node:fs";
import path from "node:path";
import { taskComparisonJson, taskComparisonRows, type TaskComparison } from "../eval/task-comparison";
import { markdownTable } from "../util/markdown-table";
import type { Forgetting } from "./forgetting";
import { projectPath } from "../runtime/paths";
import type { LessonHyperparameters } from "./experiment";

export function lessonOutputDir(): string {
  return path.resolve(projectPath(), process.env.WORKBOOK_LESSON_OUT ?? "lesson-output");
}

/**
 * Writes the per-task comparison of notebook 4 (comparison.json and comparison.md, with the judge's
 * accuracy and the forgetting figures) to the lesson's output folder; returns the Markdown path.
 */
export function saveTaskSummary(
  comparison: TaskComparison,
  hp: LessonHyperparameters,
  forgetting: Forgetting,
  extra: Record<string, unknown> = {},
): string {
  const dir = lessonOutputDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "comparison.json"),
    `${JSON.stringify(
      {
        hyperparameters: hp,
        ...extra,
        forgetting: {
          documents: forgetting.documents,
          base: forgetting.base.bitsPerCharacter,
          instruct: forgetting.instruct.bitsPerCharacter,
        },
        ...taskComparisonJson(comparison),
      },
      null,
      1,
    )}\n`,
  );
  const j = comparison.judge.accuracy;
  const md = [
    `Each task on ${comparison.testExamples} test examples (seed ${hp.seed}), written answers:`,
    "",
    markdownTable(taskComparisonRows(comparison)),
    "",
    `The judge of written reviews agrees with people on ${(100 * j.accuracy).toFixed(1)}% of ${j.n} real test reviews (${comparison.judge.trainedOn}).`,
    "",
    `Held-out pre-training text (${forgetting.documents} documents), bits per character: base model ${forgetting.base.bitsPerCharacter.toFixed(3)}, instruct model ${forgetting.instruct.bitsPerCharacter.toFixed(3)}.`,
    "",
  ].join("\n");
  const file = path.join(dir, "comparison.md");
  fs.writeFileSync(file, md);
  return file;
}
