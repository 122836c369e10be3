// A GPT-2-architecture decoder in TensorFlow.js: token + position embeddings, nLayer pre-norm
// transformer blocks (causal self-attention, then a GELU MLP), a final layer norm and a language
// model head tied to the token embedding.
//
// Weights are tf.Variables named as in Hugging Face's GPT2LMHeadModel state dict
// ("transformer.h.0.attn.c_attn.weight", ...), in its Conv1D layout (in, out), so checkpoints map
// one to one.
import * as tf from "@tensorflow/tfjs";
import { releaseRecorded } from "../runtime/graph-function";
import { SeededRandom } from "../runtime/random";
import { countParameters, gptConfig, type GPTConfig } from "./config";
import { causalMask, geluNew, layerNorm, linear, outputProjection } from "./layers";

/** Keys and values of a pass, per layer: k, v are (B, H, T, headDim). */
export type LayerCache = { k: tf.Tensor4D; v: tf.Tensor4D }[];

/**
 * How a block attends: given layer i's queries, keys and values of the input tokens, each
 * (B, H, T, hd), the attended values (B, H, T, hd). Causal over the input in GPT.forward; over a
 * cache of earlier tokens in model/decoder.ts.
 */
export type Attention = (layer: number, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor;

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

  /**
   * A freshly initialized model (weights ~ N(0, 0.02), residual projections scaled by 1/sqrt(2 nLayer)),
   * or, when `weights` is given, a model holding exactly those weights (see checkpoint.ts), which
   * must all be present with the shapes the config implies.
   */
  constructor(
    config: GPTConfig,
    seed: number | string = 0,
    weights?: Map<string, { shape: number[]; data: Float32Array }>,
  ) {
    this.config = gptConfig(config as GPTConfig & Record<string, unknown>);
    this.params = new Map();
    if (weights) {
      this.loadWeights(weights);
      return;
    }
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
      ones(`${p}.ln_1.weight`, [C]);
      zeros(`${p}.ln_1.bias`, [C]);
      normal(`${p}.attn.c_attn.weight`, [C, 3 * C]);
      zeros(`${p}.attn.c_attn.bias`, [3 * C]);
      normal(`${p}.attn.c_proj.weight`, [C, C], projStd);
      zeros(`${p}.attn.c_proj.bias`, [C]);
      ones(`${p}.ln_2.weight`, [C]);
      zeros(`${p}.ln_2.bias`, [C]);
      normal(`${p}.mlp.c_fc.weight`, [C, 4 * C]);
      zeros(`${p}.mlp.c_fc.bias`, [4 * C]);
      normal(`${p}.mlp.c_proj.weight`, [4 * C, C], projStd);
      zeros(`${p}.mlp.c_proj.bias`, [C]);
    }
    ones("transformer.ln_f.weight", [C]);
    zeros("transformer.ln_f.bias", [C]);
    if (!this.config.tieEmbeddings) normal("lm_head.weight", [V, C]);
  }

  /** The name and shape of every weight this config has, in a fixed order. */
  static weightShapes(config: GPTConfig): Map<string, number[]> {
    const { vocabSize: V, blockSize: T, nEmbd: C, nLayer: L } = config;
    const shapes = new Map<string, number[]>([
      ["transformer.wte.weight", [V, C]],
      ["transformer.wpe.weight", [T, C]],
    ]);
    for (let i = 0; i < L; i++) {
      const p = `transformer.h.${i}`;
      for (const [n, shape] of [
        ["ln_1.weight", [C]],
        ["ln_1.bias", [C]],
        ["attn.c_attn.weight", [C, 3 * C]],
        ["attn.c_attn.bias", [3 * C]],
        ["attn.c_proj.weight", [C, C]],
        ["attn.c_proj.bias", [C]],
        ["ln_2.weight", [C]],
        ["ln_2.bias", [C]],
        ["mlp.c_fc.weight", [C, 4 * C]],
        ["mlp.c_fc.bias", [4 * C]],
        ["mlp.c_proj.weight", [4 * C, C]],
        ["mlp.c_proj.bias", [C]],
      ] as [string, number[]][])
        shapes.set(`${p}.${n}`, shape);
    }
    shapes.set("transformer.ln_f.weight", [C]);
    shapes.set("transformer.ln_f.bias", [C]);
    if (!config.tieEmbeddings) shapes.set("lm_head.weight", [V, C]);
    return shapes;
  }

  private loadWeights(weights: Map<string, { shape: number[]; data: Float32Array }>): void {
    const expected = GPT.weightShapes(this.config);
    const missing = [...expected.keys()].filter((n) => !weights.has(n));
    if (missing.length > 0) {
      throw new Error(
        `The weights lack ${missing.length} tensor(s) the config needs, e.g. ${missing.slice(0, 3).join(", ")}; ` +
          "the checkpoint does not belong to this config (compare n_layer, and tie_word_embeddings for lm_head.weight).",
      );
    }
    const unexpected = [...weights.keys()].filter((n) => !expected.has(n));
    if (unexpected.length > 0) {
      throw new Error(
        `The weights have ${unexpected.length} tensor(s) this config has no place for, e.g. ${unexpected.slice(0, 3).join(", ")}; ` +
          "the checkpoint does not match its config (compare n_layer).",
      );
    }
    for (const [name, shape] of expected) {
      const w = weights.get(name)!;
      if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
        throw new Error(
          `Weight ${name} has shape [${w.shape}] but the config (vocab_size ${this.config.vocabSize}, n_positions ` +
            `${this.config.blockSize}, n_embd ${this.config.nEmbd}) needs [${shape}]: the checkpoint does not match its config.json.`,
        );
      }
      this.add(name, tf.tensor(w.data, shape, "float32"));
    }
  }

  private add(name: string, init: tf.Tensor): void {
    this.params.set(name, tf.variable(init, true, `gpt${this.instance}/${name}`));
    init.dispose();
  }

  /** The weight called `name`, or a clear error listing what exists. */
  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v)
      throw new Error(
        `GPT has no weight "${name}" (it has ${this.params.size}, e.g. ${[...this.params.keys()].slice(0, 3).join(", ")}).`,
      );
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
    return tf.tidy(() => this.run(ids, options).logits as tf.Tensor3D);
  }

  /**
   * The prompt pass of decoding (model/decoder.ts): logits (n, V) only at the positions `picks`
   * (flat indices b * T + t into the (B, T) input; one per row, its last prompt token), and the keys
   * and values of every position. The output layer runs on n rows instead of B * T.
   */
  prefill(ids: tf.Tensor2D, picks: tf.Tensor1D): { logits: tf.Tensor2D; layers: LayerCache } {
    const out = tf.tidy(() => {
      const r = this.run(ids, {}, picks);
      return { logits: r.logits, layers: r.layers };
    });
    return { logits: out.logits as tf.Tensor2D, layers: out.layers };
  }

  /**
   * The transformer blocks and the final layer norm over embeddings x (B, T, C) -> (B, T, C), each
   * block's attention computed by `attend`. `drop` applies dropout where training asks for it.
   */
  blocks(x: tf.Tensor, attend: Attention, drop: (t: tf.Tensor) => tf.Tensor = (t) => t): tf.Tensor {
    const [B, T, C] = x.shape;
    const { nHead: H, nLayer, layerNormEpsilon: eps } = this.config;
    const hd = C / H;
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // (B, T, C) -> (B, H, T, hd)
    for (let i = 0; i < nLayer; i++) {
      const p = `transformer.h.${i}`;
      const h1 = layerNorm(x, this.param(`${p}.ln_1.weight`), this.param(`${p}.ln_1.bias`), eps);
      const qkv = linear(h1, this.param(`${p}.attn.c_attn.weight`), this.param(`${p}.attn.c_attn.bias`)); // (B, T, 3C)
      const [q, k, v] = tf.split(qkv, 3, -1).map(heads); // each (B, H, T, hd)
      const attended = tf.reshape(tf.transpose(attend(i, q, k, v), [0, 2, 1, 3]), [B, T, C]); // (B, T, C)
      x = tf.add(x, drop(linear(attended, this.param(`${p}.attn.c_proj.weight`), this.param(`${p}.attn.c_proj.bias`))));
      const h2 = layerNorm(x, this.param(`${p}.ln_2.weight`), this.param(`${p}.ln_2.bias`), eps);
      const mlp = linear(
        geluNew(linear(h2, this.param(`${p}.mlp.c_fc.weight`), this.param(`${p}.mlp.c_fc.bias`))),
        this.param(`${p}.mlp.c_proj.weight`),
        this.param(`${p}.mlp.c_proj.bias`),
      );
      x = tf.add(x, drop(mlp));
    }
    return layerNorm(x, this.param("transformer.ln_f.weight"), this.param("transformer.ln_f.bias"), eps);
  }

  /** The output layer's weight (V, C): the token embedding when they are tied. */
  outputWeight(): tf.Tensor2D {
    return (
      this.config.tieEmbeddings ? this.param("transformer.wte.weight") : this.param("lm_head.weight")
    ) as tf.Tensor2D;
  }

  private run(ids: tf.Tensor2D, options: ForwardOptions, picks?: tf.Tensor1D) {
    const [B, T] = ids.shape;
    const { blockSize, nEmbd: C, nHead: H, vocabSize: V } = this.config;
    if (T > blockSize) {
      throw new Error(
        `GPT: the input has ${T} tokens but the context window is ${blockSize}; shorten or truncate the input.`,
      );
    }
    const training = (options.training ?? false) && this.config.dropout > 0;
    const seeds = new SeededRandom(options.dropoutSeed ?? 0);
    const drop = (x: tf.Tensor) => (training ? tf.dropout(x, this.config.dropout, undefined, seeds.tfSeed()) : x);
    const hd = C / H;
    const positions = tf.range(0, T, 1, "int32"); // (T)
    const embedded = drop(
      tf.add(
        tf.gather(this.param("transformer.wte.weight"), ids),
        tf.gather(this.param("transformer.wpe.weight"), positions),
      ),
    ); // (B, T, C)
    const mask = causalMask(T); // (T, T) additive: query i sees keys 0..i
    const layers: LayerCache = [];
    const x = this.blocks(
      embedded,
      (_, q, k, v) => {
        layers.push({ k: k as tf.Tensor4D, v: v as tf.Tensor4D });
        // Scale q (B, H, T, hd) rather than the scores (B, H, T, T): the same product, a smaller tensor to scale.
        const scores = tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true), mask); // (B, H, T, T)
        return tf.matMul(drop(tf.softmax(scores, -1)), v); // (B, H, T, hd)
      },
      drop,
    );
    const rows = tf.reshape(x, [B * T, C]) as tf.Tensor2D;
    if (picks) return { logits: outputProjection(tf.gather(rows, picks), this.outputWeight()) as tf.Tensor, layers }; // (n, V)
    return { logits: tf.reshape(outputProjection(rows, this.outputWeight()), [B, T, V]), layers }; // (B, T, V)
  }

  dispose(): void {
    releaseRecorded(this); // its decoding steps and losses, recorded as TensorFlow functions
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
