/** The worker's packed explanations give back every text exactly, from real findings and odd ones. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import { PackedExplanations } from './explanations.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../public/samples');

describe('PackedExplanations', () => {
  it("gives back every finding's explanation of real captures, in any order, in far fewer bytes", async () => {
    const texts: string[] = [];
    for (const name of ['01-missing-ack', '03-408-behind-nat', '08-one-way-audio', '12-sip-alg']) {
      const file = path.join(SAMPLES, name, 'capture.pcap');
      const { report } = await analyzeBytes(new Uint8Array(readFileSync(file)));
      for (const f of report.findings) texts.push(f.explanation);
    }
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.every((t) => t.length > 50)).toBe(true);
    // Enough for several blocks: the same findings again, each with its number.
    const many = Array.from({ length: 1_000 }, (_, i) => `${texts[i % texts.length]!} (#${i})`);
    const packed = new PackedExplanations(many);
    expect(packed.length).toBe(many.length);
    const order = many.map((_, i) => (i * 7919) % many.length);
    for (const i of order) expect(packed.at(i)).toBe(many[i]);
    const chars = many.reduce((n, t) => n + t.length, 0);
    expect(packed.packedBytes).toBeLessThan(chars / 5);
  });

  it('keeps non-ASCII words, empty texts and lone surrogates exactly; out of range gives ""', () => {
    const odd = ['', 'RFC 3261 §18.2.2 → “received”', 'a\uD800b', '\uDC00', 'emoji 😀 pair', '\uFEFF', '\uFEFFstarts with a BOM', 'é'.repeat(70_000)];
    const packed = new PackedExplanations(odd);
    odd.forEach((t, i) => expect(packed.at(i)).toBe(t));
    expect([packed.at(-1), packed.at(odd.length), packed.at(1.5)]).toEqual(['', '', '']);
    expect(new PackedExplanations([]).at(0)).toBe('');
  });

  it('gives back texts made only of three-byte characters, across blocks of growing size', () => {
    const texts = Array.from({ length: 700 }, (_, i) => (i % 2 ? '漢' : '€').repeat(1 + ((i * 37) % 3000)));
    const packed = new PackedExplanations(texts);
    texts.forEach((t, i) => expect(packed.at(i)).toBe(t));
  });
});
