/**
 * HEP (Homer Encapsulation Protocol), the capture-agent tunnel of sipcapture/HOMER:
 *  - HEPv3 ("HEP3" magic, total length, then TLV chunks: vendor id, type, length incl. the
 *    6-byte chunk header). Generic chunks (vendor 0): 1 IP family, 2 IP protocol, 3/4 IPv4
 *    src/dst, 5/6 IPv6 src/dst, 7/8 ports, 9/10 timestamp seconds/microseconds, 11 protocol
 *    type (1 = SIP), 12 capture agent id, 15 payload, 16 compressed payload (gzip/zlib).
 *  - HEPv1/v2 (Kamailio sipcapture `hep_hdr`): version, header length, family, protocol,
 *    ports (network order), addresses; v2 adds a time header (seconds, microseconds, capture
 *    id, host byte order) before the payload.
 * Spec: HEP3 Network Protocol Specification (sipcapture/HEP, rev. 2013+).
 *
 * Also exports the IPv4/IPv6 text formatters used by the capture layer's own parsers
 * (RFC 5952 compressed IPv6).
 */

import { formatIpv6 } from './ip.ts';
import { inflateBounded } from './inflate.ts';

/**
 * Largest decompressed HEP3 payload: one SIP message (a UDP datagram holds at most 64 KiB; a
 * stream message rarely more). Beyond it the chunk is reported, not inflated further.
 */
export const MAX_HEP_PAYLOAD = 256 * 1024;

/** Dotted quad of 4 address bytes at b[o]. */
export function formatIpv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

// RFC 5952 text of 16 address bytes: the one formatter lives in ip.ts.
export { formatIpv6 };

export interface HepPacket {
  version: 1 | 2 | 3;
  /** 2 (AF_INET) or 10 (AF_INET6), as carried. */
  family: number;
  /** IP protocol of the original packet: 17 UDP, 6 TCP, 132 SCTP. */
  ipProtocol: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** Capture time from the HEP header (µs since epoch), or null when absent. */
  timeUs: number | null;
  /** HEP protocol type (1 = SIP), null when absent (HEPv1/v2 carry SIP only). */
  protocolType: number | null;
  /** The original application payload (decompressed if it was compressed), or null. */
  payload: Uint8Array | null;
  /** What went wrong while decoding, if anything. */
  problem: string | null;
}

/** True when the bytes at `off` start "HEP3". */
export function isHep3(d: Uint8Array, off: number, end: number): boolean {
  return end - off >= 6 && d[off] === 0x48 && d[off + 1] === 0x45 && d[off + 2] === 0x50 && d[off + 3] === 0x33;
}

/** True when the bytes at `off` have the shape of a HEPv1/v2 header. */
export function isHep2(d: Uint8Array, off: number, end: number): boolean {
  if (end - off < 16) return false;
  const v = d[off]!;
  const hl = d[off + 1]!;
  const fam = d[off + 2]!;
  const proto = d[off + 3]!;
  if (v !== 1 && v !== 2) return false;
  if (proto !== 17 && proto !== 6 && proto !== 132) return false;
  if (fam === 2) return hl === 16 && end - off >= 16 + (v === 2 ? 12 : 0);
  if (fam === 10) return hl === 40 && end - off >= 40 + (v === 2 ? 12 : 0);
  return false;
}

/** Decodes one HEP packet (v3, or v1/v2) from d[off..end). Returns null when it is not HEP. */
export function decodeHep(d: Uint8Array, off: number, end: number): HepPacket | null {
  if (isHep3(d, off, end)) return decodeHep3(d, off, end);
  if (isHep2(d, off, end)) return decodeHep2(d, off, end);
  return null;
}

function decodeHep3(d: Uint8Array, off: number, end: number): HepPacket {
  const h: HepPacket = {
    version: 3,
    family: 0,
    ipProtocol: 0,
    src: '',
    dst: '',
    sport: 0,
    dport: 0,
    timeUs: null,
    protocolType: null,
    payload: null,
    problem: null,
  };
  const total = (d[off + 4]! << 8) | d[off + 5]!;
  let stop = end;
  if (total < 6) h.problem = `HEP3 total length ${total} is shorter than its header`;
  else if (off + total > end) h.problem = `HEP3 says ${total} bytes but only ${end - off} are present`;
  else stop = off + total;
  let sec: number | null = null;
  let usec = 0;
  let o = off + 6;
  while (o + 6 <= stop) {
    const vendor = (d[o]! << 8) | d[o + 1]!;
    const type = (d[o + 2]! << 8) | d[o + 3]!;
    const len = (d[o + 4]! << 8) | d[o + 5]!;
    if (len < 6 || o + len > stop) {
      h.problem = `HEP3 chunk type ${type} at byte ${o - off} has a bad length ${len}`;
      break;
    }
    const v = o + 6;
    const vl = len - 6;
    if (vendor === 0) {
      switch (type) {
        case 1:
          if (vl >= 1) h.family = d[v]!;
          break;
        case 2:
          if (vl >= 1) h.ipProtocol = d[v]!;
          break;
        case 3:
          if (vl >= 4) h.src = formatIpv4(d, v);
          break;
        case 4:
          if (vl >= 4) h.dst = formatIpv4(d, v);
          break;
        case 5:
          if (vl >= 16) h.src = formatIpv6(d, v);
          break;
        case 6:
          if (vl >= 16) h.dst = formatIpv6(d, v);
          break;
        case 7:
          if (vl >= 2) h.sport = (d[v]! << 8) | d[v + 1]!;
          break;
        case 8:
          if (vl >= 2) h.dport = (d[v]! << 8) | d[v + 1]!;
          break;
        case 9:
          if (vl >= 4) sec = ((d[v]! << 24) | (d[v + 1]! << 16) | (d[v + 2]! << 8) | d[v + 3]!) >>> 0;
          break;
        case 10:
          if (vl >= 4) usec = ((d[v]! << 24) | (d[v + 1]! << 16) | (d[v + 2]! << 8) | d[v + 3]!) >>> 0;
          break;
        case 11:
          if (vl >= 1) h.protocolType = d[v]!;
          break;
        case 15:
          h.payload = d.slice(v, v + vl);
          break;
        case 16:
          {
            const r = inflateBounded(d.subarray(v, v + vl), MAX_HEP_PAYLOAD);
            if (r.ok) h.payload = r.bytes;
            else h.problem = `HEP3 compressed payload (${vl} bytes) could not be decompressed: ${r.reason}${r.reason.startsWith('it inflates') ? ` (a SIP message is at most ${MAX_HEP_PAYLOAD / 1024} KiB here); skipped` : ''}`;
          }
          break;
        default:
          break;
      }
    }
    o += len;
  }
  if (sec !== null) h.timeUs = sec * 1e6 + (usec % 1e6);
  return h;
}

function decodeHep2(d: Uint8Array, off: number, end: number): HepPacket {
  const version = d[off]! as 1 | 2;
  const family = d[off + 2]!;
  const hl = d[off + 1]!;
  const v6 = family === 10;
  const h: HepPacket = {
    version,
    family,
    ipProtocol: d[off + 3]!,
    sport: (d[off + 4]! << 8) | d[off + 5]!,
    dport: (d[off + 6]! << 8) | d[off + 7]!,
    src: v6 ? formatIpv6(d, off + 8) : formatIpv4(d, off + 8),
    dst: v6 ? formatIpv6(d, off + 24) : formatIpv4(d, off + 12),
    timeUs: null,
    protocolType: null,
    payload: null,
    problem: null,
  };
  let o = off + hl;
  if (version === 2) {
    // struct hep_timehdr { u32 tv_sec; u32 tv_usec; u16 captid; } + 2 bytes padding, host order
    const le = (p: number): number => (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24)) >>> 0;
    const be = (p: number): number => ((d[p]! << 24) | (d[p + 1]! << 16) | (d[p + 2]! << 8) | d[p + 3]!) >>> 0;
    let sec = le(o);
    let usec = le(o + 4);
    if (usec >= 1e6 || sec < 1e8) {
      sec = be(o);
      usec = be(o + 4);
    }
    if (usec < 1e6 && sec >= 1e8) h.timeUs = sec * 1e6 + usec;
    o += 12;
  }
  h.payload = d.slice(o, end);
  return h;
}
