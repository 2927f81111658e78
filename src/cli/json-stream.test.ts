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
  const parts: string[] = [];
  await writeJson(value, (s) => {
    parts.push(s);
  }, indent, itemJson);
  return { text: parts.join(''), pieces: parts.map((p) => p.length) };
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
