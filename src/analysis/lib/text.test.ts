import { describe, expect, it } from 'vitest';
import { framesText, uniqFrames } from './text.ts';

/** What uniqFrames said before it sorted small lists itself. */
const reference = (frames: number[]) => [...new Set(frames)].filter((f) => Number.isFinite(f) && f > 0).sort((a, b) => a - b);

describe('uniqFrames', () => {
  it('gives the distinct positive frames in order, small and large lists alike', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const odd = [NaN, -0, 0, -3, Infinity, -Infinity, 2.5];
    for (let round = 0; round < 2000; round++) {
      const n = Math.floor(rnd() * (round % 10 === 0 ? 200 : 20));
      const frames = Array.from({ length: n }, () => (rnd() < 0.1 ? odd[Math.floor(rnd() * odd.length)]! : 1 + Math.floor(rnd() * (n + 3))));
      expect(uniqFrames(frames), JSON.stringify(frames)).toEqual(reference(frames));
    }
    expect(uniqFrames(new Set([9, 3, 3, 7]))).toEqual([3, 7, 9]);
    expect(uniqFrames([])).toEqual([]);
  });

  it('words frame lists as a reader expects', () => {
    expect(framesText([5, 3, 4, 4])).toBe('frames 3–5');
    expect(framesText([12, 3, 9])).toBe('frames 3, 9 and 12');
    expect(framesText([1, 3, 5, 7, 9, 11, 13])).toBe('frames 1, 3, 5, 7 … 13 (7 in all)');
    expect(framesText([0, NaN])).toBe('no frame');
  });
});
