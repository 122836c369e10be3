// Small builders for the charts the lessons draw; each returns a plain plotly figure.
import type { PlotlyFigure, PlotlyTrace } from "./figure";

export interface Series {
  name: string;
  x: readonly (number | string)[];
  y: readonly number[];
}

const baseLayout = (title: string, xTitle: string, yTitle: string) => ({
  title: { text: title },
  xaxis: { title: { text: xTitle } },
  yaxis: { title: { text: yTitle } },
  margin: { l: 60, r: 20, t: 50, b: 50 },
});

/** Lines with markers, one per series (loss curves, accuracy against examples). */
export function lineChart(title: string, series: readonly Series[], axes: { x: string; y: string }): PlotlyFigure {
  const data: PlotlyTrace[] = series.map((s) => ({
    type: "scatter",
    mode: "lines+markers",
    name: s.name,
    x: [...s.x],
    y: [...s.y],
  }));
  return { data, layout: baseLayout(title, axes.x, axes.y) };
}

/** Grouped bars, one group per x category and one colour per series (accuracy by method). */
export function barChart(title: string, series: readonly Series[], axes: { x: string; y: string }): PlotlyFigure {
  const data: PlotlyTrace[] = series.map((s) => ({ type: "bar", name: s.name, x: [...s.x], y: [...s.y] }));
  return { data, layout: { ...baseLayout(title, axes.x, axes.y), barmode: "group" } };
}
