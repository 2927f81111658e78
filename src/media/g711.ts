/**
 * ITU-T G.711 (11/88) decoders: µ-law and A-law code words to 16-bit linear PCM, by table.
 *
 * The tables follow G.711 Tables 1a/2a (A-law) and 1b/2b (µ-law): each 8-bit code word names a
 * segment (3 bits) and a step inside it (4 bits), plus a sign. The decoder output is the middle
 * of the quantisation interval, given in G.711 as a 13-bit (A-law, max ±4032) or 14-bit (µ-law,
 * max ±8031) value; here it is scaled to 16 bits (×8 and ×4), the usual "linear PCM" of
 * sox `-t al` / `-t ul` and Wireshark's RTP player. Transmitted code words are inverted as the
 * Recommendation says: µ-law all bits (so 0xFF is +0), A-law the even bits (XOR 0x55).
 */

function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  // Decoded magnitude (14-bit units ×4): ((2·m + 33) · 2^e − 33) · 4, i.e. the interval middle.
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function alawToLinear(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  const segment = (a >> 4) & 0x07;
  const step = a & 0x0f;
  // 13-bit units ×8: segment 0 is linear (steps of 2, middle at 2·step + 1), segment s ≥ 1
  // starts at 2^(s+4) with steps of 2^s.
  let magnitude = (step << 4) + 8;
  if (segment > 0) magnitude = (magnitude + 0x100) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

function table(f: (code: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) t[i] = f(i);
  return t;
}

/** 16-bit linear value of each µ-law code word (index = the byte as transmitted). */
export const ULAW_TABLE: Int16Array = table(ulawToLinear);
/** 16-bit linear value of each A-law code word (index = the byte as transmitted). */
export const ALAW_TABLE: Int16Array = table(alawToLinear);

/** Decodes `src` into `dst` starting at `at` (as many samples as fit). */
export function decodeG711(tableOf: Int16Array, src: Uint8Array, dst: Int16Array, at: number): void {
  const n = Math.min(src.length, dst.length - at);
  for (let i = 0; i < n; i++) dst[at + i] = tableOf[src[i]!]!;
}
