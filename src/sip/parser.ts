/**
 * The tolerant SIP message parser (RFC 3261 §7 message format, §20 header fields, §25 grammar).
 *
 * - Start line: Request-Line `Method SP Request-URI SP SIP-Version` (§7.1) or Status-Line
 *   `SIP-Version SP 3DIGIT SP Reason-Phrase` (§7.2). Line breaks before it are skipped (§7.5).
 * - Line endings CRLF or bare LF; header folding (§7.3.1: a line starting with SP/HTAB continues
 *   the previous header, folded into one space); compact forms (§7.3.3) and case-insensitive
 *   names (see headers.ts); comma lists of Via/Contact/Route/Record-Route (§7.3.1) and several
 *   lines of one name.
 * - Body: cut to Content-Length (§20.14); without Content-Length the rest of the bytes is the
 *   body (the UDP rule, §18.3; the stream framer applies the stream rule before us).
 * - Encoding: the header part is decoded as UTF-8 (RFC 3261 §7.3.1 allows UTF-8 in display
 *   names, reason phrases, quoted strings) with replacement characters for bad sequences; the
 *   body is decoded as ISO-8859-1 byte for byte (every char code = one byte), so binary bodies
 *   (ISUP, gzip) survive and can be turned back into the exact bytes.
 *
 * What cannot be read as SIP at all gives `{ok:false, reason}`; lesser oddities become `notes`.
 * Headers that end without the blank line (datagram ends after the last header, or a cut
 * capture) are read as they are, with a note, since real senders do this and tshark accepts it.
 * It never throws, and it is linear in the message size.
 */

import { canonicalHeaderName, parseCSeq, parseVia } from './headers.ts';
import { summariseSdp } from './sdp.ts';
import type { CapturedMessage, CSeq, NameAddr, ParseResult, SdpSummary, SipMessage, Via } from './types.ts';
import { HeaderLines, ParsedRequest, ParsedResponse, setHeaderLocator } from './message.ts';
import { isTokenByte } from './detect.ts';
import { forgetInterned, intern, own } from './intern.ts';
import { parseNameAddr, parseParams, parseUri, splitHeaderValues } from './uri.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false });
/**
 * Shorter texts (start lines, header values) keep `fromCharCode`: in Chromium's worker a decoder
 * call cost ~1.2 µs during a search whatever the text's length, more than `fromCharCode` over a
 * few dozen bytes (in Node a call is ~0.1–0.2 µs either way).
 */
const DECODER_FROM = 64;

/**
 * ISO-8859-1 decode of bytes[start, end): char code === byte value. Text that is all ASCII (nearly
 * every SIP message) goes through the UTF-8 decoder, which gives the same characters for it
 * (one per byte, no replacement character: see parseBytes) ~8× faster than `fromCharCode` over
 * the bytes (0.2 against 1.75 µs for a message of 520 bytes): what a search of the whole capture,
 * the message detail and an export spend reading texts back from the file.
 */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end <= start) return '';
  if (end - start >= DECODER_FROM) {
    const s = utf8.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
    if (s.length === end - start && s.indexOf('\uFFFD') < 0) return s;
  }
  const CHUNK = 8192;
  if (end - start <= CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  let out = '';
  for (let i = start; i < end; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]);
  }
  return out;
}

/** A line quoted for a reason or note: control characters shown as '?', cut at 80 characters. */
function quote(line: string): string {
  let s = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '?');
  return `'${s}'`;
}

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || !isTokenByte(c)) return false;
  }
  return true;
}

/** Header names as most senders write them (canonical form and compact letters), by length. */
const COMMON_BY_LENGTH: string[][] = [];
for (const name of [
  'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Type', 'Content-Length', 'User-Agent',
  'Server', 'Allow', 'Supported', 'Require', 'Record-Route', 'Route', 'Expires', 'Session-Expires', 'Min-SE',
  'Authorization', 'WWW-Authenticate', 'Proxy-Authenticate', 'Proxy-Authorization', 'Accept', 'Date', 'Subject',
  'Reason', 'Event', 'Allow-Events', 'P-Asserted-Identity', 'Privacy', 'Organization', 'Content-Disposition',
  'v', 'f', 't', 'i', 'm', 'l', 'c', 'k',
]) {
  const list = (COMMON_BY_LENGTH[name.length] ??= []);
  list.push(name);
}

/** The common name spelled exactly at text[start, end), or null. */
function commonName(text: string, start: number, end: number): string | null {
  const list = COMMON_BY_LENGTH[end - start];
  if (list === undefined) return null;
  // The first character tells most of a length's names apart without a comparison call.
  const c0 = text.charCodeAt(start);
  for (let k = 0; k < list.length; k++) {
    const name = list[k]!;
    if (name.charCodeAt(0) === c0 && text.startsWith(name, start)) return name;
  }
  return null;
}

/** True when `s` starts with "SIP/" in any case (what `s.slice(0, 4).toUpperCase() === 'SIP/'` says, without the copy for ASCII). */
function startsWithSip(s: string): boolean {
  if (s.length < 4) return false;
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(1);
  const c = s.charCodeAt(2);
  if ((a | 0x20) === 0x73 && (b | 0x20) === 0x69 && (c | 0x20) === 0x70 && s.charCodeAt(3) === 0x2f) return true;
  // Beyond ASCII some letters upper-case to these (ſ → S, ı → I): as toUpperCase says.
  return (a > 0x7f || b > 0x7f || c > 0x7f) && s.slice(0, 4).toUpperCase() === 'SIP/';
}

/** SP, HTAB, CR or LF (what String.prototype.trim removes from a header line). */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** Index of the first SP or HTAB at or after `from`, or -1. */
function indexOfWs(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9) return i;
  }
  return -1;
}

/**
 * Recently parsed header values and their parse, shared by the messages that repeat them: a
 * transaction's Via comes back in each of its responses, a dialog's From, To, Contact and
 * Record-Route in each of its messages, copied at every hop. On a signalling capture most values
 * are repeats, so most parses (and the objects they build) are saved. Two generations of `limit`
 * entries each keep it bounded. The parsed values are therefore shared: read-only (types.ts).
 */
class Recent<T> {
  private current = new Map<string, T>();
  private previous = new Map<string, T>();
  constructor(
    private readonly limit: number,
    private readonly make: (value: string) => T,
  ) {}
  get(value: string): T {
    let v = this.current.get(value);
    if (v !== undefined) return v;
    // What is kept (the key, the parse made of it) is made of a copy of the value: the value is a
    // slice of a message's text, which it would keep alive (intern.ts, `own`).
    const key = own(value);
    v = this.previous.get(value);
    if (v === undefined) {
      v = this.make(key);
      if (freezeShared) deepFreeze(v);
    }
    if (this.current.size >= this.limit) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, v);
    return v;
  }

  forget(): void {
    this.current = new Map();
    this.previous = new Map();
  }
}
let freezeShared = false;
/**
 * Tests turn this on (vite.config.ts setupFiles): every shared value is then deeply frozen, so a
 * model or detector that writes into a parsed message fails the suite instead of silently
 * changing every other message with the same value.
 */
export function freezeSharedValues(on: boolean): void {
  freezeShared = on;
}
function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}
const recentVia = new Recent(4096, parseVia);
const recentNameAddr = new Recent(8192, parseNameAddr);
const recentUri = new Recent(4096, parseUri);
/** SDP bodies repeat at every hop and in every retransmission (an unreadable body is remembered too; its note is written per message). */
const recentSdp = new Recent(1024, summariseSdp);
/**
 * One string per Call-ID: every message of a call carries it, and the model, the detectors and the
 * report key their maps by it. The first copy's hash is computed once and the lookups after it
 * compare one string with itself, instead of hashing each message's own copy again.
 */
const recentCallId = new Recent(8192, (value: string) => value);
/** CSeq values repeat across calls ("1 INVITE", "2 BYE"): one object per distinct value. */
const recentCSeq = new Recent(1024, parseCSeq);
/** User-Agent and Server values: a few per capture, one string each (the hosts' agents). */
const recentAgent = new Recent(1024, (value: string) => value);
/**
 * The list a message has when it has no value of that header (most have no Route, many no
 * Record-Route or Contact, most no notes): one frozen empty list instead of one per message.
 */
const NO_VALUES: NameAddr[] = Object.freeze([]) as unknown as NameAddr[];
const NO_VIAS: Via[] = Object.freeze([]) as unknown as Via[];
const NO_NOTES: string[] = Object.freeze([]) as unknown as string[];

/**
 * One header line's comma-separated values, parsed: the values that could be read, in order; the
 * ones that could not (each gets its note, written per message); whether a `*` stood among them
 * (`Contact: *` of a REGISTER; in a Via it is one more value that cannot be read).
 */
interface LineValues<T> {
  list: T[];
  bad: string[];
  star: boolean;
}
function lineValues<T>(value: string, one: (v: string, alone: boolean) => T | null, accept: (x: T) => boolean, starAllowed: boolean): LineValues<T> {
  const parts = splitHeaderValues(value);
  const alone = parts.length === 1;
  const list: T[] = [];
  let bad: string[] | null = null;
  let star = false;
  for (let k = 0; k < parts.length; k++) {
    const v = parts[k]!;
    if (starAllowed && v === '*') { star = true; continue; }
    const x = one(v, alone);
    if (x !== null && accept(x)) list.push(x);
    else (bad ??= []).push(v);
  }
  // At its exact length: kept (shared) for as long as a message holds it.
  return { list: list.slice(), bad: bad ?? NO_BAD, star };
}
const NO_BAD: string[] = Object.freeze([]) as unknown as string[];
/**
 * Whole Via, Contact, Route and Record-Route lines and their lists: a response repeats its
 * request's Via line, each message of a dialog its Contact and route lines, so the list itself is
 * shared (read-only, like its values) instead of a new array per message — an array grown by
 * push holds 17 slots, ~180 bytes, for the one Via most lines have. A line of one value is
 * shared through this cache already: its value is parsed as it is, not looked up (and hashed) a
 * second time; the values of a longer line go through the value caches.
 */
const recentViaLine = new Recent(4096, (value: string) => lineValues(value, (v, alone) => (alone ? parseVia(v) : recentVia.get(v)), () => true, false));
const recentAddrLine = new Recent(4096, (value: string) => lineValues(value, (v, alone) => (alone ? parseNameAddr(v) : recentNameAddr.get(v)), (na) => na.uri !== null, true));

/**
 * A message's values of several header lines of one kind (Via, Contact, Route, Record-Route), one
 * after the other, in one list at its exact length. With one line the message keeps that line's
 * own list (shared with every message that repeats the line); from the second line on, the
 * parser gathers the lines' lists and copies them here once, when the headers are done.
 * Concatenated line by line, a message of n Via lines cost n²: 40,000 took 4.8 s to parse.
 */
function flatList<T>(parts: readonly T[][]): T[] {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Array<T>(n);
  let k = 0;
  for (const p of parts) for (const x of p) out[k++] = x;
  return out;
}

/**
 * Forget the recently seen values (the parses stay shared by the messages that have them). The
 * engine calls it once a capture's messages are all parsed: what the caches keep then is their
 * keys, copies of header lines and SDP bodies that nothing else holds, alive through the model
 * and the detectors for the few messages parsed again; and a worker's caches would otherwise keep
 * the last capture's values for as long as the page is open.
 */
export function forgetRecentValues(): void {
  for (const r of [recentVia, recentNameAddr, recentUri, recentSdp, recentCallId, recentCSeq, recentAgent, recentViaLine, recentAddrLine]) r.forget();
  forgetInterned();
}

/** Parses one SIP message given as bytes. Never throws. */
export function parseSip(bytes: Uint8Array): ParseResult {
  try {
    return parseBytes(bytes);
  } catch (e) {
    // Defensive: a bug must not take the whole capture down.
    return fail(`parser error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Parses a message given as text (char codes ≤ 0xFF are taken as bytes, others UTF-8 encoded). */
export function parseSipText(text: string): ParseResult {
  let wide = false;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) { wide = true; break; }
  }
  if (wide) return parseSip(new TextEncoder().encode(text));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return parseSip(bytes);
}

/**
 * A captured message's parse: the one it has, or the same one again from its text (the parser is
 * deterministic and the text is the message's bytes, one character per byte), with the capture's
 * own notes added back. Null for a message that never parsed.
 */
export function parsedAgain(m: Pick<CapturedMessage, 'sip' | 'parseError' | 'raw' | 'captureNotes'>): SipMessage | null {
  if (m.sip !== null) return m.sip;
  if (m.parseError !== null) return null;
  const r = parseSipText(m.raw);
  if (!r.ok) return null;
  if (m.captureNotes) r.message.notes = [...r.message.notes, ...m.captureNotes];
  return r.message;
}

/**
 * The header lines of a message's text, from the line after its start line (`eol`: where that
 * ends) to the blank line, into `lines`, with what was odd about them in `notes`. `start`: bytes
 * skipped before the start line (offsets count them). `bytes`: the message's bytes when its
 * header part is not ASCII (a line's offset is then counted in bytes, not characters).
 *
 * Returns where the blank line ends in `text` (the header part's length), or -1 when the text
 * ends first.
 *
 * The parser runs it once per message; a parse that keeps no positions (message.ts) has it run
 * again on its text when a header value is asked: the same lines, in the same order.
 */
function locateLines(text: string, eol: number, lines: HeaderLines, notes: string[], start: number, bytes: Uint8Array | null): number {
  const ascii = bytes === null;
  const n = bytes === null ? 0 : bytes.length;
  let pos = eol + 1;
  let bytePos = 0; // byte index of the current line's start (used when the header part is not ASCII)
  if (bytes !== null) bytePos = bytes.indexOf(10, start) + 1;
  let last = -1; // the header a continuation line continues
  const tlen = text.length;
  while (pos < tlen) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = tlen;
    let lineEnd = nl;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const offset = ascii ? start + pos : bytePos;
    if (bytes !== null) {
      const nb = bytes.indexOf(10, bytePos);
      bytePos = nb < 0 ? n : nb + 1;
    }
    // The blank line (a last line of a lone CR, the message cut after it, is not one: no LF ends it).
    if (lineEnd === pos) return nl < tlen ? nl + 1 : -1;
    const c0 = text.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) {
      const cont = text.slice(pos, lineEnd).trim();
      if (last >= 0) {
        if (cont) lines.fold(last, text, cont);
      } else {
        notes.push(`continuation line at offset ${offset} with no header before it ignored`);
      }
    } else {
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon >= lineEnd) {
        notes.push(`line at offset ${offset} has no colon, ignored: ${quote(text.slice(pos, lineEnd))}`);
        last = -1;
      } else {
        let ne = colon;
        while (ne > pos && (text.charCodeAt(ne - 1) === 32 || text.charCodeAt(ne - 1) === 9)) ne--;
        // A name written in its usual form is recognised in place: no copy, no hashing.
        const rawName = commonName(text, pos, ne) ?? text.slice(pos, ne);
        if (!rawName) {
          notes.push(`header line at offset ${offset} has an empty name, ignored`);
          last = -1;
        } else {
          let vs = colon + 1;
          while (vs < lineEnd && isSpace(text.charCodeAt(vs))) vs++;
          let ve = lineEnd;
          while (ve > vs && isSpace(text.charCodeAt(ve - 1))) ve--;
          const name = canonicalHeaderName(rawName);
          // Most senders write the canonical name: then the two are one string.
          last = lines.add(name, rawName === name ? name : intern(rawName), vs, ve, offset);
        }
      }
    }
    pos = nl + 1;
  }
  return -1;
}

/** Notes of a relocation (thrown away: the parse has its notes). */
const relocationNotes: string[] = [];

setHeaderLocator((raw: string): HeaderLines => {
  let eol = raw.indexOf('\n');
  if (eol < 0) eol = raw.length;
  const lines = new HeaderLines(raw.length);
  locateLines(raw, eol, lines, relocationNotes, 0, null);
  relocationNotes.length = 0;
  return lines;
});

function parseBytes(bytes: Uint8Array): ParseResult {
  const n = bytes.length;
  if (n === 0) return fail('empty message');
  let start = 0;
  while (start < n && (bytes[start] === 13 || bytes[start] === 10)) start++;
  if (start === n) return fail(`only line breaks (${n} bytes, a keep-alive), no message`);

  // The common case, all ASCII: one decode gives the whole text, whose header lines are found in
  // it (the blank line that ends them by `locateLines`, below), and the body is a slice of it (no
  // second decode, no concatenation). The text is all ASCII exactly when it has one character per
  // byte and no replacement character: a byte of 0x80 or more decodes either into a character
  // made of several bytes (fewer characters) or into U+FFFD.
  let headerEnd = -1;
  let ascii = true;
  let whole: string | null = utf8.decode(start === 0 ? bytes : bytes.subarray(start));
  let text: string;
  if (whole.length === n - start && whole.indexOf('\uFFFD') < 0) {
    // A NUL byte in the header part refuses the message (one in the body does not).
    const nul = whole.indexOf('\0');
    if (nul >= 0) {
      const lf = whole.indexOf('\n\n');
      const crlf = whole.indexOf('\n\r\n');
      const blank = lf < 0 ? crlf : crlf < 0 || lf < crlf ? lf : crlf;
      if (blank < 0 || nul < blank) return fail(`binary data (NUL byte at offset ${start + nul})`);
    }
    text = whole;
  } else {
    // Not all ASCII: one pass over the header section finds the blank line, refuses NUL bytes
    // and notes whether the header part itself is ASCII.
    for (let i = start; i < n; i++) {
      const b = bytes[i]!;
      if (b === 10) {
        const nx = bytes[i + 1];
        if (nx === 10) { headerEnd = i + 2; break; }
        if (nx === 13 && bytes[i + 2] === 10) { headerEnd = i + 3; break; }
      } else if (b === 0) {
        return fail(`binary data (NUL byte at offset ${i})`);
      } else if (b >= 0x80) {
        ascii = false;
      }
    }
    whole = null;
    text = utf8.decode(bytes.subarray(start, headerEnd < 0 ? n : headerEnd));
  }
  const notes: string[] = [];
  if (start > 0) notes.push(`${start} line-break bytes before the start line ignored`);

  // ---- start line
  let eol = text.indexOf('\n');
  if (eol < 0) eol = text.length;
  const firstLine = text.slice(0, eol > 0 && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol);
  let kind: 'request' | 'response';
  let method = '';
  let requestUriRaw = '';
  let status = 0;
  let reason = '';
  let version: string;
  if (startsWithSip(firstLine)) {
    kind = 'response';
    const sp = indexOfWs(firstLine, 0);
    if (sp < 0) return fail(`status line ${quote(firstLine)} has no status code`);
    version = firstLine.slice(0, sp);
    let cs = sp;
    while (cs < firstLine.length && (firstLine.charCodeAt(cs) === 32 || firstLine.charCodeAt(cs) === 9)) cs++;
    let ce = indexOfWs(firstLine, cs);
    if (ce < 0) ce = firstLine.length;
    const code = firstLine.slice(cs, ce);
    if (!code) return fail(`status line ${quote(firstLine)} has no status code`);
    if (!isDigits(code)) return fail(`status line ${quote(firstLine)} has a non-numeric code`);
    if (code.length !== 3) return fail(`status line ${quote(firstLine)} has a status code that is not three digits`);
    status = Number(code);
    if (status < 100 || status > 699) notes.push(`status code ${status} is outside 100–699`);
    // One copy of each reason phrase ("OK", "Ringing"): kept per response, repeated by all.
    reason = intern(firstLine.slice(ce).trim());
  } else {
    kind = 'request';
    const sp1 = indexOfWs(firstLine, 0);
    let endTrim = firstLine.length;
    while (endTrim > 0 && (firstLine.charCodeAt(endTrim - 1) === 32 || firstLine.charCodeAt(endTrim - 1) === 9)) endTrim--;
    let sp2 = -1;
    for (let i = endTrim - 1; i > sp1; i--) {
      const c = firstLine.charCodeAt(i);
      if (c === 32 || c === 9) { sp2 = i; break; }
    }
    version = sp2 > 0 ? firstLine.slice(sp2 + 1, endTrim) : '';
    if (sp1 <= 0 || sp2 < 0 || !startsWithSip(version)) {
      return fail(`no SIP start line: first line is ${quote(firstLine)}`);
    }
    method = intern(firstLine.slice(0, sp1));
    if (!isToken(method)) return fail(`request line ${quote(firstLine)} has an invalid method`);
    requestUriRaw = firstLine.slice(sp1 + 1, sp2).trim();
    if (!requestUriRaw) return fail(`request line ${quote(firstLine)} has no Request-URI`);
    if (indexOfWs(requestUriRaw, 0) >= 0) {
      return fail(`request line ${quote(firstLine)} has more than three space-separated parts (Method SP Request-URI SP SIP-Version)`);
    }
  }
  if (version !== 'SIP/2.0') notes.push(`SIP version '${version}' (expected SIP/2.0)`);

  // ---- header lines: located, not copied (HeaderLines below; values are sliced when asked)
  const lines = new HeaderLines(n);
  // A parse keeps no positions when its text gives them again (message.ts, `setHeaderLocator`).
  lines.relocatable = ascii && start === 0;
  const linesFrom = notes.length;
  const blankEnd = locateLines(text, eol, lines, notes, start, ascii ? null : bytes);
  if (whole !== null && blankEnd >= 0) headerEnd = start + blankEnd;
  if (headerEnd < 0) {
    // Real senders (e.g. Zoiper over UDP) end a datagram right after the last header, and a
    // snaplen can cut one: read the headers that are there rather than lose the message. (Said
    // before what the header lines' reading noted.)
    notes.splice(linesFrom, 0, `headers end without a blank line after ${n} bytes (message cut short, or the sender left it out); no body`);
    headerEnd = n;
  }

  // ---- structured headers
  let via: Via[] = NO_VIAS;
  let contact: NameAddr[] = NO_VALUES;
  let route: NameAddr[] = NO_VALUES;
  let recordRoute: NameAddr[] = NO_VALUES;
  // The second and further lines of a kind (see flatList), made only when there are some.
  let viaParts: Via[][] | null = null;
  let contactParts: NameAddr[][] | null = null;
  let routeParts: NameAddr[][] | null = null;
  let recordRouteParts: NameAddr[][] | null = null;
  let from: NameAddr | null = null;
  let to: NameAddr | null = null;
  let contactStar = false;
  let callId: string | null = null;
  let cseq: CSeq | null = null;
  let contentLength: number | null = null;
  let contentType: string | null = null;
  let userAgent: string | null = null;
  let server: string | null = null;
  let seenMaxForwards = false;
  for (let k = 0; k < lines.count; k++) {
    const name = lines.names[k]!;
    switch (name) {
      case 'Via': {
        const line = recentViaLine.get(lines.value(k, text));
        for (let b = 0; b < line.bad.length; b++) notes.push(`Via value ${quote(line.bad[b]!)} could not be parsed`);
        if (line.list.length > 0) {
          if (via.length === 0) via = line.list;
          else (viaParts ??= [via]).push(line.list);
        }
        break;
      }
      case 'From':
      case 'To': {
        const value = lines.value(k, text);
        const na = recentNameAddr.get(value);
        if (!na || !na.uri) notes.push(`${name} value ${quote(value)} has no readable URI`);
        if (name === 'From') {
          if (from) notes.push('more than one From header (the first is used)');
          else from = na;
        } else if (to) notes.push('more than one To header (the first is used)');
        else to = na;
        break;
      }
      case 'Contact':
      case 'Route':
      case 'Record-Route': {
        const line = recentAddrLine.get(lines.value(k, text));
        if (line.star) contactStar = true;
        for (let b = 0; b < line.bad.length; b++) notes.push(`${name} value ${quote(line.bad[b]!)} has no readable URI`);
        if (line.list.length === 0) break;
        if (name === 'Contact') {
          if (contact.length === 0) contact = line.list;
          else (contactParts ??= [contact]).push(line.list);
        } else if (name === 'Route') {
          if (route.length === 0) route = line.list;
          else (routeParts ??= [route]).push(line.list);
        } else if (recordRoute.length === 0) recordRoute = line.list;
        else (recordRouteParts ??= [recordRoute]).push(line.list);
        break;
      }
      case 'Call-ID': {
        const value = lines.value(k, text);
        if (callId === null) callId = recentCallId.get(value);
        else notes.push(callId === value ? 'duplicate Call-ID header' : `duplicate Call-ID header with a different value ${quote(value)} (the first is used)`);
        break;
      }
      case 'CSeq': {
        const value = lines.value(k, text);
        const cs = recentCSeq.get(value);
        if (!cs) notes.push(`CSeq value ${quote(value)} could not be parsed`);
        else if (cseq) notes.push('more than one CSeq header (the first is used)');
        else cseq = cs;
        break;
      }
      case 'Content-Length': {
        const v = lines.value(k, text);
        if (!isDigits(v) || v.length > 10) notes.push(`Content-Length ${quote(v)} is not a number, ignored`);
        else {
          const cl = Number(v);
          if (contentLength === null) contentLength = cl;
          else if (contentLength !== cl) notes.push(`two different Content-Length values (${contentLength} and ${cl}); the first is used`);
        }
        break;
      }
      case 'Content-Type':
        if (contentType === null) contentType = intern(lines.value(k, text));
        break;
      case 'Max-Forwards':
        seenMaxForwards = true;
        break;
      case 'User-Agent':
        if (userAgent === null) userAgent = recentAgent.get(lines.value(k, text));
        break;
      case 'Server':
        if (server === null) server = recentAgent.get(lines.value(k, text));
        break;
      default:
        break;
    }
  }
  if (viaParts !== null) via = flatList(viaParts);
  if (contactParts !== null) contact = flatList(contactParts);
  if (routeParts !== null) route = flatList(routeParts);
  if (recordRouteParts !== null) recordRoute = flatList(recordRouteParts);
  // The mandatory headers (RFC 3261 §8.1.1; a response has no Max-Forwards), in the order the
  // notes name them. Written out, not a closure over this function's variables: a closure would
  // put them in a context object allocated for every message.
  if (to === null) notes.push('missing mandatory header To');
  if (from === null) notes.push('missing mandatory header From');
  if (cseq === null) notes.push('missing mandatory header CSeq');
  if (callId === null) notes.push('missing mandatory header Call-ID');
  if (kind === 'request' && !seenMaxForwards) notes.push('missing mandatory header Max-Forwards');
  if (via.length === 0) notes.push('missing mandatory header Via');
  if (kind === 'request' && cseq && cseq.method !== method) {
    notes.push(`CSeq method ${cseq.method} differs from the request method ${method}`);
  }

  // ---- body
  const avail = n - headerEnd;
  let bodyLen = avail;
  if (contentLength !== null) {
    if (contentLength < avail) {
      bodyLen = contentLength;
      notes.push(`Content-Length ${contentLength} but ${avail} bytes follow the headers (${avail - contentLength} extra bytes ignored)`);
    } else if (contentLength > avail) {
      notes.push(`Content-Length ${contentLength} but the body has only ${avail} bytes (message cut short?)`);
    }
  }
  const bodyAll = avail <= 0 ? '' : whole !== null ? whole.slice(headerEnd - start) : latin1(bytes, headerEnd, n);
  const body = bodyLen === avail ? bodyAll : bodyAll.slice(0, bodyLen);
  const sdp = body ? findSdp(body, contentType, notes) : null;
  const raw = whole ?? text + bodyAll;
  const headerLength = headerEnd;
  // The body is where it ends the text; the message gives it from there when asked.
  const bodyStart = raw.length - bodyAll.length;
  const agent = kind === 'request' ? userAgent : (server ?? userAgent);

  // Both shapes written out in full (no spread): one object allocation, one hidden class each.
  let message: SipMessage;
  if (kind === 'request') {
    const requestUri = recentUri.get(requestUriRaw);
    if (!requestUri) notes.push(`Request-URI ${quote(requestUriRaw)} could not be parsed`);
    // The shared URI's text where it is the same text (a dialog's requests repeat their target).
    else if (requestUri.raw === requestUriRaw) requestUriRaw = requestUri.raw;
    if (requestUriRaw !== requestUri?.raw) requestUriRaw = own(requestUriRaw);
    message = new ParsedRequest(
      method, requestUri, requestUriRaw, via, from, to, contact, contactStar, recordRoute, route,
      callId, cseq, contentLength, contentType, bodyStart, body.length, sdp, notes.length === 0 ? NO_NOTES : notes.map(own), raw, headerLength, lines, agent,
    );
  } else {
    message = new ParsedResponse(
      status, reason, via, from, to, contact, contactStar, recordRoute, route,
      callId, cseq, contentLength, contentType, bodyStart, body.length, sdp, notes.length === 0 ? NO_NOTES : notes.map(own), raw, headerLength, lines, agent,
    );
  }
  return { ok: true, message };
}

/** The SDP of the body: application/sdp, the first application/sdp part of a multipart body (RFC 2046 §5.1, RFC 5621), or an untyped body that starts with v=0. */
function findSdp(body: string, contentType: string | null, notes: string[]): SdpSummary | null {
  const semi = contentType ? contentType.indexOf(';') : -1;
  const mime = contentType ? (semi >= 0 ? contentType.slice(0, semi) : contentType).trim().toLowerCase() : '';
  if (mime === 'application/sdp') {
    const s = recentSdp.get(body);
    if (!s) notes.push('Content-Type is application/sdp but the body is not readable SDP');
    return s;
  }
  if (mime.startsWith('multipart/') && contentType) {
    const boundary = parseParams(contentType, semi, contentType.length).boundary;
    if (!boundary) {
      notes.push('multipart body without a boundary parameter');
      return null;
    }
    const parts = body.split(`--${boundary}`);
    for (let k = 1; k < parts.length; k++) {
      const part = parts[k]!;
      if (part.startsWith('--')) break; // closing delimiter
      const sep = part.search(/\r?\n\r?\n/);
      if (sep < 0) continue;
      const head = part.slice(0, sep);
      if (!/(^|\n)\s*(content-type|c)\s*:\s*application\/sdp/i.test(head)) continue;
      const m = /\r?\n\r?\n/.exec(part.slice(sep));
      const partBody = part.slice(sep + (m ? m[0].length : 2)).replace(/\r?\n$/, '');
      return summariseSdp(partBody);
    }
    return null;
  }
  if (!contentType && body.startsWith('v=0')) {
    notes.push('body looks like SDP but the message has no Content-Type');
    return summariseSdp(body);
  }
  return null;
}
