// The same comparison over several seeds, in one table: each seed changes the split, the batch
// order and the few-shot examples, so the spread across seeds says how far one seed's numbers can be
// trusted (`npm run finetune` and notebook 4 print it).
//
//   showTable(seedSummaryRows([{ seed: 0, comparison: c0 }, { seed: 1, comparison: c1 }]));
import { methodOrder, resultOf, type TaskComparison } from "./task-comparison";
import { formatTaskScore, metricName } from "./tasks";

/** One row per task group and method: each seed's score, their mean and spread (written answers). */
export function seedSummaryRows(
  perSeed: readonly { seed: number; comparison: TaskComparison }[],
): Record<string, string | number>[] {
  const first = perSeed[0].comparison;
  const rows: Record<string, string | number>[] = [];
  for (const group of first.groups) {
    for (const method of methodOrder(first.fewShot)) {
      for (const scoring of ["generation", "likelihood"] as const) {
        const results = perSeed.map((s) => resultOf(s.comparison, group, method, scoring));
        if (results.some((r) => r === undefined)) continue;
        const scores = results.map((r) => r!.score);
        const metric = results[0]!.metric;
        const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
        const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, scores.length - 1));
        const row: Record<string, string | number> = {
          task: group,
          method: scoring === "likelihood" ? `${method} (more likely answer)` : method,
          metric: method === "bag of words" ? "accuracy" : metricName(metric),
        };
        perSeed.forEach((s, j) => {
          row[`seed ${s.seed}`] = formatTaskScore(metric, scores[j]);
        });
        row.mean = formatTaskScore(metric, mean);
        if (perSeed.length > 1) row.std = formatTaskScore(metric, sd);
        row[`95% interval (seed ${perSeed[0].seed})`] =
          `${formatTaskScore(metric, results[0]!.ci95[0])} to ${formatTaskScore(metric, results[0]!.ci95[1])}`;
        row.invalid =
          metric === "accuracy" && method !== "bag of words" && scoring === "generation"
            ? results.map((r) => r!.invalid).join(" / ")
            : "-";
        rows.push(row);
      }
    }
  }
  return rows;
}
