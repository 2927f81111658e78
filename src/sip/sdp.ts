/**
 * What an SDP body (RFC 4566 / RFC 8866, offer/answer RFC 3264) says about media: origin,
 * session and per-media connection address (media-level c= overrides session-level, RFC 4566
 * §5.7), direction (media attribute, else session attribute, else sendrecv — RFC 3264 §5.1),
 * rtpmap codecs and the a=rtcp port (RFC 3605). Never throws on garbage.
 *
 * This runs once per SDP body on the hot path, so it reads only the lines it summarises (o=,
 * c=, m=, a=rtpmap, a=rtcp and the direction attributes) with the very expressions of
 * `sdp-transform`'s grammar, and builds nothing else. `sdp-transform` parsing every line of a
 * body into objects cost ~11 µs per body, most of the analysis budget of a signalling-dense
 * capture; it stays the oracle (sdp.test.ts compares the two on every SDP body of the corpus and
 * on generated garbage) and the full parse for the message detail (`parseSdpFully`).
 */

import { parse } from 'sdp-transform';
import type { SdpMedia, SdpSummary } from './types.ts';
import { intern, own } from './intern.ts';
import { fit } from '../lib/lists.ts';

type Direction = SdpMedia['direction'];

// The expressions of sdp-transform 3.0's grammar for the lines summarised here.
const ORIGIN = /^(\S*) (\d*) (\d*) (\S*) IP(\d) (\S*)/;
const CONNECTION = /^IN IP(\d) (\S*)/;
const MEDIA = /^(\w*) (\d*) ([\w/]*)(?: (.*))?/;
const RTPMAP = /^rtpmap:(\d*) ([\w\-.]*)(?:\s*\/(\d*)(?:\s*\/(\S*))?)?/;
const RTCP = /^rtcp:(\d*)(?: (\S*) IP(\d) (\S*))?/;
const DIRECTION = /^(sendrecv|recvonly|sendonly|inactive)/;
/** The direction names as constants: the expression's match is a fresh string per body. */
const DIRECTIONS: Record<string, Direction> = { sendrecv: 'sendrecv', recvonly: 'recvonly', sendonly: 'sendonly', inactive: 'inactive' };

/** A number written canonically ("8000", not "08000" or ""), as sdp-transform reads numbers. */
const canonical = (v: string): boolean => v !== '' && String(Number(v)) === v;

/** `canonical` for a string of digits (what \d* captured), without a number-to-text round trip. */
function canonicalDigits(v: string): boolean {
  const n = v.length;
  if (n === 0) return false;
  if (n > 15) return canonical(v); // past 15 digits a double may not hold it exactly
  return n === 1 || v.charCodeAt(0) !== 48; // no leading zero
}

/**
 * Lists shared by every SDP body that has the same one, frozen: bodies differ (session ids,
 * ports), their format lists and rtpmap lines mostly do not, and a list of a few numbers or
 * codecs is ~70 bytes per body otherwise (~5 MB of the model on the bench's sip-dense file).
 * Bounded: past the limit each table starts over.
 */
const SHARED_LISTS = 4096;
const payloadLists = new Map<string, readonly number[]>();
const codecLists = new Map<string, readonly Codec[]>();
const NO_PAYLOADS: readonly number[] = Object.freeze([]);
const NO_CODECS: readonly Codec[] = Object.freeze([]);

function shared<T>(table: Map<string, readonly T[]>, key: string, list: T[]): T[] {
  const hit = table.get(key);
  if (hit !== undefined) return hit as T[];
  if (table.size >= SHARED_LISTS) table.clear();
  const frozen = Object.freeze(fit(list));
  table.set(key, frozen);
  return frozen as T[];
}

/** The m= line's format list: numbers of 1–3 digits (RTP payload types), others skipped (shared, frozen). */
function payloadTypes(list: string | undefined): number[] {
  if (list === undefined || list === '') return NO_PAYLOADS as number[];
  // The key kept is a copy: the list is a slice of the body, which a kept key would keep alive.
  return (payloadLists.get(list) as number[] | undefined) ?? shared(payloadLists, own(list), readPayloadTypes(list));
}

function readPayloadTypes(list: string): number[] {
  const out: number[] = [];
  const n = list.length;
  let i = 0;
  while (i <= n) {
    let e = list.indexOf(' ', i);
    if (e < 0) e = n;
    const len = e - i;
    if (len >= 1 && len <= 3) {
      let v = 0;
      let k = i;
      for (; k < e; k++) {
        const c = list.charCodeAt(k) - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (k === e) out.push(v);
    }
    i = e + 1;
  }
  return out;
}

/** A media section's codec list (entries from `codecEntry`), shared with every other section that has the same one. */
function codecList(codecs: Codec[]): Codec[] {
  if (codecs.length === 0) return NO_CODECS as Codec[];
  let key = '';
  for (const c of codecs) key += `${c.payload} ${c.codec}\n`;
  return shared(codecLists, key, codecs);
}

type Codec = SdpMedia['codecs'][number];
/**
 * One codec entry per distinct a=rtpmap line ("rtpmap:0 PCMU/8000"), shared by every SDP body
 * that repeats the line: bodies differ (session ids, ports), their rtpmap lines mostly do not.
 * Bounded: past the limit it starts over. Null when the line is not an rtpmap sdp-transform reads.
 */
const codecEntries = new Map<string, Codec | null>();
const CODEC_ENTRIES = 4096;

function codecEntry(line: string): Codec | null {
  const hit = codecEntries.get(line);
  if (hit !== undefined) return hit;
  const m = RTPMAP.exec(line);
  let entry: Codec | null = null;
  if (m && canonicalDigits(m[1]!)) {
    let codec = m[2]!;
    if (m[3] !== undefined) codec += `/${m[3]}`;
    if (m[4] !== undefined && m[4] !== '') codec += `/${m[4]}`;
    // Its own copy: the captured name is a slice of the body, which a kept entry would keep alive.
    entry = { payload: Number(m[1]), codec: intern(codec) };
  }
  if (codecEntries.size >= CODEC_ENTRIES) codecEntries.clear();
  codecEntries.set(own(line), entry);
  return entry;
}

/**
 * "224.2.1.1/127" → "224.2.1.1" (multicast TTL/count suffix); "" → null, and so is a bare
 * number such as "192.16" (cut short: no address; sdp-transform reads it as a number).
 */
function address(ip: string | undefined): string | null {
  if (!ip || canonical(ip)) return null;
  const slash = ip.indexOf('/');
  return intern(slash >= 0 ? ip.slice(0, slash) : ip);
}

interface MediaDraft { media: SdpMedia; connection: string | undefined; direction: Direction | null; rtcp: string | undefined }

/** Summary of an SDP body, or null when it holds no SDP at all (no o=/c=/m= line understood). */
export function summariseSdp(body: string): SdpSummary | null {
  if (!body || body.indexOf('=') < 0) return null;
  let origin: SdpSummary['origin'] = null;
  let sessionIp: string | undefined;
  let sessionDirection: Direction | null = null;
  const drafts: MediaDraft[] = [];
  let cur: MediaDraft | null = null;
  let inMedia = false; // after the first m= line, even one that could not be read
  const n = body.length;
  // Line ends found with indexOf (native), the next CR and LF remembered until passed.
  let cr = -1;
  let lf = -1;
  let i = 0;
  while (i < n) {
    // One line: up to CR, LF or CRLF.
    if (cr < i) cr = body.indexOf('\r', i) >>> 0; // -1 → 4294967295: no more
    if (lf < i) lf = body.indexOf('\n', i) >>> 0;
    const e = Math.min(cr, lf, n);
    const type = body.charCodeAt(i);
    if (e - i >= 2 && body.charCodeAt(i + 1) === 61 /* = */ && type >= 97 && type <= 122) {
      if (type === 109 /* m */) {
        inMedia = true;
        const m = MEDIA.exec(body.slice(i + 2, e));
        cur = null;
        const t = m?.[1] ?? '';
        if (m && t !== '' && t !== '0') {
          const payloads = payloadTypes(m[4]);
          const port = m[2]!;
          cur = {
            media: { type: intern(t), port: canonicalDigits(port) ? Number(port) : 0, protocol: intern(m[3]!), connection: null, payloads, codecs: [], direction: 'sendrecv', rtcpPort: null },
            connection: undefined,
            direction: null,
            rtcp: undefined,
          };
          drafts.push(cur);
        }
      } else if (type === 99 /* c */) {
        const m = CONNECTION.exec(body.slice(i + 2, e));
        if (m) {
          if (!inMedia) sessionIp = m[2];
          else if (cur) cur.connection = m[2];
        }
      } else if (type === 111 /* o */) {
        if (!inMedia) {
          const m = ORIGIN.exec(body.slice(i + 2, e));
          if (m) origin = { username: intern(m[1]!), sessionId: m[2]!, sessionVersion: Number(m[3]) || 0, address: intern(m[6]!) };
        }
      } else if (type === 97 /* a */ && (inMedia ? cur !== null : true)) {
        const c0 = body.charCodeAt(i + 2);
        if (c0 === 114 /* r */ && inMedia) {
          const line = body.slice(i + 2, e);
          if (line.startsWith('rtpmap:')) {
            const entry = codecEntry(line);
            if (entry) cur!.media.codecs.push(entry);
          } else if (line.startsWith('rtcp:')) {
            const m = RTCP.exec(line);
            if (m) cur!.rtcp = m[1];
          } else {
            const m = DIRECTION.exec(line);
            if (m) cur!.direction = DIRECTIONS[m[1]!]!;
          }
        } else if (c0 === 115 /* s */ || c0 === 105 /* i */ || c0 === 114 /* r */) {
          const m = DIRECTION.exec(body.slice(i + 2, e));
          if (m) {
            if (!inMedia) sessionDirection = DIRECTIONS[m[1]!]!;
            else cur!.direction = DIRECTIONS[m[1]!]!;
          }
        }
      }
    }
    // Past the line break (CRLF counts as one).
    i = e + (body.charCodeAt(e) === 13 && body.charCodeAt(e + 1) === 10 ? 2 : 1);
  }
  const connection = address(sessionIp);
  // Each list at its length, kept per body (map sizes its own).
  const media = drafts.map((d): SdpMedia => {
    d.media.connection = address(d.connection) ?? connection;
    d.media.direction = d.direction ?? sessionDirection ?? 'sendrecv';
    d.media.rtcpPort = d.rtcp !== undefined && canonicalDigits(d.rtcp) ? Number(d.rtcp) : null;
    d.media.codecs = codecList(d.media.codecs);
    return d.media;
  });
  if (!origin && connection === null && media.length === 0) return null;
  return { origin, connection, media };
}

/**
 * The whole SDP body as `sdp-transform` reads it (every attribute), for the message detail,
 * parsed on demand; null when it cannot be read.
 */
export function parseSdpFully(body: string): ReturnType<typeof parse> | null {
  try {
    return parse(body);
  } catch {
    return null;
  }
}

/** The rtpmap name of a payload type ("PCMU/8000"), or null when the SDP maps none. */
export function codecName(media: SdpMedia, payload: number): string | null {
  for (const c of media.codecs) if (c.payload === payload) return c.codec;
  return null;
}
