// A GPT-2-architecture decoder in TensorFlow.js: token + position embeddings, nLayer pre-norm
// transformer blocks (causal self-attention, then a GELU MLP), a final layer norm and a language
// model head tied to the token embedding.
//
// Weights are tf.Variables named as in Hugging Face's GPT2LMHeadModel state dict
// ("transformer.h.0.attn.c_attn.weight", ...), in its Conv1D layout (in, out), so checkpoints map
// one to one.
import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "../runtime/random";
import { countParameters, gptConfig, type GPTConfig } from "./config";
import { causalMask, geluNew, layerNorm, linear } from "./layers";

export interface ForwardOptions {
  /** Apply dropout (only matters when config.dropout > 0). Default false. */
  training?: boolean;
  /** Seed for dropout masks, so that a training step can be repeated exactly. */
  dropoutSeed?: number;
}

let modelCounter = 0;

export class GPT {
  /** Distinguishes this model's variables from another model's in tfjs's global variable registry. */
  private readonly instance = ++modelCounter;
  readonly config: GPTConfig;
  /** Every weight by its Hugging Face name. */
  readonly params: Map<string, tf.Variable>;

  /** A freshly initialized model: weights ~ N(0, 0.02), residual projections scaled by 1/sqrt(2 nLayer). */
  constructor(config: GPTConfig, seed: number | string = 0) {
    this.config = gptConfig(config as GPTConfig & Record<string, unknown>);
    this.params = new Map();
    const rng = new SeededRandom(seed).fork("init");
    const { vocabSize: V, blockSize: T, nEmbd: C, nLayer: L } = this.config;
    const normal = (name: string, shape: number[], std = 0.02) =>
      this.add(name, tf.randomNormal(shape, 0, std, "float32", rng.tfSeed()));
    const zeros = (name: string, shape: number[]) => this.add(name, tf.zeros(shape));
    const ones = (name: string, shape: number[]) => this.add(name, tf.ones(shape));
    const projStd = 0.02 / Math.sqrt(2 * L);

    normal("transformer.wte.weight", [V, C]);
    normal("transformer.wpe.weight", [T, C], 0.01);
    for (let i = 0; i < L; i++) {
      const p = `transformer.h.${i}`;
      ones(`${p}.ln_1.weight`, [C]); zeros(`${p}.ln_1.bias`, [C]);
      normal(`${p}.attn.c_attn.weight`, [C, 3 * C]); zeros(`${p}.attn.c_attn.bias`, [3 * C]);
      normal(`${p}.attn.c_proj.weight`, [C, C], projStd); zeros(`${p}.attn.c_proj.bias`, [C]);
      ones(`${p}.ln_2.weight`, [C]); zeros(`${p}.ln_2.bias`, [C]);
      normal(`${p}.mlp.c_fc.weight`, [C, 4 * C]); zeros(`${p}.mlp.c_fc.bias`, [4 * C]);
      normal(`${p}.mlp.c_proj.weight`, [4 * C, C], projStd); zeros(`${p}.mlp.c_proj.bias`, [C]);
    }
    ones("transformer.ln_f.weight", [C]); zeros("transformer.ln_f.bias", [C]);
    if (!this.config.tieEmbeddings) normal("lm_head.weight", [V, C]);
  }

  private add(name: string, init: tf.Tensor): void {
    this.params.set(name, tf.variable(init, true, `gpt${this.instance}/${name}`));
    init.dispose();
  }

  /** The weight called `name`, or a clear error listing what exists. */
  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`GPT has no weight "${name}" (it has ${this.params.size}, e.g. ${[...this.params.keys()].slice(0, 3).join(", ")}).`);
    return v;
  }

  parameterCount(): number {
    return countParameters(this.config);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.params.values()];
  }

  /**
   * Token ids (B, T) int32 -> logits (B, T, vocabSize). T may be at most blockSize.
   */
  forward(ids: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    const [B, T] = ids.shape;
    const { blockSize, nEmbd: C, nHead: H, nLayer, layerNormEpsilon: eps, vocabSize: V } = this.config;
    if (T > blockSize) {
      throw new Error(`GPT.forward: the input has ${T} tokens but the context window is ${blockSize}; shorten or truncate the input.`);
    }
    const training = (options.training ?? false) && this.config.dropout > 0;
    const seeds = new SeededRandom(options.dropoutSeed ?? 0);
    const drop = (x: tf.Tensor) => (training ? tf.dropout(x, this.config.dropout, undefined, seeds.tfSeed()) : x);
    const hd = C / H;
    return tf.tidy(() => {
      const positions = tf.range(0, T, 1, "int32"); // (T)
      let x = tf.add(tf.gather(this.param("transformer.wte.weight"), ids), tf.gather(this.param("transformer.wpe.weight"), positions)); // (B, T, C)
      x = drop(x);
      const mask = causalMask(T); // (T, T)
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // (B, T, C) -> (B, H, T, hd)
      for (let i = 0; i < nLayer; i++) {
        const p = `transformer.h.${i}`;
        const h1 = layerNorm(x, this.param(`${p}.ln_1.weight`), this.param(`${p}.ln_1.bias`), eps);
        const qkv = linear(h1, this.param(`${p}.attn.c_attn.weight`), this.param(`${p}.attn.c_attn.bias`)); // (B, T, 3C)
        const [q, k, v] = tf.split(qkv, 3, -1).map(heads); // each (B, H, T, hd)
        const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), mask); // (B, H, T, T)
        const weights = drop(tf.softmax(scores, -1));
        const attended = tf.reshape(tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]), [B, T, C]); // (B, T, C)
        x = tf.add(x, drop(linear(attended, this.param(`${p}.attn.c_proj.weight`), this.param(`${p}.attn.c_proj.bias`))));
        const h2 = layerNorm(x, this.param(`${p}.ln_2.weight`), this.param(`${p}.ln_2.bias`), eps);
        const mlp = linear(geluNew(linear(h2, this.param(`${p}.mlp.c_fc.weight`), this.param(`${p}.mlp.c_fc.bias`))),
          this.param(`${p}.mlp.c_proj.weight`), this.param(`${p}.mlp.c_proj.bias`));
        x = tf.add(x, drop(mlp));
      }
      x = layerNorm(x, this.param("transformer.ln_f.weight"), this.param("transformer.ln_f.bias"), eps);
      const head = this.config.tieEmbeddings ? this.param("transformer.wte.weight") : this.param("lm_head.weight"); // (V, C)
      const logits = tf.matMul(tf.reshape(x, [B * T, C]), head, false, true); // (B*T, V)
      return tf.reshape(logits, [B, T, V]) as tf.Tensor3D;
    });
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
