// A binary heap: push in any order, pop the entry that should come first. Used by the tokenizer
// (the next merge to apply) and the BPE trainer (the most frequent pair).

export class BinaryHeap<T> {
  private readonly items: T[] = [];

  /** `before(x, y)` is true when x should come out before y. */
  constructor(private readonly before: (x: T, y: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(entry: T): void {
    const a = this.items;
    let i = a.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(entry, a[parent])) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = entry;
  }

  /** Removes and returns the first entry (undefined when empty). */
  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as T;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= a.length) break;
        if (child + 1 < a.length && this.before(a[child + 1], a[child])) child++;
        if (!this.before(a[child], last)) break;
        a[i] = a[child];
        i = child;
      }
      a[i] = last;
    }
    return top;
  }
}
