import { describe, expect, it } from 'vitest';
import { ALAW_TABLE, decodeG711, ULAW_TABLE } from './g711.ts';

// ITU-T G.711 decoder outputs, in the Recommendation's own units: µ-law Table 2b gives 14-bit
// values (scaled ×4 to 16 bits here), A-law Table 2a 13-bit values (scaled ×8).
describe('G.711 µ-law table (ITU-T G.711 Table 2b)', () => {
  it('decodes the extreme and zero code words', () => {
    // Transmitted 0xFF / 0x7F are +0 / −0 (all bits inverted: 1111 1111 → 0000 0000).
    expect(ULAW_TABLE[0xff]).toBe(0);
    expect(ULAW_TABLE[0x7f]).toBe(0);
    // Transmitted 0x80 is the largest positive step: decoder output 8031 (×4).
    expect(ULAW_TABLE[0x80]).toBe(8031 * 4);
    expect(ULAW_TABLE[0x00]).toBe(-8031 * 4);
  });
  it('has the segment end points and step sizes of the table', () => {
    // Segment e (inverted code 0eee mmmm): outputs (2m + 33)·2^e − 33, step 2^(e+1).
    for (let e = 0; e < 8; e++) {
      for (let m = 0; m < 16; m++) {
        const code = ~((e << 4) | m) & 0xff; // positive sign bit 0 before inversion → 1xxx xxxx sent
        expect(ULAW_TABLE[code]).toBe(((2 * m + 33) * 2 ** e - 33) * 4);
      }
    }
    // As printed in Table 2b: the top segment spans decision values 4063…8159; its first
    // interval 4063…4319 decodes to 4191 (sent 0x8F: inverted 0111 0000).
    expect(ULAW_TABLE[0x8f]).toBe(4191 * 4);
    expect(ULAW_TABLE[0xff - 0x01]).toBe(2 * 4); // first non-zero step: 2
  });
  it('is odd-symmetric', () => {
    for (let c = 0; c < 128; c++) expect(ULAW_TABLE[c]! + ULAW_TABLE[c + 128]!).toBe(0);
  });
});

describe('G.711 A-law table (ITU-T G.711 Table 1a)', () => {
  it('decodes the extreme and smallest code words', () => {
    // Even bits inverted (XOR 0x55). Sent 0xD5 → 1000 0000: smallest positive, output 1 (×8).
    expect(ALAW_TABLE[0xd5]).toBe(1 * 8);
    expect(ALAW_TABLE[0x55]).toBe(-1 * 8);
    // Sent 0xAA → 1111 1111: largest positive, output 4032 (×8).
    expect(ALAW_TABLE[0xaa]).toBe(4032 * 8);
    expect(ALAW_TABLE[0x2a]).toBe(-4032 * 8);
  });
  it('has the segment end points and step sizes of the table', () => {
    for (let s = 0; s < 8; s++) {
      for (let q = 0; q < 16; q++) {
        const code = (0x80 | (s << 4) | q) ^ 0x55;
        // Segment 0: 2q + 1; segment s ≥ 1: (2q + 33)·2^(s−1).
        const v = s === 0 ? 2 * q + 1 : (2 * q + 33) * 2 ** (s - 1);
        expect(ALAW_TABLE[code]).toBe(v * 8);
      }
    }
  });
  it('never decodes to zero and is odd-symmetric', () => {
    for (let c = 0; c < 256; c++) expect(ALAW_TABLE[c]).not.toBe(0);
    for (let c = 0; c < 128; c++) expect(ALAW_TABLE[c]! + ALAW_TABLE[c + 128]!).toBe(0);
  });
});

describe('decodeG711', () => {
  it('writes at the offset and never past the end', () => {
    const dst = new Int16Array(4);
    decodeG711(ULAW_TABLE, Uint8Array.of(0x80, 0x00, 0xff, 0x80), dst, 2);
    expect([...dst]).toEqual([0, 0, 32124, -32124]);
  });
});
