/**
 * The parsed form of one SIP message (RFC 3261 §7, §20, §25), as the tolerant parser in
 * `parser.ts` produces it. Everything the model and the detectors reason with is here: Via with
 * its parameters (RFC 3261 §18.2, RFC 3581 rport, RFC 5923 alias), Contact/From/To as name-addr
 * or addr-spec, the route headers, and the SDP summary. Plain data: it crosses the worker
 * boundary and is JSON-serialisable.
 *
 * Read-only: the parser shares one parsed Via, name-addr, URI or SDP summary between all the
 * messages that carry the same value (parser.ts, `Recent`), and one Via, Contact or route list
 * between the messages that repeat the line, so changing one would change them all (the lists are
 * typed readonly; the tests deep-freeze every shared value).
 */

import type { Endpoint, Transport } from '../capture/types.ts';

/** URI parameters and header parameters: a flag parameter (`;lr`, `;rport`) has value null. */
export type Params = Record<string, string | null>;

export interface SipUri {
  /** "sip", "sips", "tel", or another scheme kept as written (lower-cased). */
  scheme: string;
  user: string | null;
  /** Host as written, IPv6 without brackets; lower-cased for names. */
  host: string;
  /** Port, or null when the URI has none (default-port assumption applies). */
  port: number | null;
  params: Params;
  /** The URI exactly as written. */
  raw: string;
}

/** A From/To/Contact/Route/Record-Route value: name-addr or addr-spec, with header params. */
export interface NameAddr {
  displayName: string | null;
  uri: SipUri | null;
  /** Header parameters after the URI (tag, expires, q, +sip.instance …). */
  params: Params;
  raw: string;
}

/** One Via value (a header line may hold several, comma-separated). */
export interface Via {
  /** "SIP/2.0". */
  protocol: string;
  /** Upper-cased transport token: UDP, TCP, TLS, SCTP, WS, WSS … */
  transport: string;
  /** sent-by host (IPv6 without brackets). */
  host: string;
  /** sent-by port, or null when absent. */
  port: number | null;
  params: Params;
  branch: string | null;
  received: string | null;
  /** rport: absent → undefined; present without value → null; with value → the number. */
  rport?: number | null;
  /** RFC 5923 alias flag present. */
  alias: boolean;
  raw: string;
}

export interface CSeq {
  seq: number;
  method: string;
}

export interface SipHeader {
  /** Canonical (long-form, conventionally cased) name: compact forms are expanded, e.g. "v" → "Via". */
  name: string;
  /** Name as written. */
  rawName: string;
  /** Value with folding undone (CRLF + whitespace → one space), trimmed. */
  value: string;
  /** Byte offset of the header line within the message. */
  offset: number;
}

/** What the SDP body says about media (sdp.ts: summariseSdp). */
export interface SdpSummary {
  /** o= line: username, session id, version, address. */
  origin: { username: string; sessionId: string; sessionVersion: number; address: string } | null;
  /** Session-level c= address, or null. */
  connection: string | null;
  media: SdpMedia[];
}
export interface SdpMedia {
  type: string; // audio, video, image …
  port: number;
  protocol: string; // RTP/AVP, udptl …
  /** Effective connection address (media-level c=, else session-level). */
  connection: string | null;
  payloads: number[];
  /**
   * a=rtpmap lines in order: payload type and "PCMU/8000" … (a list, not an object keyed by
   * payload type: dynamic types up to 127 made every such object a 128-slot array).
   */
  codecs: Array<{ payload: number; codec: string }>;
  /** sendrecv / sendonly / recvonly / inactive (media, else session; default sendrecv). */
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  /** a=rtcp port (if announced), else null (RTP port + 1 assumed). */
  rtcpPort: number | null;
}

export interface SipMessageBase {
  headers: SipHeader[];
  via: readonly Via[];
  from: NameAddr | null;
  to: NameAddr | null;
  contact: readonly NameAddr[];
  /** True for `Contact: *`. */
  contactStar: boolean;
  recordRoute: readonly NameAddr[];
  route: readonly NameAddr[];
  callId: string | null;
  cseq: CSeq | null;
  contentLength: number | null;
  contentType: string | null;
  /** The body as text (latin1-safe decode); "" when none. */
  body: string;
  sdp: SdpSummary | null;
  /** Tolerated oddities, in plain words (e.g. "Content-Length 300 but body has 120 bytes"). */
  notes: readonly string[];
  /** The full message text (start line, headers, body). */
  raw: string;
  /** Byte length of the header part (up to and including the blank line). */
  headerLength: number;
  /**
   * What the parser read for the hosts' agents: a request's User-Agent, a response's Server (else
   * its User-Agent), or null; absent on a message not made by the parser (read the headers then).
   */
  agent?: string | null;
}
export interface SipRequest extends SipMessageBase {
  kind: 'request';
  method: string;
  requestUri: SipUri | null;
  /** The Request-URI as written. */
  requestUriRaw: string;
}
export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}
export type SipMessage = SipRequest | SipResponse;

/** Result of parsing: a message (possibly with notes), or the reason it could not be parsed. */
export type ParseResult = { ok: true; message: SipMessage } | { ok: false; reason: string };


/**
 * One SIP message as captured: where and when it travelled, and what it said. The engine builds
 * these in capture order; the model (transactions, dialogs, calls) and the detectors read them.
 */
/** The frames that carried a captured message, ascending (a new one-frame list when `frames` is absent). */
export function framesOf(m: Pick<CapturedMessage, 'frame' | 'frames'>): number[] {
  return m.frames ?? [m.frame];
}

export interface CapturedMessage {
  /** Position in capture order (0-based): the message id used everywhere. */
  index: number;
  frame: number;
  firstFrame: number;
  /**
   * Every frame that carried it, ascending; absent when that is `frame` alone (most messages: one
   * list per message was ~56 bytes of each one kept). Read it with `framesOf`.
   */
  frames?: number[];
  timeUs: number;
  src: Endpoint;
  dst: Endpoint;
  transport: Transport;
  connection: number | null;
  encapsulation: string | null;
  /** The parsed message, or null when it could not be parsed (see parseError). */
  sip: SipMessage | null;
  parseError: string | null;
  /** The raw text (kept even when parsing failed; read again from the file when asked, for a message the engine did not keep it for: sip/captured.ts). */
  raw: string;
  /** Its start line as the report writes it (sip/captured.ts `startLineOf`), when the engine kept it apart from the text. */
  startLine?: string;
  /**
   * What the capture layer noted about this message (reassembly, a cut), also appended to
   * `sip.notes`: kept apart so that a message parsed again from `raw` gets them back.
   */
  captureNotes?: string[];
}
