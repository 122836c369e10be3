// The model's output as a learner should picture it: a probability for each next token. Side by side,
// the base model's and the instruct model's top tokens after the same prompt, and the one-hot target
// training compares them with (1 on the right answer's token, 0 on every other), with the
// cross-entropy of each worked out from the bars: -ln p(right token).
//
//   const sides = [{ name: "base model", distribution: dBase }, { name: "instruct model", distribution: dTuned }];
//   await showFigure(distributionChart(sides));
//   showTable(crossEntropyRows(sides));
import type { NextTokenDistribution } from "../model/next-token";
import type { PlotlyFigure, PlotlyTrace } from "../notebook/figure";

export interface DistributionSide {
  name: string;
  distribution: NextTokenDistribution;
}

const label = (token: string) => JSON.stringify(token);

/**
 * One panel per model: its top tokens as horizontal bars, the right answer's in orange (added below
 * them with its rank when it is not among them), and the probability of all the other tokens, so
 * that each panel sums to 1; then the one-hot target.
 */
export function distributionChart(sides: readonly DistributionSide[], title?: string): PlotlyFigure {
  const target = sides[0]?.distribution.target;
  if (!target) throw new Error("distributionChart: give distributions with a target (the right answer).");
  const panels = sides.length + 1;
  const gap = 0.08;
  const width = (1 - gap * (panels - 1)) / panels;
  const layout: Record<string, unknown> = {
    title: { text: title ?? `The next token after the prompt: ${sides.map((s) => s.name).join(", ")} and the target` },
    showlegend: false,
    margin: { l: 100, r: 20, t: 70, b: 50 },
    annotations: [] as unknown[],
  };
  const data: PlotlyTrace[] = [];
  const panel = (i: number, name: string, tokens: string[], probabilities: number[], colors: string[]) => {
    const axis = i === 0 ? "" : String(i + 1);
    const x0 = i * (width + gap);
    layout[`xaxis${axis}`] = { domain: [x0, x0 + width], range: [0, 1], title: { text: "probability" } };
    layout[`yaxis${axis}`] = { anchor: `x${axis}`, autorange: "reversed", automargin: true, type: "category" };
    (layout.annotations as unknown[]).push({
      text: `<b>${name}</b>`,
      x: x0 + width / 2,
      y: 1.06,
      xref: "paper",
      yref: "paper",
      showarrow: false,
    });
    data.push({
      type: "bar",
      orientation: "h",
      name,
      x: probabilities.map((p) => Number(p.toFixed(4))),
      y: tokens,
      xaxis: `x${axis}`,
      yaxis: `y${axis}`,
      marker: { color: colors },
      // The probability written on each bar: a learner reads the cross-entropy off it.
      text: probabilities.map((p) => (p === 0 ? "0" : p >= 0.001 ? p.toFixed(3) : p.toExponential(1))),
      textposition: "auto",
      hovertemplate: "%{y}: %{x}<extra></extra>",
    });
  };
  sides.forEach((s, i) => {
    const d = s.distribution;
    const shown = [...d.top.map((t) => ({ ...t, name: label(t.token) }))];
    const mine = d.target!;
    if (!d.top.some((t) => t.id === mine.id))
      shown.push({ ...mine, name: `${label(mine.token)} (rank ${mine.rank.toLocaleString("en-US")})` });
    const others = d.vocabSize - shown.length;
    const rest = Math.max(0, 1 - shown.reduce((sum, t) => sum + t.probability, 0));
    panel(
      i,
      s.name,
      [...shown.map((t) => t.name), `the other ${others.toLocaleString("en-US")} tokens`],
      [...shown.map((t) => t.probability), rest],
      [...shown.map((t) => (t.id === target.id ? "#ff7f0e" : "#1f77b4")), "#c7c7c7"],
    );
  });
  panel(sides.length, "target (one-hot)", [label(target.token), "every other token"], [1, 0], ["#ff7f0e", "#1f77b4"]);
  return { data, layout };
}

/** Rows for showTable: each model's probability of the right token, its rank, and the cross-entropy -ln p. */
export function crossEntropyRows(sides: readonly DistributionSide[]): Record<string, string | number>[] {
  return sides.map((s) => {
    const t = s.distribution.target;
    if (!t) throw new Error("crossEntropyRows: give distributions with a target (the right answer).");
    return {
      model: s.name,
      "most probable next token": `${label(s.distribution.top[0].token)} (${s.distribution.top[0].probability.toFixed(3)})`,
      [`p(${label(t.token)})`]: Number(t.probability.toPrecision(3)),
      "its rank": t.rank,
      "cross-entropy = -ln p": `-ln ${t.probability.toPrecision(3)} = ${t.crossEntropy.toFixed(3)} nats`,
    };
  });
}
