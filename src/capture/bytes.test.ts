import { describe, expect, it } from 'vitest';
import { RecordStream, concatBytes, hexBytes } from './bytes.ts';

/** A toy container: units of [length byte][length bytes of data]; length 0xff is "corrupt". */
class LengthPrefixed extends RecordStream {
  units: number[][] = [];
  offsets: number[] = [];
  notes: string[] = [];
  protected need(buf: Uint8Array, _view: DataView, start: number, avail: number): number {
    if (avail < 1) return 1;
    if (buf[start] === 0xff) {
      this.stopped = true;
      this.notes.push(`corrupt at ${this.consumed}`);
      return 0;
    }
    return 1 + (buf[start] as number);
  }
  protected walk(buf: Uint8Array, _view: DataView, start: number, end: number, fileOffset: number): number {
    let p = start;
    while (p < end) {
      const n = buf[p] as number;
      if (n === 0xff) {
        this.stopped = true;
        this.notes.push(`corrupt at ${fileOffset + p - start}`);
        return p;
      }
      if (end - p < 1 + n) break;
      this.units.push(Array.from(buf.subarray(p + 1, p + 1 + n)));
      this.offsets.push(fileOffset + p - start);
      p += 1 + n;
    }
    return p;
  }
  protected incomplete(have: number, needed: number, fileOffset: number): void {
    this.notes.push(`cut at ${fileOffset}: ${have} of ${needed}`);
  }
}

function feed(bytes: number[], chunk: number): LengthPrefixed {
  const s = new LengthPrefixed();
  const b = Uint8Array.from(bytes);
  for (let i = 0; i < b.length; i += chunk) s.push(b.subarray(i, i + chunk));
  s.end();
  return s;
}

describe('RecordStream', () => {
  const input = [3, 1, 2, 3, 0, 5, 9, 9, 9, 9, 9, 1, 7];

  it('yields the same units and offsets for every chunking', () => {
    for (const chunk of [1, 2, 3, 4, 5, 13]) {
      const s = feed(input, chunk);
      expect(s.units).toEqual([[1, 2, 3], [], [9, 9, 9, 9, 9], [7]]);
      expect(s.offsets).toEqual([0, 4, 5, 11]);
      expect(s.notes).toEqual([]);
    }
  });

  it('reports an incomplete unit at end() and stops at a corrupt one', () => {
    for (const chunk of [1, 3, 20]) {
      expect(feed([2, 1, 1, 4, 1, 2], chunk).notes).toEqual(['cut at 3: 3 of 5']);
      const s = feed([1, 5, 0xff, 1, 2], chunk);
      expect(s.units).toEqual([[5]]);
      expect(s.notes).toEqual(['corrupt at 2']);
    }
  });
});

describe('byte helpers', () => {
  it('hexBytes and concatBytes', () => {
    expect(hexBytes(Uint8Array.of(0x50, 0x4b, 3, 4, 5), 4)).toBe('50 4b 03 04');
    expect(concatBytes([Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(2, 3)])).toEqual(Uint8Array.of(1, 2, 3));
  });
});
