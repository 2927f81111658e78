import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import { analyzeMany } from '../engine/analyze-many.ts';
import { columnBuffers, columnsOf, messageAt, messageJson, messageList, rowFieldsAt, toColumns } from './message-table.ts';
import type { ReportMessage } from './report.ts';

const root = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => new Uint8Array(readFileSync(path.join(root, p)));
const samples = readdirSync(path.join(root, 'public/samples')).filter((d) => existsSync(path.join(root, 'public/samples', d, 'capture.pcap')));

/** Report messages of every lab sample, the TLS sample decrypted, odd public captures, and two captures aligned. */
async function corpora(): Promise<Array<[string, ReportMessage[]]>> {
  const out: Array<[string, ReportMessage[]]> = [];
  for (const s of samples) out.push([s, (await analyzeBytes(read(`public/samples/${s}/capture.pcap`))).report.messages]);
  const tls = 'public/samples/05-bye-new-tls-connection';
  if (existsSync(path.join(root, tls, 'keylog.txt'))) out.push(['05 decrypted', (await analyzeBytes(read(`${tls}/capture.pcap`), { keyLog: readFileSync(path.join(root, tls, 'keylog.txt'), 'utf8') })).report.messages]);
  for (const p of ['test/captures/public/ndpi/fuzz-2006-06-26-2594.pcap', 'test/captures/public/zeek/sip-junk-before-request.pcap', 'test/captures/public/sngrep/ipv6frag.pcap', 'test/captures/public/suricata-verify/sip-tcp-method/sip-tcp.pcap']) {
    if (existsSync(path.join(root, p))) out.push([p, (await analyzeBytes(read(p))).report.messages]);
  }
  const dir = 'test/captures/alignment/binding-expired';
  const many = await analyzeMany([
    { name: 'wan', data: read(`${dir}/capture.pcap`) },
    { name: 'lan', data: read(`${dir}/capture-lan.pcap`) },
  ]);
  out.push(['two captures', many.report.messages]);
  return out;
}

describe('messages as columns (worker → page)', () => {
  it('gives every message back exactly, on real captures (malformed, reassembled, decrypted, several captures)', async () => {
    const all = await corpora();
    let n = 0;
    const seen = { malformed: 0, multiFrame: 0, capture: 0, retransmission: 0, sdp: 0 };
    for (const [name, messages] of all) {
      const cols = structuredClone(toColumns(messages));
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        expect(messageAt(cols, i), `${name} message ${i}`).toStrictEqual(m);
        expect(JSON.stringify(messageAt(cols, i))).toBe(JSON.stringify(m));
        // What the CLI writes, straight from the columns: the same text.
        expect(messageJson(cols, i), `${name} message ${i} (JSON text)`).toBe(JSON.stringify(m));
        // What the call list reads, without the whole message: the same values.
        const lean = { index: m.index, timeUs: m.timeUs, src: m.src, dst: m.dst, transport: m.transport, cseq: m.cseq, ...(m.method !== undefined ? { method: m.method } : {}), ...(m.status !== undefined ? { status: m.status } : {}) };
        expect(rowFieldsAt(cols, i), `${name} message ${i} (row fields)`).toStrictEqual(lean);
        n++;
        if (m.malformed) seen.malformed++;
        if (m.frames.length > 1) seen.multiFrame++;
        if (m.capture !== undefined) seen.capture++;
        if (m.retransmission) seen.retransmission++;
        if (m.hasSdp) seen.sdp++;
      }
    }
    expect(n).toBeGreaterThan(300);
    // The corpus reaches the odd fields, or this test would prove less than it says.
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });

  it('writes a message as JSON.stringify does, strings that need escaping and absent fields included', () => {
    const odd = ['"quoted" \\ back', 'tab\tnew\nline\u0001', 'lone \ud800 surrogate', 'line sep \u2028 é ☎'];
    const messages: Array<Omit<ReportMessage, 'time'> & { time: string }> = odd.map((text, i) => ({
      index: i,
      frame: i + 1,
      firstFrame: i + 1,
      frames: i === 2 ? [2, 3, 4] : [i + 1],
      time: '',
      timeUs: 1_700_000_000_000_000 + i * 1_000_001,
      src: `${text}:5060`,
      dst: '[2001:db8::1]:5061',
      transport: 'udp',
      connection: i === 1 ? 7 : null,
      callId: i === 3 ? null : text,
      cseq: i === 0 ? null : `1 ${text}`,
      retransmission: i === 1,
      encapsulation: i === 2 ? text : null,
      startLine: text,
      hasSdp: i === 3,
      ...(i !== 0 ? { transaction: i === 1 ? null : i } : {}),
      ...(i === 2 ? { dialog: 4, retransmissionOf: null } : {}),
      ...(i % 2 === 0 ? { method: text } : { status: i === 3 ? -1 : 486, reason: text }),
      ...(i === 3 ? { malformed: true } : i === 1 ? { malformed: false } : {}),
      ...(i === 2 ? { capture: 1 } : {}),
    }));
    const cols = toColumns(messages as ReportMessage[]);
    // A string field missing (never written by the engine): left out, as JSON.stringify leaves out undefined.
    cols.startLine[1] = -2;
    cols.src[3] = -1;
    for (let i = 0; i < messages.length; i++) {
      const text = JSON.stringify(messageAt(cols, i));
      expect(messageJson(cols, i)).toBe(text);
      if (i !== 1) expect(JSON.parse(text).startLine).toBe(odd[i]);
    }
  });

  it('reads like the report array: index, length, iteration, array methods, JSON', async () => {
    const { report } = await analyzeBytes(read('public/samples/01-missing-ack/capture.pcap'));
    const list = messageList(toColumns(report.messages));
    expect(Array.isArray(list)).toBe(true);
    expect(columnsOf(list)?.count).toBe(report.messages.length);
    expect(columnsOf([...report.messages])).toBeNull();
    // The engine's own report is backed by columns too; equality sees through it.
    expect(columnsOf(report.messages)?.count).toBe(report.messages.length);
    expect(list).toEqual(report.messages);
    expect(list).toEqual([...report.messages]);
    expect(list.length).toBe(report.messages.length);
    expect(list[3]).toStrictEqual(report.messages[3]);
    expect(list[3]).toBe(list[3]); // the same object while it is recent
    expect(list[report.messages.length]).toBeUndefined();
    expect([...list]).toStrictEqual(report.messages);
    expect(list.filter((m) => m.method === 'ACK').map((m) => m.frame)).toEqual(report.messages.filter((m) => m.method === 'ACK').map((m) => m.frame));
    expect(list.find((m) => m.status === 200)?.index).toBe(report.messages.find((m) => m.status === 200)?.index);
    expect(list.slice(2, 5)).toStrictEqual(report.messages.slice(2, 5));
    expect(JSON.stringify(list)).toBe(JSON.stringify(report.messages));
    expect(() => {
      (list as ReportMessage[])[0] = report.messages[1]!;
    }).toThrow(TypeError);
  });

  it('moves its buffers: after a transfer the sender keeps nothing', async () => {
    const { report } = await analyzeBytes(read('public/samples/04-rport-good/capture.pcap'));
    const cols = toColumns(report.messages);
    const buffers = columnBuffers(cols);
    expect(buffers.length).toBe(21);
    const moved = structuredClone(cols, { transfer: buffers });
    expect(cols.frame.length).toBe(0);
    expect(messageAt(moved, 0)).toStrictEqual(report.messages[0]);
  });
});
