import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { appended, EMPTY, exactList, FEW, fewAdd, fewHas, fewList, fewSize, fit, fitAppended, groupLists, numberByKey, sortAscending } from './lists.ts';
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

  it('appended gives a new list while short (the one before unchanged), then pushes in place', () => {
    let l: number[] = EMPTY;
    const seen: number[][] = [];
    for (let x = 0; x < FEW; x++) {
      const before = l;
      l = appended(l, x);
      expect(l).not.toBe(before);
      expect(before).toHaveLength(x); // a routing snapshot holding the old list still sees what it saw
      seen.push(l);
    }
    expect(seen.map((s) => s.length)).toEqual(Array.from({ length: FEW }, (_, k) => k + 1));
    expect(fitAppended(l)).toBe(l);
    const long = l;
    l = appended(l, FEW);
    expect(l).toBe(long);
    expect(l).toEqual(Array.from({ length: FEW + 1 }, (_, k) => k));
    expect(fitAppended(l)).not.toBe(l);
    expect(fitAppended(l)).toEqual(l);
    expect(Object.isFrozen(EMPTY) && EMPTY.length === 0).toBe(true);
  });

  it('appended keeps a short list at its length: much less heap than one grown by push', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const n = 50_000;
    const heldBy = (make: (i: number) => number[]): number => {
      gc();
      const before = process.memoryUsage().heapUsed;
      const keep = new Array<number[]>(n);
      for (let i = 0; i < n; i++) keep[i] = make(i);
      gc();
      const bytes = process.memoryUsage().heapUsed - before;
      expect(keep[n - 1]).toHaveLength(3);
      return bytes / n;
    };
    const pushed = heldBy((i) => {
      const l: number[] = [];
      for (let k = 0; k < 3; k++) l.push(i + k);
      return l;
    });
    const exact = heldBy((i) => {
      let l: number[] = EMPTY;
      for (let k = 0; k < 3; k++) l = appended(l, i + k);
      return l;
    });
    // Node 20: ~190 against ~80 bytes a list (its 17 slots against 3).
    expect(exact).toBeLessThan(pushed * 0.6);
  });
});

describe('numberByKey', () => {
  it('numbers keys in the order they first come, counts each group and leaves items without a key out', () => {
    const keys = ['b', null, 'a', 'b', '', 'c', 'a', 'b', undefined];
    const g = numberByKey(keys.length, (i) => keys[i]);
    expect(g.keys).toEqual(['b', 'a', 'c']);
    expect([...g.groupOf]).toEqual([0, -1, 1, 0, -1, 2, 1, 0, -1]);
    expect(g.sizes).toEqual([3, 2, 1]);
    // The second pass: each group's items in order, each list at its length, each item's place.
    const places: Array<[number, number]> = [];
    const lists = groupLists(g, (i) => `${keys[i]}${i}`, (i, at) => places.push([i, at]));
    expect(lists).toEqual([['b0', 'b3', 'b7'], ['a2', 'a6'], ['c5']]);
    expect(places).toEqual([[0, 0], [2, 0], [3, 1], [5, 0], [6, 1], [7, 2]]);
  });
});
