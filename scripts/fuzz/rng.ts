/** Deterministic PRNG (mulberry32) and the draws the fuzzer makes from it: a seed replays a run. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * Math.max(0, n));
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** Values at the edges of a field of `bytes` bytes: 0, 1, max, max-1, the sign bit, small. */
  interesting(bytes: number): number {
    const max = bytes >= 4 ? 0xffffffff : (1 << (8 * bytes)) - 1;
    const sign = bytes >= 4 ? 0x80000000 : 1 << (8 * bytes - 1);
    return this.pick([0, 1, 2, max, max - 1, sign, sign - 1, 16, 64, 127, 128, 255, 256, 1500, 65535, 65536].filter((v) => v <= max));
  }
}
