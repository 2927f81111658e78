/**
 * Transport layer: turns IP packets into application payloads (SIP over UDP, TCP, TLS
 * metadata, WebSocket, SCTP, HEP), connection records, RTP/RTCP statistics and ICMP
 * unreachable errors.
 *
 * RFC 768 (UDP), RFC 9293 (TCP, see tcp.ts), RFC 8446 (TLS record layer, see tls.ts),
 * RFC 6455/7118 (WebSocket, websocket.ts), RFC 9260 (SCTP, sctp.ts), RFC 3550 (RTP,
 * rtp.ts), RFC 792/4443 (ICMP, icmp.ts), HEP v2/v3 (hep.ts). Keep-alives ignored per RFC 5626
 * §3.5.1 (CRLF ping/pong) and STUN (RFC 5389 §6) on SIP ports.
 *
 * The SIP layer is injected (`framer`, `isSipStart`); this module never imports src/sip.
 * Hot path: a UDP RTP packet is parsed in place (no subarray, no strings) and counted by
 * rtp.ts; only SIP-looking payloads are copied.
 */
import type {
  AppPayload,
  CaptureWarning,
  ConnectionInfo,
  IcmpUnreachable,
  IpPacket,
  RtpStreamStats,
  StreamFramerFactory,
  Transport,
} from './types.ts';
import { endpoint } from './types.ts';
import { RtpTracker } from './rtp.ts';
import type { RtpMap } from './rtp.ts';
import { TcpTracker } from './tcp.ts';
import type { TlsSession } from './tls.ts';
import { SctpDirection } from './sctp.ts';
import { decodeHep, isHep2, isHep3 } from './hep.ts';
import { decodeIcmpUnreachable } from './icmp.ts';

export interface TransportSink {
  app(p: AppPayload): void;
  warning(w: CaptureWarning): void;
}

export interface TransportOptions {
  /** SIP Content-Length framing for stream transports, injected by the engine. */
  framer: StreamFramerFactory;
  /** Cheap SIP start-line check, injected. */
  isSipStart: (bytes: Uint8Array, offset?: number) => boolean;
  /**
   * Where a view into the packet being decoded lies in the input, or -1 (the engine knows its
   * record): TCP payloads are framed into copies, which carry it on as AppPayload.at.
   */
  locate?: (bytes: Uint8Array) => number;
  /** Ports where SIP is expected (default 5060–5070, 5080, 5081). */
  sipPorts?: number[];
}

export const DEFAULT_SIP_PORTS: readonly number[] = [5060, 5061, 5062, 5063, 5064, 5065, 5066, 5067, 5068, 5069, 5070, 5080, 5081];
export const HEP_PORT = 9060;

/** Warnings about non-SIP payloads on SIP ports are said this many times, then summarised. */
const MAX_NOT_SIP_WARNINGS = 20;

function hexStart(d: Uint8Array, off: number, end: number): string {
  const parts: string[] = [];
  for (let i = off; i < end && i < off + 8; i++) parts.push(d[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ') + (end - off > 8 ? ' …' : '');
}

function transportOf(ipProtocol: number, port: number): Transport {
  if (ipProtocol === 6) return port === 5061 ? 'tls' : 'tcp';
  if (ipProtocol === 132) return 'sctp';
  return 'udp';
}

export class TransportDecoder {
  private readonly sipPortTable = new Uint8Array(65536);
  private readonly rtp = new RtpTracker();
  private readonly tcp: TcpTracker;
  private readonly sctp = new Map<string, SctpDirection>();
  private readonly icmpErrors: IcmpUnreachable[] = [];
  private notSipWarnings = 0;
  private notSipSuppressed = 0;
  private ended = false;
  private readonly isSipStart: (bytes: Uint8Array, offset?: number) => boolean;

  constructor(
    private readonly sink: TransportSink,
    options: TransportOptions,
  ) {
    for (const p of options.sipPorts ?? DEFAULT_SIP_PORTS) if (p > 0 && p < 65536) this.sipPortTable[p] = 1;
    this.isSipStart = options.isSipStart;
    this.tcp = new TcpTracker({
      app: (p) => sink.app(p),
      warning: (w) => sink.warning(w),
      framer: options.framer,
      isSipStart: options.isSipStart,
      ...(options.locate ? { locate: options.locate } : {}),
      sipPorts: this.sipPortTable,
      encapsulation: (p) => encapsulationOf(p, null),
    });
  }

  /** Hot path: every IP packet after link decoding and fragment reassembly. */
  packet(p: IpPacket): void {
    switch (p.protocol) {
      case 17:
        this.udp(p);
        break;
      case 6:
        this.tcp.packet(p);
        break;
      case 132:
        this.sctpPacket(p);
        break;
      case 1:
        if (p.version === 4) this.icmpPacket(p);
        break;
      case 58:
        if (p.version === 6) this.icmpPacket(p);
        break;
      default:
        break;
    }
  }

  /** SDP said RTP is expected at ip:port (RTCP at port+1). */
  announceMedia(ip: string, port: number, _protocol: 'rtp'): void {
    this.rtp.announce(ip, port);
  }

  /** The `a=rtpmap` lines of the media announced at ip:port: clock rates for RTP jitter, RFC 4733 events. */
  announceCodecs(ip: string | null, port: number, codecs: readonly RtpMap[]): void {
    this.rtp.announceCodecs(ip, port, codecs);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.tcp.end();
    if (this.notSipSuppressed > 0) {
      this.sink.warning({ message: `${this.notSipSuppressed} more non-SIP UDP payloads on SIP ports were not listed one by one` });
    }
  }

  connections(): ConnectionInfo[] {
    return this.tcp.connections();
  }

  /** TLS connections with their handshake values and protected records (for decryption). */
  tlsSessions(): TlsSession[] {
    return this.tcp.tlsSessions();
  }

  rtpStreams(): RtpStreamStats[] {
    return this.rtp.streams();
  }

  icmp(): IcmpUnreachable[] {
    return this.icmpErrors.slice();
  }

  private udp(p: IpPacket): void {
    // Hot path: RTP/RTCP read in place in the decoder's buffer, without a payload view.
    const buf = p.buf;
    if (buf !== undefined) {
      const s = p.start!;
      const e = p.end!;
      if (e - s >= 20 && (buf[s + 8]! & 0xc0) === 0x80) {
        const sport = (buf[s]! << 8) | buf[s + 1]!;
        const dport = (buf[s + 2]! << 8) | buf[s + 3]!;
        const ulen = (buf[s + 4]! << 8) | buf[s + 5]!;
        if (this.sipPortTable[sport] !== 1 && this.sipPortTable[dport] !== 1 && ulen >= 8 && ulen <= e - s) {
          this.rtp.packet(p.frame, p.timeUs, p.src, sport, p.dst, dport, buf, s + 8, s + ulen);
          return;
        }
      }
    }
    const d = p.payload;
    const n = d.length;
    if (n < 8) {
      this.sink.warning({ frame: p.frame, message: `UDP header cut short (${n} bytes)` });
      return;
    }
    const sport = (d[0]! << 8) | d[1]!;
    const dport = (d[2]! << 8) | d[3]!;
    const ulen = (d[4]! << 8) | d[5]!;
    let end = n;
    let cut = false;
    if (ulen >= 8 && ulen <= n) end = ulen;
    else if (ulen > n) cut = true;
    const off = 8;
    if (end <= off) return;
    const b0 = d[off]!;
    const sipPort = this.sipPortTable[sport] === 1 || this.sipPortTable[dport] === 1;

    // RTP/RTCP: version 2 in the top bits can never start a SIP line or HEP.
    if ((b0 & 0xc0) === 0x80) {
      if (!sipPort) {
        this.rtp.packet(p.frame, p.timeUs, p.src, sport, p.dst, dport, d, off, end);
        return;
      }
      // On a SIP port only SDP-announced media counts; other RTP-shaped datagrams are skipped quietly.
      if (this.rtp.announcedPorts[dport] === 1 || this.rtp.announcedPorts[sport] === 1) {
        if (this.rtp.packet(p.frame, p.timeUs, p.src, sport, p.dst, dport, d, off, end)) return;
      }
      if (end - off >= 12) return;
    }

    // HEP
    if (sport === HEP_PORT || dport === HEP_PORT || isHep3(d, off, end) || (b0 <= 2 && isHep2(d, off, end))) {
      if (this.hep(p, d, off, end, sport === HEP_PORT || dport === HEP_PORT)) return;
    }

    if (this.isSipStart(d, off)) {
      // A view, not a copy: the parser reads it during the callback and keeps text, not bytes.
      const bytes = d.subarray(off, end);
      const payload: AppPayload = {
        frame: p.frame,
        firstFrame: p.firstFrame,
        timeUs: p.timeUs,
        src: endpoint(p.src, sport),
        dst: endpoint(p.dst, dport),
        transport: 'udp',
        connection: null,
        encapsulation: encapsulationOf(p, null),
        bytes,
        frames: framesOf(p),
      };
      if (cut || p.truncated) payload.incomplete = 'packet cut short by the capture (snaplen)';
      this.sink.app(payload);
      return;
    }

    if (!sipPort) return;
    if (isKeepAlive(d, off, end)) return;
    if (this.notSipWarnings >= MAX_NOT_SIP_WARNINGS) {
      this.notSipSuppressed++;
      return;
    }
    this.notSipWarnings++;
    const port = this.sipPortTable[dport] === 1 ? dport : sport;
    this.sink.warning({
      frame: p.frame,
      message: `${end - off} bytes on UDP port ${port} are not SIP (starts ${hexStart(d, off, end)})`,
    });
  }

  /** Returns true when the datagram was HEP (whether or not it carried SIP). */
  private hep(p: IpPacket, d: Uint8Array, off: number, end: number, onHepPort: boolean): boolean {
    const h = decodeHep(d, off, end);
    if (h === null) {
      if (onHepPort && !this.isSipStart(d, off)) {
        this.sink.warning({ frame: p.frame, message: `UDP port ${HEP_PORT} payload is not HEP (starts ${hexStart(d, off, end)})` });
        return true;
      }
      return false;
    }
    if (h.problem !== null) this.sink.warning({ frame: p.frame, message: `${h.problem}` });
    if (h.payload === null || (h.protocolType !== null && h.protocolType !== 1)) return true;
    if (!this.isSipStart(h.payload)) {
      if (h.protocolType === 1) {
        this.sink.warning({
          frame: p.frame,
          message: `HEP packet says SIP but its ${h.payload.length}-byte payload does not start like SIP (starts ${hexStart(h.payload, 0, h.payload.length)})`,
        });
      }
      return true;
    }
    const ipv6 = h.family === 10;
    const payload: AppPayload = {
      frame: p.frame,
      firstFrame: p.firstFrame,
      timeUs: h.timeUs ?? p.timeUs,
      src: { ip: h.src || (ipv6 ? '::' : '0.0.0.0'), port: h.sport },
      dst: { ip: h.dst || (ipv6 ? '::' : '0.0.0.0'), port: h.dport },
      transport: transportOf(h.ipProtocol, h.dport === 5061 || h.sport === 5061 ? 5061 : h.dport),
      connection: null,
      encapsulation: encapsulationOf(p, 'hep'),
      bytes: h.payload,
      frames: framesOf(p),
    };
    if (h.problem !== null) payload.incomplete = h.problem;
    this.sink.app(payload);
    return true;
  }

  private sctpPacket(p: IpPacket): void {
    const d = p.payload;
    if (d.length < 12) {
      this.sink.warning({ frame: p.frame, message: `SCTP common header cut short (${d.length} bytes)` });
      return;
    }
    const sport = (d[0]! << 8) | d[1]!;
    const dport = (d[2]! << 8) | d[3]!;
    const key = `${p.src}|${sport}|${p.dst}|${dport}`;
    let dir = this.sctp.get(key);
    if (dir === undefined) {
      dir = new SctpDirection();
      this.sctp.set(key, dir);
    }
    dir.packet(
      d,
      0,
      d.length,
      p.frame,
      (bytes, firstFrame, frames) => {
        if (!this.isSipStart(bytes)) return;
        this.sink.app({
          frame: p.frame,
          firstFrame: Math.min(firstFrame, p.firstFrame),
          timeUs: p.timeUs,
          src: { ip: p.src, port: sport },
          dst: { ip: p.dst, port: dport },
          transport: 'sctp',
          connection: null,
          encapsulation: encapsulationOf(p, null),
          bytes,
          frames,
        });
      },
      (m) => this.sink.warning({ frame: p.frame, message: `${m}` }),
    );
  }

  private icmpPacket(p: IpPacket): void {
    const e = decodeIcmpUnreachable(p.version, p.frame, p.timeUs, p.src, p.payload);
    if (e !== null) this.icmpErrors.push(e);
  }
}

/** "erspan/gre/hep"-style encapsulation string, or null when there is none. */
function encapsulationOf(p: IpPacket, extra: string | null): string | null {
  if (p.tunnels.length === 0) return extra;
  const base = p.tunnels.join('/');
  return extra === null ? base : `${base}/${extra}`;
}

function framesOf(p: IpPacket): number[] {
  return p.firstFrame !== p.frame && p.firstFrame > 0 ? [p.firstFrame, p.frame] : [p.frame];
}

/** CRLF keep-alives (RFC 5626 §3.5.1), tiny (≤4-byte) keep-alives, and STUN (RFC 5389 §6). */
function isKeepAlive(d: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n <= 4) return true;
  let crlf = true;
  for (let i = off; i < end; i++) {
    const c = d[i]!;
    // CRLF pings (RFC 5626 §3.5.1) and the whitespace or NUL keep-alives some phones send.
    if (c !== 0x0d && c !== 0x0a && c !== 0x20 && c !== 0x09 && c !== 0x00) {
      crlf = false;
      break;
    }
  }
  if (crlf) return true;
  // STUN: first two bits 0, magic cookie 0x2112A442 at byte 4, length a multiple of 4
  if (n >= 20 && (d[off]! & 0xc0) === 0 && d[off + 4] === 0x21 && d[off + 5] === 0x12 && d[off + 6] === 0xa4 && d[off + 7] === 0x42) {
    return true;
  }
  return false;
}
