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
import { outputProjection } from "./layers";

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
    // Keyed by capacity too: it sets the cache's padding, which no argument's shape shows. (The body
    // is the first such decoder's; with the same model and capacity, any such decoder's is the same.)
    const [logits, ...cache] = recordedFor(this.model, `prefill-${this.capacity}`, (args) =>
      this.prefillMath(args),
    ).call([ids, picks, ...this.weights()]);
    tf.dispose([ids, picks]);
    this.keep(cache);
    return logits as tf.Tensor2D;
  }

  /** args = [ids (B, T), picks (B), weights]; returns [logits (B, V), keys, values] padded to (B, H, capacity, hd). */
  private prefillMath([ids, picks]: tf.Tensor[]): tf.Tensor[] {
    const T = ids.shape[1]!;
    const { logits, layers } = this.model.prefill(ids as tf.Tensor2D, picks as tf.Tensor1D);
    const pad = (t: tf.Tensor) =>
      T === this.capacity
        ? t
        : tf.pad(t, [
            [0, 0],
            [0, 0],
            [0, this.capacity - T],
            [0, 0],
          ]);
    return [logits, ...layers.map((l) => pad(l.k)), ...layers.map((l) => pad(l.v))];
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
    const [logits, ...cache] = recordedFor(this.model, "decode-step", (args) => this.stepMath(args), this.options).call(
      [ids, at, ...this.keys, ...this.values, ...this.weights()],
    );
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

  /**
   * A decoder for prompts of up to `longestPrompt` tokens and `maxNewTokens` more, as generate() and
   * generateBatch() use it: the capacity that fits them, XLA from XLA_FROM_NEW_TOKENS new tokens on.
   */
  static forGeneration(model: GPT, longestPrompt: number, maxNewTokens: number): Decoder {
    return new Decoder(model, cacheCapacity(longestPrompt + maxNewTokens, model.config.blockSize), {
      xla: maxNewTokens >= XLA_FROM_NEW_TOKENS,
    });
  }

  /** Takes the new cache (keys then values, L each). Kept: a caller's tf.tidy must not free what the next step reads. */
  private keep(cache: tf.Tensor[]): void {
    const L = cache.length / 2;
    this.keys = cache.slice(0, L).map((t) => tf.keep(t));
    this.values = cache.slice(L).map((t) => tf.keep(t));
  }

  /** The weights, in the order the recorded functions take them. */
  private weights(): tf.Tensor[] {
    return this.model.trainableVariables();
  }

  /**
   * args = [ids (B, 1) int32, positions (B) int32, keys (L x (B, H, S, hd)), values (L x ...),
   * weights (trainableVariables)]; returns [logits (B, V), keys', values'] with S = capacity.
   * The weights are arguments so that the recorded function takes them as inputs and always uses
   * the weights as they are now (fine-tuning changes them between evaluations); the body reads them
   * from the model, the same tensors.
   */
  private stepMath(args: tf.Tensor[]): tf.Tensor[] {
    const { nEmbd: C, nHead: H, nLayer: L } = this.model.config;
    const hd = C / H;
    const [ids, positions] = args;
    const B = ids.shape[0];
    const pastK = args.slice(2, 2 + L);
    const pastV = args.slice(2 + L, 2 + 2 * L);
    // The capacity from the cache's shape, not this.capacity: the recorded step is the model's, shared
    // by every decoder of it, and recorded once per shape by whichever decoder came first.
    const S = pastK[0].shape[2]!;
    const embedded = tf.add(
      tf.gather(this.model.param("transformer.wte.weight"), ids),
      tf.reshape(tf.gather(this.model.param("transformer.wpe.weight"), positions), [B, 1, C]),
    ); // (B, 1, C)
    // slot (B, 1, S, 1): 1 at the row's position; hidden (B, 1, 1, S): -1e9 on slots after it.
    const slot = tf.reshape(tf.oneHot(positions, S), [B, 1, S, 1]);
    const keep = tf.sub(1, slot);
    const after = tf.greater(tf.reshape(tf.range(0, S, 1, "int32"), [1, S]), tf.reshape(positions, [B, 1])); // (B, S)
    const hidden = tf.reshape(tf.mul(tf.cast(after, "float32"), -1e9), [B, 1, 1, S]);
    const keys: tf.Tensor[] = [];
    const values: tf.Tensor[] = [];
    const x = this.model.blocks(embedded, (i, q, kNew, vNew) => {
      // Write the new key and value into the row's slot: exact (x * 1 + 0 and 0 + y * 1).
      const k = tf.add(tf.mul(pastK[i], keep), tf.mul(kNew, slot)); // (B, H, S, hd)
      const v = tf.add(tf.mul(pastV[i], keep), tf.mul(vNew, slot));
      keys.push(k);
      values.push(v);
      const scores = tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true), hidden); // (B, H, 1, S)
      return tf.matMul(tf.softmax(scores, -1), v); // (B, H, 1, hd)
    });
    const logits = outputProjection(tf.reshape(x, [B, C]) as tf.Tensor2D, this.model.outputWeight()); // (B, V)
    return [logits, ...keys, ...values];
  }
}
