// The lesson's verdict as a chart: test accuracy per method, by generation and by likelihood, with
// the chance level. It lives with the lesson, not with the evaluation, because it is a display:
// src/eval computes, the lesson shows.
import type { Comparison, MethodResult } from "../eval/comparison";
import { barChart } from "../notebook/charts";
import type { PlotlyFigure } from "../notebook/figure";

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A bar chart of test accuracy per method, by generation and by likelihood, with the chance level. */
export function comparisonChart(c: Comparison, title = "Test accuracy on the same split"): PlotlyFigure {
  const methods = [...new Set(c.results.map((r) => r.method))];
  const pick = (scoring: MethodResult["scoring"][]) =>
    methods.map((m) => c.results.find((r) => r.method === m && scoring.includes(r.scoring))?.report.accuracy ?? 0);
  const figure = barChart(
    title,
    [
      { name: "answer written (generation)", x: methods, y: pick(["generation", "classifier"]) },
      { name: "most likely answer (likelihood)", x: methods, y: pick(["likelihood", "classifier"]) },
    ],
    { x: "method", y: "accuracy" },
  );
  figure.data.push({
    type: "scatter",
    mode: "lines",
    name: `chance (${percent(c.chance)})`,
    x: methods,
    y: methods.map(() => c.chance),
  });
  figure.layout = { ...figure.layout, yaxis: { ...(figure.layout?.yaxis as object), range: [0, 1] } };
  return figure;
}
