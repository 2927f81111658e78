import { describe, expect, it } from 'vitest';
import { PairCache } from './cache.ts';

describe('PairCache', () => {
  it('makes each value once per key pair, the first inner key and the later ones alike', () => {
    const made: string[] = [];
    const c = new PairCache<string, number, { k: string }>((a, b) => {
      made.push(`${a}:${b}`);
      return { k: `${a}:${b}` };
    });
    const first = c.get('10.0.0.1', 5060);
    const second = c.get('10.0.0.1', 5062);
    expect(first.k).toBe('10.0.0.1:5060');
    expect(second.k).toBe('10.0.0.1:5062');
    expect(c.get('10.0.0.1', 5060)).toBe(first);
    expect(c.get('10.0.0.1', 5062)).toBe(second);
    expect(c.get('10.0.0.2', 5060).k).toBe('10.0.0.2:5060');
    expect(made).toEqual(['10.0.0.1:5060', '10.0.0.1:5062', '10.0.0.2:5060']);
  });

  it('starts over past its bound of outer keys, and still answers right', () => {
    let n = 0;
    const c = new PairCache<number, number, number>((a, b) => (n++, a * 1000 + b), 4);
    for (let a = 0; a < 10; a++) expect(c.get(a, 7)).toBe(a * 1000 + 7);
    expect(n).toBe(10);
    expect(c.get(9, 7)).toBe(9007);
    expect(c.get(9, 8)).toBe(9008);
    expect(n).toBe(11);
  });

  it('compares inner keys as a Map does: NaN finds NaN, -0 finds 0', () => {
    let n = 0;
    const c = new PairCache<string, number, number>(() => ++n);
    const nan = c.get('a', NaN);
    expect(c.get('a', NaN)).toBe(nan);
    const zero = c.get('b', 0);
    expect(c.get('b', -0)).toBe(zero);
    expect(n).toBe(2);
  });

  it('makes values again after clear, and the ones handed out stay', () => {
    const c = new PairCache<string, number, { k: string }>((a, b) => ({ k: `${a}:${b}` }));
    const first = c.get('h', 1);
    const second = c.get('h', 2);
    expect(c.get('h', 1)).toBe(first);
    c.clear();
    const again = c.get('h', 1);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(c.get('h', 2)).not.toBe(second);
    expect(first.k).toBe('h:1');
  });
});
