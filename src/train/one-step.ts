// One training step, taken apart: the loss of a batch, the gradient of every layer (backpropagation),
// the AdamW update it leads to, and the loss of the same batch again after the update. The step runs
// on a copy of the model, so the model itself is not changed.
//
//   const step = inspectOneStep(base.model, batch, { learningRate: 5e-4, weightDecay: 0.01, gradClip: 1 });
//   step.lossBefore, step.lossAfter   // the same batch, before and after one update
//   step.layers                       // per layer: gradient norm, size of the update, size of the weights
//
// Layers are the model's parts as a learner would name them: the token and position embeddings,
// each block's attention and MLP (each with the layer norm in front of it), and the final layer norm.
// With tied embeddings (GPT-2's, and ours) the token embeddings are also the output layer, so their
// gradient carries both ends of the model.
//
// The step is AdamW's first, with fresh running averages: m / sqrt(v) is then g / |g|, so every
// weight with a gradient moves by the learning rate itself, up or down, whatever its gradient's size;
// a layer's update norm is about lr x sqrt(its weights). Clipping scales all gradients alike, so it
// does not change a first step (it tempers the running averages of later ones).
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../model/gpt";
import { copyModel } from "../model/copy-model";
import { evaluationLoss, LossGradients } from "./gradients";
import { AdamW } from "./optimizer";
import type { Batch } from "./sft-batches";

export interface LayerStep {
  layer: string;
  parameters: number;
  /** L2 norm of the layer's gradient (before clipping). */
  gradientNorm: number;
  /** L2 norm of the change the update made to the layer's weights. */
  updateNorm: number;
  /** L2 norm of the layer's weights before the update. */
  weightNorm: number;
}

export interface StepInspection {
  /** Mean masked loss of the batch before the update, and after it (same batch, same mask). */
  lossBefore: number;
  lossAfter: number;
  /** Global L2 norm of all gradients, before clipping; clipped when it was above gradClip. */
  gradientNorm: number;
  gradClip: number;
  clipped: boolean;
  learningRate: number;
  /** Examples and positions of the batch: (B, T). */
  shape: [number, number];
  /** True: the token embeddings are also the output layer (GPT-2's tied weights). */
  tiedEmbeddings: boolean;
  layers: LayerStep[];
}

export interface OneStepOptions {
  learningRate: number;
  weightDecay: number;
  gradClip: number;
  beta1?: number;
  beta2?: number;
}

/** "transformer.h.2.mlp.c_fc.weight" -> "block 3 MLP"; the layer names of the inspection. */
export function layerOf(name: string, tiedEmbeddings = true): string {
  const block = /^transformer\.h\.(\d+)\.(ln_1|attn|ln_2|mlp)\./.exec(name);
  if (block) return `block ${Number(block[1]) + 1} ${block[2] === "ln_1" || block[2] === "attn" ? "attention" : "MLP"}`;
  if (name.startsWith("transformer.wte."))
    return tiedEmbeddings ? "token embeddings (= output layer)" : "token embeddings";
  if (name.startsWith("transformer.wpe.")) return "position embeddings";
  if (name.startsWith("transformer.ln_f.")) return "final layer norm";
  if (name.startsWith("lm_head.")) return "output layer";
  return name;
}

/** Sum of squares of a tensor, as a number. */
function squares(t: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.square(t)).dataSync()[0]);
}

/** One AdamW step on a copy of the model for this batch, taken apart; see the header. */
export function inspectOneStep(model: GPT, batch: Batch, options: OneStepOptions): StepInspection {
  const copy = copyModel(model, 0); // no dropout: the two losses compare like for like
  const gradients = new LossGradients(copy);
  const optimizer = new AdamW(copy.params, {
    learningRate: options.learningRate,
    weightDecay: options.weightDecay,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
  });
  const ids = tf.tensor2d(batch.inputIds, undefined, "int32"); // (B, T)
  const mask = tf.tensor2d(batch.lossMask); // (B, T)
  try {
    const { loss, grads } = gradients.compute(ids, mask);
    const lossBefore = loss.dataSync()[0];
    loss.dispose();
    const before = new Map([...copy.params].map(([name, v]) => [name, v.dataSync().slice() as Float32Array]));
    const byLayer = new Map<string, { parameters: number; grad: number; update: number; weight: number }>();
    for (const [name, g] of grads) {
      const layer = layerOf(name, model.config.tieEmbeddings);
      const entry = byLayer.get(layer) ?? { parameters: 0, grad: 0, update: 0, weight: 0 };
      entry.parameters += g.size;
      entry.grad += squares(g);
      byLayer.set(layer, entry);
    }
    const { gradNorm } = optimizer.apply(grads, options.learningRate, options.gradClip);
    tf.dispose([...grads.values()]);
    for (const [name, v] of copy.params) {
      const entry = byLayer.get(layerOf(name, model.config.tieEmbeddings))!;
      const old = before.get(name)!;
      const now = v.dataSync();
      for (let i = 0; i < old.length; i++) {
        entry.update += (now[i] - old[i]) ** 2;
        entry.weight += old[i] ** 2;
      }
    }
    const lossAfter = evaluationLoss(copy, ids, mask);
    return {
      lossBefore,
      lossAfter,
      gradientNorm: gradNorm,
      gradClip: options.gradClip,
      clipped: gradNorm > options.gradClip,
      learningRate: options.learningRate,
      shape: [batch.inputIds.length, batch.inputIds[0]?.length ?? 0],
      tiedEmbeddings: model.config.tieEmbeddings,
      layers: [...byLayer].map(([layer, e]) => ({
        layer,
        parameters: e.parameters,
        gradientNorm: Math.sqrt(e.grad),
        updateNorm: Math.sqrt(e.update),
        weightNorm: Math.sqrt(e.weight),
      })),
    };
  } finally {
    tf.dispose([ids, mask]);
    optimizer.dispose();
    gradients.dispose();
    copy.dispose();
  }
}
