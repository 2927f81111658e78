/**
 * Finds what identifies people and networks in the text of a SIP message (RFC 3261) and its
 * SDP body (RFC 4566/8866), as spans of the original text with a kind, and rewrites them with a
 * caller-supplied replacement. Used twice by the anonymiser: once to collect every value (the
 * replacement is the identity), once to rewrite with the finished map.
 *
 * What is found:
 * - SIP/SIPS URIs (§19.1): the user part ("user") and the host ("ip" or "host"); tel URIs
 *   (RFC 3966) as "user"; `urn:uuid:` instance ids (RFC 5626) as "secret".
 * - name-addr display names (§20.10 From/To/Contact/…: `"Alice" <sip:…>` or `Alice <sip:…>`).
 * - Via (§20.42): sent-by host, received= and maddr= (§18.2.1).
 * - Authorization/Proxy-Authorization/WWW-/Proxy-Authenticate (§22.4, RFC 2617): username →
 *   "user", realm → "host", response/nonce/cnonce/opaque → "secret" (a digest response with
 *   its nonce allows an offline password guess, so it never travels as is).
 * - Call-ID (§20.8) and tag= parameters (§19.3): "callid"/"tag" when asked; otherwise only the
 *   host after '@' in a Call-ID is rewritten (as an address).
 * - Any dotted-quad IPv4 and bracketed IPv6 literal; in SDP the o= username and address, c=,
 *   a=rtcp and a=candidate addresses (RFC 8839 §5.1), "IN IP6 <addr>".
 * - "dict": free-text occurrences of values already collected elsewhere (a number in a Subject,
 *   a realm, an SDP s= line), whole words only, never in numeric headers or SDP media lines.
 *
 * Content-Length (§20.14) is kept consistent: the new value is the old value plus the change in
 * body length, so a correct length stays correct and a wrong one (itself a finding) stays wrong
 * by the same amount. User-Agent and Server are kept (product names are part of a diagnosis).
 */

export type SpanKind = 'ip' | 'user' | 'host' | 'display' | 'callid' | 'tag' | 'secret' | 'dict';

export interface Span {
  start: number;
  end: number;
  kind: SpanKind;
  value: string;
}

export interface ScanOptions {
  /** Rewrite Call-IDs and tags too. */
  callIds: boolean;
  /** Whole-word values to find in free text (built from what was collected). */
  dictionary: RegExp | null;
}

export type Replace = (kind: SpanKind, value: string) => string;

/** Headers never rewritten (numbers and tokens, or product names worth keeping). */
const UNTOUCHED = new Set([
  'content-length', 'l', 'cseq', 'max-forwards', 'expires', 'min-expires', 'session-expires', 'x', 'min-se', 'rseq', 'rack',
  'retry-after', 'timestamp', 'content-type', 'c', 'allow', 'supported', 'k', 'require', 'proxy-require', 'unsupported', 'accept',
  'accept-encoding', 'accept-language', 'allow-events', 'u', 'event', 'o', 'content-disposition', 'user-agent', 'server', 'date',
  'mime-version', 'content-encoding', 'e', 'privacy', 'content-language',
]);
const AUTH = new Set(['authorization', 'proxy-authorization', 'www-authenticate', 'proxy-authenticate']);

const IPV4_RE = /(?<![0-9A-Za-z.])(\d{1,3}(?:\.\d{1,3}){3})(?![0-9A-Za-z]|\.\d)/g;
const IPV6_BRACKET_RE = /\[([0-9A-Fa-f:.]+(?:%[0-9A-Za-z]+)?)\]/g;
const SIP_URI_RE = /\b(sips?):(?:([^\s<>"@;,?:]+)(?::[^\s<>"@;,?]*)?@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-_]*)/gi;
const TEL_URI_RE = /\btel:(\+?[0-9A-Fa-f\-.()*#]+)/gi;
const UUID_RE = /\burn:uuid:([0-9A-Fa-f-]{8,})/gi;
const TAG_RE = /;\s*tag\s*=\s*([^;,\s>]+)/gi;
const AUTH_RE = /\b(username|realm|response|nonce|cnonce|opaque)\s*=\s*(?:"([^"]*)"|([^,\s"]+))/gi;
const VIA_HOST_RE = /SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+(\[[^\]]+\]|[^\s:;,]+)/gi;
const VIA_PARAM_RE = /;\s*(received|maddr)\s*=\s*(\[[^\]]+\]|[^;,\s]+)/gi;
const DISPLAY_RE = /(^|,)(\s*)("(?:[^"\\]|\\.)*"|[^",<>;:]*[^",<>;:\s])\s*</g;
const IPV4_ONLY = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function validIpv4(s: string): boolean {
  return IPV4_ONLY.test(s) && s.split('.').every((o) => Number(o) <= 255);
}

/** "ip" for an address literal, "host" for a name with a letter, null for anything else. */
function hostKind(h: string): 'ip' | 'host' | null {
  if (validIpv4(h)) return 'ip';
  if (/^[0-9A-Fa-f:.]+$/.test(h) && h.includes(':')) return 'ip';
  if (/[A-Za-z]/.test(h) && /^[A-Za-z0-9][A-Za-z0-9.\-_]*$/.test(h)) return 'host';
  return null;
}

function pushHost(spans: Span[], text: string, start: number): void {
  if (text.startsWith('[') && text.endsWith(']')) {
    spans.push({ start: start + 1, end: start + text.length - 1, kind: 'ip', value: text.slice(1, -1) });
    return;
  }
  const k = hostKind(text);
  if (k) spans.push({ start, end: start + text.length, kind: k, value: text });
}

function each(re: RegExp, s: string, fn: (m: RegExpExecArray) => void): void {
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    fn(m);
    if (m[0].length === 0) re.lastIndex++;
  }
}

/** Address literals anywhere in `s` (dotted quads, bracketed IPv6). */
function addressSpans(s: string, spans: Span[]): void {
  each(IPV4_RE, s, (m) => {
    if (validIpv4(m[1]!)) spans.push({ start: m.index, end: m.index + m[1]!.length, kind: 'ip', value: m[1]! });
  });
  each(IPV6_BRACKET_RE, s, (m) => {
    if (m[1]!.includes(':')) spans.push({ start: m.index + 1, end: m.index + 1 + m[1]!.length, kind: 'ip', value: m[1]! });
  });
}

function uriSpans(s: string, spans: Span[]): void {
  each(SIP_URI_RE, s, (m) => {
    let p = m.index + m[1]!.length + 1;
    if (m[2] !== undefined) {
      spans.push({ start: p, end: p + m[2].length, kind: 'user', value: m[2] });
      p = m.index + m[0].length - m[3]!.length;
    }
    pushHost(spans, m[3]!, p);
  });
  each(TEL_URI_RE, s, (m) => spans.push({ start: m.index + 4, end: m.index + 4 + m[1]!.length, kind: 'user', value: m[1]! }));
  each(UUID_RE, s, (m) => spans.push({ start: m.index + 9, end: m.index + 9 + m[1]!.length, kind: 'secret', value: m[1]! }));
}

function dictSpans(s: string, dict: RegExp | null, spans: Span[]): void {
  if (!dict) return;
  each(dict, s, (m) => spans.push({ start: m.index, end: m.index + m[0].length, kind: 'dict', value: m[0] }));
}

/** Spans of one header line; `value` starts at `offset` in the line. */
function headerSpans(name: string, line: string, offset: number, opts: ScanOptions): Span[] {
  const spans: Span[] = [];
  const n = name.toLowerCase();
  if (UNTOUCHED.has(n)) return spans;
  const value = line.slice(offset);
  const at = (sp: Span[]): Span[] => sp.map((x) => ({ ...x, start: x.start + offset, end: x.end + offset }));
  const local: Span[] = [];
  if (n === 'call-id' || n === 'i') {
    const lead = value.length - value.trimStart().length;
    const id = value.trim();
    if (opts.callIds && id) local.push({ start: lead, end: lead + id.length, kind: 'callid', value: id });
    else {
      const atSign = value.lastIndexOf('@');
      if (atSign >= 0) pushHost(local, value.slice(atSign + 1).trim(), atSign + 1 + (value.slice(atSign + 1).length - value.slice(atSign + 1).trimStart().length));
      addressSpans(value, local);
    }
    return resolve(at(local));
  }
  if (n === 'via' || n === 'v') {
    each(VIA_HOST_RE, value, (m) => pushHost(local, m[1]!, m.index + m[0].length - m[1]!.length));
    each(VIA_PARAM_RE, value, (m) => pushHost(local, m[2]!, m.index + m[0].length - m[2]!.length));
    addressSpans(value, local);
    return resolve(at(local));
  }
  if (AUTH.has(n)) {
    each(AUTH_RE, value, (m) => {
      const v = m[2] ?? m[3] ?? '';
      if (!v) return;
      const start = m.index + m[0].length - v.length - (m[2] !== undefined ? 1 : 0);
      const key = m[1]!.toLowerCase();
      const kind: SpanKind = key === 'username' ? 'user' : key === 'realm' ? 'host' : 'secret';
      local.push({ start, end: start + v.length, kind, value: v });
    });
    uriSpans(value, local);
    addressSpans(value, local);
    return resolve(at(local));
  }
  uriSpans(value, local);
  each(DISPLAY_RE, value, (m) => {
    const tok = m[3]!;
    const start = m.index + m[1]!.length + m[2]!.length;
    if (tok.startsWith('"')) {
      if (tok.length > 2) local.push({ start: start + 1, end: start + tok.length - 1, kind: 'display', value: tok.slice(1, -1) });
    } else local.push({ start, end: start + tok.length, kind: 'display', value: tok });
  });
  if (opts.callIds) each(TAG_RE, value, (m) => local.push({ start: m.index + m[0].length - m[1]!.length, end: m.index + m[0].length, kind: 'tag', value: m[1]! }));
  addressSpans(value, local);
  dictSpans(value, opts.dictionary, local);
  return resolve(at(local));
}

/** Spans of one SDP line (RFC 8866 §5). */
function sdpSpans(line: string, opts: ScanOptions): Span[] {
  const spans: Span[] = [];
  const type = line.slice(0, 2);
  if (type === 'o=') {
    // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
    const parts = line.slice(2).split(' ');
    if (parts[0] && parts[0] !== '-') spans.push({ start: 2, end: 2 + parts[0].length, kind: 'user', value: parts[0] });
    if (parts.length >= 6) {
      const addr = parts[5]!.trim();
      const start = line.lastIndexOf(addr);
      const k = hostKind(addr);
      if (k) spans.push({ start, end: start + addr.length, kind: k, value: addr });
    }
  } else if (type === 'c=' || line.startsWith('a=rtcp:')) {
    const m = /IN\s+IP[46]\s+([^\s/]+)/.exec(line);
    if (m) {
      const start = m.index + m[0].length - m[1]!.length;
      const k = hostKind(m[1]!);
      if (k) spans.push({ start, end: start + m[1]!.length, kind: k, value: m[1]! });
    }
  } else if (line.startsWith('a=candidate:')) {
    // foundation component transport priority connection-address port typ … [raddr <addr>]
    const fields = line.split(' ');
    let pos = 0;
    fields.forEach((f, i) => {
      if ((i === 4 || fields[i - 1] === 'raddr') && hostKind(f) === 'ip') spans.push({ start: pos, end: pos + f.length, kind: 'ip', value: f });
      else if (i === 4 && /\.local$/i.test(f)) spans.push({ start: pos, end: pos + f.length, kind: 'host', value: f });
      pos += f.length + 1;
    });
  } else if (type === 's=' || type === 'i=' || type === 'u=' || type === 'e=' || type === 'p=') {
    if (type === 'e=' || type === 'p=') spans.push({ start: 2, end: line.length, kind: 'display', value: line.slice(2) });
    else dictSpans(line, opts.dictionary, spans);
  }
  if (type !== 'm=' && type !== 't=' && type !== 'b=' && type !== 'r=' && type !== 'z=') addressSpans(line, spans);
  return resolve(spans);
}

/** Orders spans and drops any that overlap an earlier (or, at the same start, longer) one. */
function resolve(spans: Span[]): Span[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  let end = -1;
  for (const s of spans) {
    if (s.start < end || s.end <= s.start) continue;
    out.push(s);
    end = s.end;
  }
  return out;
}

function apply(line: string, spans: Span[], replace: Replace): string {
  if (spans.length === 0) return line;
  let out = '';
  let p = 0;
  for (const s of spans) {
    out += line.slice(p, s.start) + replace(s.kind, s.value);
    p = s.end;
  }
  return out + line.slice(p);
}

/** Rewrites one SIP message (latin1 text); `replace` is called for every span found. */
export function rewriteSipText(text: string, opts: ScanOptions, replace: Replace): string {
  let split = text.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (split < 0) {
    split = text.indexOf('\n\n');
    sepLen = 2;
  }
  const head = split < 0 ? text : text.slice(0, split);
  const sep = split < 0 ? '' : text.slice(split, split + sepLen);
  const body = split < 0 ? '' : text.slice(split + sepLen);

  const pieces = head.split(/(\r?\n)/);
  let name = '';
  let lengthLine = -1;
  for (let i = 0; i < pieces.length; i += 2) {
    const line = pieces[i]!;
    if (i === 0) {
      // Request-Line: Method SP Request-URI SP SIP-Version; a status line is left as is.
      if (!/^SIP\/2\.0\s/i.test(line)) {
        const spans: Span[] = [];
        uriSpans(line, spans);
        addressSpans(line, spans);
        dictSpans(line, opts.dictionary, spans);
        pieces[i] = apply(line, resolve(spans), replace);
      }
      continue;
    }
    let offset = 0; // a folded continuation line belongs to `name`, from its first character
    if (!/^[ \t]/.test(line)) {
      const m = /^([^:\s]+)\s*:/.exec(line);
      if (!m) {
        pieces[i] = apply(line, headerSpans('x-unknown', line, 0, opts), replace);
        continue;
      }
      name = m[1]!;
      offset = m[0].length;
    }
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'l') lengthLine = i;
    pieces[i] = apply(line, headerSpans(name, line, offset, opts), replace);
  }

  const isSdp = /^v=0\s*$/m.test(body.slice(0, 8)) || body.startsWith('v=0');
  const bodyPieces = body.split(/(\r?\n)/);
  for (let i = 0; i < bodyPieces.length; i += 2) {
    const line = bodyPieces[i]!;
    if (isSdp) bodyPieces[i] = apply(line, sdpSpans(line, opts), replace);
    else {
      const spans: Span[] = [];
      uriSpans(line, spans);
      addressSpans(line, spans);
      dictSpans(line, opts.dictionary, spans);
      bodyPieces[i] = apply(line, resolve(spans), replace);
    }
  }
  const newBody = bodyPieces.join('');
  if (lengthLine >= 0 && newBody.length !== body.length) {
    const line = pieces[lengthLine]!;
    const m = /^([^:]+:\s*)(\d+)(.*)$/.exec(line);
    if (m) pieces[lengthLine] = `${m[1]}${Math.max(0, Number(m[2]) + newBody.length - body.length)}${m[3]}`;
  }
  return pieces.join('') + sep + newBody;
}

/** Rewrites free text the user typed (notes, column names): addresses, URIs, known values. */
export function rewriteFreeText(text: string, opts: ScanOptions, replace: Replace): string {
  return text
    .split(/(\r?\n)/)
    .map((line, i) => {
      if (i % 2 === 1) return line;
      const spans: Span[] = [];
      uriSpans(line, spans);
      addressSpans(line, spans);
      dictSpans(line, opts.dictionary, spans);
      return apply(line, resolve(spans), replace);
    })
    .join('');
}

/** Whole-word regex of the given values (longest first), or null when there are none. */
export function dictionaryRegex(values: Iterable<string>): RegExp | null {
  const list = [...new Set(values)].filter((v) => v.length >= 3 && !(/^\d+$/.test(v) && v.length < 4)).sort((a, b) => b.length - a.length);
  if (list.length === 0) return null;
  const esc = list.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![A-Za-z0-9])(?:${esc.join('|')})(?![A-Za-z0-9])`, 'g');
}
