import { describe, expect, it } from 'vitest';
import { exactList, FEW, fewAdd, fewHas, fewList, fewSize, fit, sortAscending } from './lists.ts';
import type { Few } from './lists.ts';

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

  it('Few keeps distinct values in the order added: a list up to FEW, then a Set', () => {
    let f: Few<number> = [];
    for (const x of [3, 1, 3, 2, 1]) f = fewAdd(f, x);
    expect(Array.isArray(f)).toBe(true);
    expect(fewList(f)).toEqual([3, 1, 2]);
    for (let x = 10; x < 10 + FEW; x++) f = fewAdd(f, x);
    expect(f).toBeInstanceOf(Set);
    f = fewAdd(f, 3);
    expect(fewSize(f)).toBe(3 + FEW);
    expect(fewHas(f, 2) && fewHas(f, 10 + FEW - 1) && !fewHas(f, 99)).toBe(true);
    expect(fewList(f).slice(0, 4)).toEqual([3, 1, 2, 10]);
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
