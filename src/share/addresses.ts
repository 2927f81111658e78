/**
 * Address classes and class-preserving replacement addresses for anonymised sharing.
 *
 * IPv4 classes: loopback 127/8, unspecified/broadcast/multicast (kept as is: they identify no
 * one), the RFC 1918 private blocks 10/8, 172.16/12 and 192.168/16 (each maps into itself), RFC
 * 6598 shared address space 100.64/10 (CGNAT), RFC 3927 link-local 169.254/16, and public, which
 * maps into the RFC 5737 documentation blocks (192.0.2/24, 198.51.100/24, 203.0.113/24) and,
 * when those are used up, into other public space. IPv6: ::1 and :: kept, multicast kept,
 * link-local fe80::/10 (new interface id), unique-local fc00::/7 (RFC 4193, into fd00::/8),
 * IPv4-mapped ::ffff:0:0/96 (the IPv4 part mapped as IPv4), everything else global, mapped into
 * the RFC 3849 documentation prefix 2001:db8::/32. Text follows RFC 5952 (lower case, longest
 * zero run compressed).
 *
 * The choice is driven by bytes the caller supplies (an HMAC of the address), expanded with a
 * small deterministic generator so collisions can be probed away: two different addresses never
 * get the same replacement, and no replacement equals an address seen in the input.
 */
import { formatIpv6 as formatIpv6At } from '../capture/ip.ts';

export type Ipv4Class = 'loopback' | 'special' | 'rfc1918-10' | 'rfc1918-172' | 'rfc1918-192' | 'cgnat' | 'link-local' | 'public';
export type Ipv6Class = 'loopback' | 'special' | 'link-local' | 'unique-local' | 'v4-mapped' | 'global';

export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    v = v * 256 + o;
  }
  return v;
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function ipv4Class(v: number): Ipv4Class {
  const a = v >>> 24;
  const b = (v >>> 16) & 255;
  if (a === 127) return 'loopback';
  if (a === 0 || a >= 224) return 'special';
  if (a === 10) return 'rfc1918-10';
  if (a === 172 && b >= 16 && b <= 31) return 'rfc1918-172';
  if (a === 192 && b === 168) return 'rfc1918-192';
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if (a === 169 && b === 254) return 'link-local';
  return 'public';
}

/** True for the classes a diagnosis calls "private" (not reachable from the internet). */
export function isPrivateIpv4Class(c: Ipv4Class): boolean {
  return c !== 'public' && c !== 'special';
}

/** Parses IPv6 text (with "::", optional embedded IPv4 tail, optional zone) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | null {
  let s = text.replace(/%.*$/, '');
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return null;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return null;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...rest];
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    out[i * 2] = v >>> 8;
    out[i * 2 + 1] = v & 255;
  }
  return out;
}

/** RFC 5952 text of 16 bytes (IPv4-mapped as ::ffff:a.b.c.d), by the capture layer's formatter. */
export function formatIpv6(b: Uint8Array): string {
  return formatIpv6At(b, 0);
}

export function ipv6Class(b: Uint8Array): Ipv6Class {
  const zeros = (from: number, to: number): boolean => b.subarray(from, to).every((x) => x === 0);
  if (zeros(0, 15) && b[15] === 1) return 'loopback';
  if (zeros(0, 16) || b[0] === 0xff) return 'special';
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return 'v4-mapped';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local';
  if ((b[0]! & 0xfe) === 0xfc) return 'unique-local';
  return 'global';
}

/** A deterministic byte stream from a seed (xorshift32 over the seed's words), for probing. */
export class SeededBytes {
  private state: number;
  private pos = 0;
  constructor(private readonly seed: Uint8Array) {
    let s = 0x9e3779b9;
    for (let i = 0; i < seed.length; i++) s = Math.imul(s ^ seed[i]!, 0x01000193) >>> 0;
    this.state = s || 1;
  }
  next(): number {
    if (this.pos < this.seed.length) return this.seed[this.pos++]!;
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state & 255;
  }
  /** A value in [0, n). */
  below(n: number): number {
    const v = ((this.next() << 24) | (this.next() << 16) | (this.next() << 8) | this.next()) >>> 0;
    return v % n;
  }
}

const DOC_V4 = [(192 << 24) | (0 << 16) | (2 << 8), (198 << 24) | (51 << 16) | (100 << 8), (203 << 24) | (0 << 16) | (113 << 8)].map((x) => x >>> 0);

/** One candidate replacement of class `c`, drawn from `rnd`; `attempt` grows with collisions. */
export function candidateIpv4(c: Ipv4Class, rnd: SeededBytes, attempt: number): number {
  const host = 1 + rnd.below(254);
  switch (c) {
    case 'rfc1918-10':
      return ((10 << 24) | (rnd.below(256) << 16) | (rnd.below(256) << 8) | host) >>> 0;
    case 'rfc1918-172':
      return ((172 << 24) | ((16 + rnd.below(16)) << 16) | (rnd.below(256) << 8) | host) >>> 0;
    case 'rfc1918-192':
      return ((192 << 24) | (168 << 16) | (rnd.below(256) << 8) | host) >>> 0;
    case 'cgnat':
      return ((100 << 24) | ((64 + rnd.below(64)) << 16) | (rnd.below(256) << 8) | host) >>> 0;
    case 'link-local':
      return ((169 << 24) | (254 << 16) | ((1 + rnd.below(254)) << 8) | host) >>> 0;
    case 'public': {
      if (attempt < 48) return (DOC_V4[rnd.below(3)]! | host) >>> 0;
      // Documentation space is used up: any public unicast address will do.
      for (;;) {
        const v = ((1 + rnd.below(223)) << 24 | (rnd.below(256) << 16) | (rnd.below(256) << 8) | host) >>> 0;
        if (ipv4Class(v) === 'public') return v;
      }
    }
    default:
      return 0; // loopback/special are kept by the caller
  }
}

/** One candidate replacement (16 bytes) for an IPv6 address of class `c`. */
export function candidateIpv6(c: Ipv6Class, rnd: SeededBytes): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = rnd.next();
  if (c === 'link-local') {
    out.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0], 0);
  } else if (c === 'unique-local') {
    out[0] = 0xfd;
  } else {
    out.set([0x20, 0x01, 0x0d, 0xb8], 0);
  }
  return out;
}
