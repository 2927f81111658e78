/**
 * Header names and the structured headers the model needs.
 *
 * - Compact forms (RFC 3261 §7.3.3 and §20; RFC 3265 o/u, RFC 3515 r, RFC 3892 b, RFC 4028 x,
 *   RFC 4474 y/n, RFC 3841 a/j/d) expand to the canonical long name.
 * - Names are case-insensitive (§7.3.1); we hand out one conventional casing ("Call-ID", "CSeq",
 *   "WWW-Authenticate"), otherwise each dash-separated word capitalised.
 * - Via (§20.42, §18.2.1, RFC 3581 rport, RFC 5923 alias): `SIP/2.0/UDP host:port;params`, LWS
 *   allowed around the slashes, IPv6 sent-by in brackets.
 * - CSeq (§20.16): `1*DIGIT LWS Method`.
 */

import type { CSeq, Via } from './types.ts';
import { parseHostPort, parseParams } from './uri.ts';
import { intern } from './intern.ts';

/** Compact form (lower-case letter) → canonical long name. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

/** Names whose conventional casing is not "capitalise each word". */
const SPECIAL_CASE: readonly string[] = [
  'Call-ID', 'CSeq', 'WWW-Authenticate', 'MIME-Version', 'RSeq', 'RAck', 'SIP-ETag', 'SIP-If-Match',
  'P-Asserted-Identity', 'P-Preferred-Identity', 'P-Charging-Vector', 'P-Access-Network-Info',
  'P-Called-Party-ID', 'P-Visited-Network-ID', 'P-Associated-URI', 'Identity-Info', 'Min-SE',
  'Session-ID', 'X-Asterisk-HangupCause', 'Security-Client', 'Security-Server', 'Security-Verify',
];

const canonicalCache = new Map<string, string>();
for (const name of SPECIAL_CASE) canonicalCache.set(name.toLowerCase(), name);
for (const [short, long] of Object.entries(COMPACT_FORMS)) {
  canonicalCache.set(short, long);
  if (!canonicalCache.has(long.toLowerCase())) canonicalCache.set(long.toLowerCase(), long);
}
const BUILTIN = canonicalCache.size;
const CACHE_LIMIT = 4096;

function capitaliseWords(lower: string): string {
  let out = '';
  let up = true;
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i]!;
    out += up ? ch.toUpperCase() : ch;
    up = ch === '-';
  }
  return out;
}

/** Canonical name for a header name as written: compact forms expanded, conventional casing. */
export function canonicalHeaderName(rawName: string): string {
  const hit = canonicalCache.get(rawName);
  if (hit !== undefined) return hit;
  const lower = rawName.toLowerCase();
  let name = canonicalCache.get(lower);
  if (name === undefined) name = capitaliseWords(lower);
  if (canonicalCache.size > BUILTIN + CACHE_LIMIT) {
    // Unbounded header-name variety (fuzzing, garbage): start over with the built-ins.
    canonicalCache.clear();
    for (const n of SPECIAL_CASE) canonicalCache.set(n.toLowerCase(), n);
    for (const [short, long] of Object.entries(COMPACT_FORMS)) {
      canonicalCache.set(short, long);
      if (!canonicalCache.has(long.toLowerCase())) canonicalCache.set(long.toLowerCase(), long);
    }
  }
  canonicalCache.set(rawName, name);
  return name;
}

function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

/** Parses one Via value (not a comma list; split first). Null when it is not `proto/ver/transport sent-by`. */
export function parseVia(value: string): Via | null {
  const raw = value.trim();
  const n = raw.length;
  // sent-protocol: protocol-name SLASH protocol-version SLASH transport, LWS allowed around '/'.
  const parts: string[] = [];
  let i = 0;
  for (let k = 0; k < 3; k++) {
    i = skipWs(raw, i);
    const start = i;
    while (i < n) {
      const c = raw.charCodeAt(i);
      if (c === 47 || c === 32 || c === 9) break;
      i++;
    }
    if (i === start) return null;
    parts.push(raw.slice(start, i));
    if (k < 2) {
      i = skipWs(raw, i);
      if (raw.charCodeAt(i) !== 47) return null;
      i++;
    }
  }
  i = skipWs(raw, i);
  // sent-by up to ';' or a comment '(' or end.
  const hostStart = i;
  if (raw.charCodeAt(i) === 91) {
    const close = raw.indexOf(']', i);
    if (close < 0) return null;
    i = close + 1;
  }
  while (i < n) {
    const c = raw.charCodeAt(i);
    if (c === 59 || c === 40) break;
    i++;
  }
  let hostEnd = i;
  while (hostEnd > hostStart && (raw.charCodeAt(hostEnd - 1) === 32 || raw.charCodeAt(hostEnd - 1) === 9)) hostEnd--;
  // "host : port" with LWS around the colon is allowed by the grammar; squeeze it.
  const sentBy = raw.slice(hostStart, hostEnd).replace(/\s+/g, '');
  const hp = parseHostPort(sentBy, 0, sentBy.length);
  if (!hp) return null;
  let paramsEnd = raw.indexOf('(', i);
  if (paramsEnd < 0) paramsEnd = n;
  const params = parseParams(raw, i, paramsEnd);
  let rport: number | null | undefined;
  if ('rport' in params) {
    const rv = params.rport;
    if (rv === null || rv === '') rport = null;
    else {
      const num = /^\d{1,5}$/.test(rv) ? Number(rv) : NaN;
      rport = Number.isFinite(num) && num <= 65535 ? num : null;
    }
  }
  const via: Via = {
    protocol: intern(`${parts[0]!.toUpperCase()}/${parts[1]!}`),
    transport: intern(parts[2]!.toUpperCase()),
    host: hp.host,
    port: hp.port,
    params,
    branch: params.branch ?? null,
    received: params.received ?? null,
    alias: 'alias' in params,
    raw,
  };
  if (rport !== undefined) via.rport = rport;
  return via;
}

/** Parses `CSeq: 4711 INVITE`. Null when the number or the method is missing or not a number. */
export function parseCSeq(value: string): CSeq | null {
  const s = value.trim();
  let i = 0;
  let seq = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
    i++;
  }
  if (i === 0 || i > 10 || seq > 0xffffffff) return null;
  const method = s.slice(i).trim();
  if (!method || i === s.length || (s.charCodeAt(i) !== 32 && s.charCodeAt(i) !== 9)) return null;
  if (/\s/.test(method)) return null;
  return { seq, method: intern(method) };
}
