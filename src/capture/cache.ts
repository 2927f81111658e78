/**
 * A two-level cache (outer key → inner key → value) for values a capture asks for again and
 * again, such as the text or the object of one address and port: made once, then shared. The
 * number of outer keys is bounded; past it the cache starts over.
 */
export class PairCache<A, B, V> {
  private readonly outer = new Map<A, Map<B, V>>();

  constructor(
    private readonly make: (a: A, b: B) => V,
    private readonly maxOuter = 65_536,
  ) {}

  get(a: A, b: B): V {
    let inner = this.outer.get(a);
    if (inner === undefined) {
      if (this.outer.size >= this.maxOuter) this.outer.clear();
      this.outer.set(a, (inner = new Map()));
    }
    let v = inner.get(b);
    if (v === undefined) inner.set(b, (v = this.make(a, b)));
    return v;
  }
}
