/**
 * Address helpers for the SIP model: what kind of IPv4/IPv6 address a host is (private per
 * RFC 1918, shared/CGNAT per RFC 6598, loopback, link-local per RFC 3927 / RFC 4291, unique-local
 * per RFC 4193, documentation per RFC 5737 / RFC 3849 …, see the IANA special-purpose registries
 * RFC 6890), the canonical text of an IP literal (RFC 5952 for IPv6) so addresses written in SIP
 * headers compare equal to the capture layer's, and the default SIP ports per transport
 * (RFC 3261 §19.1.2, RFC 3263 §4.2: 5060 for UDP/TCP/SCTP/WS, 5061 for TLS/WSS and `sips:`).
 */

import type { Endpoint } from '../capture/types.ts';

export type AddressClass =
  | 'public'
  | 'private' // RFC 1918, and IPv6 unique-local fc00::/7 (RFC 4193)
  | 'cgnat' // 100.64.0.0/10 shared address space (RFC 6598)
  | 'loopback'
  | 'link-local'
  | 'unspecified' // 0.0.0.0/8, :: (SDP hold uses c=0.0.0.0)
  | 'multicast'
  | 'broadcast'
  | 'documentation' // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 — routable-looking test nets
  | 'reserved' // other non-routable special-purpose blocks (192.0.0/24, 198.18/15, 240/4)
  | 'hostname' // not an IP literal (a DNS name)
  | 'invalid';

/** Parses a dotted quad into its 4 octets, or null (a hand-written scan: this runs per message). */
export function parseIPv4(text: string): [number, number, number, number] | null {
  const out: [number, number, number, number] = [0, 0, 0, 0];
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      value = value * 10 + (ch - 48);
      if (++digits > 3 || value > 255) return null;
    } else if (ch === 46) {
      if (digits === 0 || part === 3) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else return null;
  }
  if (part !== 3 || digits === 0) return null;
  out[3] = value;
  return out;
}

/** Strips `[` `]` around an IPv6 literal and a `%zone` suffix. */
function stripBrackets(host: string): string {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const pct = h.indexOf('%');
  if (pct >= 0 && h.includes(':')) h = h.slice(0, pct);
  return h;
}

/** Parses an IPv6 literal (brackets allowed, embedded IPv4 tail allowed) into 8 16-bit groups. */
export function parseIPv6(text: string): number[] | null {
  const h = stripBrackets(text);
  if (!h.includes(':')) return null;
  let head = h;
  const tailGroups: number[] = [];
  // Embedded dotted quad at the end (::ffff:1.2.3.4).
  const lastColon = head.lastIndexOf(':');
  const lastPart = head.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const v4 = parseIPv4(lastPart);
    if (!v4) return null;
    tailGroups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    head = head.slice(0, lastColon + 1);
    if (head.endsWith('::')) {
      /* keep */
    } else if (head.endsWith(':')) head = head.slice(0, -1);
  }
  const dbl = head.indexOf('::');
  if (dbl >= 0 && head.indexOf('::', dbl + 1) >= 0) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (!left || !right) return null;
    const fill = 8 - tailGroups.length - left.length - right.length;
    if (fill < 1) return null;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right, ...tailGroups];
  } else {
    const all = parseGroups(head);
    if (!all) return null;
    groups = [...all, ...tailGroups];
  }
  return groups.length === 8 ? groups : null;
}

/** RFC 5952 text of 8 groups: lower-case, no leading zeros, longest run (≥2) of zero groups as `::`. */
function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] === 0) {
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    } else i++;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

export function isIPv4(host: string): boolean {
  return isCanonicalIPv4(host) || parseIPv4(host.trim()) !== null;
}
export function isIPv6(host: string): boolean {
  return parseIPv6(host) !== null;
}
export function isIpLiteral(host: string): boolean {
  return isIPv4(host) || isIPv6(host);
}

/**
 * The canonical text of a host so it compares with the capture layer's addresses: IPv4 as a
 * dotted quad without leading zeros, IPv6 RFC 5952-compressed without brackets, names lower-cased.
 */
const normalized = new Map<string, string>();
export function normalizeHost(host: string): string {
  // Most hosts are the capture layer's own dotted quads, already canonical: a scan of a dozen
  // characters is cheaper than the map lookup.
  if (isCanonicalIPv4(host)) return host;
  const hit = normalized.get(host);
  if (hit !== undefined) return hit;
  const out = normalizeUncached(host);
  if (normalized.size > 50_000) normalized.clear();
  normalized.set(host, out);
  return out;
}
/** A dotted quad as the capture layer writes it: four decimal octets ≤ 255, no leading zeros. */
function isCanonicalIPv4(s: string): boolean {
  return canonicalIPv4(s) >= 0;
}

/**
 * The 32-bit value of a dotted quad as the capture layer writes it (four decimal octets ≤ 255,
 * no leading zeros), or −1 for any other text. One scan, nothing allocated.
 */
export function canonicalIPv4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let parts = 0;
  let value = 0;
  let digits = 0;
  let lead = 0;
  let out = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || (digits > 1 && lead === 48)) return -1;
      parts++;
      out = out * 256 + value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) lead = c;
      value = value * 10 + (c - 48);
      digits++;
      if (digits > 3) return -1;
    } else return -1;
  }
  return parts === 4 ? out : -1;
}

function normalizeUncached(host: string): string {
  const trimmed = host.trim();
  const v4 = parseIPv4(trimmed);
  if (v4) return v4.join('.');
  const v6 = parseIPv6(trimmed);
  if (v6) return formatIPv6(v6);
  return trimmed.toLowerCase();
}

function classifyV4(o: [number, number, number, number]): AddressClass {
  return classifyOctets(o[0], o[1], o[2], o[3]);
}

/** The address class of an IPv4 address given as its 32-bit value (canonicalIPv4). */
export function classifyIPv4Value(v: number): AddressClass {
  return classifyOctets(Math.floor(v / 0x1000000), (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

function classifyOctets(a: number, b: number, c: number, d: number): AddressClass {
  if (a === 10) return 'private';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 168) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 0) return 'unspecified';
  if (a === 255 && b === 255 && c === 255 && d === 255) return 'broadcast';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  if (a === 192 && b === 0 && c === 2) return 'documentation';
  if (a === 198 && b === 51 && c === 100) return 'documentation';
  if (a === 203 && b === 0 && c === 113) return 'documentation';
  if (a === 192 && b === 0 && c === 0) return 'reserved';
  if (a === 198 && (b === 18 || b === 19)) return 'reserved';
  return 'public';
}

/** What kind of address `host` is (an IP literal in any notation, or a DNS name). */
export function classifyAddress(host: string): AddressClass {
  const quad = canonicalIPv4(host);
  if (quad >= 0) return classifyIPv4Value(quad);
  const trimmed = host.trim();
  if (trimmed === '') return 'invalid';
  const v4 = parseIPv4(trimmed);
  if (v4) return classifyV4(v4);
  const g = parseIPv6(trimmed);
  if (g) {
    const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
    if (g.every((x) => x === 0)) return 'unspecified';
    if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
    // IPv4-mapped ::ffff:a.b.c.d → classify the IPv4 address.
    if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
      return classifyV4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
    }
    if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
    if ((g0 & 0xfe00) === 0xfc00) return 'private';
    if ((g0 & 0xff00) === 0xff00) return 'multicast';
    if (g0 === 0x2001 && g1 === 0x0db8) return 'documentation';
    return 'public';
  }
  if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(trimmed) && /[a-z]/i.test(trimmed)) return 'hostname';
  return 'invalid';
}

/**
 * True for addresses that cannot be reached from the public Internet and so betray a NAT when
 * they appear in Via/Contact/SDP of a packet that came from elsewhere: private, CGNAT, loopback,
 * link-local, unique-local, unspecified.
 */
export function isPrivateLike(host: string): boolean {
  return isPrivateLikeClass(classifyAddress(host));
}

/** Whether an address of this class does not cross a NAT (see isPrivateLike). */
export function isPrivateLikeClass(c: AddressClass): boolean {
  return c === 'private' || c === 'cgnat' || c === 'loopback' || c === 'link-local' || c === 'unspecified';
}

/**
 * The default port for a transport (RFC 3261 §18.1/§19.1.2, RFC 3263 §4.2, RFC 7118 for WS):
 * 5061 for TLS, WSS and `sips:` URIs, 5060 otherwise. Accepts a Via transport token, a capture
 * transport, or a URI scheme.
 */
export function defaultPort(transportOrScheme: string): number {
  const t = transportOrScheme.toLowerCase();
  return t === 'tls' || t === 'wss' || t === 'sips' || t === 'tls-sctp' ? 5061 : 5060;
}

/** True when the transport is reliable (connection-oriented): responses go back on the connection. */
export function isReliableTransport(transport: string): boolean {
  const t = transport.toLowerCase();
  return t !== 'udp' && t !== 'dtls-udp';
}

/** Same IP (canonical text) and port. */
export function sameEndpoint(a: Endpoint | null | undefined, b: Endpoint | null | undefined): boolean {
  if (!a || !b) return false;
  return a.port === b.port && normalizeHost(a.ip) === normalizeHost(b.ip);
}

/** Same IP (canonical text), any port. */
export function sameHost(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a == null || b == null) return false;
  return a === b || normalizeHost(a) === normalizeHost(b);
}
