// The lesson's verdict as a chart, task by task: each method's score on each task of the test split
// (written answers), with its 95% interval as an error bar. It lives with the lesson, not with the
// evaluation, because it is a display: src/eval computes, the lesson shows.
import { methodOrder, resultOf, type TaskComparison } from "../eval/task-comparison";
import type { PlotlyFigure, PlotlyTrace } from "../notebook/figure";

/** Grouped bars: one group per task (the unseen phrasing its own), one colour per method. */
export function taskComparisonChart(c: TaskComparison, title = "Each task on the same test split"): PlotlyFigure {
  const data: PlotlyTrace[] = [];
  for (const method of methodOrder(c.fewShot)) {
    const results = c.groups.map((g) => resultOf(c, g, method));
    if (results.every((r) => r === undefined)) continue;
    data.push({
      type: "bar",
      name: method,
      x: c.groups.map((g) => g.replace(" (", "<br>(")),
      y: results.map((r) => (r ? Number(r.score.toFixed(4)) : null)),
      error_y: {
        type: "data",
        symmetric: false,
        array: results.map((r) => (r ? Number((r.ci95[1] - r.score).toFixed(4)) : 0)),
        arrayminus: results.map((r) => (r ? Number((r.score - r.ci95[0]).toFixed(4)) : 0)),
      },
    });
  }
  return {
    data,
    layout: {
      title: { text: title },
      barmode: "group",
      xaxis: { title: { text: "task" }, tickangle: 0 },
      yaxis: { title: { text: "score: accuracy, judge agreement or ROUGE-L F1" }, range: [0, 1] },
      margin: { l: 60, r: 20, t: 50, b: 90 },
    },
  };
}
