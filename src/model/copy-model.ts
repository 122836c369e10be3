// A copy of a model in new weights: fine-tuning and the one-step inspection change the copy, never
// the model they were given.
import { GPT } from "./gpt";

/** A copy of a model's weights in a new model, with a changed dropout (the only setting fine-tuning may change). */
export function copyModel(base: GPT, dropout = base.config.dropout): GPT {
  const weights = new Map(
    [...base.params].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]),
  );
  return new GPT({ ...base.config, dropout }, 0, weights);
}
