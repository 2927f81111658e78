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

  it('fit and exactList give the one frozen empty list for nothing', () => {
    expect(Object.isFrozen(fit([]))).toBe(true);
    expect(fit([]) === exactList(0)).toBe(true);
    const l = [1, 2];
    expect(fit(l)).toEqual([1, 2]);
    expect(fit(l)).not.toBe(l);
    expect(exactList<number>(3)).toHaveLength(3);
  });
});
