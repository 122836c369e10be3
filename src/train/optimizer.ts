// AdamW, the learning-rate schedule and gradient clipping: how a training step changes the weights.
//
// AdamW (Loshchilov & Hutter) is Adam with weight decay applied directly to the weights instead of
// being added to the gradient, written to match torch.optim.AdamW step for step (the tests compare).
// As in GPT-2 and nanoGPT, biases and layer-norm weights are not decayed: decay on them only
// fights the normalization and the offsets, it does not regularize.
import * as tf from "@tensorflow/tfjs";
import { RecordedFunction } from "../runtime/graph-function";

export interface AdamWConfig {
  /** Peak learning rate (the schedule scales it each step). */
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay per step: w <- w - lr * weightDecay * w (for the decayed weights only). */
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWConfig = {
  learningRate: 3e-4,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
};

/** GPT-2 names: matrices and embeddings are decayed; biases and layer-norm gains are not. */
export function decaysByDefault(name: string): boolean {
  return !(name.endsWith(".bias") || /(^|\.)ln_(\d|f)\./.test(name));
}

/** The optimizer's state, as plain arrays, for checkpoints that resume training exactly. */
export interface AdamWState {
  step: number;
  m: Record<string, number[]>;
  v: Record<string, number[]>;
}

export class AdamW {
  readonly config: AdamWConfig;
  /** Number of updates applied so far (t in Adam's bias correction). */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: Map<string, tf.Variable>,
    config: Partial<AdamWConfig> = {},
    private readonly decays: (name: string) => boolean = decaysByDefault,
  ) {
    this.config = { ...DEFAULT_ADAMW, ...config };
    const { learningRate, beta1, beta2, epsilon, weightDecay } = this.config;
    if (!(learningRate > 0)) throw new Error(`AdamW: learningRate must be > 0, got ${learningRate}.`);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
      throw new Error(`AdamW: beta1 and beta2 must be in [0, 1), got ${beta1}, ${beta2}.`);
    if (!(epsilon > 0)) throw new Error(`AdamW: epsilon must be > 0, got ${epsilon}.`);
    if (!(weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be >= 0, got ${weightDecay}.`);
    for (const [name, p] of params) {
      // Inside tidy: the zeros the variables start from are freed, the variables are kept.
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
    }
  }

  /**
   * Applies one update from gradients keyed by parameter name, at learning rate `lr` (default: the
   * config's). Parameters without a gradient are left alone. With `maxGradNorm`, the gradients are
   * first scaled together so that their global L2 norm is at most maxGradNorm (as
   * torch.nn.utils.clip_grad_norm_). Returns that norm, measured before clipping.
   *
   * The whole update (norm, clipping, moments, weights) is one recorded TensorFlow function on the
   * native backend (runtime/graph-function.ts): about 15 elementwise ops per tensor would otherwise
   * each be a call from JavaScript. What changes from step to step (learning rate, bias corrections)
   * enters as one small tensor, so the recorded function serves every step.
   */
  apply(grads: Map<string, tf.Tensor>, lr = this.config.learningRate, maxGradNorm?: number): { gradNorm: number } {
    for (const name of grads.keys())
      if (!this.params.has(name))
        throw new Error(`AdamW: a gradient for "${name}", which is not one of the parameters.`);
    if (maxGradNorm !== undefined && !(maxGradNorm > 0))
      throw new Error(`AdamW: maxGradNorm must be > 0, got ${maxGradNorm}.`);
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    const names = [...grads.keys()];
    const clip = maxGradNorm !== undefined;
    const key = `${clip}:${names.join(",")}`;
    let update = this.updates.get(key);
    if (!update) {
      update = new RecordedFunction("adamw", (args) => this.updateMath(names, clip, args));
      this.updates.set(key, update);
    }
    // lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections moved onto scalars:
    // = m / (sqrt(v) + eps sqrt(c2)) * (lr sqrt(c2) / c1). Fewer passes over each tensor.
    const hyper = tf.tensor1d([
      (lr * Math.sqrt(correction2)) / correction1, // step size
      epsilon * Math.sqrt(correction2), // epsilon, bias-corrected
      1 - lr * weightDecay, // decoupled decay: p <- p (1 - lr wd)
      maxGradNorm ?? 0,
    ]);
    const args = [
      hyper,
      ...names.map((n) => grads.get(n)!),
      ...names.map((n) => this.params.get(n)!),
      ...names.map((n) => this.m.get(n)!),
      ...names.map((n) => this.v.get(n)!),
    ];
    const [norm, ...next] = update.call(args);
    const k = names.length;
    names.forEach((n, i) => {
      this.params.get(n)!.assign(next[i]);
      this.m.get(n)!.assign(next[k + i]);
      this.v.get(n)!.assign(next[2 * k + i]);
    });
    const gradNorm = norm.dataSync()[0];
    tf.dispose([hyper, norm, ...next]);
    return { gradNorm };
  }

  /** Recorded AdamW updates, one per set of parameters with gradients (and clipping or not). */
  private readonly updates = new Map<string, RecordedFunction>();

  /**
   * The update as tensor math: args = [hyper (4), grads (k), params (k), m (k), v (k)] in `names`
   * order; returns [norm, params' (k), m' (k), v' (k)]. hyper = [step size, bias-corrected epsilon,
   * decay factor, max gradient norm].
   */
  private updateMath(names: string[], clip: boolean, args: tf.Tensor[]): tf.Tensor[] {
    const { beta1, beta2, weightDecay } = this.config;
    const k = names.length;
    const [hyper] = args;
    const g0 = args.slice(1, 1 + k);
    const [ps, ms, vs] = [1, 2, 3].map((j) => args.slice(1 + j * k, 1 + (j + 1) * k));
    const scalar = (i: number) => tf.reshape(tf.slice(hyper, [i], [1]), []);
    const [stepSize, epsHat, keep, maxNorm] = [0, 1, 2, 3].map(scalar);
    // The constants as tensors made once and shared by every parameter: a JS number in an op would
    // upload a new scalar each time.
    const b1 = tf.scalar(beta1),
      oneMinusB1 = tf.scalar(1 - beta1);
    const b2 = tf.scalar(beta2),
      oneMinusB2 = tf.scalar(1 - beta2);

    // Sums of squares per tensor, the vectors (biases, layer-norm gains) concatenated into one. Each
    // square is freed as soon as it is summed: op by op, they would otherwise all be alive at once.
    const norm = tf.tidy(() => {
      const vectors = g0.filter((g) => g.rank === 1);
      const parts = g0.filter((g) => g.rank !== 1);
      if (vectors.length > 0) parts.push(vectors.length === 1 ? vectors[0] : tf.concat(vectors));
      if (parts.length === 0) return tf.scalar(0);
      return tf.sqrt(tf.addN(parts.map((g) => tf.tidy(() => tf.sum(tf.square(g))))));
    });
    // clip_grad_norm_: scale by min(1, maxNorm / (norm + 1e-6)).
    const scale = clip ? tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1) : undefined;
    const grads = scale ? g0.map((g) => tf.mul(g, scale)) : g0;

    /** One AdamW update of (g, m, v, p), elementwise: the new m, v and p. */
    const update = (g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, p: tf.Tensor, decayed: boolean) => {
      const mNext = tf.add(tf.mul(m, b1), tf.mul(g, oneMinusB1));
      const vNext = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), oneMinusB2));
      const pNext = tf.sub(
        decayed && weightDecay > 0 ? tf.mul(p, keep) : p,
        tf.mul(tf.div(mNext, tf.add(tf.sqrt(vNext), epsHat)), stepSize),
      );
      return [mNext, vNext, pNext];
    };
    const out = { p: new Array<tf.Tensor>(k), m: new Array<tf.Tensor>(k), v: new Array<tf.Tensor>(k) };
    // Where each call is a call from JavaScript (the eager fallback), the vectors (two thirds of
    // GPT-2's tensors, a sliver of its weights) are updated together, concatenated, in one dozen
    // kernels per group; the arithmetic is elementwise, so the result is the same.
    const groups = new Map<boolean, number[]>([
      [true, []],
      [false, []],
    ]);
    names.forEach((name, i) => {
      const decayed = this.decays(name);
      if (ps[i].rank === 1) {
        groups.get(decayed)!.push(i);
        return;
      }
      [out.m[i], out.v[i], out.p[i]] = update(grads[i], ms[i], vs[i], ps[i], decayed);
    });
    for (const [decayed, members] of groups) {
      if (members.length === 0) continue;
      const joined = (from: tf.Tensor[]) =>
        members.length === 1 ? from[members[0]] : tf.concat(members.map((i) => from[i]));
      const results = update(joined(grads), joined(ms), joined(vs), joined(ps), decayed);
      const sizes = members.map((i) => ps[i].size);
      const [mParts, vParts, pParts] = results.map((t) => (members.length === 1 ? [t] : tf.split(t, sizes)));
      members.forEach((i, j) => {
        out.m[i] = mParts[j];
        out.v[i] = vParts[j];
        out.p[i] = tf.reshape(pParts[j], ps[i].shape);
      });
    }
    return [norm, ...out.p, ...out.m, ...out.v];
  }

  getState(): AdamWState {
    const dump = (vars: Map<string, tf.Variable>) =>
      Object.fromEntries([...vars].map(([n, t]) => [n, Array.from(t.dataSync())]));
    return { step: this.step, m: dump(this.m), v: dump(this.v) };
  }

  setState(state: AdamWState): void {
    for (const [name, vars] of [
      ["m", this.m],
      ["v", this.v],
    ] as const) {
      for (const [param, variable] of vars) {
        const values = state[name][param];
        if (!values || values.length !== variable.size) {
          throw new Error(
            `AdamW.setState: the saved state has no ${name} of the right size for "${param}"; it belongs to another model.`,
          );
        }
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      }
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    for (const update of this.updates.values()) update.dispose();
    this.updates.clear();
  }
}

export interface ScheduleConfig {
  /** Steps of linear warm-up from 0 to the peak learning rate. */
  warmupSteps: number;
  /** Total optimizer steps of the run; the cosine reaches minLearningRate there. */
  totalSteps: number;
  learningRate: number;
  /** Learning rate at the end of the cosine (default: a tenth of the peak). */
  minLearningRate?: number;
}

/** Linear warm-up, then cosine decay: the learning rate for optimizer step `step` (1-based). */
export function learningRateAt(step: number, s: ScheduleConfig): number {
  const min = s.minLearningRate ?? s.learningRate / 10;
  if (s.warmupSteps > 0 && step <= s.warmupSteps) return (s.learningRate * step) / s.warmupSteps;
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps));
  return min + 0.5 * (s.learningRate - min) * (1 + Math.cos(Math.PI * progress));
}
