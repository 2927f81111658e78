/**
 * Packets for the shared capture: decoding an original frame down to UDP/TCP (reusing the
 * engine's link and IP decoders), and writing new Ethernet II frames with IPv4 (RFC 791, header
 * checksum RFC 1071) or IPv6 (RFC 8200), UDP (RFC 768, checksum over the pseudo-header, RFC 8200
 * §8.1 for IPv6), TCP (RFC 9293 §3.1, checksum computed) and ICMP/ICMPv6 destination
 * unreachable (RFC 792 / RFC 4443 §3.1, quoting the original IP header and 8 bytes).
 * MAC addresses are synthetic, locally administered (02:…) and derived from the IP address,
 * so they identify no real interface.
 */
import { parseIpv4, parseIpv6 } from './addresses.ts';

export const LINKTYPE_ETHERNET = 1;

function addrBytes(ip: string): Uint8Array {
  const v4 = parseIpv4(ip);
  if (v4 !== null) return new Uint8Array([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255]);
  const v6 = parseIpv6(ip);
  if (!v6) throw new Error(`not an IP address: ${ip}`);
  return v6;
}

function sum16(data: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < data.length; i += 2) s += (data[i]! << 8) | data[i + 1]!;
  if (data.length & 1) s += data[data.length - 1]! << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** RFC 1071 checksum of `data` plus a pseudo-header partial sum. */
function checksum(data: Uint8Array, initial = 0): number {
  return ~fold(sum16(data, initial)) & 0xffff;
}

function pseudoSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return sum16(src) + sum16(dst) + protocol + (src.length === 16 ? Math.floor(length / 0x10000) + (length & 0xffff) : length);
}

function macOf(ip: Uint8Array): Uint8Array {
  let h = 0x811c9dc5;
  for (const b of ip) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return new Uint8Array([0x02, 0x00, h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255]);
}

/** Ethernet II + IPv4/IPv6 around an upper-layer segment whose checksum field is at `csumAt`. */
function frame(src: string, dst: string, protocol: number, segment: Uint8Array, csumAt: number | null): Uint8Array {
  const s = addrBytes(src);
  const d = addrBytes(dst);
  if (s.length !== d.length) throw new Error(`mixed address families ${src} → ${dst}`);
  const v6 = s.length === 16;
  if (csumAt !== null) {
    segment[csumAt] = 0;
    segment[csumAt + 1] = 0;
    let c = checksum(segment, pseudoSum(s, d, protocol, segment.length));
    if (protocol === 17 && c === 0) c = 0xffff; // RFC 768: a computed 0 is sent as all ones
    segment[csumAt] = c >>> 8;
    segment[csumAt + 1] = c & 255;
  }
  const ipLen = v6 ? 40 : 20;
  const out = new Uint8Array(14 + ipLen + segment.length);
  out.set(macOf(d), 0); // destination MAC
  out.set(macOf(s), 6); // source MAC
  out[12] = v6 ? 0x86 : 0x08; // EtherType
  out[13] = v6 ? 0xdd : 0x00;
  const ip = out.subarray(14, 14 + ipLen);
  if (v6) {
    ip[0] = 0x60; // version 6
    ip[4] = segment.length >>> 8; // payload length
    ip[5] = segment.length & 255;
    ip[6] = protocol; // next header
    ip[7] = 64; // hop limit
    ip.set(s, 8);
    ip.set(d, 24);
  } else {
    const total = 20 + segment.length;
    ip[0] = 0x45; // version 4, IHL 5
    ip[2] = total >>> 8; // total length
    ip[3] = total & 255;
    ip[6] = 0x40; // DF
    ip[8] = 64; // TTL
    ip[9] = protocol;
    ip.set(s, 12);
    ip.set(d, 16);
    const c = checksum(ip);
    ip[10] = c >>> 8;
    ip[11] = c & 255;
  }
  out.set(segment, 14 + ipLen);
  return out;
}

export function udpFrame(src: string, sport: number, dst: string, dport: number, payload: Uint8Array): Uint8Array {
  const seg = new Uint8Array(8 + payload.length);
  seg[0] = sport >>> 8;
  seg[1] = sport & 255;
  seg[2] = dport >>> 8;
  seg[3] = dport & 255;
  const len = seg.length > 0xffff ? 0 : seg.length;
  seg[4] = len >>> 8;
  seg[5] = len & 255;
  seg.set(payload, 8);
  return frame(src, dst, 17, seg, 6);
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export function tcpFrame(src: string, sport: number, dst: string, dport: number, seq: number, ack: number, flags: number, payload: Uint8Array): Uint8Array {
  const seg = new Uint8Array(20 + payload.length);
  const v = new DataView(seg.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, seq >>> 0);
  v.setUint32(8, flags & TCP_ACK ? ack >>> 0 : 0);
  seg[12] = 5 << 4; // data offset 5 words
  seg[13] = flags;
  v.setUint16(14, 65535); // window
  seg.set(payload, 20);
  return frame(src, dst, 6, seg, 16);
}

/**
 * ICMP destination unreachable sent by `reporter` about a UDP datagram orig.src → orig.dst,
 * quoting a minimal original IP header and the 8-byte UDP header.
 */
export function icmpUnreachableFrame(reporter: string, type: number, code: number, orig: { protocol: number; src: string; sport: number; dst: string; dport: number }): Uint8Array {
  const inner = frame(orig.src, orig.dst, orig.protocol, (() => {
    const u = new Uint8Array(8);
    u[0] = orig.sport >>> 8;
    u[1] = orig.sport & 255;
    u[2] = orig.dport >>> 8;
    u[3] = orig.dport & 255;
    u[5] = 8;
    return u;
  })(), null).subarray(14);
  const v6 = inner[0]! >> 4 === 6;
  const msg = new Uint8Array(8 + inner.length);
  msg[0] = type;
  msg[1] = code;
  msg.set(inner, 8);
  if (v6) return frame(reporter, orig.src, 58, msg, 2);
  const c = checksum(msg);
  msg[2] = c >>> 8;
  msg[3] = c & 255;
  return frame(reporter, orig.src, 1, msg, null);
}

/** "ip:port" or "[v6]:port" → parts; null when it is neither. */
export function splitEndpoint(key: string): { ip: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(key) ?? /^([^:]+):(\d+)$/.exec(key);
  return m ? { ip: m[1]!, port: Number(m[2]) } : null;
}
