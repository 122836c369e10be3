// Decoding one token per row at a time, with a key/value cache of fixed capacity: the loop inside
// generate() and generateBatch().
//
// Each step of a KV-cached decoder does little arithmetic and many small ops (about 30 per layer),
// so op-by-op execution spends most of a step calling kernels from JavaScript. Here a step has the
// same shapes every time: the cache holds `capacity` positions from the start, the new key and value
// are written into their slot, and attention covers all slots with the not-yet-written ones masked.
// So one recorded TensorFlow function (runtime/graph-function.ts) serves every step of every
// generation with the same batch size and capacity.
//
// Rows may sit at different positions (right-padded prompts of different lengths): each row writes
// its own slot and sees only slots up to its own position, so pads after its prompt are never seen
// and are overwritten as it grows. The prompts go through GPT.prefill once, recorded the same way.
import * as tf from "@tensorflow/tfjs";
import { recordedFor } from "../runtime/graph-function";
import type { GPT } from "./gpt";
import { geluNew, layerNorm, linear, outputProjection } from "./layers";

/**
 * Generations of at least this many new tokens compile their decoding step with XLA: its compile
 * (about a second, once per machine and shape) pays for itself within a few dozen steps.
 */
export const XLA_FROM_NEW_TOKENS = 32;

/** Capacity for sequences of up to `needed` positions: rounded up to a multiple of 32, at most the window. */
export function cacheCapacity(needed: number, window: number): number {
  return Math.min(window, Math.ceil(needed / 32) * 32);
}

export class Decoder {
  /** k and v per layer, each (B, H, capacity, hd). */
  private keys: tf.Tensor[] = [];
  private values: tf.Tensor[] = [];
  private readonly names: string[];

  /**
   * capacity: positions the cache holds (cacheCapacity). xla: compile the decoding step with XLA, for
   * long generations: about a second once per machine, then a step takes a half to a third of the time.
   */
  constructor(
    readonly model: GPT,
    readonly capacity: number,
    private readonly options: { xla?: boolean } = {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > model.config.blockSize)
      throw new Error(`Decoder: capacity must be an integer in [1, ${model.config.blockSize}], got ${capacity}.`);
    this.names = [...model.params.keys()];
  }

  /**
   * Runs the prompts (one per row, right-padded to a multiple of 16 positions) and fills the cache
   * with their keys and values. Returns the logits at each row's last prompt token, (B, V). Recorded
   * per (batch, padded length): the same prompts again (a validation set, evaluated after every
   * epoch) replay it.
   */
  prefill(prompts: readonly number[][]): tf.Tensor2D {
    const B = prompts.length;
    const longest = Math.max(...prompts.map((p) => p.length));
    if (longest > this.capacity)
      throw new Error(`Decoder: a prompt of ${longest} tokens does not fit a capacity of ${this.capacity}.`);
    const T = Math.min(this.capacity, Math.ceil(longest / 16) * 16);
    this.disposeCache();
    const ids = tf.tensor2d(
      prompts.map((p) => [...p, ...new Array(T - p.length).fill(0)]),
      [B, T],
      "int32",
    );
    const picks = tf.tensor1d(
      prompts.map((p, b) => b * T + p.length - 1),
      "int32",
    ); // each row's last prompt token, as a flat index into (B * T)
    const [logits, ...cache] = recordedFor(this.model, `prefill-${B}x${T}x${this.capacity}`, (args) =>
      this.prefillMath(args),
    ).call([ids, picks, ...this.weights()]);
    tf.dispose([ids, picks]);
    this.keep(cache);
    return logits as tf.Tensor2D;
  }

  /** args = [ids (B, T), picks (B), weights]; returns [logits (B, V), keys, values] padded to (B, H, capacity, hd). */
  private prefillMath([ids, picks]: tf.Tensor[]): tf.Tensor[] {
    const T = ids.shape[1]!;
    const { logits, cache } = this.model.prefill(ids as tf.Tensor2D, picks as tf.Tensor1D);
    const pad = (t: tf.Tensor) =>
      T === this.capacity
        ? t
        : tf.pad(t, [
            [0, 0],
            [0, 0],
            [0, this.capacity - T],
            [0, 0],
          ]);
    return [logits, ...cache.layers.map((l) => pad(l.k)), ...cache.layers.map((l) => pad(l.v))];
  }

  /**
   * Feeds one token per row, row b's at position positions[b] (the next free slot of that row), and
   * returns the logits for the token after it, (B, V).
   */
  step(tokens: readonly number[], positions: readonly number[]): tf.Tensor2D {
    const B = tokens.length;
    if (this.keys.length === 0) throw new Error("Decoder.step: call prefill first.");
    if (positions.some((p) => p < 0 || p >= this.capacity))
      throw new Error(`Decoder.step: positions must be in [0, ${this.capacity}), got ${positions.join(", ")}.`);
    const ids = tf.tensor2d([...tokens], [B, 1], "int32");
    const at = tf.tensor1d([...positions], "int32");
    const [logits, ...cache] = recordedFor(
      this.model,
      `decode-step-${B}x${this.capacity}`,
      (args) => this.stepMath(args),
      this.options,
    ).call([ids, at, ...this.keys, ...this.values, ...this.weights()]);
    tf.dispose([ids, at, ...this.keys, ...this.values]);
    this.keep(cache);
    return logits as tf.Tensor2D;
  }

  dispose(): void {
    this.disposeCache();
  }

  private disposeCache(): void {
    tf.dispose([...this.keys, ...this.values]);
    this.keys = [];
    this.values = [];
  }

  /** Takes the new cache (keys then values, L each). Kept: a caller's tf.tidy must not free what the next step reads. */
  private keep(cache: tf.Tensor[]): void {
    const L = cache.length / 2;
    this.keys = cache.slice(0, L).map((t) => tf.keep(t));
    this.values = cache.slice(L).map((t) => tf.keep(t));
  }

  /** The weights, in the order the recorded functions take them. */
  private weights(): tf.Tensor[] {
    return this.names.map((n) => this.model.params.get(n)!);
  }

  /**
   * args = [ids (B, 1) int32, positions (B) int32, keys (L x (B, H, S, hd)), values (L x ...),
   * weights (in model.params order)]; returns [logits (B, V), keys', values'] with S = capacity.
   * The weights are arguments, not read from the model inside, so that a recorded step always
   * uses the weights as they are now (fine-tuning changes them between evaluations).
   */
  private stepMath(args: tf.Tensor[]): tf.Tensor[] {
    const { nEmbd: C, nHead: H, nLayer: L, layerNormEpsilon: eps, tieEmbeddings } = this.model.config;
    const S = this.capacity;
    const hd = C / H;
    const [ids, positions] = args;
    const B = ids.shape[0];
    const pastK = args.slice(2, 2 + L);
    const pastV = args.slice(2 + L, 2 + 2 * L);
    const weights = new Map(this.names.map((n, i) => [n, args[2 + 2 * L + i]]));
    const w = (name: string) => weights.get(name)!;

    let x = tf.add(
      tf.gather(w("transformer.wte.weight"), ids),
      tf.reshape(tf.gather(w("transformer.wpe.weight"), positions), [B, 1, C]),
    ); // (B, 1, C)
    // slot (B, 1, S, 1): 1 at the row's position; hidden (B, 1, 1, S): -1e9 on slots after it.
    const slot = tf.reshape(tf.oneHot(positions, S), [B, 1, S, 1]);
    const keep = tf.sub(1, slot);
    const after = tf.greater(tf.reshape(tf.range(0, S, 1, "int32"), [1, S]), tf.reshape(positions, [B, 1])); // (B, S)
    const hidden = tf.reshape(tf.mul(tf.cast(after, "float32"), -1e9), [B, 1, 1, S]);
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, 1, H, hd]), [0, 2, 1, 3]); // (B, 1, C) -> (B, H, 1, hd)
    const keys: tf.Tensor[] = [];
    const values: tf.Tensor[] = [];
    for (let i = 0; i < L; i++) {
      const p = `transformer.h.${i}`;
      const h1 = layerNorm(x, w(`${p}.ln_1.weight`), w(`${p}.ln_1.bias`), eps);
      const [q, kNew, vNew] = tf
        .split(linear(h1, w(`${p}.attn.c_attn.weight`), w(`${p}.attn.c_attn.bias`)), 3, -1)
        .map(heads);
      // Write the new key and value into the row's slot: exact (x * 1 + 0 and 0 + y * 1).
      const k = tf.add(tf.mul(pastK[i], keep), tf.mul(kNew, slot)); // (B, H, S, hd)
      const v = tf.add(tf.mul(pastV[i], keep), tf.mul(vNew, slot));
      keys.push(k);
      values.push(v);
      const scores = tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true), hidden); // (B, H, 1, S)
      const attended = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores, -1), v), [0, 2, 1, 3]), [B, 1, C]);
      x = tf.add(x, linear(attended, w(`${p}.attn.c_proj.weight`), w(`${p}.attn.c_proj.bias`)));
      const h2 = layerNorm(x, w(`${p}.ln_2.weight`), w(`${p}.ln_2.bias`), eps);
      x = tf.add(
        x,
        linear(
          geluNew(linear(h2, w(`${p}.mlp.c_fc.weight`), w(`${p}.mlp.c_fc.bias`))),
          w(`${p}.mlp.c_proj.weight`),
          w(`${p}.mlp.c_proj.bias`),
        ),
      );
    }
    x = layerNorm(x, w("transformer.ln_f.weight"), w("transformer.ln_f.bias"), eps);
    const head = tieEmbeddings ? w("transformer.wte.weight") : w("lm_head.weight"); // (V, C)
    const logits = outputProjection(tf.reshape(x, [B, C]) as tf.Tensor2D, head as tf.Tensor2D); // (B, V)
    return [logits, ...keys, ...values];
  }
}
