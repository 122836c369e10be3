// The lesson's result, written where `npm run lesson` collects it: the comparison table of notebook 4
// as JSON and Markdown in lesson-output/ (or WORKBOOK_LESSON_OUT).
import fs from "node:fs";
import path from "node:path";
import { comparisonJson, comparisonRows, type Comparison } from "../eval/comparison";
import { projectPath } from "../runtime/paths";
import type { LessonHyperparameters } from "./experiment";

export function lessonOutputDir(): string {
  return path.resolve(projectPath(), process.env.WORKBOOK_LESSON_OUT ?? "lesson-output");
}

/** Writes comparison.json and comparison.md to the lesson's output folder; returns the Markdown path. */
export function saveLessonSummary(
  comparison: Comparison,
  hp: LessonHyperparameters,
  extra: Record<string, unknown> = {},
): string {
  const dir = lessonOutputDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "comparison.json"),
    `${JSON.stringify({ hyperparameters: hp, ...extra, ...comparisonJson(comparison) }, null, 1)}\n`,
  );
  const rows = comparisonRows(comparison, { scoring: ["generation", "likelihood", "classifier"] });
  const cols = Object.keys(rows[0]);
  const md = [
    `Test accuracy on ${comparison.testExamples} ${hp.dataset} test examples (seed ${hp.seed}); chance ${(100 * comparison.chance).toFixed(1)}%.`,
    "",
    `| ${cols.join(" | ")} |`,
    `|${cols.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${cols.map((c) => r[c]).join(" | ")} |`),
    "",
  ].join("\n");
  const file = path.join(dir, "comparison.md");
  fs.writeFileSync(file, md);
  return file;
}
