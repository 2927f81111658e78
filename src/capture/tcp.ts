/**
 * TCP: connection tracking and per-direction stream reassembly (RFC 9293 §3.4 sequence
 * numbers, §3.5 connection establishment, §3.6 closing, with serial arithmetic modulo 2^32).
 *
 * Only flows that matter are reassembled: a flow with a SIP port on either side, or whose first
 * payload (either direction) looks like SIP or like an HTTP WebSocket upgrade (RFC 6455 §4.1,
 * RFC 7118). Any other flow is marked ignored after its first payload and costs one lookup per
 * packet afterwards.
 *
 * Reassembly per direction: in-order bytes are delivered at once; out-of-order segments are
 * copied into a bounded buffer (4 MiB per direction); retransmitted and overlapping bytes are
 * delivered once (first copy wins). A gap — bytes that will never be seen — is declared when
 * the peer acknowledges past it, when the buffer overflows, or when the capture ends; the
 * consumer is told (`gap`), the connection records it, and a warning names it.
 *
 * What the byte stream carries is decided on the first in-order bytes: a TLS record → TLS
 * metadata (tls.ts), an HTTP upgrade → WebSocket (websocket.ts), otherwise SIP through the
 * injected Content-Length framer.
 */
import type {
  AppPayload,
  CaptureWarning,
  ConnectionInfo,
  Endpoint,
  FramedMessage,
  IpPacket,
  StreamFramer,
  StreamFramerFactory,
  Transport,
} from './types.ts';
import { endpoint } from './types.ts';
import { MAX_TLS_RECORD_BYTES_TOTAL, TlsTracker, looksLikeTlsRecord } from './tls.ts';
import type { TlsRecordBudget, TlsSession } from './tls.ts';
import { WebSocketTracker, looksLikeWebSocketUpgrade } from './websocket.ts';

/** Out-of-order bytes buffered per direction before a gap is forced. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** A peer ACK past bytes never captured becomes a gap after this many packets of the connection… */
export const GAP_PACKETS = 16;
/** …or this much capture time (segments reordered by the capture usually show up sooner). */
export const GAP_TIME_US = 1_000_000;

/** Receives the in-order bytes of one direction. */
export interface StreamConsumer {
  data(bytes: Uint8Array, frame: number, timeUs: number): void;
  gap(frame: number, missingBytes: number): void;
}

interface Segment {
  seq: number;
  bytes: Uint8Array;
  frame: number;
  timeUs: number;
}

/** Signed distance a - b in 32-bit sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** One direction of a TCP connection: turns segments into an in-order byte stream. */
export class TcpDirection {
  /** Next expected sequence number (uint32), valid when `known`. */
  next = 0;
  known = false;
  private pending: Segment[] = [];
  private pendingBytes = 0;
  /** Bytes delivered in order so far. */
  delivered = 0;
  private finSeq = -1;
  /** A peer ACK beyond `next` was seen at this packet tick (−1: none), up to `suspectAck`. */
  private suspectTick = -1;
  private suspectTimeUs = 0;
  private suspectAck = 0;

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly maxPending = MAX_PENDING_BYTES,
  ) {}

  /** The SYN's sequence number: data starts at isn + 1. */
  setIsn(isn: number): void {
    if (this.known) return;
    this.next = (isn + 1) >>> 0;
    this.known = true;
  }

  /** A segment's payload (a view; copied when it must wait). */
  segment(seq: number, data: Uint8Array, frame: number, timeUs: number): void {
    if (data.length === 0) return;
    if (!this.known) {
      this.next = seq >>> 0;
      this.known = true;
    }
    const rel = seqDiff(seq, this.next);
    if (rel <= 0) {
      const skip = -rel;
      if (skip >= data.length) return; // pure retransmission
      this.deliver(skip === 0 ? data : data.subarray(skip), frame, timeUs);
      if (this.pending.length > 0) this.drain();
      return;
    }
    // Out of order: keep a copy, sorted by sequence number.
    this.insert({ seq: seq >>> 0, bytes: data.slice(), frame, timeUs });
    if (this.pendingBytes > this.maxPending) this.forceGap(frame);
  }

  /** This direction sent FIN at `seq` (it occupies one sequence number, carries no byte). */
  fin(seq: number): void {
    this.finSeq = seq >>> 0;
  }

  /**
   * The peer acknowledged up to `ack`. Bytes before it that we never saw were received by the
   * peer but not captured. Captures often reorder segments slightly, so this only marks a
   * suspicion; `check()` declares the gap when it persists.
   */
  acked(ack: number, tick: number, timeUs: number): void {
    if (!this.known) return;
    if (this.finSeq >= 0 && ack === ((this.finSeq + 1) >>> 0)) ack = this.finSeq;
    const d = seqDiff(ack, this.next);
    if (d <= 0 || d > 0x40000000) return;
    if (this.suspectTick < 0) {
      this.suspectTick = tick;
      this.suspectTimeUs = timeUs;
      this.suspectAck = ack >>> 0;
    } else if (seqDiff(ack, this.suspectAck) > 0) this.suspectAck = ack >>> 0;
  }

  /**
   * Called once per packet of the connection: declares a suspected gap once it has lasted
   * `GAP_PACKETS` packets or `GAP_TIME_US` of capture time (or always when `force`).
   */
  check(tick: number, timeUs: number, frame: number, force = false): void {
    if (this.suspectTick < 0) return;
    const d = seqDiff(this.suspectAck, this.next);
    if (d <= 0) {
      this.suspectTick = -1;
      return;
    }
    if (!force && tick - this.suspectTick < GAP_PACKETS && timeUs - this.suspectTimeUs < GAP_TIME_US) return;
    this.suspectTick = -1;
    const first = this.pending[0];
    const missing = first !== undefined && seqDiff(first.seq, this.next) < d ? seqDiff(first.seq, this.next) : d;
    if (missing <= 0) return;
    this.next = (this.next + missing) >>> 0;
    this.consumer.gap(frame, missing);
    this.drain();
  }

  /** End of stream: buffered segments are delivered across their gaps. */
  flush(frame: number): void {
    this.check(0, 0, frame, true);
    while (this.pending.length > 0) this.forceGap(frame);
  }

  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  private deliver(bytes: Uint8Array, frame: number, timeUs: number): void {
    this.next = (this.next + bytes.length) >>> 0;
    this.delivered += bytes.length;
    this.consumer.data(bytes, frame, timeUs);
  }

  private insert(seg: Segment): void {
    const p = this.pending;
    let i = p.length;
    while (i > 0 && seqDiff(p[i - 1]!.seq, seg.seq) > 0) i--;
    const prev = p[i - 1];
    if (prev !== undefined && prev.seq === seg.seq && prev.bytes.length >= seg.bytes.length) return; // duplicate
    p.splice(i, 0, seg);
    this.pendingBytes += seg.bytes.length;
  }

  private drain(): void {
    const p = this.pending;
    while (p.length > 0) {
      const s = p[0]!;
      const rel = seqDiff(s.seq, this.next);
      if (rel > 0) break;
      p.shift();
      this.pendingBytes -= s.bytes.length;
      const skip = -rel;
      if (skip < s.bytes.length) this.deliver(skip === 0 ? s.bytes : s.bytes.subarray(skip), s.frame, s.timeUs);
    }
  }

  private forceGap(frame: number): void {
    const first = this.pending[0];
    if (first === undefined) return;
    const missing = seqDiff(first.seq, this.next);
    if (missing > 0) {
      this.next = first.seq;
      this.consumer.gap(frame, missing);
    }
    this.drain();
  }
}

/** What the tracked stream turned out to carry. */
type Mode = 'undecided' | 'sip' | 'tls' | 'ws' | 'other';

export interface TcpTrackerOptions {
  app(p: AppPayload): void;
  warning(w: CaptureWarning): void;
  framer: StreamFramerFactory;
  isSipStart: (bytes: Uint8Array, offset?: number) => boolean;
  /** Where a view into the packet being decoded lies in the input, or -1 (TransportOptions.locate). */
  locate?: (bytes: Uint8Array) => number;
  /** 1 at index p when p is a SIP port. */
  sipPorts: Uint8Array;
  /** Encapsulation string of the current packet's tunnels (null when none). */
  encapsulation(p: IpPacket): string | null;
}

const enum FlowState {
  Undecided,
  Tracked,
  Ignored,
}

/** One TCP 4-tuple. Side 0 = the endpoint that sent the first packet seen. */
class Flow {
  state = FlowState.Undecided;
  conn: Connection | null = null;
  /** Sequence number of the SYN sent by side 0/1, or -1. */
  isn0 = -1;
  isn1 = -1;
  /** Side that sent the SYN (client), or -1. */
  synSide = -1;
  sawSyn = false;
  closed = false;
  openedFrame: number;
  openedTimeUs: number;
  constructor(
    readonly ip0: string,
    readonly port0: number,
    readonly ip1: string,
    readonly port1: number,
    frame: number,
    timeUs: number,
  ) {
    this.openedFrame = frame;
    this.openedTimeUs = timeUs;
  }
}

/** Per-direction consumer: routes the in-order bytes by the connection's mode. */
class DirConsumer implements StreamConsumer {
  framer: StreamFramer | null = null;
  constructor(
    private readonly conn: Connection,
    readonly side: 0 | 1,
  ) {}
  data(bytes: Uint8Array, frame: number, timeUs: number): void {
    this.conn.data(this.side, bytes, frame, timeUs);
  }
  gap(frame: number, missingBytes: number): void {
    this.conn.gap(this.side, frame, missingBytes);
  }
}

/** A tracked connection: reassembly, mode and the report's ConnectionInfo. */
class Connection {
  mode: Mode = 'undecided';
  readonly dirs: [TcpDirection, TcpDirection];
  readonly consumers: [DirConsumer, DirConsumer];
  /** Flow side (0/1) of the client. */
  clientSide: 0 | 1;
  readonly info: ConnectionInfo;
  tls: TlsTracker | null = null;
  ws: WebSocketTracker | null = null;
  carriedSip = false;
  /** Frame/time of the packet being processed (completion frame of messages). */
  curFrame = 0;
  curTimeUs = 0;
  /** Packets seen on the connection (the clock of gap suspicion). */
  ticks = 0;
  /** Tunnels the connection's packets came through ("gre", …), or null. */
  encap: string | null = null;

  constructor(
    readonly flow: Flow,
    readonly id: number,
    clientSide: 0 | 1,
    private readonly opts: TcpTrackerOptions,
    private readonly tlsBudget: TlsRecordBudget | null = null,
  ) {
    this.clientSide = clientSide;
    this.consumers = [new DirConsumer(this, 0), new DirConsumer(this, 1)];
    this.dirs = [new TcpDirection(this.consumers[0]), new TcpDirection(this.consumers[1])];
    const c: Endpoint = clientSide === 0 ? { ip: flow.ip0, port: flow.port0 } : { ip: flow.ip1, port: flow.port1 };
    const s: Endpoint = clientSide === 0 ? { ip: flow.ip1, port: flow.port1 } : { ip: flow.ip0, port: flow.port0 };
    this.info = {
      id,
      transport: 'tcp',
      client: c,
      server: s,
      openedFrame: flow.openedFrame,
      openedTimeUs: flow.openedTimeUs,
      sawSyn: flow.sawSyn,
      closedFrame: null,
      closedTimeUs: null,
      closedBy: null,
      closedBySide: null,
      closeEvents: [],
      tls: null,
      messageFrames: [],
      gaps: [],
      lastFrame: flow.openedFrame,
      lastTimeUs: flow.openedTimeUs,
      packets: 0,
      clientBytes: 0,
      serverBytes: 0,
    };
  }

  sideName(side: 0 | 1): 'client' | 'server' {
    return side === this.clientSide ? 'client' : 'server';
  }

  endpoint(side: 0 | 1): Endpoint {
    return side === 0 ? endpoint(this.flow.ip0, this.flow.port0) : endpoint(this.flow.ip1, this.flow.port1);
  }

  describe(): string {
    const c = this.info.client;
    const s = this.info.server;
    return `TCP connection #${this.id} ${fmt(c)} → ${fmt(s)}`;
  }

  private decide(side: 0 | 1, bytes: Uint8Array): void {
    const tls = looksLikeTlsRecord(bytes);
    if (tls !== 0) {
      this.mode = 'tls';
      this.info.transport = 'tls';
      this.tls = new TlsTracker(this.tlsBudget);
      this.info.tls = this.tls.info;
      return;
    }
    if (looksLikeWebSocketUpgrade(bytes)) {
      if (side !== this.clientSide && !this.info.sawSyn) {
        // The side sending the HTTP upgrade is the client.
        this.clientSide = side;
        const c = this.info.client;
        this.info.client = this.info.server;
        this.info.server = c;
        const cb = this.info.clientBytes;
        this.info.clientBytes = this.info.serverBytes;
        this.info.serverBytes = cb;
      }
      this.mode = 'ws';
      this.info.transport = 'ws';
      this.ws = new WebSocketTracker(this.clientSide, {
        message: (s, b, frames, firstFrame) => this.wsMessage(s, b, frames, firstFrame),
        warning: (m, frame) => this.opts.warning({ frame, message: `${this.describe()}: ${m}` }),
      });
      return;
    }
    this.mode = 'sip';
  }

  data(side: 0 | 1, bytes: Uint8Array, frame: number, timeUs: number): void {
    if (this.mode === 'undecided') this.decide(side, bytes);
    switch (this.mode) {
      case 'sip': {
        const cons = this.consumers[side];
        cons.framer ??= this.opts.framer();
        const msgs = cons.framer.push(bytes, frame, timeUs, this.opts.locate?.(bytes) ?? -1);
        for (let i = 0; i < msgs.length; i++) this.emit(side, msgs[i]!, false);
        break;
      }
      case 'tls':
        this.tls!.data(side === this.clientSide, bytes, frame, timeUs);
        break;
      case 'ws':
        this.ws!.data(side, bytes, frame);
        break;
      default:
        break;
    }
  }

  gap(side: 0 | 1, frame: number, missing: number): void {
    const name = this.sideName(side);
    this.info.gaps.push({ frame, side: name, bytes: missing });
    this.opts.warning({
      frame,
      message: `${this.describe()}: ${missing} bytes from the ${name} were never captured (lost segment); the stream resynchronises after the gap`,
    });
    switch (this.mode) {
      case 'sip':
        this.consumers[side].framer?.gap(frame, missing);
        break;
      case 'tls':
        this.tls!.gap(side === this.clientSide);
        break;
      case 'ws':
        this.ws!.gap(side);
        break;
      default:
        break;
    }
  }

  /** A framed message from the SIP framer; `final` when produced by end(). */
  emit(side: 0 | 1, m: FramedMessage, final: boolean): void {
    this.carriedSip = true;
    const frames = sortedUnique(m.frames);
    let frame = m.frame;
    let timeUs = m.timeUs;
    if (!final && this.curFrame > 0) {
      frame = this.curFrame;
      timeUs = this.curTimeUs;
      if (frames.length === 0 || frames[frames.length - 1]! < frame) frames.push(frame);
    } else if (frames.length > 0 && frames[frames.length - 1]! > frame) {
      // Flushed at the end across a gap: bytes of a later frame may sit before earlier ones in
      // sequence order. The message completes with the last frame that carried any of it.
      frame = frames[frames.length - 1]!;
    }
    const firstFrame = Math.min(m.firstFrame, frames[0] ?? m.firstFrame);
    const p: AppPayload = {
      frame,
      firstFrame,
      timeUs,
      src: this.endpoint(side),
      dst: this.endpoint(side === 0 ? 1 : 0),
      transport: this.info.transport as Transport,
      connection: this.id,
      encapsulation: this.encap,
      bytes: m.bytes,
      frames,
    };
    if (m.incomplete !== undefined) p.incomplete = m.incomplete;
    if (m.notes !== undefined && m.notes.length > 0) p.notes = m.notes;
    if (m.at !== undefined) p.at = m.at;
    this.opts.app(p);
  }

  private wsMessage(side: 0 | 1, bytes: Uint8Array, frames: number[], firstFrame: number): void {
    if (!this.opts.isSipStart(bytes)) return;
    this.carriedSip = true;
    const fr = sortedUnique(frames);
    let frame = fr[fr.length - 1] ?? this.curFrame;
    let timeUs = this.curTimeUs;
    if (this.curFrame > 0 && this.curFrame >= frame) frame = this.curFrame;
    else timeUs = this.info.lastTimeUs;
    if (fr.length === 0 || fr[fr.length - 1]! < frame) fr.push(frame);
    this.opts.app({
      frame,
      firstFrame: Math.min(firstFrame, fr[0] ?? firstFrame),
      timeUs,
      src: this.endpoint(side),
      dst: this.endpoint(side === 0 ? 1 : 0),
      transport: 'ws',
      connection: this.id,
      encapsulation: this.encap,
      bytes,
      frames: fr,
    });
  }

  close(side: 0 | 1, flag: 'fin' | 'rst', frame: number, timeUs: number): void {
    const sideName = this.sideName(side);
    const info = this.info;
    if (info.closeEvents.length < 16) info.closeEvents.push({ frame, timeUs, flag, side: sideName });
    if (info.closedFrame === null) {
      info.closedFrame = frame;
      info.closedTimeUs = timeUs;
      info.closedBy = flag;
      info.closedBySide = sideName;
    }
    this.tls?.closed(side === this.clientSide, flag, frame);
  }

  /** End of capture (or a new connection on the same 4-tuple): flush both directions. */
  finish(): void {
    this.curFrame = 0;
    for (const side of [0, 1] as const) {
      this.dirs[side].flush(this.info.lastFrame);
      if (this.mode === 'sip') {
        const f = this.consumers[side].framer;
        if (f) for (const m of f.end()) this.emit(side, m, true);
      }
    }
    this.tls?.end();
  }

  /** Whether the report lists it: carried SIP, or was toward a SIP port (incl. TLS). */
  reportable(): boolean {
    if (this.carriedSip || this.mode === 'tls') return true;
    return this.opts.sipPorts[this.info.server.port] === 1 && this.mode !== 'other';
  }
}

function fmt(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function sortedUnique(frames: readonly number[]): number[] {
  const out = frames.slice();
  let sorted = true;
  for (let i = 1; i < out.length; i++) {
    if (out[i]! <= out[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return out;
  out.sort((a, b) => a - b);
  let w = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[w - 1]) out[w++] = out[i]!;
  out.length = w;
  return out;
}

/** Connection table and dispatch of TCP segments. */
export class TcpTracker {
  private readonly flows = new Map<string, Flow>();
  private readonly conns: Connection[] = [];
  private nextId = 1;
  private last: Flow | null = null;
  /** IP pairs (either order) that have a tracked SIP/TLS/WS connection. */
  private readonly sipPeers = new Set<string>();
  /** Bytes of protected TLS records kept for decryption, all connections together. */
  private readonly tlsBudget: TlsRecordBudget = { remaining: MAX_TLS_RECORD_BYTES_TOTAL };

  constructor(private readonly opts: TcpTrackerOptions) {}

  /** One IP packet with protocol 6. */
  packet(p: IpPacket): void {
    const d = p.payload;
    if (d.length < 20) return;
    const sport = (d[0]! << 8) | d[1]!;
    const dport = (d[2]! << 8) | d[3]!;
    const seq = ((d[4]! << 24) | (d[5]! << 16) | (d[6]! << 8) | d[7]!) >>> 0;
    const ack = ((d[8]! << 24) | (d[9]! << 16) | (d[10]! << 8) | d[11]!) >>> 0;
    const hlen = (d[12]! >>> 4) * 4;
    const flags = d[13]!;
    const fin = (flags & 0x01) !== 0;
    const syn = (flags & 0x02) !== 0;
    const rst = (flags & 0x04) !== 0;
    const hasAck = (flags & 0x10) !== 0;
    if (hlen < 20 || hlen > d.length) {
      this.opts.warning({ frame: p.frame, message: `TCP header length ${hlen} is invalid (segment has ${d.length} bytes)` });
      return;
    }
    const payloadLen = d.length - hlen;

    // Find the flow (cached for consecutive packets of one flow).
    let flow = this.last;
    let side: 0 | 1;
    if (flow !== null && flow.port0 === sport && flow.port1 === dport && flow.ip0 === p.src && flow.ip1 === p.dst) side = 0;
    else if (flow !== null && flow.port1 === sport && flow.port0 === dport && flow.ip1 === p.src && flow.ip0 === p.dst) side = 1;
    else {
      const fwd = `${p.src}|${sport}|${p.dst}|${dport}`;
      flow = this.flows.get(fwd) ?? null;
      side = 0;
      if (flow === null) {
        flow = this.flows.get(`${p.dst}|${dport}|${p.src}|${sport}`) ?? null;
        side = 1;
      }
      if (flow === null) {
        flow = new Flow(p.src, sport, p.dst, dport, p.frame, p.timeUs);
        side = 0;
        this.flows.set(fwd, flow);
      }
    }
    // A SYN with another ISN on a known flow: a new connection on the same 4-tuple.
    if (syn && !hasAck) {
      const isn = side === 0 ? flow.isn0 : flow.isn1;
      if (isn >= 0 ? isn !== seq : flow.openedFrame !== p.frame) {
        if (flow.conn) flow.conn.finish();
        this.flows.delete(`${flow.ip0}|${flow.port0}|${flow.ip1}|${flow.port1}`);
        flow = new Flow(p.src, sport, p.dst, dport, p.frame, p.timeUs);
        side = 0;
        this.flows.set(`${p.src}|${sport}|${p.dst}|${dport}`, flow);
      }
    }
    this.last = flow;

    if (flow.state === FlowState.Ignored) {
      if (fin || rst) this.forget(flow);
      return;
    }

    if (syn) {
      if (side === 0) {
        if (flow.isn0 < 0) flow.isn0 = seq;
      } else if (flow.isn1 < 0) flow.isn1 = seq;
      if (!hasAck) {
        flow.synSide = side;
        if (!flow.sawSyn) {
          flow.sawSyn = true;
          flow.openedFrame = p.frame;
          flow.openedTimeUs = p.timeUs;
        }
      } else if (flow.synSide < 0) {
        flow.synSide = side === 0 ? 1 : 0; // SYN-ACK sent by the server
        if (!flow.sawSyn) flow.sawSyn = true;
      }
    }

    if (flow.state === FlowState.Undecided) {
      const sip = this.opts.sipPorts;
      if (sip[sport] === 1 || sip[dport] === 1) this.track(flow, p);
      else if (payloadLen > 0) {
        const view = d.subarray(hlen);
        if (this.opts.isSipStart(view) || looksLikeWebSocketUpgrade(view) || this.tlsBetweenSipPeers(flow, view, sport, dport)) this.track(flow, p);
        else {
          flow.state = FlowState.Ignored;
          if (fin || rst) this.forget(flow);
          return;
        }
      } else if (fin || rst) {
        this.forget(flow);
        return;
      } else return;
    }

    const conn = flow.conn!;
    conn.curFrame = p.frame;
    conn.curTimeUs = p.timeUs;
    conn.info.lastFrame = p.frame;
    conn.info.lastTimeUs = p.timeUs;
    conn.info.packets = conn.info.packets! + 1;
    if (side === conn.clientSide) conn.info.clientBytes = conn.info.clientBytes! + payloadLen;
    else conn.info.serverBytes = conn.info.serverBytes! + payloadLen;
    if (syn) {
      if (!conn.info.sawSyn && flow.sawSyn) {
        conn.info.sawSyn = true;
        conn.info.openedFrame = flow.openedFrame;
        conn.info.openedTimeUs = flow.openedTimeUs;
      }
      conn.dirs[side].setIsn(seq);
    }
    const dir = conn.dirs[side];
    const tick = ++conn.ticks;
    if (payloadLen > 0) dir.segment(syn ? (seq + 1) >>> 0 : seq, d.subarray(hlen), p.frame, p.timeUs);
    if (fin) dir.fin((seq + payloadLen + (syn ? 1 : 0)) >>> 0);
    if (hasAck && !rst) conn.dirs[side === 0 ? 1 : 0].acked(ack, tick, p.timeUs);
    conn.dirs[0].check(tick, p.timeUs, p.frame);
    conn.dirs[1].check(tick, p.timeUs, p.frame);
    if (fin || rst) {
      flow.closed = true;
      conn.close(side, rst ? 'rst' : 'fin', p.frame, p.timeUs);
    }
    conn.curFrame = 0;
  }

  /**
   * A TLS connection on a non-SIP port between two hosts that already talk SIP over TCP/TLS is
   * taken as SIP over TLS: that is how a misrouted in-dialog request shows up (a new connection
   * to the port in a Contact, field note 000). HTTPS (443) stays out.
   */
  private tlsBetweenSipPeers(flow: Flow, view: Uint8Array, sport: number, dport: number): boolean {
    if (sport === 443 || dport === 443 || looksLikeTlsRecord(view) === 0) return false;
    return this.sipPeers.has(peerKey(flow.ip0, flow.ip1));
  }

  /** Drop an untracked flow that closed (keeps the table small on busy captures). */
  private forget(flow: Flow): void {
    this.flows.delete(`${flow.ip0}|${flow.port0}|${flow.ip1}|${flow.port1}`);
    if (this.last === flow) this.last = null;
  }

  private track(flow: Flow, p: IpPacket): void {
    flow.state = FlowState.Tracked;
    let client: 0 | 1;
    if (flow.synSide >= 0) client = flow.synSide as 0 | 1;
    else {
      // No SYN seen: the endpoint on the SIP port is the server.
      const sip = this.opts.sipPorts;
      const s0 = sip[flow.port0] === 1;
      const s1 = sip[flow.port1] === 1;
      if (s1 && !s0) client = 0;
      else if (s0 && !s1) client = 1;
      else client = flow.port0 < flow.port1 ? 1 : 0;
    }
    const conn = new Connection(flow, this.nextId++, client, this.opts, this.tlsBudget);
    conn.encap = this.opts.encapsulation(p);
    conn.info.sawSyn = flow.sawSyn;
    if (flow.isn0 >= 0) conn.dirs[0].setIsn(flow.isn0);
    if (flow.isn1 >= 0) conn.dirs[1].setIsn(flow.isn1);
    flow.conn = conn;
    this.conns.push(conn);
    this.sipPeers.add(peerKey(flow.ip0, flow.ip1));
  }

  /** Flush every tracked connection (end of capture). */
  end(): void {
    for (const c of this.conns) c.finish();
  }

  connections(): ConnectionInfo[] {
    const out: ConnectionInfo[] = [];
    for (const c of this.conns) if (c.reportable()) out.push(c.info);
    return out;
  }

  /** TLS connections with what decryption needs (handshake values, protected records). */
  tlsSessions(): TlsSession[] {
    const out: TlsSession[] = [];
    for (const c of this.conns) {
      if (c.mode !== 'tls' || c.tls === null) continue;
      out.push({
        connection: c.id,
        client: c.info.client,
        server: c.info.server,
        encapsulation: c.encap,
        capture: c.tls.capture,
      });
    }
    return out;
  }
}

function peerKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
