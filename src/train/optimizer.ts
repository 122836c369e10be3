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

export const DEFAULT_ADAMW: AdamWConfig = { learningRate: 3e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };

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

  constructor(private readonly params: Map<string, tf.Variable>, config: Partial<AdamWConfig> = {},
    private readonly decays: (name: string) => boolean = decaysByDefault) {
    this.config = { ...DEFAULT_ADAMW, ...config };
    const { learningRate, beta1, beta2, epsilon, weightDecay } = this.config;
    if (!(learningRate > 0)) throw new Error(`AdamW: learningRate must be > 0, got ${learningRate}.`);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new Error(`AdamW: beta1 and beta2 must be in [0, 1), got ${beta1}, ${beta2}.`);
    if (!(epsilon > 0)) throw new Error(`AdamW: epsilon must be > 0, got ${epsilon}.`);
    if (!(weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be >= 0, got ${weightDecay}.`);
    for (const [name, p] of params) {
      // Inside tidy: the zeros the variables start from are freed, the variables are kept.
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
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
      for (const [name, g] of grads) {
        const p = this.params.get(name);
        if (!p) throw new Error(`AdamW: a gradient for "${name}", which is not one of the parameters.`);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        // p <- p (1 - lr wd)  -  lr * m_hat / (sqrt(v_hat) + eps), as torch computes it.
        const decayed = this.decays(name) && weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(correction2)), epsilon);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / correction1)));
      }
    });
  }

  getState(): AdamWState {
    const dump = (vars: Map<string, tf.Variable>) => Object.fromEntries([...vars].map(([n, t]) => [n, Array.from(t.dataSync())]));
    return { step: this.step, m: dump(this.m), v: dump(this.v) };
  }

  setState(state: AdamWState): void {
    for (const [name, vars] of [["m", this.m], ["v", this.v]] as const) {
      for (const [param, variable] of vars) {
        const values = state[name][param];
        if (!values || values.length !== variable.size) {
          throw new Error(`AdamW.setState: the saved state has no ${name} of the right size for "${param}"; it belongs to another model.`);
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
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = tf.tidy(() => Math.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
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
