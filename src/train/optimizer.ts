// AdamW, the learning-rate schedule and gradient clipping: how a training step changes the weights.
//
// AdamW (Loshchilov & Hutter) is Adam with weight decay applied directly to the weights instead of
// being added to the gradient, written to match torch.optim.AdamW step for step (the tests compare).
// As in GPT-2 and nanoGPT, biases and layer-norm weights are not decayed: decay on them only
// fights the normalization and the offsets, it does not regularize.
import * as tf from "@tensorflow/tfjs";

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
   * Applies one update from gradients keyed by parameter name, at learning rate `lr`
   * (default: the config's). Parameters without a gradient are left alone.
   */
  apply(grads: Map<string, tf.Tensor>, lr = this.config.learningRate): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      // The constants as tensors made once per step and shared by every parameter: a JS number in
      // an op would upload a new scalar each time (hundreds per step).
      const b1 = tf.scalar(beta1),
        oneMinusB1 = tf.scalar(1 - beta1);
      const b2 = tf.scalar(beta2),
        oneMinusB2 = tf.scalar(1 - beta2);
      // lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections moved onto the scalars:
      // = m / (sqrt(v) + eps sqrt(c2)) * (lr sqrt(c2) / c1). Fewer passes over each tensor.
      const epsHat = tf.scalar(epsilon * Math.sqrt(correction2));
      const stepSize = tf.scalar((lr * Math.sqrt(correction2)) / correction1);
      const keep = tf.scalar(1 - lr * weightDecay); // decoupled decay: p <- p (1 - lr wd)
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
      // Each update is a dozen kernels, and a kernel call costs about as much as the arithmetic on a
      // few hundred thousand numbers. The vectors (biases, layer-norm gains: two thirds of GPT-2's
      // tensors, a sliver of its weights) are therefore updated together, concatenated, in one
      // dozen kernels per group; the arithmetic is elementwise, so the result is the same.
      const groups = new Map<boolean, string[]>([
        [true, []],
        [false, []],
      ]);
      for (const [name, g] of grads) {
        const p = this.params.get(name);
        if (!p) throw new Error(`AdamW: a gradient for "${name}", which is not one of the parameters.`);
        const decayed = this.decays(name);
        if (p.rank === 1) {
          groups.get(decayed)!.push(name);
          continue;
        }
        const [m, v, pNext] = update(g, this.m.get(name)!, this.v.get(name)!, p, decayed);
        this.m.get(name)!.assign(m);
        this.v.get(name)!.assign(v);
        p.assign(pNext);
      }
      for (const [decayed, names] of groups) {
        if (names.length === 0) continue;
        const joined = (from: (name: string) => tf.Tensor) =>
          names.length === 1 ? from(names[0]) : tf.concat(names.map(from));
        const results = update(
          joined((n) => grads.get(n)!),
          joined((n) => this.m.get(n)!),
          joined((n) => this.v.get(n)!),
          joined((n) => this.params.get(n)!),
          decayed,
        );
        const sizes = names.map((n) => this.params.get(n)!.size);
        const [ms, vs, ps] = results.map((t) => (names.length === 1 ? [t] : tf.split(t, sizes)));
        names.forEach((n, i) => {
          this.m.get(n)!.assign(ms[i]);
          this.v.get(n)!.assign(vs[i]);
          this.params.get(n)!.assign(ps[i]);
        });
      }
    });
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
  }
}

/**
 * Scales all gradients together so that their global L2 norm is at most maxNorm (as
 * torch.nn.utils.clip_grad_norm_). Returns the clipped gradients and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = tf.tidy(() => {
    // Sums of squares per tensor, the vectors (biases, layer-norm gains) concatenated into one: fewer kernel calls.
    const all = [...grads.values()];
    const vectors = all.filter((g) => g.rank === 1);
    const parts = all.filter((g) => g.rank !== 1);
    if (vectors.length > 0) parts.push(vectors.length === 1 ? vectors[0] : tf.concat(vectors));
    return parts.length === 0 ? 0 : Math.sqrt(tf.addN(parts.map((g) => tf.sum(tf.square(g)))).dataSync()[0]);
  });
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  if (scale >= 1) return { grads, norm };
  const clipped = new Map([...grads].map(([name, g]) => [name, tf.mul(g, scale)] as [string, tf.Tensor]));
  return { grads: clipped, norm };
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
