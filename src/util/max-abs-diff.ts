// The largest element-wise difference between two arrays of numbers: how the parity checks (tests,
// benchmarks) say how far one implementation's numbers are from another's.

/** Largest |a[i] - b[i]|; NaN anywhere is the worst difference. The arrays must have the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d; // NaN propagates as the worst difference
  }
  return worst;
}
