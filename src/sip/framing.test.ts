import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FramedMessage } from '../capture/types.ts';
import { MAX_HEADER_BYTES, createSipFramer } from './framing.ts';
import { parseSip } from './parser.ts';

const CAPTURES = path.resolve(import.meta.dirname, '../../test/captures/public');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A request with a body of `body` and a correct Content-Length. */
function msg(cseq: number, body = ''): string {
  return `MESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK${cseq}\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\n` +
    `Call-ID: c1\r\nCSeq: ${cseq} MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}
const A = msg(1, 'first body');
const B = msg(2, '');
const C = msg(3, 'third\r\n\r\nbody with a blank line inside');

function texts(out: FramedMessage[]): string[] {
  return out.map((m) => dec(m.bytes));
}

describe('createSipFramer', () => {
  it('gives three messages from one chunk holding three', () => {
    const f = createSipFramer();
    const out = f.push(enc(A + B + C), 7, 1000);
    expect(texts(out)).toEqual([A, B, C]);
    for (const m of out) expect(m).toMatchObject({ frame: 7, firstFrame: 7, frames: [7], timeUs: 1000 });
    expect(out[0]?.notes).toBeUndefined();
    expect(f.end()).toEqual([]);
  });

  it('gives one message from three chunks, at the last chunk', () => {
    const f = createSipFramer();
    const bytes = enc(C);
    expect(f.push(bytes.subarray(0, 30), 10, 100)).toEqual([]);
    expect(f.push(bytes.subarray(30, bytes.length - 5), 11, 200)).toEqual([]);
    const out = f.push(bytes.subarray(bytes.length - 5), 12, 300);
    expect(texts(out)).toEqual([C]);
    expect(out[0]).toMatchObject({ frame: 12, firstFrame: 10, frames: [10, 11, 12], timeUs: 300 });
  });

  it('does not keep a reference to the caller\'s buffer', () => {
    const f = createSipFramer();
    const chunk = enc(A);
    const out = f.push(chunk.subarray(0, 20), 1, 0);
    chunk.fill(0x41, 0, 20); // the capture layer reuses its buffers
    out.push(...f.push(enc(A).subarray(20), 2, 0));
    expect(texts(out)).toEqual([A]);
  });

  it('skips CRLF keep-alives (RFC 5626 double-CRLF ping and CRLF pong) between messages', () => {
    const f = createSipFramer();
    const out = [
      ...f.push(enc('\r\n\r\n'), 1, 0),
      ...f.push(enc(A + '\r\n\r\n' + B), 2, 0),
      ...f.push(enc('\r\n'), 3, 0),
      ...f.push(enc('\r\n\r\n' + C + '\r\n'), 4, 0),
    ];
    expect(texts(out)).toEqual([A, B, C]);
    expect(out[2]?.frames).toEqual([4]);
    expect(f.end()).toEqual([]);
  });

  it('byte at a time gives exactly what the whole stream gives', () => {
    const stream = enc('\r\n' + A + B + '\r\n\r\n' + C);
    const whole = createSipFramer().push(stream, 1, 0);
    const f = createSipFramer();
    const single: FramedMessage[] = [];
    for (let i = 0; i < stream.length; i++) single.push(...f.push(stream.subarray(i, i + 1), 100 + i, i));
    expect(texts(single)).toEqual(texts(whole));
    expect(texts(single)).toEqual([A, B, C]);
    // A starts after the 2-byte CRLF: its first byte came in frame 102, its last in 101 + A.length
    expect(single[0]?.firstFrame).toBe(102);
    expect(single[0]?.frame).toBe(101 + A.length);
    expect(single[0]?.frames).toHaveLength(A.length);
  });

  it('resynchronises after a gap, handing out the cut message as incomplete', () => {
    const f = createSipFramer();
    const a = enc(A);
    expect(f.push(a.subarray(0, 50), 1, 0)).toEqual([]);
    f.gap(2, 120);
    // the rest of A after the lost segment, then B and C
    const out = f.push(enc(A.slice(170) + B + C), 3, 0);
    expect(out).toHaveLength(3);
    expect(dec(out[0]!.bytes)).toBe(A.slice(0, 50));
    expect(out[0]?.incomplete).toBe('a gap of 120 bytes (lost segment before frame 2) cut this message');
    expect(texts(out.slice(1))).toEqual([B, C]);
    expect(out[1]?.notes?.[0]).toBe('resynchronised after a gap of 120 bytes before frame 2');
    expect(out[1]?.notes?.[1]).toBe(`${A.length - 170} bytes that were not SIP skipped before this message`);
    expect(out[2]?.notes).toBeUndefined();
  });

  it('resynchronises when the stream starts in the middle of a message', () => {
    const f = createSipFramer();
    const out = f.push(enc(C.slice(C.indexOf('Call-ID')) + A), 5, 0);
    expect(texts(out)).toEqual([A]);
    expect(out[0]?.notes).toEqual([`${C.length - C.indexOf('Call-ID')} bytes that were not SIP skipped before this message`]);
  });

  it('finds a start line after binary garbage without line breaks', () => {
    const f = createSipFramer();
    const junk = new Uint8Array(300).map((_, i) => (i * 37 + 11) & 0xff).map((b) => (b === 10 ? 0 : b));
    const out = [...f.push(junk, 1, 0), ...f.push(enc('\r\n' + B), 2, 0)];
    expect(texts(out)).toEqual([B]);
  });

  it('treats a missing Content-Length as 0 and says so', () => {
    const f = createSipFramer();
    const noCl = B.replace('Content-Length: 0\r\n', '');
    const out = f.push(enc(noCl + A), 1, 0);
    expect(texts(out)).toEqual([noCl, A]);
    expect(out[0]?.notes).toEqual(['no Content-Length on a stream (RFC 3261 §18.3 requires it): body taken as empty']);
  });

  it('reads the compact form l: and bare-LF messages', () => {
    const f = createSipFramer();
    const lf = 'SIP/2.0 200 OK\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\nL : 3\n\nabc';
    const out = f.push(enc(lf + A), 1, 0);
    expect(texts(out)).toEqual([lf, A]);
  });

  it('gives up a header section longer than 64 KiB and resynchronises', () => {
    const f = createSipFramer();
    const huge = 'OPTIONS sip:h SIP/2.0\r\n' + 'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(1400);
    expect(huge.length).toBeGreaterThan(MAX_HEADER_BYTES);
    const out = [...f.push(enc(huge), 1, 0), ...f.push(enc('\r\n' + A), 2, 0)];
    expect(out).toHaveLength(2);
    expect(out[0]?.incomplete).toMatch(/longer than 65536 bytes without a blank line/);
    expect(dec(out[1]!.bytes)).toBe(A);
  });

  it('end() hands out a partial message as incomplete, and nothing for keep-alives', () => {
    const f = createSipFramer();
    expect(f.push(enc(A.slice(0, A.length - 4)), 9, 0)).toEqual([]);
    const out = f.end();
    expect(out).toHaveLength(1);
    expect(out[0]?.incomplete).toBe(`stream ended ${A.length - 4} bytes into a ${A.length}-byte message`);
    expect(out[0]?.frame).toBe(9);
    const g = createSipFramer();
    g.push(enc('\r\n\r\n'), 1, 0);
    expect(g.end()).toEqual([]);
  });

  it('costs linear time for a large body fed in small chunks', () => {
    const body = 'x'.repeat(2_000_000);
    const bytes = enc(msg(1, body));
    const f = createSipFramer();
    const t0 = performance.now();
    const out: FramedMessage[] = [];
    for (let i = 0; i < bytes.length; i += 100) out.push(...f.push(bytes.subarray(i, i + 100), i, 0));
    expect(out).toHaveLength(1);
    expect(out[0]?.bytes.length).toBe(bytes.length);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('frames the SIP of a real TCP capture split into 1024-byte segments (heplify)', () => {
    // Minimal classic-pcap / Ethernet / IPv4 / TCP reader: payloads per direction, in capture order
    // (the manifest says this capture has no retransmissions or losses).
    const buf = readFileSync(path.join(CAPTURES, 'heplify/sip_ipv4_tcp_fragmented.pcap'));
    const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
    const framers = new Map<string, ReturnType<typeof createSipFramer>>();
    const counts: Record<string, number> = {};
    let split = 0;
    const take = (out: FramedMessage[]): void => {
      for (const m of out) {
        expect(m.incomplete).toBeUndefined();
        const r = parseSip(m.bytes);
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        expect(r.message.notes).toEqual([]);
        const key = r.message.kind === 'request' ? r.message.method : String(r.message.status);
        counts[key] = (counts[key] ?? 0) + 1;
        if (m.frames.length > 1) split++;
      }
    };
    let off = 24;
    for (let frame = 1; off + 16 <= buf.length; frame++) {
      const incl = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
      const d = buf.subarray(off + 16, off + 16 + incl);
      off += 16 + incl;
      if (d.readUInt16BE(12) !== 0x0800 || d[23] !== 6) continue; // IPv4, TCP
      const ihl = (d[14]! & 0x0f) * 4;
      const ipEnd = 14 + d.readUInt16BE(16);
      const tcp = 14 + ihl;
      const dataOff = (d[tcp + 12]! >> 4) * 4;
      const payload = d.subarray(tcp + dataOff, ipEnd);
      if (payload.length === 0) continue;
      const key = `${d.subarray(26, 30).join('.')}:${d.readUInt16BE(tcp)}>${d.subarray(30, 34).join('.')}:${d.readUInt16BE(tcp + 2)}`;
      let f = framers.get(key);
      if (!f) framers.set(key, (f = createSipFramer()));
      take(f.push(payload, frame, 0));
    }
    for (const f of framers.values()) take(f.end());
    const manifest = JSON.parse(readFileSync(path.join(CAPTURES, 'manifest.json'), 'utf8')) as Array<{ file: string; notes: string; sip_messages: number }>;
    const entry = manifest.find((e) => e.file === 'heplify/sip_ipv4_tcp_fragmented.pcap')!;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(entry.sip_messages); // 406, counted by tshark
    expect(counts.INVITE).toBe(Number(/INVITE:(\d+)/.exec(entry.notes)![1]));
    expect(counts['200']).toBe(Number(/200:(\d+)/.exec(entry.notes)![1]));
    expect(split).toBeGreaterThan(100);
  });
});
