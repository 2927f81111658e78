/**
 * Test helper for detector tests that need the capture layer: builds a classic pcap byte by byte
 * (Ethernet II + IPv4 + UDP/TCP/ICMP, via capture/testing/packets.ts) holding SIP over UDP, SIP
 * over TCP connections (RFC 9293 three-way handshake, FIN/RST), TLS handshake records
 * (RFC 8446 §5.1 record layer, §4.1.2 ClientHello), RTP (RFC 3550 §5.1 fixed header) and ICMP
 * destination unreachable (RFC 792) quoting the datagram it answers; then runs the whole engine
 * (`analyzeBytes`) on it. Times are seconds after t0; frames are numbered in the order added,
 * exactly as Wireshark would. Only for tests.
 */
import { analyzeBytes } from '../../engine/analyze.ts';
import type { Analysis } from '../../engine/analyze.ts';
import type { Finding, FindingKind } from '../../report/report.ts';
import { concat, ethTcp4, ethUdp4, ip4Packet, ipv4, pcapFile, text, u16, u32, udp } from '../../capture/testing/packets.ts';

const T0_US = Date.UTC(2024, 4, 1, 12, 0, 0) * 1000;
const LINKTYPE_ETHERNET = 1;

function split(e: string): { ip: string; port: number } {
  const i = e.lastIndexOf(':');
  return { ip: e.slice(0, i), port: Number(e.slice(i + 1)) };
}

/** Dedent a SIP message written in a template, CRLF line ends, Content-Length filled in. */
export function sipMsg(lines: string[], body = ''): string {
  const b = body === '' ? '' : `${body.split('\n').map((l) => l.trim()).filter((l) => l !== '').join('\r\n')}\r\n`;
  const head = [...lines];
  if (b !== '') head.push('Content-Type: application/sdp');
  head.push(`Content-Length: ${b.length}`);
  return `${head.join('\r\n')}\r\n\r\n${b}`;
}

/** A one-stream audio SDP at address:port. */
export function sdpBody(address: string, port: number): string {
  return `v=0\no=- 1 1 IN IP4 ${address}\ns=-\nc=IN IP4 ${address}\nt=0 0\nm=audio ${port} RTP/AVP 0\na=rtpmap:0 PCMU/8000`;
}

/** A TLS record: content type, legacy version 3.1 (as ClientHellos write it), length, body. */
function tlsRecord(type: number, body: Uint8Array): Uint8Array {
  return concat(new Uint8Array([type, 3, 1]), u16(body.length), body);
}
/** A handshake message: type, 24-bit length, body (RFC 8446 §4). */
function hsMsg(type: number, body: Uint8Array): Uint8Array {
  return concat(new Uint8Array([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body);
}

/** ClientHello offering TLS 1.2, optional SNI (RFC 6066 §3). */
export function clientHello(sni?: string): Uint8Array {
  const exts: Uint8Array[] = [];
  if (sni) {
    const name = text(sni);
    // server_name extension (0): list length, name_type 0 host_name, name length, name
    const data = concat(u16(name.length + 3), new Uint8Array([0]), u16(name.length), name);
    exts.push(concat(u16(0), u16(data.length), data));
  }
  const e = concat(...exts);
  return tlsRecord(
    22,
    hsMsg(
      1,
      concat(
        u16(0x0303), // legacy_version TLS 1.2
        new Uint8Array(32).fill(7), // random
        new Uint8Array([0]), // session id: empty
        u16(2), // cipher suites length
        u16(0xc02f), // ECDHE-RSA-AES128-GCM-SHA256
        new Uint8Array([1, 0]), // compression methods: null
        u16(e.length), // extensions length
        e,
      ),
    ),
  );
}

/** ServerHello choosing TLS 1.2. */
export function serverHello(): Uint8Array {
  return tlsRecord(
    22,
    hsMsg(
      2,
      concat(
        u16(0x0303), // legacy_version TLS 1.2
        new Uint8Array(32).fill(9), // random
        new Uint8Array([0]), // session id: empty
        u16(0xc02f), // chosen cipher suite
        new Uint8Array([0]), // compression: null
        u16(0), // no extensions
      ),
    ),
  );
}

/** ChangeCipherSpec record (content type 20, one byte 1). */
export function changeCipherSpec(): Uint8Array {
  return tlsRecord(20, new Uint8Array([1]));
}

/** An application_data record (content type 23) of `n` opaque bytes. */
export function appData(n = 64): Uint8Array {
  return tlsRecord(23, new Uint8Array(n).fill(0x5a));
}

/** RTP fixed header (V=2, no CSRC) + 160 bytes of PCMU. */
export function rtpPacket(seq: number, ssrc: number, pt = 0): Uint8Array {
  return concat(
    new Uint8Array([0x80, pt]), // V=2, P=0, X=0, CC=0; M=0, payload type
    u16(seq & 0xffff), // sequence number
    u32((seq * 160) >>> 0), // timestamp (8 kHz, 20 ms packets)
    u32(ssrc), // SSRC
    new Uint8Array(160).fill(0xff), // media (PCMU silence)
  );
}

/** One TCP connection's sequence state. */
export class TcpConn {
  private cseq = 1000;
  private sseq = 9000;
  constructor(
    private readonly cap: Capture,
    readonly client: string,
    readonly server: string,
  ) {}

  private seg(at: number, fromClient: boolean, flags: { syn?: boolean; ack?: boolean; fin?: boolean; rst?: boolean; psh?: boolean }, payload: Uint8Array = new Uint8Array(0)): void {
    const a = split(fromClient ? this.client : this.server);
    const b = split(fromClient ? this.server : this.client);
    const seq = fromClient ? this.cseq : this.sseq;
    const ack = fromClient ? this.sseq : this.cseq;
    this.cap.frame(at, ethTcp4({ src: a.ip, dst: b.ip, sport: a.port, dport: b.port, seq, ack: flags.syn && fromClient ? 0 : ack, flags, payload }));
    const len = payload.length + (flags.syn || flags.fin ? 1 : 0);
    if (fromClient) this.cseq += len;
    else this.sseq += len;
  }

  /** SYN, SYN-ACK, ACK. */
  open(at: number): this {
    this.seg(at, true, { syn: true });
    this.seg(at + 0.0001, false, { syn: true, ack: true });
    this.seg(at + 0.0002, true, { ack: true });
    return this;
  }
  /** Only a SYN (nobody answers). */
  synOnly(at: number): this {
    this.seg(at, true, { syn: true });
    return this;
  }
  /** Payload from the client (true) or the server (false), PSH+ACK. */
  send(at: number, fromClient: boolean, payload: Uint8Array | string): this {
    this.seg(at, fromClient, { ack: true, psh: true }, typeof payload === 'string' ? text(payload) : payload);
    return this;
  }
  fin(at: number, fromClient: boolean): this {
    this.seg(at, fromClient, { fin: true, ack: true });
    return this;
  }
  rst(at: number, fromClient: boolean): this {
    this.seg(at, fromClient, { rst: true, ack: true });
    return this;
  }
}

export class Capture {
  private readonly frames: Array<{ timeUs: number; data: Uint8Array }> = [];

  /** Frame number the next packet will get. */
  get next(): number {
    return this.frames.length + 1;
  }

  frame(at: number, data: Uint8Array): number {
    this.frames.push({ timeUs: T0_US + Math.round(at * 1e6), data });
    return this.frames.length;
  }

  /** A SIP message over UDP; returns its frame number. */
  udp(at: number, src: string, dst: string, message: string): number {
    const a = split(src);
    const b = split(dst);
    return this.frame(at, ethUdp4({ src: a.ip, dst: b.ip, sport: a.port, dport: b.port, payload: message }));
  }

  tcp(client: string, server: string): TcpConn {
    return new TcpConn(this, client, server);
  }

  /** `count` RTP packets every 20 ms from `at`, sequence numbers from `seq0`. Returns the first frame. */
  rtp(at: number, src: string, dst: string, ssrc: number, count: number, seq0 = 1): number {
    const a = split(src);
    const b = split(dst);
    const first = this.next;
    for (let i = 0; i < count; i++) this.frame(at + i * 0.02, ethUdp4({ src: a.ip, dst: b.ip, sport: a.port, dport: b.port, payload: rtpPacket(seq0 + i, ssrc) }));
    return first;
  }

  /** ICMP port unreachable from `reporter`, quoting the UDP datagram origSrc → origDst. */
  icmpPortUnreachable(at: number, reporter: string, origSrc: string, origDst: string): number {
    const a = split(origSrc);
    const b = split(origDst);
    const original = ipv4({ src: a.ip, dst: b.ip, protocol: 17, payload: udp({ sport: a.port, dport: b.port, payload: rtpPacket(1, 1) }) });
    const icmp = concat(
      new Uint8Array([3, 3]), // type 3 destination unreachable, code 3 port unreachable
      u16(0), // checksum (not verified)
      u32(0), // unused
      original.subarray(0, 28), // original IP header + first 8 bytes
    );
    return this.frame(at, ip4Packet({ src: reporter, dst: a.ip, protocol: 1, payload: icmp }));
  }

  bytes(): Uint8Array {
    return pcapFile(LINKTYPE_ETHERNET, this.frames);
  }

  analyze(): Promise<Analysis> {
    return analyzeBytes(this.bytes());
  }

  /** The findings of one kind after a full analysis. */
  async findings(kind: FindingKind): Promise<Finding[]> {
    const a = await this.analyze();
    return a.report.findings.filter((f) => f.kind === kind);
  }
}

/** Findings that would alarm an engineer (error or warning). */
export function alarms(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity !== 'info');
}
