// Comparing numbers with a tolerance, with messages that say where and by how much they differ.
import assert from "node:assert/strict";

/** Largest |a[i] - b[i]|; the arrays must have the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d; // NaN propagates as the worst difference
  }
  return worst;
}

/** Asserts every element is within atol + rtol * |expected|, naming the first offender. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol = 0,
  what = "values",
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= atol + rtol * Math.abs(expected[i]))) {
      assert.fail(
        `${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (|diff| ${d.toExponential(2)}, ` +
          `max |diff| ${maxAbsDiff(actual, expected).toExponential(2)}, tolerance ${atol} + ${rtol}*|expected|)`,
      );
    }
  }
}
