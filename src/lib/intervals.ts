/**
 * Intervals (a connection from its opening to its closing) asked, for a moment t, "which opened
 * before t" and "which of those were still open at t": the count, and the first few in opening
 * order. A max tree over the closing times answers each question in O(k log n), so a dialog with
 * thousands of connections between the same two hosts costs a few steps per connection, not a
 * scan of all the earlier ones (which was quadratic: 24,000 in-dialog requests each on a new TCP
 * connection took 128 s).
 */
export class OpenIntervals<T> {
  /** The items, sorted by opening time (ties keep the order given). */
  readonly items: T[];
  private readonly opens: Float64Array;
  /** Max tree over closing times: leaves at [size, 2·size), −∞ padding. */
  private readonly tree: Float64Array;
  private readonly size: number;

  /**
   * `close` is the closing time, Infinity for one never closed, −Infinity for an item never to be
   * reported as open (it still counts as opened).
   */
  constructor(items: readonly T[], open: (x: T) => number, close: (x: T) => number) {
    const order = items.map((x, i) => ({ x, i, t: open(x) }));
    order.sort((a, b) => a.t - b.t || a.i - b.i);
    this.items = order.map((o) => o.x);
    this.opens = Float64Array.from(order, (o) => o.t);
    let size = 1;
    while (size < order.length) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(-Infinity);
    for (let i = 0; i < order.length; i++) this.tree[size + i] = close(order[i]!.x);
    for (let k = size - 1; k >= 1; k--) this.tree[k] = Math.max(this.tree[2 * k]!, this.tree[2 * k + 1]!);
  }

  /** How many opened strictly before t (so the items from this index on opened at or after t). */
  openedBefore(t: number): number {
    let lo = 0;
    let hi = this.opens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.opens[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Up to `limit` items opened strictly before t and closing after t (still open at t), in opening order. */
  openAt(t: number, limit: number): T[] {
    const end = this.openedBefore(t);
    const out: T[] = [];
    let from = 0;
    while (out.length < limit && from < end) {
      const i = this.firstAbove(1, 0, this.size, from, end, t);
      if (i < 0) break;
      out.push(this.items[i]!);
      from = i + 1;
    }
    return out;
  }

  /** The first leaf index in [from, to) whose closing time is after t, or −1. */
  private firstAbove(node: number, lo: number, hi: number, from: number, to: number, t: number): number {
    if (hi <= from || lo >= to || this.tree[node]! <= t) return -1;
    if (hi - lo === 1) return lo;
    const mid = (lo + hi) >>> 1;
    const left = this.firstAbove(2 * node, lo, mid, from, to, t);
    return left >= 0 ? left : this.firstAbove(2 * node + 1, mid, hi, from, to, t);
  }
}
