/**
 * ICMP destination-unreachable errors (RFC 792 type 3, RFC 1122 §3.2.2.1 codes, RFC 1812
 * §5.2.7.1 codes 13–15, RFC 1191 code 4 with next-hop MTU; ICMPv6 RFC 4443 §3.1 type 1) and
 * the flow of the datagram they answer: the embedded original IP header (+ IPv6 extension
 * headers) and its first 8 bytes give protocol and ports.
 */
import type { IcmpUnreachable } from './types.ts';
import { formatIpv4, formatIpv6 } from './hep.ts';

const V4_REASONS: Record<number, string> = {
  0: 'network unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  5: 'source route failed',
  6: 'destination network unknown',
  7: 'destination host unknown',
  8: 'source host isolated',
  9: 'network administratively prohibited',
  10: 'host administratively prohibited',
  11: 'network unreachable for type of service',
  12: 'host unreachable for type of service',
  13: 'administratively prohibited',
  14: 'host precedence violation',
  15: 'precedence cutoff in effect',
};

const V6_REASONS: Record<number, string> = {
  0: 'no route to destination',
  1: 'administratively prohibited',
  2: 'beyond scope of source address',
  3: 'address unreachable',
  4: 'port unreachable',
  5: 'source address failed ingress/egress policy',
  6: 'reject route to destination',
  7: 'error in source routing header',
};

/**
 * Decodes an ICMP (version 4) or ICMPv6 (version 6) message; returns the unreachable error, or
 * null for any other message type or when too little of the original datagram is present.
 */
export function decodeIcmpUnreachable(
  version: 4 | 6,
  frame: number,
  timeUs: number,
  reporter: string,
  d: Uint8Array,
): IcmpUnreachable | null {
  if (d.length < 8) return null;
  const type = d[0]!;
  const code = d[1]!;
  let reason: string;
  let protocol: number;
  let src: string;
  let dst: string;
  let l4: number;
  if (version === 4) {
    if (type !== 3) return null;
    reason = V4_REASONS[code] ?? `unreachable code ${code}`;
    if (code === 4) {
      const mtu = (d[6]! << 8) | d[7]!;
      if (mtu > 0) reason += ` (next-hop MTU ${mtu})`;
    }
    const o = 8;
    if (d.length < o + 20 || d[o]! >> 4 !== 4) return null;
    const ihl = (d[o]! & 0x0f) * 4;
    protocol = d[o + 9]!;
    src = formatIpv4(d, o + 12);
    dst = formatIpv4(d, o + 16);
    l4 = o + ihl;
    // a non-first fragment carries no ports
    if ((((d[o + 6]! & 0x1f) << 8) | d[o + 7]!) !== 0) l4 = d.length;
  } else {
    if (type !== 1) return null;
    reason = V6_REASONS[code] ?? `unreachable code ${code}`;
    const o = 8;
    if (d.length < o + 40 || d[o]! >> 4 !== 6) return null;
    src = formatIpv6(d, o + 8);
    dst = formatIpv6(d, o + 24);
    let next = d[o + 6]!;
    let p = o + 40;
    // walk extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60
    while ((next === 0 || next === 43 || next === 44 || next === 60) && p + 8 <= d.length) {
      const nh = d[p]!;
      if (next === 44) {
        if ((((d[p + 2]! << 8) | d[p + 3]!) >> 3) !== 0) {
          p = d.length; // not the first fragment: no ports
          next = nh;
          break;
        }
        p += 8;
      } else p += (d[p + 1]! + 1) * 8;
      next = nh;
    }
    protocol = next;
    l4 = p;
  }
  let sport = 0;
  let dport = 0;
  if ((protocol === 6 || protocol === 17 || protocol === 132) && l4 + 4 <= d.length) {
    sport = (d[l4]! << 8) | d[l4 + 1]!;
    dport = (d[l4 + 2]! << 8) | d[l4 + 3]!;
  }
  return { frame, timeUs, reporter, reason, type, code, original: { protocol, src: { ip: src, port: sport }, dst: { ip: dst, port: dport } } };
}
