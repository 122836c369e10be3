// The lesson's result: notebook 4's conclusion written from its numbers, and its per-task comparison
// saved as JSON and Markdown where `npm run lesson` collects it (lesson-output/, or WORKBOOK_LESSON_OUT).
import fs from "node:fs";
import path from "node:path";
import {
  bestBaseResult,
  resultOf,
  taskComparisonJson,
  taskComparisonRows,
  type TaskComparison,
} from "../eval/task-comparison";
import { formatTaskScore, type ScoredMetric } from "../eval/tasks";
import { markdownTable } from "../util/markdown-table";
import type { Forgetting } from "./forgetting";
import { projectPath } from "../runtime/paths";
import type { LessonHyperparameters } from "./hyperparameters";

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

/** A difference of two scores: "+38.3 points" for shares (accuracy, judge), "+0.120" for ROUGE-L. */
function difference(metric: ScoredMetric, d: number): string {
  const sign = d >= 0 ? "+" : "-";
  return metric === "rouge-l" ? `${sign}${Math.abs(d).toFixed(3)}` : `${sign}${(100 * Math.abs(d)).toFixed(1)} points`;
}

/**
 * The lesson's conclusion in Markdown, written from the numbers: per task, the instruct model against
 * the base model's best prompt and the bag of words (differences in points, not percent), what the
 * seeds say when several were run, and what tuning cost in ordinary text.
 */
export function taskSummaryMarkdown(
  comparison: TaskComparison,
  forgetting: Forgetting,
  options: { epochs: number; seeds?: readonly { seed: number; comparison: TaskComparison }[] },
): string {
  const lines = comparison.groups.map((group) => {
    const tuned = resultOf(comparison, group, "instruct model")!;
    const best = bestBaseResult(comparison, group)!;
    const bow = resultOf(comparison, group, "bag of words");
    const show = (r: { metric: ScoredMetric; score: number }) => formatTaskScore(r.metric, r.score);
    const how = `${best.method}, ${best.scoring === "likelihood" ? "most likely answer" : "written"}`;
    let line =
      `- **${group}**: the instruct model scores ${show(tuned)} against the base model's best ${show(best)} (${how}): ` +
      `${difference(tuned.metric, tuned.score - best.score)}.`;
    if (bow)
      line += ` The bag of words scores ${show(bow)} (the instruct model ${difference(tuned.metric, tuned.score - bow.score)}).`;
    if (tuned.score <= best.score) line += " Here tuning did not help.";
    const seeds = options.seeds ?? [];
    if (seeds.length > 1) {
      const scores = seeds
        .map((s) => resultOf(s.comparison, group, "instruct model")?.score)
        .filter((x): x is number => x !== undefined);
      if (scores.length === seeds.length) {
        const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
        line += ` Over seeds ${seeds.map((s) => s.seed).join(", ")} it scores ${formatTaskScore(tuned.metric, Math.min(...scores))} to ${formatTaskScore(tuned.metric, Math.max(...scores))} (mean ${formatTaskScore(tuned.metric, mean)}).`;
      }
    }
    return line;
  });
  const drift = forgetting.instruct.bitsPerCharacter - forgetting.base.bitsPerCharacter;
  lines.push(
    `- **Forgetting.** On held-out pre-training text the instruct model needs ${forgetting.instruct.bitsPerCharacter.toFixed(3)} bits per character ` +
      `against the base model's ${forgetting.base.bitsPerCharacter.toFixed(3)}: ` +
      (drift > 0
        ? `${drift.toFixed(3)} more, what ${options.epochs} epochs of instructions cost in ordinary text.`
        : "no worse."),
  );
  return lines.join("\n");
}
