import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import { parsedAgain } from './parser.ts';
import { summariseSdp } from './sdp.ts';
import type { SdpMedia, SdpSummary } from './types.ts';

const crlf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;

describe('summariseSdp', () => {
  it('summarises origin, connections, codecs, direction and a=rtcp', () => {
    const s = summariseSdp(crlf([
      'v=0',
      'o=- 3840000000 3840000002 IN IP4 198.51.100.1',
      's=call',
      'c=IN IP4 198.51.100.1',
      't=0 0',
      'a=sendonly',
      'm=audio 10000 RTP/AVP 0 18 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:18 G729/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=rtcp:10005 IN IP4 198.51.100.1',
      'm=video 10002 RTP/AVP 96',
      'c=IN IP4 203.0.113.50',
      'a=rtpmap:96 H264/90000',
      'a=inactive',
      'm=audio 10004 RTP/SAVP 111',
      'a=rtpmap:111 opus/48000/2',
    ]));
    expect(s?.origin).toEqual({ username: '-', sessionId: '3840000000', sessionVersion: 3840000002, address: '198.51.100.1' });
    expect(s?.connection).toBe('198.51.100.1');
    expect(s?.media).toEqual([
      { type: 'audio', port: 10000, protocol: 'RTP/AVP', connection: '198.51.100.1', payloads: [0, 18, 101],
        codecs: [{ payload: 0, codec: 'PCMU/8000' }, { payload: 18, codec: 'G729/8000' }, { payload: 101, codec: 'telephone-event/8000' }], direction: 'sendonly', rtcpPort: 10005 },
      { type: 'video', port: 10002, protocol: 'RTP/AVP', connection: '203.0.113.50', payloads: [96],
        codecs: [{ payload: 96, codec: 'H264/90000' }], direction: 'inactive', rtcpPort: null },
      { type: 'audio', port: 10004, protocol: 'RTP/SAVP', connection: '198.51.100.1', payloads: [111],
        codecs: [{ payload: 111, codec: 'opus/48000/2' }], direction: 'sendonly', rtcpPort: null },
    ]);
  });

  it('defaults to sendrecv, reads T.38 image media, strips a multicast TTL', () => {
    const s = summariseSdp(crlf([
      'v=0', 'o=fax 1 1 IN IP4 192.0.2.5', 's=-', 'c=IN IP4 224.2.1.1/127', 't=0 0',
      'm=image 4000 udptl t38', 'a=T38FaxVersion:0',
    ]));
    expect(s?.connection).toBe('224.2.1.1');
    expect(s?.media[0]).toMatchObject({ type: 'image', protocol: 'udptl', payloads: [], codecs: [], direction: 'sendrecv' });
  });

  it('accepts bare LF and a held call (c=0.0.0.0)', () => {
    const s = summariseSdp('v=0\no=a 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 5004 RTP/AVP 8\na=recvonly\n');
    expect(s?.media[0]).toMatchObject({ connection: '0.0.0.0', port: 5004, direction: 'recvonly' });
  });

  it('never throws on garbage and says null when there is no SDP', () => {
    expect(summariseSdp('')).toBeNull();
    expect(summariseSdp('hello world')).toBeNull();
    expect(summariseSdp('<xml>not sdp</xml>')).toBeNull();
    let seed = 7;
    const rand = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 0x100000000; };
    const pieces = ['v=0', 'o=', 'c=IN IP4', 'm=audio', ' ', 'x', '99999999999999999999', 'a=rtpmap:', 'a=rtcp:', '\r\n', '\n', '=', '/', 'IN IP6 ::1'];
    for (let i = 0; i < 2000; i++) {
      let body = '';
      const n = Math.floor(rand() * 30);
      for (let k = 0; k < n; k++) body += pieces[Math.floor(rand() * pieces.length)];
      expect(() => summariseSdp(body)).not.toThrow();
    }
  });
});

/**
 * The hot-path reader against `sdp-transform`, the library it replaced there: the summary that
 * sdp-transform's full parse gives (the previous implementation, kept here as the oracle) must
 * equal ours on every SDP body of the public corpus and the lab samples, and on mutated bodies.
 */
describe('summariseSdp shares what bodies repeat', () => {
  const body = (session: number, port: number, formats: string, rtpmaps: string[]) =>
    [`v=0`, `o=- ${session} 1 IN IP4 10.0.0.${session % 250}`, 's=-', `c=IN IP4 10.0.0.${session % 250}`, 't=0 0', `m=audio ${port} RTP/AVP ${formats}`, ...rtpmaps.map((r) => `a=rtpmap:${r}`), ''].join('\r\n');
  it('one frozen format list and codec list for every body with the same ones; different ones stay apart', () => {
    const a = summariseSdp(body(11, 4000, '0 8 101', ['0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000']))!.media[0]!;
    const b = summariseSdp(body(12, 4002, '0 8 101', ['0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000']))!.media[0]!;
    const c = summariseSdp(body(13, 4004, '8 0 101', ['8 PCMA/8000', '0 PCMU/8000', '101 telephone-event/8000']))!.media[0]!;
    expect(a.port).not.toBe(b.port);
    expect(b.payloads).toBe(a.payloads);
    expect(b.codecs).toBe(a.codecs);
    expect(Object.isFrozen(a.payloads) && Object.isFrozen(a.codecs)).toBe(true);
    expect(a.payloads).toEqual([0, 8, 101]);
    expect(c.payloads).toEqual([8, 0, 101]);
    expect(c.codecs.map((x) => x.codec)).toEqual(['PCMA/8000', 'PCMU/8000', 'telephone-event/8000']);
    expect(a.codecs.map((x) => x.codec)).toEqual(['PCMU/8000', 'PCMA/8000', 'telephone-event/8000']);
  });
});

describe('summariseSdp keeps no body alive', () => {
  it('its shared tables (format lists, rtpmap lines, codec lists) hold copies, not slices of the bodies', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // 2,000 bodies of ~20 KB, each with its own long format list and rtpmap line: a kept slice of
    // either keeps its body (~40 MB in all); copies keep a few hundred bytes each.
    const pad = `a=x-pad:${'p'.repeat(20_000)}\r\n`;
    gc();
    const before = process.memoryUsage().heapUsed;
    let media = 0;
    for (let i = 0; i < 2_000; i++) {
      // A flat string of its own each time, like a message's text read from a packet.
      const body = JSON.parse(JSON.stringify(`v=0\r\no=- ${i} 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio ${4000 + i} RTP/AVP 0 8 18 96 97 ${i % 128}\r\na=rtpmap:96 codec-${i}/8000\r\n${pad}`)) as string;
      media += summariseSdp(body)?.media.length ?? 0;
    }
    gc();
    const grownMB = (process.memoryUsage().heapUsed - before) / 1e6;
    expect(media).toBe(2_000);
    expect(grownMB).toBeLessThan(8);
  });
});

describe('summariseSdp agrees with sdp-transform', () => {
  const asDirection = (d: unknown) => (d === 'sendrecv' || d === 'sendonly' || d === 'recvonly' || d === 'inactive' ? d : null);
  const address = (ip: unknown) => (typeof ip !== 'string' || !ip ? null : ip.includes('/') ? ip.slice(0, ip.indexOf('/')) : ip);
  function oracle(body: string): SdpSummary | null {
    if (!body || body.indexOf('=') < 0) return null;
    const s = parse(body);
    const o = s.origin;
    const origin = o && typeof o === 'object'
      ? { username: String(o.username ?? ''), sessionId: String(o.sessionId ?? ''), sessionVersion: Number(o.sessionVersion) || 0, address: String(o.address ?? '') }
      : null;
    const connection = address(s.connection?.ip);
    const sessionDirection = asDirection(s.direction);
    const media: SdpMedia[] = [];
    for (const m of Array.isArray(s.media) ? s.media : []) {
      if (!m.type) continue;
      const payloads: number[] = [];
      for (const p of String(m.payloads ?? '').split(' ')) if (p !== '' && /^\d{1,3}$/.test(p)) payloads.push(Number(p));
      const codecs: SdpMedia['codecs'] = [];
      for (const r of Array.isArray(m.rtp) ? m.rtp : []) {
        if (typeof r.payload !== 'number' || !Number.isFinite(r.payload)) continue;
        let codec = `${r.codec}`;
        if (r.rate !== undefined) codec += `/${r.rate}`;
        if (r.encoding !== undefined && r.encoding !== null && String(r.encoding) !== '') codec += `/${r.encoding}`;
        codecs.push({ payload: r.payload, codec });
      }
      const rtcpPort = m.rtcp && typeof m.rtcp.port === 'number' && Number.isFinite(m.rtcp.port) ? m.rtcp.port : null;
      media.push({
        type: String(m.type ?? ''), port: Number.isFinite(m.port) ? m.port : 0, protocol: String(m.protocol ?? ''),
        connection: address(m.connection?.ip) ?? connection, payloads, codecs,
        direction: asDirection(m.direction) ?? sessionDirection ?? 'sendrecv', rtcpPort,
      });
    }
    if (!origin && connection === null && media.length === 0) return null;
    return { origin, connection, media };
  }

  function captures(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) out.push(...captures(p));
      else if (/\.(pcap|pcapng)$/.test(e.name)) out.push(p);
    }
    return out;
  }

  it('on every SDP body of the public captures and the lab samples, and on mutations of them', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const bodies = new Set<string>();
    for (const file of [...captures(path.join(root, 'test/captures/public')), ...captures(path.join(root, 'public/samples'))]) {
      const a = await analyzeBytes(new Uint8Array(fs.readFileSync(file))).catch(() => null);
      for (const m of a?.messages ?? []) {
        const sip = parsedAgain(m);
        if (sip && sip.body.includes('=')) bodies.add(sip.body);
      }
    }
    expect(bodies.size).toBeGreaterThan(100);
    for (const body of bodies) expect(summariseSdp(body), body).toEqual(oracle(body));
    // Mutations: lines dropped, duplicated, cut, re-ended with LF or CR, session and media lines swapped.
    let seed = 11;
    const rand = (k: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return Math.floor((seed / 0x100000000) * k); };
    const list = [...bodies];
    for (let i = 0; i < 3000; i++) {
      const lines = list[rand(list.length)]!.split(/\r\n|\r|\n/);
      for (let k = rand(4); k > 0; k--) {
        const j = rand(lines.length);
        const op = rand(6);
        if (op === 0) lines.splice(j, 1);
        else if (op === 1) lines.splice(j, 0, lines[rand(lines.length)] ?? '');
        else if (op === 2) lines[j] = (lines[j] ?? '').slice(0, rand(40));
        else if (op === 3) lines[j] = (lines[j] ?? '').replace(/\d+/, ['', '0', '08000', '99999999999999999999', '-1'][rand(5)]!);
        else if (op === 4) lines[j] = (lines[j] ?? '').replace(' ', ['  ', '', '\t', '/'][rand(4)]!);
        else lines.splice(j, 0, ['a=sendonly', 'a=recvonly', 'a=rtcp:', 'a=rtcp:9 IN IP4 1.2.3.4', 'm=audio 1 RTP/AVP', 'm= 1 x', 'c=IN IP6 ::1', 'o=x 1 2 IN IP4 h', 'a=rtpmap:0 PCMU/', 'A=sendonly'][rand(10)]!);
      }
      const body = lines.join(['\r\n', '\n', '\r'][rand(3)]!);
      expect(summariseSdp(body), JSON.stringify(body)).toEqual(oracle(body));
    }
  });
});
