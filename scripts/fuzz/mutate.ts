/**
 * The fuzzer's mutations, one family per layer: container (pcap/pcapng headers, record and block
 * lengths, interface options), timestamps, link, IP and fragments, TCP (header and segmentation),
 * TLS, WebSocket, HEP, SCTP, ICMP/RTP, SIP text, SDP, whole packets (drop, duplicate, reorder,
 * storms of copies and streams), gzip, share-link fragments, and plain havoc. Each takes a seed's
 * packets and a PRNG and returns one input: capture bytes, or a share-link fragment.
 */
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { writePcap, writePcapng } from '../../src/capture/write.ts';
import { encodeBase64url } from '../../src/share/base64url.ts';
import type { Layers, Pkt } from './layers.ts';
import { dissect, fixLengths } from './layers.ts';
import type { Rng } from './rng.ts';

export const CATEGORIES = ['container', 'timestamps', 'link', 'ip', 'fragments', 'tcp', 'tls', 'websocket', 'hep', 'sctp', 'icmp-rtp', 'sip', 'sdp', 'packets', 'gzip', 'share', 'havoc'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Seed {
  name: string;
  format: 'pcap' | 'pcapng';
  packets: Pkt[];
  layers: Layers[];
  /** Share-link fragments made from this seed (for the share category). */
  fragments: string[];
}

export type Input = { kind: 'capture'; bytes: Uint8Array } | { kind: 'share'; text: string };

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

function clone(p: Pkt): Pkt {
  return { timeUs: p.timeUs, linkType: p.linkType, data: p.data.slice() };
}

/** Packet indexes whose dissection passes `ok`. */
function where(seed: Seed, ok: (l: Layers, p: Pkt) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < seed.layers.length; i++) if (ok(seed.layers[i]!, seed.packets[i]!)) out.push(i);
  return out;
}

function serialize(packets: Pkt[], format: 'pcap' | 'pcapng'): Uint8Array {
  const mixed = packets.some((p) => p.linkType !== packets[0]?.linkType);
  return format === 'pcapng' || mixed ? writePcapng(packets) : writePcap(packets, packets[0]?.linkType ?? 1);
}

/** Overwrite `width` bytes at `at` (big-endian) with an edge value, a random value, or flip a bit. */
function poke(r: Rng, d: Uint8Array, at: number, width = r.pick([1, 2, 4])): void {
  if (at < 0 || at >= d.length) return;
  const k = r.int(3);
  if (k === 0) {
    d[at] = d[at]! ^ (1 << r.int(8));
    return;
  }
  const v = k === 1 ? r.interesting(width) : Math.floor(r.next() * 2 ** (8 * Math.min(width, 4)));
  for (let i = 0; i < width && at + i < d.length; i++) d[at + i] = (v >>> (8 * (width - 1 - i))) & 0xff;
}

/** Mutate bytes in [from, to) of a packet a few times. */
function pokeRange(r: Rng, d: Uint8Array, from: number, to: number): void {
  if (to <= from) return;
  const n = r.range(1, 3);
  for (let i = 0; i < n; i++) poke(r, d, from + r.int(to - from));
}

/** Replace bytes [from, to) of the packet with `bytes`, fixing IP/UDP lengths (mostly). */
function splice(r: Rng, p: Pkt, l: Layers, from: number, to: number, bytes: Uint8Array): void {
  const d = p.data;
  const out = new Uint8Array(d.length - (to - from) + bytes.length);
  out.set(d.subarray(0, from), 0);
  out.set(bytes, from);
  out.set(d.subarray(to), from + bytes.length);
  p.data = out;
  if (r.chance(0.85)) fixLengths(p, l);
}

// ——— SIP text and SDP ———

const SIP_HEADERS = ['Via', 'Record-Route', 'Route', 'Contact', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length', 'Max-Forwards', 'Session-ID', 'X-Call-ID', 'Content-Type', 'l', 'v', 'i', 'm'];

function mutateSipText(r: Rng, s: string): string {
  const lines = s.split('\r\n');
  const head = lines.indexOf('');
  const nh = head < 0 ? lines.length : head;
  switch (r.int(14)) {
    case 0: {
      // a header repeated many times (Via, Record-Route storms)
      const name = r.pick(['Via', 'Record-Route', 'Route', 'Contact']);
      const line = lines.slice(1, nh).find((x) => x.toLowerCase().startsWith(name.toLowerCase() + ':')) ?? `${name}: <sip:10.0.0.${r.int(255)}:5060;lr>`;
      const n = r.pick([2, 10, 100, 500, 2000]);
      lines.splice(Math.max(1, r.int(nh)), 0, ...Array.from({ length: n }, (_, i) => line.replace(/branch=[^;,\s]*/, `branch=z9hG4bK${i}`)));
      break;
    }
    case 1: {
      const i = lines.findIndex((x) => /^(content-length|l)\s*:/i.test(x));
      const v = r.pick(['-1', '0', '1', '4294967296', '99999999999999999999', 'abc', '', ' 5 5', '1e3', String(r.int(5000))]);
      if (i >= 0) lines[i] = `Content-Length: ${v}`;
      else lines.splice(1, 0, `Content-Length: ${v}`);
      break;
    }
    case 2:
      return s.replace(/\r\n/g, r.pick(['\n', '\r', '\r\n\r\n', ' \r\n', '\r\n ']));
    case 3: {
      const at = r.int(s.length + 1);
      return s.slice(0, at) + r.pick(['\0', '\xff\xfe', '\u0100', '%', '"', '<', ';;;', '\r\n\r\n', '\t', 'é', '\x1b[2J', 'SIP/2.0 200 OK\r\n']) + s.slice(at);
    }
    case 4: {
      const name = r.pick(SIP_HEADERS);
      lines.splice(1 + r.int(nh), 0, `${name}:${r.pick(['', ' ', ' <', ' <sip:', ' x'.repeat(r.pick([1, 100, 5000])), ' sip:a@[::1', ' ;;;;', ' "unterminated', ' 1 INVITE 2', ' <sip:a@b>;tag=' + 'x'.repeat(300), ' SIP/2.0/UDP [fe80::1%eth0]:99999;branch=;rport=abc;received=999.1.1.1'])}`);
      break;
    }
    case 5:
      lines[0] = r.pick(['INVITE', 'SIP/2.0', 'SIP/2.0 999999 X', 'INVITE sip: SIP/2.0', 'SIP/2.0 200', 'ACK sip:a@b SIP/3.0', 'X'.repeat(5000), '', 'SIP/2.0 -1 Minus', `${lines[0] ?? ''} extra words`]);
      break;
    case 6:
      // a line dropped
      if (nh > 1) lines.splice(1 + r.int(nh - 1), 1);
      break;
    case 7:
      return s.slice(0, r.int(s.length));
    case 8:
      // two messages in one payload
      return s + s.replace(/Call-ID:[^\r\n]*/i, `Call-ID: dup-${r.int(1000)}`);
    case 9: {
      const i = lines.findIndex((x) => /^(call-id|i)\s*:/i.test(x));
      if (i >= 0) lines[i] = `Call-ID: ${r.pick(['', 'same', 'x'.repeat(2000), '<>', '@', '\u00ff'])}`;
      break;
    }
    case 10: {
      const i = lines.findIndex((x) => /^cseq\s*:/i.test(x));
      if (i >= 0) lines[i] = `CSeq: ${r.pick(['', '1', 'INVITE', '4294967296 INVITE', '-1 BYE', '1 ACK', '2 CANCEL', '99999999999999999999 REGISTER'])}`;
      break;
    }
    case 11: {
      const i = lines.findIndex((x) => /^(via|v)\s*:/i.test(x));
      if (i >= 0) lines[i] = `Via: ${r.pick(['SIP/2.0/TCP', 'SIP/2.0/UDP 10.0.0.1:0', 'SIP/2.0/UDP 192.168.1.2:5060;rport=0;received=1.2.3.4;branch=z9hG4bK1', 'SIP/2.0/WSS abc.invalid;branch=', 'garbage', 'SIP/2.0/UDP [::ffff:10.0.0.1]:5060;branch=z9hG4bKa,SIP/2.0/UDP 10.1.1.1'])}`;
      break;
    }
    case 12: {
      const i = lines.findIndex((x) => /^(contact|m)\s*:/i.test(x));
      const v = r.pick(['*', '<sip:10.0.0.1>', '<sip:a@192.168.0.10:5060;transport=tcp>;expires=0', '<sip:a@[2001:db8::1]:0>', '"x" <tel:+123>', '<sip:a@b:99999>', '<>']);
      if (i >= 0) lines[i] = `Contact: ${v}`;
      else lines.splice(1, 0, `Contact: ${v}`);
      break;
    }
    default: {
      // header names in other case / compact form
      for (let i = 1; i < nh; i++) if (r.chance(0.3)) lines[i] = lines[i]!.replace(/^[^:]+/, (n) => (r.chance(0.5) ? n.toUpperCase() : n.toLowerCase()));
      break;
    }
  }
  return lines.join('\r\n');
}

function mutateSdp(r: Rng, s: string): string {
  const at = s.indexOf('\nv=0');
  if (at < 0) return mutateSipText(r, s);
  const head = s.slice(0, at + 1);
  const lines = s.slice(at + 1).split(/\r?\n/);
  switch (r.int(8)) {
    case 0:
      for (let i = 0; i < lines.length; i++) if (lines[i]!.startsWith('m=')) lines[i] = lines[i]!.replace(/^m=(\w+) \d+/, `m=$1 ${r.pick(['0', '1', '65535', '65536', '99999999', '-1', 'abc', '5004/2'])}`);
      break;
    case 1:
      for (let i = 0; i < lines.length; i++) if (lines[i]!.startsWith('c=')) lines[i] = r.pick(['c=IN IP4 192.168.0.' + r.int(256), 'c=IN IP6 ::1', 'c=IN IP4 0.0.0.0', 'c=IN IP4 999.1.1.1', 'c=', 'c=IN IP4 224.2.1.1/127/3', 'c=IN IP6 fe80::1%eth0', 'c=IN IP4 ' + 'a'.repeat(300)]);
      break;
    case 2: {
      const m = lines.find((x) => x.startsWith('m=')) ?? 'm=audio 4000 RTP/AVP 0';
      const n = r.pick([10, 200, 2000]);
      lines.push(...Array.from({ length: n }, (_, i) => m.replace(/ \d+ /, ` ${4000 + 2 * i} `)));
      break;
    }
    case 3:
      lines.splice(r.int(lines.length), 0, r.pick(['a=rtpmap:', 'a=rtpmap:96', 'a=rtpmap:96 opus/48000/2/x', 'a=fmtp:', 'a=candidate:1 1 UDP 1 10.0.0.1 9 typ host', 'a=rtcp:0 IN IP4 1.2.3.4', 'a=crypto:' + 'A'.repeat(500), 'o=', 'o=- 1 1 IN IP4', 'b=AS:-1', 't=-1 -1']));
      break;
    case 4:
      lines.splice(r.int(lines.length), 1);
      break;
    case 5:
      return head + lines.join('\r\n').slice(0, r.int(lines.join('\r\n').length));
    case 6:
      for (let i = 0; i < lines.length; i++) if (lines[i]!.startsWith('a=') && r.chance(0.5)) lines[i] = r.pick(['a=sendonly', 'a=recvonly', 'a=inactive', 'a=rtcp-mux', 'a=setup:actpass']);
      break;
    default:
      lines.splice(r.int(lines.length), 0, 'v=0', 'm=video 0 RTP/AVP 31');
  }
  return head + lines.join('\r\n');
}

/** Mutate the SIP text (or SDP) of packet `i`, fixing the IP/UDP lengths (mostly). */
function textMutation(r: Rng, seed: Seed, pkts: Pkt[], i: number, sdp: boolean): void {
  const p = pkts[i]!;
  const l = dissect(p);
  if (l.payload < 0) return;
  const s = dec.decode(p.data.subarray(l.payload, l.end));
  const m = sdp ? mutateSdp(r, s) : mutateSipText(r, s);
  splice(r, p, l, l.payload, l.end, Uint8Array.from(m, (c) => c.charCodeAt(0) & 0xff));
  void seed;
}

// ——— per-layer binary mutations ———

function ipv4Fragments(r: Rng, p: Pkt, l: Layers): Pkt[] {
  const d = p.data;
  const ihl = l.l4 - l.l3;
  const body = d.subarray(l.l4, l.end);
  if (body.length < 16) return [p];
  const size = 8 * r.range(1, Math.max(1, Math.floor(body.length / 16)));
  const out: Pkt[] = [];
  for (let off = 0; off < body.length; off += size) {
    const piece = body.subarray(off, Math.min(body.length, off + size));
    const f = new Uint8Array(l.l3 + ihl + piece.length);
    f.set(d.subarray(0, l.l4), 0);
    f.set(piece, l.l4);
    const more = off + size < body.length;
    const fo = (off / 8) | (more ? 0x2000 : 0);
    f[l.l3 + 6] = (fo >> 8) & 0xff;
    f[l.l3 + 7] = fo & 0xff;
    const total = ihl + piece.length;
    f[l.l3 + 2] = (total >> 8) & 0xff;
    f[l.l3 + 3] = total & 0xff;
    out.push({ timeUs: p.timeUs + out.length, linkType: p.linkType, data: f });
  }
  return out;
}

function ipv6Fragments(r: Rng, p: Pkt, l: Layers): Pkt[] {
  const d = p.data;
  if (l.l4 !== l.l3 + 40) return [p];
  const body = d.subarray(l.l4, l.end);
  if (body.length < 16) return [p];
  const size = 8 * r.range(1, Math.max(1, Math.floor(body.length / 16)));
  const id = r.int(2 ** 31);
  const out: Pkt[] = [];
  for (let off = 0; off < body.length; off += size) {
    const piece = body.subarray(off, Math.min(body.length, off + size));
    const f = new Uint8Array(l.l4 + 8 + piece.length);
    f.set(d.subarray(0, l.l4), 0);
    f[l.l3 + 6] = 44; // next header: fragment
    const plen = 8 + piece.length;
    f[l.l3 + 4] = (plen >> 8) & 0xff;
    f[l.l3 + 5] = plen & 0xff;
    const more = off + size < body.length;
    f[l.l4] = l.proto; // fragment header: next header
    f[l.l4 + 1] = 0;
    const fo = off | (more ? 1 : 0); // offset in 8-byte units << 3, M flag
    f[l.l4 + 2] = (fo >> 8) & 0xff;
    f[l.l4 + 3] = fo & 0xff;
    f[l.l4 + 4] = (id >>> 24) & 0xff;
    f[l.l4 + 5] = (id >>> 16) & 0xff;
    f[l.l4 + 6] = (id >>> 8) & 0xff;
    f[l.l4 + 7] = id & 0xff;
    f.set(piece, l.l4 + 8);
    out.push({ timeUs: p.timeUs + out.length, linkType: p.linkType, data: f });
  }
  return out;
}

/** Shuffle a run of packets: drop, duplicate, swap, overlap (the disorder networks and captures make). */
function disorder(r: Rng, xs: Pkt[]): Pkt[] {
  const out = xs.slice();
  const n = r.range(1, 3);
  for (let k = 0; k < n && out.length > 0; k++) {
    const i = r.int(out.length);
    switch (r.int(4)) {
      case 0:
        out.splice(i, 1);
        break;
      case 1:
        out.splice(i, 0, clone(out[i]!));
        break;
      case 2: {
        const j = r.int(out.length);
        [out[i], out[j]] = [out[j]!, out[i]!];
        break;
      }
      default:
        out.reverse();
    }
  }
  return out;
}

function tcpSegments(r: Rng, p: Pkt, l: Layers): Pkt[] {
  const d = p.data;
  const body = d.subarray(l.payload, l.end);
  if (body.length < 2) return [p];
  const seq0 = ((d[l.l4 + 4]! << 24) | (d[l.l4 + 5]! << 16) | (d[l.l4 + 6]! << 8) | d[l.l4 + 7]!) >>> 0;
  const cuts = Array.from({ length: r.range(1, 5) }, () => 1 + r.int(body.length - 1)).sort((a, b) => a - b);
  const bounds = [0, ...cuts, body.length];
  const out: Pkt[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const from = Math.max(0, bounds[k]! - (r.chance(0.2) ? r.int(8) : 0)); // sometimes overlapping
    const piece = body.subarray(from, bounds[k + 1]);
    if (piece.length === 0) continue;
    const f = new Uint8Array(l.payload + piece.length);
    f.set(d.subarray(0, l.payload), 0);
    f.set(piece, l.payload);
    const seq = (seq0 + from) >>> 0;
    f[l.l4 + 4] = seq >>> 24;
    f[l.l4 + 5] = (seq >>> 16) & 0xff;
    f[l.l4 + 6] = (seq >>> 8) & 0xff;
    f[l.l4 + 7] = seq & 0xff;
    const q = { timeUs: p.timeUs + out.length, linkType: p.linkType, data: f };
    fixLengths(q, l);
    out.push(q);
  }
  return disorder(r, out);
}

let bombCache: Uint8Array[] | null = null;
/** Compressed runs of zeros: 64 KiB, 1 MiB, 16 MiB, 64 MiB inflated. */
function bombs(): Uint8Array[] {
  bombCache ??= [64 << 10, 1 << 20, 16 << 20, 64 << 20].map((n) => deflateSync(new Uint8Array(n), { level: 9 }));
  return bombCache;
}
let shareBombCache: Uint8Array[] | null = null;
function shareBombs(): Uint8Array[] {
  shareBombCache ??= [1 << 20, 60 << 20, 70 << 20, 256 << 20].map((n) => deflateRawSync(new Uint8Array(n), { level: 9 }));
  return shareBombCache;
}

function hepChunk(type: number, value: Uint8Array): Uint8Array {
  const c = new Uint8Array(6 + value.length);
  c[3] = type; // vendor 0, type
  c[4] = ((6 + value.length) >> 8) & 0xff;
  c[5] = (6 + value.length) & 0xff;
  c.set(value, 6);
  return c;
}

function mutateHep(r: Rng, p: Pkt, l: Layers): void {
  const d = p.data;
  const o = l.payload;
  if (!(d[o] === 0x48 && d[o + 1] === 0x45)) {
    pokeRange(r, d, o, Math.min(l.end, o + 28));
    return;
  }
  const k = r.int(4);
  if (k === 0) {
    poke(r, d, o + 4, 2); // total length
  } else if (k === 1) {
    // a chunk header: walk to a random chunk and damage its type or length
    let c = o + 6;
    const stop = r.int(12);
    for (let i = 0; i < stop && c + 6 <= l.end; i++) c += Math.max(6, (d[c + 4]! << 8) | d[c + 5]!);
    if (c + 6 <= l.end) poke(r, d, c + r.pick([2, 3, 4]), r.pick([1, 2]));
  } else {
    // append a compressed payload chunk: SIP, garbage, or a bomb
    const sip = enc.encode('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nCall-ID: hep\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    const value = k === 2 ? r.pick([deflateSync(sip), gzipSync(sip), deflateRawSync(sip), new Uint8Array(r.int(64)).map(() => r.int(256))]) : r.pick(bombs());
    const chunk = hepChunk(16, value.length > 65000 ? value.subarray(0, 65000) : value);
    const hepEnd = Math.min(l.end, o + ((d[o + 4]! << 8) | d[o + 5]!));
    const total = hepEnd - o + chunk.length;
    splice(r, p, l, hepEnd, hepEnd, chunk);
    if (total < 65536) {
      p.data[o + 4] = total >> 8;
      p.data[o + 5] = total & 0xff;
    }
  }
}

function mutateSctp(r: Rng, p: Pkt, l: Layers): void {
  const d = p.data;
  // chunks start at l.payload: type, flags, length (2), then DATA: TSN, stream id, seq, PPID
  let c = l.payload;
  const stop = r.int(4);
  for (let i = 0; i < stop && c + 4 <= l.end; i++) c += Math.max(4, ((d[c + 2]! << 8) | d[c + 3]!) + 3) & ~3;
  if (c + 4 > l.end) c = l.payload;
  if (r.chance(0.3)) {
    // a copy of the first chunk appended (bundling)
    const len = Math.min(l.end - l.payload, ((d[l.payload + 2]! << 8) | d[l.payload + 3]!) + 3) & ~3;
    splice(r, p, l, l.end, l.end, d.slice(l.payload, l.payload + Math.max(0, len)));
  } else poke(r, d, c + r.pick([0, 1, 2, 4, 8, 10, 12]), r.pick([1, 2, 4]));
}

// ——— container bytes ———

function containerMutation(r: Rng, bytes: Uint8Array, timestampsOnly: boolean): Uint8Array {
  const d = bytes.slice();
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const isNg = v.getUint32(0, false) === 0x0a0d0d0a;
  // offsets of record headers (pcap) or blocks (pcapng)
  const units: number[] = [];
  if (isNg) {
    for (let o = 0; o + 12 <= d.length && units.length < 100_000; ) {
      units.push(o);
      const len = v.getUint32(o + 4, true);
      if (len < 12) break;
      o += len;
    }
  } else {
    for (let o = 24; o + 16 <= d.length && units.length < 100_000; ) {
      units.push(o);
      o += 16 + v.getUint32(o + 8, true);
    }
  }
  const u = units.length > 0 ? r.pick(units) : 0;
  if (timestampsOnly) {
    const huge = [0xffffffff, 0x7fffffff, 0x80000000, 0x00ffffff, 0x0001ffff, 0x000fffff];
    if (isNg) {
      const type = v.getUint32(u, true);
      if (type === 6 || type === 2) v.setUint32(u + 12, r.pick(huge), true);
      else if (type === 1 && u + 20 <= d.length) {
        // an IDB with if_tsresol / if_tsoffset replaced
        const opt = r.chance(0.5) ? [9, 1, r.pick([0, 1, 3, 9, 12, 15, 0x80 | 30, 0x80 | 63, 0x7f, 0xff])] : [14, 8];
        const body = new Uint8Array(opt[0] === 9 ? 8 : 12);
        const bv = new DataView(body.buffer);
        bv.setUint16(0, opt[0]!, true);
        bv.setUint16(2, opt[1]!, true);
        if (opt[0] === 9) body[4] = opt[2]!;
        else bv.setBigInt64(4, r.pick([-(2n ** 63n), 2n ** 63n - 1n, 300_000_000_000n, -62_000_000_000n, 1n]), true);
        const oldLen = v.getUint32(u + 4, true);
        const idb = new Uint8Array(16 + body.length + 4 + 4);
        idb.set(d.subarray(u, u + 16), 0);
        idb.set(body, 16);
        const iv = new DataView(idb.buffer);
        iv.setUint32(4, idb.length, true);
        iv.setUint32(idb.length - 4, idb.length, true);
        const out = new Uint8Array(d.length - oldLen + idb.length);
        out.set(d.subarray(0, u), 0);
        out.set(idb, u);
        out.set(d.subarray(u + oldLen), u + idb.length);
        return out;
      }
    } else {
      if (r.chance(0.2)) v.setUint32(0, r.pick([0xa1b23c4d, 0xa1b2c3d4]), true); // ns / µs magic
      v.setUint32(u, r.pick(huge), true);
      v.setUint32(u + 4, r.pick([0, 999_999, 1_000_000, 0xffffffff]), true);
    }
    return d;
  }
  switch (r.int(6)) {
    case 0:
      pokeRange(r, d, 0, Math.min(d.length, isNg ? 28 : 24)); // file / section header
      return d;
    case 1:
      poke(r, d, u + (isNg ? 4 : 8), 4); // a length
      return d;
    case 2:
      poke(r, d, u + r.int(isNg ? 28 : 16), r.pick([1, 2, 4])); // anywhere in a record header / block header
      return d;
    case 3:
      return d.subarray(0, r.int(d.length)); // cut
    case 4: {
      // a block/record duplicated or spliced in twice
      const next = units[units.indexOf(u) + 1] ?? d.length;
      const copy = d.slice(u, next);
      const out = new Uint8Array(d.length + copy.length);
      out.set(d.subarray(0, next), 0);
      out.set(copy, next);
      out.set(d.subarray(next), next + copy.length);
      return out;
    }
    default:
      if (isNg) {
        v.setUint32(u, r.pick([0x0a0d0d0a, 1, 2, 3, 5, 6, 0x0a, 0x80000001, 0]), true); // block type
        return d;
      }
      v.setUint32(0, r.pick([0xa1b2cd34, 0xd4c3b2a1, 0x4d3cb2a1, 0xa1b23c4d]), r.chance(0.5)); // other magics/byte orders
      return d;
  }
}

function mutateShare(r: Rng, seed: Seed): string {
  let t = seed.fragments.length > 0 ? r.pick(seed.fragments) : 'sl=1';
  const n = r.range(1, 2);
  for (let k = 0; k < n; k++) {
    switch (r.int(9)) {
      case 0:
        t = t.slice(0, r.int(t.length + 1));
        break;
      case 1: {
        const i = r.int(t.length);
        t = t.slice(0, i) + r.pick(['A', '_', '-', '%', '%E2%8', '&', '=', '.', '~', '\u00e9', '%00']) + t.slice(i + 1);
        break;
      }
      case 2:
        t = t.replace(/caplen=\d+/, `caplen=${r.pick(['0', '-1', '1e309', 'x', '99999999999', String(r.int(1e6))])}`);
        break;
      case 3:
        t = t.replace(/cap=([dg])\./, `cap=${r.pick(['d', 'g', 'x', '', 'dd'])}.`);
        break;
      case 4: {
        const bomb = r.pick(shareBombs());
        t = `sl=1&caplen=${bomb.length}&cap=d.${encodeBase64url(bomb)}`;
        break;
      }
      case 5: {
        const key = r.pick(['calls', 'msg', 'time', 'ov', 'meta', 'hosts', 'unf', 'notes', 'find', 'rtp', 'name', 'sl']);
        const val = r.pick(['null', '[]', '{}', '"x"', '[1e309]', '{"__proto__":{"a":1}}', encodeURIComponent(JSON.stringify(Array.from({ length: 1000 }, (_, i) => i))), '%', '"' + 'x'.repeat(10000) + '"', '-1', '99999999999999999999']);
        t = `${t.replace(/&cap=.*$/, '')}&${key}=${val}${t.includes('&cap=') ? t.slice(t.indexOf('&cap=')) : ''}`;
        break;
      }
      case 6:
        t = t.replace(/cap=([dg])\.([A-Za-z0-9_-]*)/, (_m, f: string, b: string) => `cap=${f}.${b.slice(0, Math.max(0, b.length - r.int(50)))}`);
        break;
      case 7: {
        // a real capture of another compression, or gzip where deflate is announced
        const m = /cap=([dg])\.([A-Za-z0-9_-]*)/.exec(t);
        if (m) t = t.replace(m[0], `cap=${m[1] === 'd' ? 'g' : 'd'}.${m[2]}`);
        break;
      }
      default:
        t = t.split('&').sort(() => r.next() - 0.5).join('&');
    }
  }
  return t;
}

/** One mutated input of the given category from `seed`. */
export function mutate(r: Rng, seed: Seed, category: Category): Input {
  const pkts = seed.packets.map(clone);
  const one = (idx: number[]): number | null => (idx.length > 0 ? r.pick(idx) : null);
  const ser = () => serialize(pkts, seed.format);
  switch (category) {
    case 'share':
      return { kind: 'share', text: mutateShare(r, seed) };
    case 'container':
      return { kind: 'capture', bytes: containerMutation(r, ser(), false) };
    case 'timestamps':
      return { kind: 'capture', bytes: containerMutation(r, ser(), true) };
    case 'gzip': {
      let g: Uint8Array = gzipSync(ser());
      const k = r.int(4);
      if (k === 0) g = g.subarray(0, r.int(g.length)); // cut
      else if (k === 1) g = Buffer.concat([g, gzipSync(new Uint8Array(r.int(1 << 20)))]); // a second member
      else if (k === 2) poke(r, g, 10 + r.int(Math.max(1, g.length - 10))); // damaged
      return { kind: 'capture', bytes: g };
    }
    case 'havoc': {
      const b = ser();
      const n = r.range(1, 16);
      for (let k = 0; k < n; k++) poke(r, b, r.int(b.length));
      return { kind: 'capture', bytes: b };
    }
    case 'packets': {
      let out = disorder(r, pkts);
      if (r.chance(0.4)) {
        // a storm: one SIP packet copied many times within ms (duplicates), or many RTP streams
        const sip = where(seed, (l) => l.app === 'sip' || l.app === 'sdp');
        const i = one(sip);
        if (i !== null) {
          const n = r.pick([100, 1000, 5000]);
          const base = seed.packets[i]!;
          out = out.concat(Array.from({ length: n }, (_, k) => ({ timeUs: base.timeUs + k * r.pick([1, 100, 1000]), linkType: base.linkType, data: base.data })));
        }
      }
      if (r.chance(0.3)) for (const p of out) p.timeUs = r.chance(0.5) ? p.timeUs - r.int(1e9) : p.timeUs;
      return { kind: 'capture', bytes: serialize(out, seed.format) };
    }
    default:
      break;
  }
  const L = seed.layers;
  let i: number | null = null;
  switch (category) {
    case 'link':
      i = one(where(seed, (l) => l.l3 > 0)) ?? one(where(seed, () => true));
      if (i !== null) {
        const p = pkts[i]!;
        if (r.chance(0.3)) p.linkType = r.pick([0, 1, 12, 101, 108, 113, 228, 229, 276, 147, 0xffff]);
        else pokeRange(r, p.data, 0, Math.max(1, L[i]!.l3 > 0 ? L[i]!.l3 : 16));
      }
      break;
    case 'ip':
      i = one(where(seed, (l) => l.ipVersion !== 0));
      if (i !== null) pokeRange(r, pkts[i]!.data, L[i]!.l3, L[i]!.l4);
      break;
    case 'fragments': {
      i = one(where(seed, (l) => l.ipVersion !== 0 && l.payload > 0 && !l.fragment));
      if (i !== null) {
        const l = L[i]!;
        const frags = disorder(r, l.ipVersion === 4 ? ipv4Fragments(r, pkts[i]!, l) : ipv6Fragments(r, pkts[i]!, l));
        if (r.chance(0.3) && frags.length > 0) pokeRange(r, frags[r.int(frags.length)]!.data, l.l3, l.l4 + 8);
        pkts.splice(i, 1, ...frags);
        return { kind: 'capture', bytes: ser() };
      }
      break;
    }
    case 'tcp': {
      i = one(where(seed, (l) => l.proto === 6 && l.payload > 0));
      if (i !== null) {
        const l = L[i]!;
        if (r.chance(0.5) && l.payload < l.end) {
          pkts.splice(i, 1, ...tcpSegments(r, pkts[i]!, l));
          return { kind: 'capture', bytes: ser() };
        }
        poke(r, pkts[i]!.data, l.l4 + r.pick([4, 8, 12, 13, 14]), r.pick([1, 4]));
      }
      break;
    }
    case 'tls':
      i = one(where(seed, (l) => l.app === 'tls'));
      if (i !== null) pokeRange(r, pkts[i]!.data, L[i]!.payload, Math.min(L[i]!.end, L[i]!.payload + 64));
      break;
    case 'websocket':
      i = one(where(seed, (l) => l.app === 'ws'));
      if (i !== null) {
        const l = L[i]!;
        const d = pkts[i]!.data;
        if (d[l.payload] === 0x47 /* GET */) pokeRange(r, d, l.payload, l.end);
        else poke(r, d, l.payload + r.int(Math.min(14, l.end - l.payload)), r.pick([1, 2]));
      }
      break;
    case 'hep':
      i = one(where(seed, (l) => l.app === 'hep'));
      if (i !== null) mutateHep(r, pkts[i]!, L[i]!);
      break;
    case 'sctp':
      i = one(where(seed, (l) => l.proto === 132 && l.payload > 0));
      if (i !== null) mutateSctp(r, pkts[i]!, L[i]!);
      break;
    case 'icmp-rtp':
      i = one(where(seed, (l) => l.app === 'rtp' || l.proto === 1 || l.proto === 58));
      if (i !== null) {
        const l = L[i]!;
        if (l.app === 'rtp' && r.chance(0.3)) {
          // many streams toward one address: SSRC and source port vary
          const base = pkts[i]!;
          const n = r.pick([50, 500, 3000]);
          const extra = Array.from({ length: n }, (_, k) => {
            const q = clone(base);
            q.data[l.payload + 8] = k >> 8;
            q.data[l.payload + 11] = k & 0xff;
            q.data[l.l4] = 0x30 + ((k >> 8) & 0x0f);
            q.data[l.l4 + 1] = k & 0xff;
            q.timeUs += k;
            return q;
          });
          pkts.splice(i + 1, 0, ...extra);
          return { kind: 'capture', bytes: ser() };
        }
        pokeRange(r, pkts[i]!.data, l.payload, Math.min(l.end, l.payload + (l.app === 'rtp' ? 16 : 36)));
      }
      break;
    case 'sip':
    case 'sdp':
      i = one(where(seed, (l) => (category === 'sdp' ? l.app === 'sdp' : l.app === 'sip' || l.app === 'sdp')));
      if (i !== null) {
        const n = r.range(1, 3);
        for (let k = 0; k < n; k++) textMutation(r, seed, pkts, i, category === 'sdp');
      }
      break;
    default:
      break;
  }
  if (i === null) {
    // the seed has no such layer: havoc instead (still counted for the category asked)
    const b = ser();
    poke(r, b, r.int(b.length));
    return { kind: 'capture', bytes: b };
  }
  return { kind: 'capture', bytes: ser() };
}
