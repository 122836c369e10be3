// A seeded random source, so that the same seed gives the same split, shuffle and initialization.
//
// Math.random cannot be seeded, and tfjs's seeds cover only its own ops. SeededRandom is a small
// counter-based generator (SplitMix32-style mixing) that also derives integer seeds for tfjs ops.

/** Mixes a 32-bit state into a well-distributed 32-bit output (SplitMix32-style finalizer). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hashes a string or number seed into a 32-bit state (FNV-1a over the string form). */
function hashSeed(seed: number | string): number {
  const s = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class SeededRandom {
  private state: number;
  readonly seed: number | string;

  constructor(seed: number | string) {
    if (typeof seed === "number" && !Number.isFinite(seed)) {
      throw new Error(`SeededRandom: the seed must be a finite number or a string, got ${seed}.`);
    }
    this.seed = seed;
    this.state = hashSeed(seed);
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix32(this.state);
  }

  /** Uniform float in [0, 1), with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`SeededRandom.int: n must be a positive integer, got ${n}.`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(u) is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A shuffled copy of items (Fisher-Yates); the input is left as it was. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** An integer seed for a tfjs op (tf.randomNormal(shape, mean, std, dtype, seed)). */
  tfSeed(): number {
    return this.nextUint32() % 2147483647;
  }

  /**
   * An independent generator for a named purpose ("split", "init", "shuffle/epoch-3"): its stream
   * depends only on this generator's seed and the label, not on how many numbers were drawn before.
   */
  fork(label: string): SeededRandom {
    return new SeededRandom(`${String(this.seed)}/${label}`);
  }
}
