import { describe, expect, it } from 'vitest';
import { zlibSync } from 'fflate';
import type { AppPayload, CaptureWarning, IpPacket } from './types.ts';
import { TransportDecoder } from './transport.ts';
import { GAP_TIME_US } from './tcp.ts';
import { concat, hex, ipv4, ipv4Bytes, ipv6Bytes, tcp, text, u16, u32, udp } from './testing/packets.ts';
import { createSipFramer } from '../sip/framing.ts';
import { looksLikeSipStart } from '../sip/detect.ts';

const dec = new TextDecoder();

/** An IpPacket as the network layer hands it over: `payload` is the transport-layer bytes. */
function ip(o: {
  frame: number;
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  timeUs?: number;
  tunnels?: string[];
  version?: 4 | 6;
}): IpPacket {
  return {
    frame: o.frame,
    timeUs: o.timeUs ?? 1_700_000_000_000_000 + o.frame * 1000,
    version: o.version ?? (o.src.includes(':') ? 6 : 4),
    src: o.src,
    dst: o.dst,
    protocol: o.protocol,
    payload: o.payload,
    truncated: false,
    firstFrame: o.frame,
    tunnels: o.tunnels ?? [],
    fileOffset: 0,
  };
}

function sip(first: string, callId: string, body = ''): string {
  return (
    `${first}\r\n` +
    `Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK${callId}\r\n` +
    `Call-ID: ${callId}\r\n` +
    `CSeq: 1 INVITE\r\n` +
    `Content-Length: ${body.length}\r\n\r\n${body}`
  );
}

function setup(opts: { sipPorts?: number[] } = {}) {
  const apps: AppPayload[] = [];
  const warnings: CaptureWarning[] = [];
  const t = new TransportDecoder(
    { app: (p) => apps.push(p), warning: (w) => warnings.push(w) },
    { framer: createSipFramer, isSipStart: looksLikeSipStart, ...opts },
  );
  return { t, apps, warnings };
}

const C = '10.0.0.1'; // client
const S = '10.0.0.2'; // server
const CP = 40000;
const SP = 5060;
const CISN = 1000; // client initial sequence number
const SISN = 9000; // server initial sequence number

/** Client → server TCP segment. */
function c2s(frame: number, seq: number, payload: string | Uint8Array, flags: Parameters<typeof tcp>[0]['flags'] = { ack: true, psh: true }, timeUs?: number): IpPacket {
  return ip({
    frame,
    timeUs,
    src: C,
    dst: S,
    protocol: 6,
    payload: tcp({
      sport: CP, // client port
      dport: SP, // SIP port
      seq, // sequence number of the first payload byte
      ack: SISN + 1, // acknowledges the server's SYN
      flags,
      payload: typeof payload === 'string' ? text(payload) : payload,
    }),
  });
}

/** Server → client TCP segment. */
function s2c(frame: number, seq: number, ack: number, payload: string | Uint8Array, flags: Parameters<typeof tcp>[0]['flags'] = { ack: true, psh: true }, timeUs?: number): IpPacket {
  return ip({
    frame,
    timeUs,
    src: S,
    dst: C,
    protocol: 6,
    payload: tcp({ sport: SP, dport: CP, seq, ack, flags, payload: typeof payload === 'string' ? text(payload) : payload }),
  });
}

/** SYN, SYN-ACK, ACK as frames 1–3. */
function handshake(t: TransportDecoder): void {
  t.packet(c2s(1, CISN, '', { syn: true })); // SYN, ISN 1000
  t.packet(s2c(2, SISN, CISN + 1, '', { syn: true, ack: true })); // SYN-ACK, ISN 9000
  t.packet(c2s(3, CISN + 1, '', { ack: true })); // ACK
}

describe('TCP', () => {
  it('splits one segment holding three SIP messages into three payloads', () => {
    const { t, apps } = setup();
    handshake(t);
    const m = [sip('INVITE sip:a@b SIP/2.0', 'one', 'v=0\r\n'), sip('ACK sip:a@b SIP/2.0', 'two'), sip('BYE sip:a@b SIP/2.0', 'three')];
    t.packet(c2s(4, CISN + 1, m.join('')));
    t.end();
    expect(apps.map((a) => dec.decode(a.bytes))).toEqual(m);
    for (const a of apps) {
      expect(a).toMatchObject({ frame: 4, firstFrame: 4, frames: [4], transport: 'tcp', connection: 1, encapsulation: null });
      expect(a.src).toEqual({ ip: C, port: CP });
      expect(a.dst).toEqual({ ip: S, port: SP });
    }
  });

  it('delivers a message split over three segments once, at the third frame, with all frames', () => {
    const { t, apps } = setup();
    handshake(t);
    const m = sip('INVITE sip:a@b SIP/2.0', 'split', 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n');
    const a = m.slice(0, 30);
    const b = m.slice(30, 90);
    const c = m.slice(90);
    t.packet(c2s(4, CISN + 1, a));
    t.packet(c2s(5, CISN + 1 + a.length, b));
    expect(apps).toHaveLength(0);
    t.packet(c2s(6, CISN + 1 + a.length + b.length, c));
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ frame: 6, firstFrame: 4, frames: [4, 5, 6] });
    expect(dec.decode(apps[0]!.bytes)).toBe(m);
  });

  it('delivers out-of-order, retransmitted and overlapping segments once, in order', () => {
    const { t, apps, warnings } = setup();
    handshake(t);
    const m1 = sip('INVITE sip:a@b SIP/2.0', 'ooo-1', 'v=0\r\n');
    const m2 = sip('OPTIONS sip:a@b SIP/2.0', 'ooo-2');
    const all = m1 + m2;
    const base = CISN + 1;
    // bytes [60, end) arrive first (out of order)
    t.packet(c2s(4, base + 60, all.slice(60)));
    // [0, 40) in order
    t.packet(c2s(5, base, all.slice(0, 40)));
    // retransmission of [0, 40)
    t.packet(c2s(6, base, all.slice(0, 40)));
    // overlapping [20, 80): fills the hole [40, 60)
    t.packet(c2s(7, base + 20, all.slice(20, 80)));
    // retransmission of everything
    t.packet(c2s(8, base, all));
    t.end();
    expect(apps.map((a) => dec.decode(a.bytes))).toEqual([m1, m2]);
    expect(apps[0]!.frame).toBe(7); // the message completed when the hole was filled
    expect(warnings).toEqual([]);
  });

  it('never produces a second SIP message from a retransmitted segment', () => {
    const { t, apps } = setup();
    handshake(t);
    const m = sip('REGISTER sip:b SIP/2.0', 'retrans');
    t.packet(c2s(4, CISN + 1, m));
    t.packet(c2s(5, CISN + 1, m)); // same bytes again
    t.end();
    expect(apps).toHaveLength(1);
  });

  it('reports a gap the peer acknowledged, warns, and resynchronises on the next message', () => {
    const { t, apps, warnings } = setup();
    handshake(t);
    const m1 = sip('INVITE sip:a@b SIP/2.0', 'gap-1');
    const m2 = sip('OPTIONS sip:a@b SIP/2.0', 'gap-2');
    const m3 = sip('BYE sip:a@b SIP/2.0', 'gap-3');
    const base = CISN + 1;
    const t0 = 1_700_000_000_000_000;
    t.packet(c2s(4, base, m1, undefined, t0)); // m1
    // m2 is lost by the capture; the server acknowledges it anyway
    t.packet(c2s(6, base + m1.length + m2.length, m3, undefined, t0 + 1000)); // m3, out of order
    t.packet(s2c(7, SISN + 1, base + m1.length + m2.length + m3.length, '', { ack: true }, t0 + 2000));
    expect(apps).toHaveLength(1); // still waiting: captures reorder segments
    // a later packet of the connection, past the patience window
    t.packet(s2c(8, SISN + 1, base + m1.length + m2.length + m3.length, '', { ack: true }, t0 + 2000 + GAP_TIME_US));
    expect(apps.map((a) => dec.decode(a.bytes))).toEqual([m1, m3]);
    const conn = t.connections()[0]!;
    expect(conn.gaps).toEqual([{ frame: 8, side: 'client', bytes: m2.length }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.frame).toBe(8);
    expect(warnings[0]!.message).toContain('TCP connection #1 10.0.0.1:40000 → 10.0.0.2:5060');
    expect(warnings[0]!.message).toContain(`${m2.length} bytes from the client`);
  });

  it('closes a gap at the end of the capture and cuts the message it broke', () => {
    const { t, apps, warnings } = setup();
    handshake(t);
    const m1 = sip('INVITE sip:a@b SIP/2.0', 'end-1', 'v=0\r\n'.repeat(10));
    const m2 = sip('ACK sip:a@b SIP/2.0', 'end-2');
    const base = CISN + 1;
    t.packet(c2s(4, base, m1.slice(0, 50))); // first part of m1
    t.packet(c2s(6, base + m1.length, m2)); // m2; the rest of m1 was never captured
    t.end();
    expect(apps.map((a) => dec.decode(a.bytes).slice(0, 6))).toEqual(['INVITE', 'ACK si']);
    expect(apps[0]!.incomplete).toMatch(/gap/);
    expect(apps[1]!.incomplete).toBeUndefined();
    expect(t.connections()[0]!.gaps).toEqual([{ frame: 6, side: 'client', bytes: m1.length - 50 }]);
    expect(warnings.some((w) => w.message.includes('never captured'))).toBe(true);
  });

  it('records SYN, FIN and RST with frames, times and sides', () => {
    const { t } = setup();
    handshake(t);
    t.packet(c2s(4, CISN + 1, sip('OPTIONS sip:a@b SIP/2.0', 'close')));
    t.packet(s2c(5, SISN + 1, CISN + 1, '', { fin: true, ack: true }, 1_700_000_000_005_000)); // server FIN
    t.packet(c2s(6, CISN + 1 + 200, '', { rst: true }, 1_700_000_000_006_000)); // client RST
    t.end();
    const [c] = t.connections();
    expect(c).toMatchObject({
      id: 1,
      transport: 'tcp',
      client: { ip: C, port: CP },
      server: { ip: S, port: SP },
      openedFrame: 1,
      sawSyn: true,
      closedFrame: 5,
      closedTimeUs: 1_700_000_000_005_000,
      closedBy: 'fin',
      closedBySide: 'server',
      lastFrame: 6,
    });
    expect(c!.closeEvents).toEqual([
      { frame: 5, timeUs: 1_700_000_000_005_000, flag: 'fin', side: 'server' },
      { frame: 6, timeUs: 1_700_000_000_006_000, flag: 'rst', side: 'client' },
    ]);
  });

  it('without a SYN, takes the endpoint on the SIP port as the server', () => {
    const { t, apps } = setup();
    // the first packet seen goes from the server (5060) to the client
    t.packet(s2c(1, 777, 0, sip('SIP/2.0 200 OK', 'mid'), { ack: true, psh: true }));
    t.end();
    expect(apps).toHaveLength(1);
    const [c] = t.connections();
    expect(c).toMatchObject({ sawSyn: false, openedFrame: 1, client: { ip: C, port: CP }, server: { ip: S, port: SP } });
  });

  it('tracks SIP on a non-SIP port from its first payload and ignores other TCP', () => {
    const { t, apps } = setup();
    const other = ip({ frame: 1, src: '10.0.0.5', dst: '10.0.0.6', protocol: 6, payload: tcp({ sport: 50000, dport: 443, seq: 1, ack: 1, flags: { ack: true, psh: true }, payload: hex('16 03 01 00 05 01 00 00 01 00') }) });
    t.packet(other);
    const m = sip('INVITE sip:x@y SIP/2.0', 'port6060');
    t.packet(ip({ frame: 2, src: C, dst: S, protocol: 6, payload: tcp({ sport: 41000, dport: 6060, seq: 5, ack: 1, flags: { ack: true, psh: true }, payload: text(m) }) }));
    t.end();
    expect(apps.map((a) => a.dst.port)).toEqual([6060]);
    expect(t.connections().map((c) => c.server.port)).toEqual([6060]);
  });
});

/** One WebSocket frame (RFC 6455 §5.2). */
function wsFrame(o: { fin: boolean; opcode: number; payload: Uint8Array; mask?: Uint8Array }): Uint8Array {
  const len = o.payload.length;
  const head: number[] = [(o.fin ? 0x80 : 0) | o.opcode]; // FIN bit + opcode
  const maskBit = o.mask ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len); // MASK bit + 7-bit length
  else if (len < 65536) head.push(maskBit | 126, len >> 8, len & 0xff); // 126 + 16-bit length
  else throw new Error('test frames stay small');
  const body = o.payload.slice();
  if (o.mask) for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ o.mask[i & 3]!; // masking (§5.3)
  return concat(new Uint8Array(head), o.mask ?? new Uint8Array(0), body);
}

describe('WebSocket', () => {
  it('decodes a masked, fragmented SIP message with a ping between its fragments', () => {
    const { t, apps, warnings } = setup();
    const WP = 8080;
    const wsIp = (frame: number, fromClient: boolean, seq: number, payload: Uint8Array): IpPacket =>
      ip({
        frame,
        src: fromClient ? C : S,
        dst: fromClient ? S : C,
        protocol: 6,
        payload: tcp({ sport: fromClient ? CP : WP, dport: fromClient ? WP : CP, seq, ack: 1, flags: { ack: true, psh: true }, payload }),
      });
    const req = text(
      'GET / HTTP/1.1\r\nHost: proxy.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const resp = text(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n',
    );
    const m = text(sip('REGISTER sip:proxy.example.com SIP/2.0', 'ws-1'));
    const mask = hex('37 fa 21 3d'); // masking key
    const f1 = wsFrame({ fin: false, opcode: 1, payload: m.subarray(0, 40), mask }); // text, not final
    const ping = wsFrame({ fin: true, opcode: 9, payload: text('hi'), mask }); // ping (control) between fragments
    const f2 = wsFrame({ fin: false, opcode: 0, payload: m.subarray(40, 100), mask }); // continuation
    const f3 = wsFrame({ fin: true, opcode: 0, payload: m.subarray(100), mask }); // final continuation
    let cseq = 1;
    t.packet(wsIp(1, true, cseq, req));
    cseq += req.length;
    t.packet(wsIp(2, false, 1, resp));
    const stream = concat(f1, ping, f2, f3);
    // frames split across TCP segments at awkward places
    t.packet(wsIp(3, true, cseq, stream.subarray(0, 3)));
    t.packet(wsIp(4, true, cseq + 3, stream.subarray(3, 70)));
    t.packet(wsIp(5, true, cseq + 70, stream.subarray(70)));
    // the server's answer: one unmasked text frame
    const r = text(sip('SIP/2.0 200 OK', 'ws-1'));
    t.packet(wsIp(6, false, 1 + resp.length, wsFrame({ fin: true, opcode: 1, payload: r })));
    t.end();
    expect(warnings).toEqual([]);
    expect(apps).toHaveLength(2);
    expect(dec.decode(apps[0]!.bytes)).toBe(dec.decode(m));
    expect(apps[0]).toMatchObject({ transport: 'ws', frame: 5, firstFrame: 3, frames: [3, 4, 5], connection: 1 });
    expect(dec.decode(apps[1]!.bytes)).toBe(dec.decode(r));
    expect(apps[1]).toMatchObject({ transport: 'ws', frame: 6, src: { ip: S, port: WP } });
    expect(t.connections()).toMatchObject([{ transport: 'ws', client: { ip: C, port: CP }, server: { ip: S, port: WP } }]);
  });
});

/** A HEPv3 chunk: vendor 0, type, length incl. the 6-byte header, value. */
function chunk(type: number, value: Uint8Array): Uint8Array {
  return concat(u16(0), u16(type), u16(6 + value.length), value);
}

function hep3(chunks: Uint8Array[]): Uint8Array {
  const body = concat(...chunks);
  return concat(text('HEP3'), u16(6 + body.length), body); // magic, total length, chunks
}

describe('HEP', () => {
  it('decodes HEPv3 with IPv4 and IPv6 addresses, timestamps and a compressed payload', () => {
    const { t, apps } = setup();
    const inv = sip('INVITE sip:bob@example.com SIP/2.0', 'hep-1');
    const v4 = hep3([
      chunk(1, new Uint8Array([2])), // IP family: AF_INET
      chunk(2, new Uint8Array([17])), // IP protocol: UDP
      chunk(3, ipv4Bytes('192.168.1.1')), // source IPv4
      chunk(4, ipv4Bytes('192.168.1.2')), // destination IPv4
      chunk(7, u16(5062)), // source port
      chunk(8, u16(5060)), // destination port
      chunk(9, u32(1_600_000_000)), // timestamp seconds
      chunk(10, u32(250_000)), // timestamp microseconds
      chunk(11, new Uint8Array([1])), // protocol type: SIP
      chunk(12, u32(2001)), // capture agent id
      chunk(15, text(inv)), // payload
    ]);
    const ok = sip('SIP/2.0 200 OK', 'hep-2');
    const v6 = hep3([
      chunk(1, new Uint8Array([10])), // IP family: AF_INET6
      chunk(2, new Uint8Array([6])), // IP protocol: TCP
      chunk(5, ipv6Bytes('2001:db8::1')), // source IPv6
      chunk(6, ipv6Bytes('2001:db8::2')), // destination IPv6
      chunk(7, u16(5060)), // source port
      chunk(8, u16(49152)), // destination port
      chunk(9, u32(1_600_000_001)), // timestamp seconds
      chunk(10, u32(7)), // timestamp microseconds
      chunk(11, new Uint8Array([1])), // protocol type: SIP
      chunk(16, zlibSync(text(ok))), // compressed payload (zlib)
    ]);
    const rtcpHep = hep3([
      chunk(11, new Uint8Array([5])), // protocol type: RTCP (not SIP: ignored)
      chunk(15, hex('81 c9 00 01 00 00 00 01')),
    ]);
    t.packet(ip({ frame: 1, src: '10.1.1.1', dst: '10.1.1.9', protocol: 17, payload: udp({ sport: 40000, dport: 9060, payload: v4 }) }));
    t.packet(ip({ frame: 2, src: '10.1.1.1', dst: '10.1.1.9', protocol: 17, payload: udp({ sport: 40000, dport: 9060, payload: v6 }), tunnels: ['gre'] }));
    t.packet(ip({ frame: 3, src: '10.1.1.1', dst: '10.1.1.9', protocol: 17, payload: udp({ sport: 40000, dport: 9060, payload: rtcpHep }) }));
    expect(apps).toHaveLength(2);
    expect(apps[0]).toMatchObject({
      frame: 1,
      timeUs: 1_600_000_000_250_000,
      src: { ip: '192.168.1.1', port: 5062 },
      dst: { ip: '192.168.1.2', port: 5060 },
      transport: 'udp',
      encapsulation: 'hep',
    });
    expect(dec.decode(apps[0]!.bytes)).toBe(inv);
    expect(apps[1]).toMatchObject({
      timeUs: 1_600_000_001_000_007,
      src: { ip: '2001:db8::1', port: 5060 },
      dst: { ip: '2001:db8::2', port: 49152 },
      transport: 'tcp',
      encapsulation: 'gre/hep',
    });
    expect(dec.decode(apps[1]!.bytes)).toBe(ok);
  });

  it('decodes HEPv2 (Kamailio header with time header)', () => {
    const { t, apps } = setup();
    const m = sip('OPTIONS sip:x SIP/2.0', 'hep2');
    const le32 = (v: number) => new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
    const h = concat(
      new Uint8Array([2, 16, 2, 17]), // version 2, header length 16, AF_INET, UDP
      u16(5060), // source port
      u16(5070), // destination port
      ipv4Bytes('172.16.0.1'), // source
      ipv4Bytes('172.16.0.2'), // destination
      le32(1_500_000_000), // tv_sec (host order)
      le32(42), // tv_usec
      new Uint8Array([0xd1, 0x07, 0, 0]), // capture id + padding
      text(m),
    );
    t.packet(ip({ frame: 1, src: '10.1.1.1', dst: '10.1.1.9', protocol: 17, payload: udp({ sport: 40000, dport: 9060, payload: h }) }));
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ timeUs: 1_500_000_000_000_042, src: { ip: '172.16.0.1', port: 5060 }, dst: { ip: '172.16.0.2', port: 5070 }, encapsulation: 'hep' });
  });
});

/** A TLS record: type, legacy version, length, body (RFC 8446 §5.1). */
function record(type: number, body: Uint8Array): Uint8Array {
  return concat(new Uint8Array([type, 3, 3]), u16(body.length), body);
}
/** A handshake message: type, 24-bit length, body. */
function hsMsg(type: number, body: Uint8Array): Uint8Array {
  return concat(new Uint8Array([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body);
}
function ext(type: number, data: Uint8Array): Uint8Array {
  return concat(u16(type), u16(data.length), data);
}
function clientHello(o: { sni?: string; versions?: number[] }): Uint8Array {
  const exts: Uint8Array[] = [];
  if (o.sni) {
    const name = text(o.sni);
    // server_name: list length, name_type 0 host_name, name length, name
    exts.push(ext(0, concat(u16(name.length + 3), new Uint8Array([0]), u16(name.length), name)));
  }
  if (o.versions) {
    // supported_versions: byte length, then 2-byte versions
    exts.push(ext(43, concat(new Uint8Array([o.versions.length * 2]), ...o.versions.map((v) => u16(v)))));
  }
  const e = concat(...exts);
  return hsMsg(
    1,
    concat(
      u16(0x0303), // legacy_version TLS 1.2
      new Uint8Array(32).fill(7), // random
      new Uint8Array([0]), // session id: empty
      u16(4), // cipher suites length
      u16(0x1301), // TLS_AES_128_GCM_SHA256
      u16(0xc02f), // ECDHE-RSA-AES128-GCM-SHA256
      new Uint8Array([1, 0]), // compression methods: null
      u16(e.length), // extensions length
      e,
    ),
  );
}
function serverHello(version: number, supported?: number): Uint8Array {
  const e = supported !== undefined ? ext(43, u16(supported)) : new Uint8Array(0);
  return hsMsg(
    2,
    concat(
      u16(version), // legacy_version
      new Uint8Array(32).fill(9), // random
      new Uint8Array([0]), // session id: empty
      u16(0xc02f), // chosen cipher suite
      new Uint8Array([0]), // compression: null
      u16(e.length), // extensions length
      e,
    ),
  );
}

describe('TLS', () => {
  it('a ClientHello without SNI answered by RST: handshake failed', () => {
    const { t, apps } = setup();
    const TP = 5061;
    t.packet(ip({ frame: 1, src: C, dst: S, protocol: 6, payload: tcp({ sport: CP, dport: TP, seq: 100, ack: 0, flags: { syn: true } }) }));
    t.packet(ip({ frame: 2, src: S, dst: C, protocol: 6, payload: tcp({ sport: TP, dport: CP, seq: 500, ack: 101, flags: { syn: true, ack: true } }) }));
    t.packet(ip({ frame: 3, src: C, dst: S, protocol: 6, payload: tcp({ sport: CP, dport: TP, seq: 101, ack: 501, flags: { ack: true, psh: true }, payload: record(22, clientHello({})) }) }));
    t.packet(ip({ frame: 4, src: S, dst: C, protocol: 6, payload: tcp({ sport: TP, dport: CP, seq: 501, ack: 0, flags: { rst: true } }) }));
    t.end();
    expect(apps).toEqual([]);
    const [c] = t.connections();
    expect(c).toMatchObject({ transport: 'tls', closedBy: 'rst', closedBySide: 'server' });
    expect(c!.tls).toEqual({
      sni: null,
      offeredVersions: ['TLS 1.2'],
      version: null,
      clientHelloFrame: 3,
      serverHelloFrame: null,
      handshake: 'failed',
      alert: null,
      alertFrame: null,
    });
  });

  it('reads SNI, offered versions and the chosen version; completes on ChangeCipherSpec both ways', () => {
    const { t } = setup();
    const TP = 5061;
    const seg = (frame: number, fromClient: boolean, seq: number, payload: Uint8Array) =>
      ip({ frame, src: fromClient ? C : S, dst: fromClient ? S : C, protocol: 6, payload: tcp({ sport: fromClient ? CP : TP, dport: fromClient ? TP : CP, seq, ack: 1, flags: { ack: true, psh: true }, payload }) });
    const ch = record(22, clientHello({ sni: 'sip.example.com', versions: [0x1a1a, 0x0304, 0x0303] })); // GREASE, 1.3, 1.2
    // the ClientHello record split over two segments
    t.packet(seg(1, true, 1, ch.subarray(0, 20)));
    t.packet(seg(2, true, 21, ch.subarray(20)));
    const sh = record(22, serverHello(0x0303));
    const ccs = record(20, new Uint8Array([1]));
    t.packet(seg(3, false, 1, concat(sh, ccs)));
    t.packet(seg(4, true, 1 + ch.length, ccs));
    t.end();
    expect(t.connections()[0]!.tls).toMatchObject({
      sni: 'sip.example.com',
      offeredVersions: ['TLS 1.3', 'TLS 1.2'],
      version: 'TLS 1.2',
      clientHelloFrame: 2,
      serverHelloFrame: 3,
      handshake: 'complete',
    });
  });

  it('names a plaintext alert; reads TLS 1.3 from supported_versions; partial when the capture ends', () => {
    const { t } = setup();
    const seg = (frame: number, fromClient: boolean, sport: number, seq: number, payload: Uint8Array) =>
      ip({ frame, src: fromClient ? C : S, dst: fromClient ? S : C, protocol: 6, payload: tcp({ sport: fromClient ? sport : 5061, dport: fromClient ? 5061 : sport, seq, ack: 1, flags: { ack: true, psh: true }, payload }) });
    // connection 1: alert
    t.packet(seg(1, true, 41001, 1, record(22, clientHello({ sni: 'a' }))));
    t.packet(seg(2, false, 41001, 1, record(21, new Uint8Array([2, 40])))); // fatal handshake_failure
    // connection 2: TLS 1.3 ServerHello, then nothing more
    t.packet(seg(3, true, 41002, 1, record(22, clientHello({ versions: [0x0304] }))));
    t.packet(seg(4, false, 41002, 1, record(22, serverHello(0x0303, 0x0304))));
    t.end();
    const [a, b] = t.connections();
    expect(a!.tls).toMatchObject({ handshake: 'failed', alert: 'fatal handshake_failure (40) from server', alertFrame: 2 });
    expect(b!.tls).toMatchObject({ version: 'TLS 1.3', handshake: 'partial', offeredVersions: ['TLS 1.3'] });
  });

  it('a connection captured mid-session is TLS with handshake none', () => {
    const { t } = setup();
    t.packet(ip({ frame: 1, src: C, dst: S, protocol: 6, payload: tcp({ sport: CP, dport: 5061, seq: 1, ack: 1, flags: { ack: true, psh: true }, payload: record(23, new Uint8Array(40)) }) }));
    t.end();
    expect(t.connections()[0]).toMatchObject({ transport: 'tls', tls: { handshake: 'none', sni: null } });
  });
});

/** RTP header (RFC 3550 §5.1) + payload. */
function rtp(seq: number, ts: number, ssrc: number, pt = 0, payloadLen = 160): Uint8Array {
  return concat(
    new Uint8Array([0x80, pt]), // V=2, no padding/extension/CSRC; marker 0, payload type
    u16(seq & 0xffff), // sequence number
    u32(ts), // timestamp
    u32(ssrc), // SSRC
    new Uint8Array(payloadLen), // media
  );
}

describe('RTP and ICMP', () => {
  const A = '192.0.2.10';
  const B = '198.51.100.20';
  const rtpIp = (frame: number, src: string, sport: number, seq: number, ssrc = 0x11223344) =>
    ip({ frame, src, dst: B, protocol: 17, payload: udp({ sport, dport: 20000, payload: rtp(seq, seq * 160, ssrc) }) });

  it('counts loss across a sequence wrap-around and records a source change', () => {
    const { t } = setup();
    let f = 0;
    // 65533, 65534, 65535, 0, [1 lost], 2, 3 from A:30000, then 4, 5 from A:30002 (NAT rebinding)
    for (const seq of [65533, 65534, 65535, 0, 2, 3]) t.packet(rtpIp(++f, A, 30000, seq));
    t.packet(rtpIp(++f, A, 30002, 4));
    t.packet(rtpIp(f + 1, A, 30002, 5));
    t.end();
    const [s] = t.rtpStreams();
    expect(s).toMatchObject({
      ssrc: 0x11223344,
      kind: 'rtp',
      payloadType: 0,
      src: { ip: A, port: 30000 },
      dst: { ip: B, port: 20000 },
      packets: 8,
      bytes: 8 * 172,
      firstFrame: 1,
      lastFrame: 8,
      lost: 1,
      sequenceGaps: 1,
      recognisedBy: 'heuristic',
    });
    expect(s!.sourceChanges).toEqual([{ frame: 7, timeUs: expect.any(Number), from: { ip: A, port: 30000 }, to: { ip: A, port: 30002 } }]);
  });

  it('needs three increasing packets to believe RTP unless SDP announced it', () => {
    const { t } = setup();
    t.packet(rtpIp(1, A, 30000, 10, 0xaaaa));
    t.packet(rtpIp(2, A, 30000, 11, 0xaaaa)); // only two packets: never confirmed
    t.announceMedia(B, 20002, 'rtp');
    t.packet(ip({ frame: 3, src: A, dst: B, protocol: 17, payload: udp({ sport: 30004, dport: 20002, payload: rtp(1, 0, 0xbbbb, 8) }) }));
    // RTCP receiver report to port+1 (PT 201, length 1 word → 8 bytes)
    t.packet(ip({ frame: 4, src: A, dst: B, protocol: 17, payload: udp({ sport: 30005, dport: 20003, payload: hex('81 c9 00 01 00 00 bb bb') }) }));
    t.end();
    expect(t.rtpStreams().map((s) => [s.ssrc, s.kind, s.recognisedBy, s.packets])).toEqual([
      [0xbbbb, 'rtp', 'sdp', 1],
      [0xbbbb, 'rtcp', 'sdp', 1],
    ]);
  });

  it('ties an ICMP port unreachable to the RTP flow it answers', () => {
    const { t } = setup();
    for (let i = 0; i < 3; i++) t.packet(rtpIp(i + 1, A, 30000, 100 + i));
    // B answers A's RTP with ICMP port unreachable, quoting the original IPv4 header + 8 bytes
    const original = ipv4({ src: A, dst: B, protocol: 17, payload: udp({ sport: 30000, dport: 20000, payload: rtp(102, 0, 0x11223344) }) });
    const icmp = concat(
      new Uint8Array([3, 3]), // type 3 destination unreachable, code 3 port unreachable
      u16(0), // checksum (not verified)
      u32(0), // unused
      original.subarray(0, 28), // original IP header + first 8 bytes
    );
    t.packet(ip({ frame: 4, src: B, dst: A, protocol: 1, payload: icmp }));
    t.end();
    const [e] = t.icmp();
    expect(e).toMatchObject({ frame: 4, reporter: B, reason: 'port unreachable', type: 3, code: 3, original: { protocol: 17, src: { ip: A, port: 30000 }, dst: { ip: B, port: 20000 } } });
    const s = t.rtpStreams()[0]!;
    expect(s.dst).toEqual(e!.original.dst);
    expect(s.src).toEqual(e!.original.src);
  });

  it('decodes ICMPv6 administratively prohibited with an IPv6 original', () => {
    const { t } = setup();
    const orig = concat(
      new Uint8Array([0x60, 0, 0, 0]), // version 6
      u16(16), // payload length
      new Uint8Array([17, 64]), // next header UDP, hop limit
      ipv6Bytes('2001:db8::a'), // source
      ipv6Bytes('2001:db8::b'), // destination
      udp({ sport: 5060, dport: 5080, payload: new Uint8Array(8) }).subarray(0, 8),
    );
    const icmp6 = concat(new Uint8Array([1, 1]), u16(0), u32(0), orig); // type 1 code 1
    t.packet(ip({ frame: 1, src: '2001:db8::ff', dst: '2001:db8::a', protocol: 58, payload: icmp6 }));
    expect(t.icmp()[0]).toMatchObject({ reason: 'administratively prohibited', original: { protocol: 17, src: { ip: '2001:db8::a', port: 5060 }, dst: { ip: '2001:db8::b', port: 5080 } } });
  });
});

describe('UDP and SCTP', () => {
  it('hands SIP over UDP with the tunnel names; warns about non-SIP bytes on 5060; ignores keep-alives', () => {
    const { t, apps, warnings } = setup();
    const m = sip('INVITE sip:a@b SIP/2.0', 'udp');
    t.packet(ip({ frame: 1, src: C, dst: S, protocol: 17, payload: udp({ sport: 5060, dport: 5060, payload: text(m) }), tunnels: ['erspan', 'gre'] }));
    t.packet(ip({ frame: 2, src: C, dst: S, protocol: 17, payload: udp({ sport: 5060, dport: 5060, payload: text('\r\n\r\n') }) })); // CRLF keep-alive
    t.packet(ip({ frame: 3, src: C, dst: S, protocol: 17, payload: udp({ sport: 5060, dport: 5060, payload: new Uint8Array(4) }) })); // 4-byte keep-alive
    const junk = concat(hex('00 ff 01 02 03 04 05 06 07 08'), new Uint8Array(27)); // 37 bytes
    t.packet(ip({ frame: 4, src: C, dst: S, protocol: 17, payload: udp({ sport: 40000, dport: 5060, payload: junk }) }));
    t.end();
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ frame: 1, transport: 'udp', encapsulation: 'erspan/gre', connection: null, frames: [1] });
    expect(dec.decode(apps[0]!.bytes)).toBe(m);
    expect(warnings.map((w) => w.message)).toEqual(['37 bytes on UDP port 5060 are not SIP (starts 00 ff 01 02 03 04 05 06 …)']);
    expect(warnings[0]!.frame).toBe(4);
  });

  it('takes each SCTP DATA chunk as one SIP message and reassembles fragmented user data', () => {
    const { t, apps } = setup();
    const m1 = text(sip('INVITE sip:a@b SIP/2.0', 'sctp-1'));
    const m2 = text(sip('SIP/2.0 100 Trying', 'sctp-1'));
    const data = (tsn: number, flags: number, user: Uint8Array) => {
      const len = 16 + user.length;
      const pad = (4 - (len % 4)) % 4;
      return concat(
        new Uint8Array([0, flags]), // chunk type DATA, flags (B=2, E=1)
        u16(len), // chunk length (without padding)
        u32(tsn), // TSN
        u16(0), // stream identifier
        u16(0), // stream sequence number
        u32(0), // payload protocol identifier
        user,
        new Uint8Array(pad), // padding to 4 bytes
      );
    };
    const sctp = (chunks: Uint8Array[]) => concat(u16(5060), u16(5060), u32(0x1234), u32(0), ...chunks); // ports, verification tag, checksum
    const sack = concat(new Uint8Array([3, 0]), u16(16), u32(1), u32(65535), u16(0), u16(0)); // SACK chunk (ignored)
    t.packet(ip({ frame: 1, src: C, dst: S, protocol: 132, payload: sctp([data(1, 2, m1.subarray(0, 50))]) }));
    t.packet(ip({ frame: 2, src: C, dst: S, protocol: 132, payload: sctp([data(2, 1, m1.subarray(50))]) }));
    t.packet(ip({ frame: 3, src: S, dst: C, protocol: 132, payload: sctp([sack, data(7, 3, m2)]) }));
    t.packet(ip({ frame: 4, src: S, dst: C, protocol: 132, payload: sctp([data(7, 3, m2)]) })); // retransmitted DATA
    expect(apps.map((a) => [a.transport, a.frame, a.frames, dec.decode(a.bytes)])).toEqual([
      ['sctp', 2, [1, 2], dec.decode(m1)],
      ['sctp', 3, [3], dec.decode(m2)],
    ]);
  });
});
