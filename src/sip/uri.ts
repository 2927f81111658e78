/**
 * SIP URIs and name-addr values, written by hand for tolerance and speed.
 *
 * - URI (RFC 3261 §19.1.1): `sip:user:password@host:port;uri-params?headers`. The user part may
 *   hold `;` (tel-like users such as `+4930123;npdi`, §19.1.6), so the user ends at the `@`.
 *   IPv6 references `[2001:db8::1]:5060` (RFC 3261 §19.1.1, RFC 5118); IPv6 written without
 *   brackets is tolerated (nine groups = eight plus a port). `tel:` (RFC 3966) keeps
 *   the number as `user` and an empty host.
 * - name-addr / addr-spec (RFC 3261 §20.10, §25.1): with `<…>` the params after `>` are header
 *   params; without, the URI ends at the first `;` and what follows are header params (a `;`
 *   before an `@` is taken as part of a tel-like user, a common mistake of senders).
 * - Quoted display names with `\` escapes (§25.1 quoted-pair).
 * - `splitHeaderValues` splits a comma list (§7.3.1) outside quotes and `<…>`.
 *
 * Parameter names are lower-cased (they are case-insensitive); values are kept as written,
 * except quoted values, which are unquoted and unescaped. A flag parameter has value null.
 */

import type { NameAddr, Params, SipUri } from './types.ts';
import { intern } from './intern.ts';

const CH_QUOTE = 34, CH_BACKSLASH = 92, CH_LT = 60, CH_GT = 62, CH_COMMA = 44;

/** Splits a header value at commas that are outside quoted strings and `<…>`. Values trimmed, empty ones dropped. */
export function splitHeaderValues(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === CH_BACKSLASH) i++;
      else if (c === CH_QUOTE) inQuote = false;
    } else if (c === CH_QUOTE) inQuote = true;
    else if (inAngle) {
      if (c === CH_GT) inAngle = false;
    } else if (c === CH_LT) inAngle = true;
    else if (c === CH_COMMA) {
      const part = value.slice(start, i).trim();
      if (part) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** Reads a quoted string starting at `s[i] === '"'`. Returns the unescaped text and the index after the closing quote (or end). */
export function readQuoted(s: string, i: number): { text: string; end: number } {
  let text = '';
  let j = i + 1;
  let runStart = j;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === CH_BACKSLASH) {
      text += s.slice(runStart, j);
      if (j + 1 < s.length) text += s[j + 1];
      j += 2;
      runStart = j;
      continue;
    }
    if (c === CH_QUOTE) {
      text += s.slice(runStart, j);
      return { text, end: j + 1 };
    }
    j++;
  }
  text += s.slice(runStart, Math.min(j, s.length));
  return { text, end: s.length };
}

/** Parameter names as senders write them (lower case), by length: recognised without a copy. */
const COMMON_PARAMS: string[][] = [];
for (const name of ['tag', 'branch', 'rport', 'received', 'lr', 'transport', 'user', 'expires', 'q', 'maddr', 'ttl', 'alias', 'ob', 'reg-id', '+sip.instance', 'line', 'x-nat', 'method']) {
  (COMMON_PARAMS[name.length] ??= []).push(name);
}
function commonParam(s: string, start: number, end: number): string | null {
  const list = COMMON_PARAMS[end - start];
  if (list === undefined) return null;
  for (let k = 0; k < list.length; k++) if (s.startsWith(list[k]!, start)) return list[k]!;
  return null;
}

/**
 * Parses `;name=value;flag…` from `s[start]` (which should be `;` or whitespace) until `stop`
 * (exclusive). Quoted values may contain `;`. Writes into `into`; returns it.
 */
/**
 * The parameters of a URI or header that has none: one shared, frozen object (most URIs have
 * none, and a parsed message is kept for the whole analysis). Parsed values are never written to.
 */
export const NO_PARAMS: Params = Object.freeze({}) as Params;

export function parseParams(s: string, start: number, stop: number, into?: Params): Params {
  let i = start;
  while (i < stop) {
    // skip separators and whitespace
    let c = s.charCodeAt(i);
    while (i < stop && (c === 59 /* ; */ || c === 32 || c === 9)) c = s.charCodeAt(++i);
    if (i >= stop) break;
    const nameStart = i;
    while (i < stop) {
      c = s.charCodeAt(i);
      if (c === 61 /* = */ || c === 59 || c === 32 || c === 9) break;
      i++;
    }
    const name = commonParam(s, nameStart, i) ?? intern(s.slice(nameStart, i).toLowerCase());
    while (i < stop && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    let value: string | null = null;
    if (i < stop && s.charCodeAt(i) === 61) {
      i++;
      while (i < stop && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
      if (i < stop && s.charCodeAt(i) === CH_QUOTE) {
        const q = readQuoted(s, i);
        value = q.text;
        i = Math.min(q.end, stop);
        while (i < stop && s.charCodeAt(i) !== 59) i++;
      } else {
        const vStart = i;
        while (i < stop && s.charCodeAt(i) !== 59) i++;
        value = s.slice(vStart, i).trim();
      }
    }
    if (name) (into ??= {})[name] = value;
  }
  return into ?? NO_PARAMS;
}

function parsePort(s: string): number | null | undefined {
  // undefined: not a port; null: empty
  if (s.length === 0) return null;
  if (s.length > 5) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  return v <= 65535 ? v : undefined;
}

/**
 * Reads `host[:port]` from `s[start..stop)`: an IPv6 reference in brackets, or a name / IPv4.
 * Returns null when the host is empty or the port is not a number.
 */
export function parseHostPort(s: string, start: number, stop: number): { host: string; port: number | null } | null {
  let host: string;
  let rest: number;
  if (s.charCodeAt(start) === 91 /* [ */) {
    const close = s.indexOf(']', start);
    if (close < 0 || close >= stop) return null;
    host = s.slice(start + 1, close);
    rest = close + 1;
    if (rest < stop && s.charCodeAt(rest) !== 58) return null;
  } else {
    let i = start;
    while (i < stop && s.charCodeAt(i) !== 58) i++;
    const second = i < stop ? s.indexOf(':', i + 1) : -1;
    if (second >= 0 && second < stop) {
      // Two or more colons: an IPv6 address written without brackets (seen in real traffic,
      // though RFC 3261 §19.1.1 requires them). Eight groups, or any with "::": no port;
      // nine groups without "::": the last one is the port.
      const text = s.slice(start, stop).trim();
      const groups = text.split(':');
      const compressed = text.includes('::');
      if (!compressed && groups.length === 9) {
        const p = parsePort(groups[8]!);
        if (p === undefined || p === null) return null;
        return { host: groups.slice(0, 8).join(':').toLowerCase(), port: p };
      }
      if (groups.length > 9 || (!compressed && groups.length !== 8)) return null;
      for (const g of groups) if (!/^[0-9a-fA-F]{0,4}$/.test(g)) return null;
      return { host: text.toLowerCase(), port: null };
    }
    host = s.slice(start, i).trim();
    rest = i;
  }
  if (!host) return null;
  let port: number | null = null;
  if (rest < stop) {
    const p = parsePort(s.slice(rest + 1, stop).trim());
    if (p === undefined) return null;
    port = p;
  }
  return { host: intern(host.toLowerCase()), port };
}

/** Parses a URI. Returns null when there is no scheme, or a sip/sips URI has no usable host. */
export function parseUri(raw: string): SipUri | null {
  const text = raw.trim();
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const scheme = intern(text.slice(0, colon).toLowerCase());
  for (let k = 0; k < scheme.length; k++) {
    const c = scheme.charCodeAt(k);
    const ok = (c >= 97 && c <= 122) || (k > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46));
    if (!ok) return null;
  }
  const n = text.length;
  const qmark = text.indexOf('?', colon + 1);
  const hdrStart = qmark < 0 ? n : qmark;
  if (scheme === 'sip' || scheme === 'sips') {
    const at = text.indexOf('@', colon + 1);
    const userEnd = at >= 0 && at < hdrStart ? at : -1;
    let user: string | null = null;
    let hostStart = colon + 1;
    if (userEnd >= 0) {
      const ui = text.slice(colon + 1, userEnd);
      // user:password — the password is dropped.
      const pw = ui.indexOf(':');
      user = pw >= 0 ? ui.slice(0, pw) : ui;
      hostStart = userEnd + 1;
    }
    let semi = text.indexOf(';', hostStart);
    if (semi < 0 || semi > hdrStart) semi = hdrStart;
    // an IPv6 reference may not contain ';' but be safe: find ']' first
    const hp = parseHostPort(text, hostStart, semi);
    if (!hp) return null;
    const params = semi < hdrStart ? parseParams(text, semi, hdrStart) : NO_PARAMS;
    return { scheme, user, host: hp.host, port: hp.port, params, raw: text };
  }
  if (scheme === 'tel') {
    let semi = text.indexOf(';', colon + 1);
    if (semi < 0 || semi > hdrStart) semi = hdrStart;
    const number = text.slice(colon + 1, semi);
    if (!number) return null;
    const params = semi < hdrStart ? parseParams(text, semi, hdrStart) : NO_PARAMS;
    return { scheme, user: number, host: '', port: null, params, raw: text };
  }
  // Other schemes (urn, http, mailto …): kept as written.
  return { scheme, user: null, host: '', port: null, params: NO_PARAMS, raw: text };
}

/** Parses a name-addr (`"Name" <uri>;params`) or addr-spec (`uri;params`). Null when empty or malformed beyond use. */
export function parseNameAddr(raw: string): NameAddr | null {
  const text = raw.trim();
  if (!text) return null;
  const n = text.length;
  let displayName: string | null = null;
  let i = 0;
  if (text.charCodeAt(0) === CH_QUOTE) {
    const q = readQuoted(text, 0);
    displayName = q.text;
    i = q.end;
    while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    if (i >= n || text.charCodeAt(i) !== CH_LT) {
      // Quoted name but no <uri>: nothing to address.
      return { displayName, uri: null, params: NO_PARAMS, raw: text };
    }
  }
  const lt = text.indexOf('<', i);
  // A '<' counts only when it comes before any ';' (else it is inside a param value).
  const semiBefore = text.indexOf(';', i);
  if (lt >= 0 && (semiBefore < 0 || lt < semiBefore || displayName !== null)) {
    if (displayName === null) {
      const dn = text.slice(0, lt).trim();
      displayName = dn ? dn : null;
    }
    const gt = text.indexOf('>', lt + 1);
    const uri = parseUri(text.slice(lt + 1, gt < 0 ? n : gt));
    const params: Params = gt >= 0 ? parseParams(text, gt + 1, n) : NO_PARAMS;
    return { displayName, uri, params, raw: text };
  }
  // addr-spec: URI up to the first ';' (after the '@' when the user part holds ';').
  let cut = text.indexOf(';');
  if (cut >= 0) {
    const at = text.indexOf('@');
    if (at > cut) cut = text.indexOf(';', at);
  }
  if (cut < 0) cut = n;
  const uri = parseUri(text.slice(0, cut));
  const params = cut < n ? parseParams(text, cut, n) : NO_PARAMS;
  return { displayName: null, uri, params, raw: text };
}
