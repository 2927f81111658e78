/**
 * Memoised address helpers for the detectors: the same judgements as `sip/addresses.ts`
 * (RFC 1918 / RFC 6598 / RFC 6890 address classes, RFC 5952 canonical IPv6 text), cached by the
 * host text. A capture repeats the same few hundred addresses tens of thousands of times, and
 * parsing a dotted quad per call was the detectors' main cost. The caches are bounded: they are
 * cleared when they grow past MAX_ENTRIES (a capture with that many distinct hosts is rare).
 */
import type { Endpoint } from '../../capture/types.ts';
import * as A from '../../sip/addresses.ts';

export { defaultPort } from '../../sip/addresses.ts';
export type { AddressClass } from '../../sip/addresses.ts';

const MAX_ENTRIES = 50_000;

function memo<T>(fn: (host: string) => T): (host: string) => T {
  const cache = new Map<string, T>();
  return (host: string): T => {
    let v = cache.get(host);
    if (v === undefined && !cache.has(host)) {
      if (cache.size >= MAX_ENTRIES) cache.clear();
      v = fn(host);
      cache.set(host, v);
    }
    return v as T;
  };
}

// The capture layer's own dotted quads (most of the hosts asked about) are judged by one scan of
// their dozen characters without a lookup: on a capture with more distinct hosts than the caches
// hold (the 200 MB bench file has ~140,000), the lookups and refills cost over a second.

/** Canonical text of an IP literal (lower-case names kept as they are); sip/addresses.ts has the fast path and a cache. */
export const normalizeHost = A.normalizeHost;
const isIpLiteralMemo = memo(A.isIpLiteral);
/** True for a dotted quad or an IPv6 literal. */
export function isIpLiteral(host: string): boolean {
  return A.canonicalIPv4(host) >= 0 || isIpLiteralMemo(host);
}
const classifyMemo = memo(A.classifyAddress);
/** The address class (private, cgnat, loopback, public …). */
export function classifyAddress(host: string): A.AddressClass {
  const quad = A.canonicalIPv4(host);
  return quad >= 0 ? A.classifyIPv4Value(quad) : classifyMemo(host);
}
const privateLikeMemo = memo(A.isPrivateLike);

/**
 * False without any lookup for text that starts with 2–9 and has no ':' — an IPv4 address in
 * 2.0.0.0–99.255.255.255 or 200.0.0.0 and up (none private, CGNAT, loopback, link-local or
 * unspecified), or a host name — which is most public addresses in a capture.
 */
export function maybeSpecial(host: string): boolean {
  const c = host.charCodeAt(0);
  return !(c >= 50 && c <= 57 && host.indexOf(':') < 0);
}

/** Private, CGNAT, loopback, link-local, unspecified or unique-local: an address that does not cross a NAT. */
export function isPrivateLike(host: string): boolean {
  if (!maybeSpecial(host)) return false;
  const quad = A.canonicalIPv4(host);
  if (quad < 0) return privateLikeMemo(host);
  return A.isPrivateLikeClass(A.classifyIPv4Value(quad));
}

/** Same IP (canonical text) and port. */
/** A flow (source → destination) as one key, hosts normalised as `sameEndpoint` compares them. */
export function flowKey(src: Endpoint, dst: Endpoint): string {
  return `${normalizeHost(src.ip)}|${src.port}>${normalizeHost(dst.ip)}|${dst.port}`;
}

export function sameEndpoint(a: Endpoint | null | undefined, b: Endpoint | null | undefined): boolean {
  if (!a || !b) return false;
  return a.port === b.port && (a.ip === b.ip || normalizeHost(a.ip) === normalizeHost(b.ip));
}
