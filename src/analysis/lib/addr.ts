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

/** Canonical text of an IP literal (lower-case names kept as they are). */
export const normalizeHost = memo(A.normalizeHost);
/** True for a dotted quad or an IPv6 literal. */
export const isIpLiteral = memo(A.isIpLiteral);
/** The address class (private, cgnat, loopback, public …). */
export const classifyAddress = memo(A.classifyAddress);
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
  return maybeSpecial(host) && privateLikeMemo(host);
}

/** Same IP (canonical text) and port. */
export function sameEndpoint(a: Endpoint | null | undefined, b: Endpoint | null | undefined): boolean {
  if (!a || !b) return false;
  return a.port === b.port && (a.ip === b.ip || normalizeHost(a.ip) === normalizeHost(b.ip));
}
