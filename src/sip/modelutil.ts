/**
 * Small shared helpers of the SIP model (transactions, dialogs, calls, routing): reading tags and
 * header values from a parsed message (RFC 3261 §19.3 tags, §7.3 header names are
 * case-insensitive), and turning a SIP URI into the address:port it designates (RFC 3263 §4.2
 * default ports, §19.1.1 `maddr`).
 */

import type { Endpoint, Transport } from '../capture/types.ts';
import { endpointKey } from '../capture/types.ts';
import type { SipMessage, SipUri, Via } from './types.ts';
import { defaultPort, isIpLiteral, normalizeHost } from './addresses.ts';
import { canonicalHeaderName } from './headers.ts';
import { headerNamesOf, headerValueAt } from './message.ts';
import { PairCache } from '../capture/cache.ts';

export function fromTag(m: SipMessage): string | null {
  return m.from?.params['tag'] ?? null;
}
export function toTag(m: SipMessage): string | null {
  return m.to?.params['tag'] ?? null;
}

/** Values of every header with this (canonical or written) name, in order. */
export function headerValues(m: SipMessage, name: string): string[] {
  // Parsed headers carry their canonical name, a function of the lower-cased name as written.
  const canonical = canonicalHeaderName(name);
  const names = headerNamesOf(m);
  const out: string[] = [];
  for (let k = 0; k < names.length; k++) if (names[k] === canonical) out.push(headerValueAt(m, k));
  return out;
}
export function headerValue(m: SipMessage, name: string): string | null {
  const canonical = canonicalHeaderName(name);
  const names = headerNamesOf(m);
  for (let k = 0; k < names.length; k++) if (names[k] === canonical) return headerValueAt(m, k);
  return null;
}

/** The method a message is about: the request method, or the CSeq method of a response. */
export function methodOf(m: SipMessage): string | null {
  return m.kind === 'request' ? m.method : (m.cseq?.method ?? null);
}

/** "host:port" of a Via sent-by, port filled with the transport's default. */
export function sentByKey(v: Via): string {
  // One string per sent-by: the model asks for it several times per message.
  return sentByKeys.get(v.host, v.port ?? defaultPort(v.transport));
}
const sentByKeys = new PairCache<string, number, string>((host, port) => `${normalizeHost(host)}:${port}`);

/** Forget the sent-by keys: the engine, once the model that asks for them is built (~2 MB on sip-dense through the detectors otherwise). */
export function forgetSentByKeys(): void {
  sentByKeys.clear();
}

/** The URI's transport: `transport=` parameter, else TLS for sips:, else null (unspecified). */
export function uriTransport(uri: SipUri): string | null {
  const t = uri.params['transport'];
  if (t) return t.toLowerCase();
  if (uri.scheme === 'sips') return 'tls';
  return null;
}

/**
 * Where a SIP URI points (RFC 3263 §4.2 without DNS): its `maddr` or host, with its port or the
 * default port of its transport (5061 for sips/TLS, 5060 otherwise). When the host is a DNS name
 * the endpoint is null and `host` keeps "name:port" for the explanation.
 */
export function uriTarget(uri: SipUri, fallbackTransport?: Transport | string): {
  endpoint: Endpoint | null;
  host: string;
  transport: string | null;
} {
  const hostRaw = uri.params['maddr'] ?? uri.host;
  const transport = uriTransport(uri);
  const port = uri.port ?? defaultPort(transport ?? (uri.scheme === 'sips' ? 'tls' : (fallbackTransport ?? 'udp')));
  const host = normalizeHost(hostRaw);
  if (isIpLiteral(host)) return { endpoint: { ip: host, port }, host: `${host}:${port}`, transport };
  return { endpoint: null, host: `${host}:${port}`, transport };
}

/** Frame-friendly "ip:port". */
export function epText(e: Endpoint): string {
  return endpointKey(e);
}
