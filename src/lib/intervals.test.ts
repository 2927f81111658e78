import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.ts';
import { OpenIntervals } from './intervals.ts';

describe('OpenIntervals', () => {
  it('answers like a scan of every interval, on random sets with ties, never-closed and excluded items', () => {
    const r = mulberry32(7);
    for (let round = 0; round < 200; round++) {
      const n = Math.floor(r() * 40);
      const items = Array.from({ length: n }, (_, id) => {
        const open = Math.floor(r() * 50);
        const kind = r();
        const close = kind < 0.2 ? Infinity : kind < 0.3 ? -Infinity : open + Math.floor(r() * 30);
        return { id, open, close };
      });
      const iv = new OpenIntervals(items, (x) => x.open, (x) => x.close);
      // Opening order, ties in the order given.
      const sorted = [...items].sort((a, b) => a.open - b.open || a.id - b.id);
      expect(iv.items).toEqual(sorted);
      for (let t = -1; t <= 82; t += 3) {
        const before = sorted.filter((x) => x.open < t);
        expect(iv.openedBefore(t)).toBe(before.length);
        for (const limit of [1, 3, 8, 100]) {
          expect(iv.openAt(t, limit), `round ${round} t ${t} limit ${limit}`).toEqual(before.filter((x) => x.close > t).slice(0, limit));
        }
      }
    }
  });

  it('is empty for no items', () => {
    const iv = new OpenIntervals<number>([], (x) => x, () => Infinity);
    expect(iv.openedBefore(10)).toBe(0);
    expect(iv.openAt(10, 8)).toEqual([]);
  });
});
