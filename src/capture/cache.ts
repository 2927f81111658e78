/**
 * A two-level cache (outer key → inner key → value) for values a capture asks for again and
 * again, such as the text or the object of one address and port: made once, then shared. The
 * number of outer keys is bounded; past it the cache starts over.
 *
 * Most outer keys (an IP address) come with one inner key (its port) only, and a trace from an
 * SBC names tens of thousands of addresses: the first value of an outer key sits in a small slot,
 * and an inner Map (a few hundred bytes even when empty) is made only for a second inner key.
 */
export class PairCache<A, B, V> {
  private readonly outer = new Map<A, Slot<B, V>>();

  constructor(
    private readonly make: (a: A, b: B) => V,
    private readonly maxOuter = 65_536,
  ) {}

  get(a: A, b: B): V {
    const slot = this.outer.get(a);
    if (slot === undefined) {
      if (this.outer.size >= this.maxOuter) this.outer.clear();
      const v = this.make(a, b);
      this.outer.set(a, { b, v, more: null });
      return v;
    }
    // SameValueZero, as a Map compares keys (NaN equals NaN).
    if (slot.b === b || (slot.b !== slot.b && b !== b)) return slot.v;
    let v = slot.more?.get(b);
    if (v === undefined) (slot.more ??= new Map()).set(b, (v = this.make(a, b)));
    return v;
  }

  /** Forget every value (those handed out stay what they are; later ones are made again). */
  clear(): void {
    this.outer.clear();
  }
}

interface Slot<B, V> {
  readonly b: B;
  readonly v: V;
  more: Map<B, V> | null;
}
