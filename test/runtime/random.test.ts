import assert from "node:assert/strict";
import { SeededRandom } from "../../src/runtime/random";

describe("SeededRandom", () => {
  it("gives the same stream for the same seed and a different one for another seed", () => {
    const a = new SeededRandom(42),
      b = new SeededRandom(42),
      c = new SeededRandom(43);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    const sb = Array.from({ length: 20 }, () => b.nextUint32());
    const sc = Array.from({ length: 20 }, () => c.nextUint32());
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
  });

  it("draws uniform floats in [0, 1) with mean near 1/2", () => {
    const r = new SeededRandom("uniform");
    const xs = Array.from({ length: 20000 }, () => r.next());
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  });

  it("draws integers in [0, n) hitting every value", () => {
    const r = new SeededRandom(7);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[r.int(6)]++;
    assert.ok(
      counts.every((c) => c > 850 && c < 1150),
      `counts ${counts}`,
    );
    assert.throws(() => r.int(0), /positive integer/);
  });

  it("draws standard normals (mean 0, variance 1)", () => {
    const r = new SeededRandom(1);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.04, `variance ${variance}`);
  });

  it("shuffles a copy into a permutation, reproducibly, leaving the input alone", () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s1 = new SeededRandom(3).shuffle(items);
    const s2 = new SeededRandom(3).shuffle(items);
    assert.deepEqual(s1, s2);
    assert.notDeepEqual(s1, items);
    assert.deepEqual(
      [...s1].sort((a, b) => a - b),
      items,
    );
    assert.deepEqual(
      items,
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it("forks streams that depend on the label only, not on draws made before", () => {
    const a = new SeededRandom(5);
    const b = new SeededRandom(5);
    b.next();
    b.next();
    assert.equal(a.fork("split").next(), b.fork("split").next());
    assert.notEqual(a.fork("split").next(), a.fork("init").next());
  });

  it("refuses a seed that is not finite", () => {
    assert.throws(() => new SeededRandom(NaN), /finite number/);
  });
});
