// One training step, shown: the gradient norm of each layer as a chart, the update per layer as a
// table, and a sentence that walks through the step with its numbers (see train/one-step.ts).
//
//   const step = inspectOneStep(model, batch, config);
//   await showFigure(gradientNormChart(step));
//   showTable(stepRows(step));
//   console.log(stepSentence(step));
import type { PlotlyFigure } from "../notebook/figure";
import type { StepInspection } from "../train/one-step";

/** Bars: the L2 norm of each layer's gradient, input side first. */
export function gradientNormChart(step: StepInspection): PlotlyFigure {
  return {
    data: [
      {
        type: "bar",
        name: "gradient norm",
        x: step.layers.map((l) => l.layer),
        y: step.layers.map((l) => Number(l.gradientNorm.toPrecision(4))),
      },
    ],
    layout: {
      title: { text: "Backpropagation: the gradient norm of each layer, for one batch" },
      xaxis: {
        title: {
          text: step.tiedEmbeddings
            ? "layer (input side on the left; the token embeddings are also the output layer)"
            : "layer (input side on the left)",
        },
        tickangle: -30,
      },
      yaxis: { title: { text: "L2 norm of the layer's gradient" } },
      margin: { l: 60, r: 20, t: 50, b: 110 },
    },
  };
}

/** One row per layer: parameters, gradient norm, size of the update and of the weights, relative change. */
export function stepRows(step: StepInspection): Record<string, string | number>[] {
  return step.layers.map((l) => ({
    layer: l.layer,
    parameters: l.parameters.toLocaleString("en-US"),
    "gradient norm": Number(l.gradientNorm.toPrecision(3)),
    "update norm": Number(l.updateNorm.toPrecision(3)),
    "weight norm": Number(l.weightNorm.toPrecision(3)),
    "update / weights": `${((100 * l.updateNorm) / l.weightNorm).toFixed(2)}%`,
  }));
}

/** The step in words, from its numbers: forward, backward (with clipping), AdamW's first update checked by hand, and the loss again. */
export function stepSentence(step: StepInspection): string {
  const parameters = step.layers.reduce((n, l) => n + l.parameters, 0);
  const [B, T] = step.shape;
  const scale = step.clipped
    ? `above the clipping threshold of ${step.gradClip}, so every gradient is scaled by ${step.gradClip} / ${step.gradientNorm.toFixed(2)} = ${(step.gradClip / step.gradientNorm).toFixed(3)}`
    : `below the clipping threshold of ${step.gradClip}, so clipping leaves it alone`;
  // The largest layer that is not the embeddings: every one of its weights has a gradient.
  const example = step.layers
    .filter((l) => !l.layer.includes("embeddings"))
    .reduce((a, b) => (b.parameters > a.parameters ? b : a));
  const byHand = step.learningRate * Math.sqrt(example.parameters);
  return (
    `Forward pass: on this batch of ${B} examples (${B} x ${T} positions) the masked loss is ${step.lossBefore.toFixed(4)}. ` +
    `Backward pass: backpropagation gives a gradient for each of the ${parameters.toLocaleString("en-US")} weights; together their norm is ${step.gradientNorm.toFixed(2)}, ${scale}. ` +
    `Update: this is AdamW's first step, whose running averages hold this one gradient only, so each weight moves by the learning rate (${step.learningRate}), up or down, whatever the size of its gradient ` +
    `(and scaling all gradients alike, as clipping did, changes nothing on a first step): ${example.layer} moves by ${step.learningRate} x sqrt(${example.parameters.toLocaleString("en-US")}) = ${byHand.toFixed(3)} by hand, ${example.updateNorm.toFixed(3)} measured. ` +
    `Same batch again: the loss is now ${step.lossAfter.toFixed(4)} (${step.lossAfter < step.lossBefore ? "lower" : "not lower"} by ${Math.abs(step.lossBefore - step.lossAfter).toFixed(4)}).`
  );
}
