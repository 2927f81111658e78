import { describe, expect, it } from 'vitest';
import { exactList, fit, sortAscending } from './lists.ts';

describe('lists', () => {
  it('sortAscending sorts in place, and leaves a list in order as it is', () => {
    const sorted = [1, 2, 2, 5, 90];
    expect(sortAscending(sorted)).toBe(sorted);
    expect(sorted).toEqual([1, 2, 2, 5, 90]);
    const mixed = [5, 1, 90, 2, 2, 0];
    expect(sortAscending(mixed)).toBe(mixed);
    expect(mixed).toEqual([0, 1, 2, 2, 5, 90]);
    // Numerically, not as text (the default sort would put 10 before 9).
    expect(sortAscending([10, 9, 100])).toEqual([9, 10, 100]);
    expect(sortAscending([])).toEqual([]);
  });

  it('sortAscending sorts short and long lists alike (by insertion up to 64 items, else by Array sort)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 1000;
    for (const n of [2, 3, 10, 63, 64, 65, 200]) {
      const list = Array.from({ length: n }, rand);
      const want = [...list].sort((a, b) => a - b);
      expect(sortAscending(list)).toBe(list);
      expect(list).toEqual(want);
    }
    // Nearly in order: a dialog's messages with its first ones appended last.
    expect(sortAscending([3, 4, 7, 9, 0, 1])).toEqual([0, 1, 3, 4, 7, 9]);
  });

  it('fit and exactList give the one frozen empty list for nothing', () => {
    expect(Object.isFrozen(fit([]))).toBe(true);
    expect(fit([]) === exactList(0)).toBe(true);
    const l = [1, 2];
    expect(fit(l)).toEqual([1, 2]);
    expect(fit(l)).not.toBe(l);
    expect(exactList<number>(3)).toHaveLength(3);
  });
});
