// The loss of a batch and its gradient for every weight: the forward and backward half of a step.
//
// tf.variableGrads over nextTokenLoss, recorded per batch shape as one TensorFlow function
// (runtime/graph-function.ts): the first batch of each shape runs op by op while it is recorded,
// later ones replay it. With dropout on, the masks are drawn in JavaScript for each step and a
// recording would freeze them, so the step then always runs op by op.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../model/gpt";
import { recordedFor, ShapeKeyedFunction } from "../runtime/graph-function";
import { nextTokenLoss } from "./loss";

export class LossGradients {
  /** Parameter names, in the order of the recorded function's gradient outputs. */
  readonly names: string[];
  private readonly variables: tf.Variable[];
  private readonly recorded: ShapeKeyedFunction;

  /** `names`: the weights to differentiate (default: every weight); the others are constants here. */
  constructor(
    private readonly model: GPT,
    names: readonly string[] = [...model.params.keys()],
  ) {
    this.names = [...names];
    this.variables = this.names.map((n) => {
      const v = model.params.get(n);
      if (!v) throw new Error(`LossGradients: the model has no weight named "${n}".`);
      return v;
    });
    // args = [ids (B, T) int32, lossMask (B, T), ...weights]; the weights are arguments (not read
    // from the model inside) so that each call sees the weights as they are now.
    this.recorded = new ShapeKeyedFunction("loss-and-gradients", ([ids, mask]) =>
      this.lossAndGrads(ids as tf.Tensor2D, mask as tf.Tensor2D, {}),
    );
  }

  /**
   * Mean next-token loss of the batch on its masked positions, and the gradients by parameter name.
   * ids: (B, T) int32, lossMask: (B, T). The caller disposes the returned tensors.
   */
  compute(
    ids: tf.Tensor2D,
    lossMask: tf.Tensor2D,
    options: { dropoutSeed?: number } = {},
  ): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
    const [loss, ...grads] =
      this.model.config.dropout > 0
        ? tf.tidy(() => this.lossAndGrads(ids, lossMask, options))
        : this.recorded.call([ids, lossMask, ...this.variables]);
    return { loss: loss as tf.Scalar, grads: new Map(this.names.map((n, i) => [n, grads[i]])) };
  }

  /** Batch shapes recorded so far (each costs one op-by-op step). */
  get recordings(): number {
    return this.recorded.recordings;
  }

  private lossAndGrads(ids: tf.Tensor2D, mask: tf.Tensor2D, options: { dropoutSeed?: number }): tf.Tensor[] {
    const { value, grads } = tf.variableGrads(
      () => nextTokenLoss(this.model, ids, mask, { training: true, dropoutSeed: options.dropoutSeed }),
      this.variables,
    );
    return [value, ...this.variables.map((v) => grads[v.name])];
  }

  dispose(): void {
    this.recorded.dispose();
  }
}

/**
 * The mean next-token loss of a batch without gradients (validation), as a number. Recorded per
 * batch shape on the model (runtime/graph-function.ts): a validation set evaluated again and again
 * replays the same few functions. ids: (B, T) int32, lossMask: (B, T).
 */
export function evaluationLoss(model: GPT, ids: tf.Tensor2D, lossMask: tf.Tensor2D): number {
  const [loss] = recordedFor(model, "loss", ([i, m]) => [
    nextTokenLoss(model, i as tf.Tensor2D, m as tf.Tensor2D),
  ]).call([ids, lossMask, ...model.trainableVariables()]);
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}
