/**
 * Test helper: hand-built SIP flows. Write each message as SIP text, say who sent it to whom,
 * over what, and when; get CapturedMessage[] (parsed by the real parser, `parseSipText`), the
 * TCP/TLS connections they imply, RTP stream stats, and the model.
 *
 *   const f = flow()
 *     .send('192.0.2.10:5060', '198.51.100.7:5060', 'udp', 0.0, sip`
 *       INVITE sip:bob@198.51.100.7 SIP/2.0
 *       Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1
 *       …`)
 *     .send(…);
 *   const model = f.model();
 *
 * `sip` strips the common indentation, turns line ends into CRLF, ends the header block with an
 * empty line, and fills in Content-Length when the text has none. Times are seconds from t0.
 */

import type { ConnectionInfo, Endpoint, IcmpUnreachable, RtpStreamStats, Transport } from '../../capture/types.ts';
import type { CapturedMessage } from '../types.ts';
import { parseSipText } from '../parser.ts';
import { buildModel } from '../model.ts';
import type { ModelInput, SipModel } from '../model.ts';

/** 2024-05-01T12:00:00Z in µs: the default t0 of a flow. */
export const DEFAULT_T0_US = Date.UTC(2024, 4, 1, 12, 0, 0) * 1000;

/** "ip:port" or "[v6]:port" → Endpoint. */
export function ep(text: string): Endpoint {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`flow: endpoint "${text}" is not ip:port`);
  return { ip: m[1] as string, port: Number(m[2]) };
}

/** Dedent, CRLF line ends, header/body separation, Content-Length filled in when missing. */
export function sipText(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length && lines[0]?.trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1]?.trim() === '') lines.pop();
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^\s*/.exec(l)?.[0].length ?? 0));
  const body: string[] = [];
  const head: string[] = [];
  let inBody = false;
  for (const raw of lines) {
    const l = raw.slice(indent).replace(/\s+$/, '');
    if (!inBody && l === '') {
      inBody = true;
      continue;
    }
    (inBody ? body : head).push(l);
  }
  const bodyText = body.length ? `${body.join('\r\n')}\r\n` : '';
  if (!head.some((h) => /^(content-length|l)\s*:/i.test(h))) head.push(`Content-Length: ${bodyText.length}`);
  return `${head.join('\r\n')}\r\n\r\n${bodyText}`;
}

/** Template tag: sip`...` = sipText(...). */
export function sip(strings: TemplateStringsArray, ...values: unknown[]): string {
  let s = '';
  strings.forEach((part, i) => {
    s += part + (i < values.length ? String(values[i]) : '');
  });
  return sipText(s);
}

export interface RequestSpec {
  method: string;
  uri: string;
  /** Via values, top first (one string or several). */
  via: string | string[];
  /** Full From/To values, e.g. '<sip:alice@192.0.2.10>;tag=a1'. */
  from: string;
  to: string;
  callId: string;
  /** CSeq number (the method is `method`, or INVITE's for ACK/CANCEL if given as "1 INVITE"). */
  cseq: number | string;
  contact?: string;
  recordRoute?: string[];
  route?: string[];
  /** Extra header lines, "Name: value". */
  headers?: string[];
  /** Body (SDP …) and its type (default application/sdp). */
  body?: string;
  contentType?: string;
}

/** A request as text (RFC 3261 §8.1.1 mandatory headers, in the usual order). */
export function request(r: RequestSpec): string {
  const lines = [`${r.method} ${r.uri} SIP/2.0`];
  for (const v of Array.isArray(r.via) ? r.via : [r.via]) lines.push(`Via: ${v}`);
  for (const x of r.route ?? []) lines.push(`Route: ${x}`);
  for (const x of r.recordRoute ?? []) lines.push(`Record-Route: ${x}`);
  lines.push('Max-Forwards: 70', `From: ${r.from}`, `To: ${r.to}`, `Call-ID: ${r.callId}`);
  lines.push(`CSeq: ${typeof r.cseq === 'number' ? `${r.cseq} ${r.method}` : r.cseq}`);
  if (r.contact) lines.push(`Contact: ${r.contact}`);
  lines.push(...(r.headers ?? []));
  return withBody(lines, r.body, r.contentType);
}

function withBody(lines: string[], body: string | undefined, contentType: string | undefined): string {
  if (body === undefined) return sipText(lines.join('\n'));
  const b = body.replace(/\r\n/g, '\n').split('\n').map((l) => l.trim()).filter((l) => l !== '').join('\r\n') + '\r\n';
  lines.push(`Content-Type: ${contentType ?? 'application/sdp'}`, `Content-Length: ${b.length}`);
  return `${lines.join('\r\n')}\r\n\r\n${b}`;
}

export interface ReplySpec {
  /** To tag to add when the request's To has none. */
  toTag?: string;
  contact?: string;
  /** Record-Route values; by default the request's are copied (RFC 3261 §12.1.1). */
  recordRoute?: string[];
  /** Replace the Via list (e.g. to add received/rport as the server does). */
  via?: string[];
  headers?: string[];
  body?: string;
  contentType?: string;
}

/**
 * A response to a request given as text, built as a UAS does (RFC 3261 §8.2.6.2): Via, From, To
 * (with the tag), Call-ID, CSeq and Record-Route copied from the request.
 */
export function reply(requestText: string, status: number, reason: string, o: ReplySpec = {}): string {
  const head = requestText.split(/\r?\n\r?\n/)[0] ?? '';
  const reqLines = head.split(/\r?\n/).slice(1);
  const pick = (name: string): string[] => reqLines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  const lines = [`SIP/2.0 ${status} ${reason}`];
  if (o.via) for (const v of o.via) lines.push(`Via: ${v}`);
  else lines.push(...pick('Via'));
  const rr = o.recordRoute ? o.recordRoute.map((x) => `Record-Route: ${x}`) : pick('Record-Route');
  lines.push(...rr);
  lines.push(...pick('From'));
  for (const t of pick('To')) lines.push(o.toTag && !/;\s*tag=/i.test(t) ? `${t};tag=${o.toTag}` : t);
  lines.push(...pick('Call-ID'), ...pick('CSeq'));
  if (o.contact) lines.push(`Contact: ${o.contact}`);
  lines.push(...(o.headers ?? []));
  return withBody(lines, o.body, o.contentType);
}

/** A minimal SDP offer/answer for one audio stream at address:port. */
export function sdp(address: string, port: number, extra: string[] = []): string {
  const ip6 = address.includes(':');
  return [
    'v=0',
    `o=- 1 1 IN ${ip6 ? 'IP6' : 'IP4'} ${address}`,
    's=-',
    `c=IN ${ip6 ? 'IP6' : 'IP4'} ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    ...extra,
  ].join('\n');
}

export interface SendOptions {
  /** Connection id to use (TCP/TLS/WS); by default one per transport + address pair, reused. */
  connection?: number | null;
  encapsulation?: string | null;
  /** Take the text as is (no dedent, no Content-Length fill). */
  raw?: boolean;
}

export interface RtpOptions {
  ssrc: number;
  payloadType?: number;
  kind?: 'rtp' | 'rtcp';
  packets?: number;
  /** Seconds from t0. */
  from: number;
  to: number;
}

export class FlowBuilder {
  private readonly msgs: CapturedMessage[] = [];
  private readonly conns: ConnectionInfo[] = [];
  private readonly rtps: RtpStreamStats[] = [];
  private readonly icmps: IcmpUnreachable[] = [];
  private frame = 0;

  constructor(private readonly t0Us = DEFAULT_T0_US) {}

  private us(at: number): number {
    return this.t0Us + Math.round(at * 1e6);
  }

  private connectionFor(src: Endpoint, dst: Endpoint, transport: Transport, frame: number, timeUs: number): number | null {
    if (transport === 'udp' || transport === 'sctp') return null;
    const same = (a: Endpoint, b: Endpoint): boolean => a.ip === b.ip && a.port === b.port;
    const found = this.conns.find((c) => c.transport === transport && c.closedFrame === null && ((same(c.client, src) && same(c.server, dst)) || (same(c.client, dst) && same(c.server, src))));
    if (found) return found.id;
    return this.openConnection(src, dst, transport as ConnectionInfo['transport'], frame, timeUs);
  }

  private openConnection(client: Endpoint, server: Endpoint, transport: ConnectionInfo['transport'], frame: number, timeUs: number): number {
    const id = this.conns.length;
    this.conns.push({
      id,
      transport,
      client,
      server,
      openedFrame: frame,
      openedTimeUs: timeUs,
      sawSyn: true,
      closedFrame: null,
      closedTimeUs: null,
      closedBy: null,
      closedBySide: null,
      closeEvents: [],
      tls: null,
      messageFrames: [],
      gaps: [],
      lastFrame: frame,
      lastTimeUs: timeUs,
    });
    return id;
  }

  /** One SIP message from `src` to `dst` at `at` seconds after t0. */
  send(src: string, dst: string, transport: Transport, at: number, text: string, opts: SendOptions = {}): this {
    const frame = ++this.frame;
    const timeUs = this.us(at);
    const s = ep(src);
    const d = ep(dst);
    const connection = opts.connection !== undefined ? opts.connection : this.connectionFor(s, d, transport, frame, timeUs);
    const raw = opts.raw ? text : sipText(text);
    const parsed = parseSipText(raw);
    const c: CapturedMessage = {
      index: this.msgs.length,
      frame,
      firstFrame: frame,
      frames: [frame],
      timeUs,
      src: s,
      dst: d,
      transport,
      connection,
      encapsulation: opts.encapsulation ?? null,
      sip: parsed.ok ? parsed.message : null,
      parseError: parsed.ok ? null : parsed.reason,
      raw,
    };
    this.msgs.push(c);
    const conn = connection === null ? undefined : this.conns[connection];
    if (conn) {
      conn.messageFrames.push(frame);
      conn.lastFrame = frame;
      conn.lastTimeUs = timeUs;
    }
    return this;
  }

  /** Skip frame numbers (packets that carried no SIP: RTP, TCP ACKs…). */
  skip(frames: number): this {
    this.frame += frames;
    return this;
  }

  /** One RTP (or RTCP) stream summary. */
  rtp(src: string, dst: string, o: RtpOptions): this {
    const packets = o.packets ?? Math.max(1, Math.round((o.to - o.from) * 50));
    const first = ++this.frame;
    this.frame += packets - 1;
    this.rtps.push({
      ssrc: o.ssrc,
      src: ep(src),
      dst: ep(dst),
      payloadType: o.payloadType ?? 0,
      kind: o.kind ?? 'rtp',
      packets,
      bytes: packets * 172,
      firstFrame: first,
      lastFrame: this.frame,
      firstTimeUs: this.us(o.from),
      lastTimeUs: this.us(o.to),
      lost: 0,
      sequenceGaps: 0,
      sourceChanges: [],
      recognisedBy: 'sdp',
    });
    return this;
  }

  messages(): CapturedMessage[] {
    return this.msgs;
  }
  connections(): ConnectionInfo[] {
    return this.conns;
  }
  input(captureEndAt?: number): ModelInput {
    const input: ModelInput = { messages: this.msgs, connections: this.conns, rtpStreams: this.rtps, icmp: this.icmps };
    if (captureEndAt !== undefined) input.captureEndUs = this.us(captureEndAt);
    return input;
  }
  /** The model of this flow; `captureEndAt` (seconds) sets when the capture ended. */
  model(captureEndAt?: number): SipModel {
    return buildModel(this.input(captureEndAt));
  }
  /** Index of the n-th (0-based) message matching a start-line prefix, e.g. find('BYE'), find('SIP/2.0 200', 1). */
  find(startLine: string, nth = 0): number {
    let seen = 0;
    for (const c of this.msgs) {
      if (c.raw.startsWith(startLine)) {
        if (seen === nth) return c.index;
        seen++;
      }
    }
    throw new Error(`flow: no message #${nth} starting with "${startLine}"`);
  }
}

export function flow(t0Us?: number): FlowBuilder {
  return new FlowBuilder(t0Us);
}
