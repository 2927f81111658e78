/** The streamed JSON writer: the same text as JSON.stringify, written in bounded pieces. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import { writeJson } from './json-stream.ts';
import type { ItemJson } from './json-stream.ts';
import { columnsOf, messageJson } from '../report/message-table.ts';
import type { ReportMessage } from '../report/report.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');

async function streamed(value: unknown, indent?: number, itemJson?: ItemJson): Promise<{ text: string; pieces: number[] }> {
  const parts: Uint8Array[] = [];
  await writeJson(value, (b) => {
    parts.push(b);
  }, indent, itemJson);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return { text: new TextDecoder('utf-8', { fatal: true }).decode(all), pieces: parts.map((p) => p.length) };
}

describe('writeJson', () => {
  it('writes exactly what JSON.stringify writes, compact and indented, for a real report', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(PUBLIC, 'heplify/sip_ipv6_udp.pcap')));
    const { report } = await analyzeBytes(bytes);
    for (const indent of [undefined, 2]) {
      const { text } = await streamed(report, indent);
      expect(text).toBe(JSON.stringify(report, null, indent));
    }
  });

  it('handles what JSON.stringify handles: undefined members, empty containers, toJSON, odd keys', async () => {
    const value = { a: undefined, b: [], c: {}, d: [undefined, 1, { e: [1, [2, { f: 'x\n"y' }]] }], 'k"\n': new Date(0), g: null, h: [[], {}], i: 'é\u2028' };
    for (const indent of [undefined, 2, 4]) expect((await streamed(value, indent)).text).toBe(JSON.stringify(value, null, indent));
    expect((await streamed([], 2)).text).toBe('[]');
    expect((await streamed('s')).text).toBe('"s"');
  });

  it('never builds one giant string: a 40 MB report goes out in pieces of about 1 MB', async () => {
    const row = { index: 0, frame: 1, startLine: 'x'.repeat(400), frames: [1, 2, 3] };
    const big = { version: 1, messages: Array.from({ length: 100_000 }, (_, i) => ({ ...row, index: i })) };
    const { text, pieces } = await streamed(big);
    expect(text.length).toBeGreaterThan(40_000_000);
    expect(Math.max(...pieces)).toBeLessThan(1.1 * (1 << 20));
    expect(text).toBe(JSON.stringify(big));
  });

  it('writes the UTF-8 of every character across chunk edges, and a piece longer than a chunk whole', async () => {
    // Two-, three- and four-byte characters (and a lone surrogate, which JSON.stringify escapes)
    // in pieces that end near and across the 1 MiB edges; then one 3 MB member among small ones.
    const wide = { list: Array.from({ length: 60_000 }, (_, i) => `é€😀\ud800${'x'.repeat(i % 37)}`) };
    const big = { a: [1, { long: `${'ü'.repeat(1_500_000)}€` }, 'z'], b: 'tail' };
    for (const value of [wide, big]) {
      const { text, pieces } = await streamed(value);
      expect(text).toBe(JSON.stringify(value));
      expect(pieces.length).toBeGreaterThan(1);
    }
    // The long member went out alone (3 MB), the pieces around it within a chunk.
    const { pieces } = await streamed(big);
    // '{"long":"' 9 bytes, 1,500,000 × 'ü' 2 bytes, '€' 3, '"}' 2.
    expect(pieces.filter((n) => n > 1 << 20)).toEqual([3_000_014]);
  });

  it('writes arrays that can write their own elements through them: the same text, still in pieces', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(PUBLIC, 'heplify/sip_ipv6_udp.pcap')));
    const { report } = await analyzeBytes(bytes);
    let asked = 0;
    const messages: ItemJson = (a) => {
      const c = columnsOf(a as readonly ReportMessage[]);
      if (c === null) return null;
      return (i) => (asked++, messageJson(c, i));
    };
    expect((await streamed(report, undefined, messages)).text).toBe(JSON.stringify(report));
    expect(asked).toBe(report.messages.length);
    // Indented output keeps the general path (the elements' own text is compact).
    asked = 0;
    expect((await streamed(report, 2, messages)).text).toBe(JSON.stringify(report, null, 2));
    expect(asked).toBe(0);
    // Many elements: still ~1 MB pieces.
    const many = { list: Array.from({ length: 30_000 }, (_, i) => i) };
    const { text, pieces } = await streamed(many, undefined, (a) => (a === many.list ? (i) => JSON.stringify({ i, pad: 'y'.repeat(100) }) : null));
    expect(text).toBe(JSON.stringify({ list: many.list.map((i) => ({ i, pad: 'y'.repeat(100) })) }));
    expect(pieces.length).toBeGreaterThan(2);
    expect(Math.max(...pieces)).toBeLessThan(1.1 * (1 << 20));
  });
});
