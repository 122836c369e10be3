// Comparing numbers with a tolerance, with messages that say where and by how much they differ.
import assert from "node:assert/strict";
import { maxAbsDiff } from "../../src/util/max-abs-diff";

export { maxAbsDiff };

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
