/**
 * Types shared by the capture layer: container records (pcap/pcapng) → link/IP packets →
 * transport events (UDP datagrams, reassembled TCP byte streams, TLS metadata, ICMP errors,
 * RTP statistics). This layer knows nothing about SIP: stream framing is injected by the
 * engine (see `StreamFramerFactory`).
 *
 * Hot-path rule: objects handed to a sink callback (records, packets, their `data`/`payload`
 * views) are only valid during that callback. A consumer that keeps bytes copies them
 * (`bytes.slice()`), because readers reuse their buffers.
 */

import { PairCache } from './cache.ts';

/** A problem found in the input, said in plain words, with where it was. */
export interface CaptureWarning {
  frame?: number;
  offset?: number;
  message: string;
}

/** One packet record of the container, numbered exactly as Wireshark numbers frames. */
export interface PacketRecord {
  /** 1-based index of the packet record in the file (Wireshark's frame.number). */
  frame: number;
  /** Microseconds since the Unix epoch. */
  timeUs: number;
  /** LINKTYPE_* of the interface the packet was captured on. */
  linkType: number;
  /** Captured bytes (a view; valid only during the callback). */
  data: Uint8Array;
  /** Length of the packet on the wire (≥ data.length when snaplen cut it). */
  origLen: number;
  /** Offset of this record's header (pcap) or block (pcapng) in the decompressed stream. */
  fileOffset: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  /**
   * Offset of data[0] in the decompressed stream, when the reader knows it (the file offset for an
   * uncompressed file): a SIP message that lies whole in one record can be read again from there.
   */
  dataOffset?: number;
  /**
   * Where `data` lives, when the reader can say so without making a view: data is
   * buf[start, end). The network decoder's hot path reads these and never builds `data`.
   */
  buf?: Uint8Array;
  start?: number;
  end?: number;
}

export type ContainerFormat = 'pcap' | 'pcapng';

/** Receives what a container reader finds. */
export interface ContainerSink {
  packet(record: PacketRecord): void;
  warning(warning: CaptureWarning): void;
  /** pcapng Decryption Secrets Block (kept for a later TLS-decryption step). */
  secrets?(secretsType: number, data: Uint8Array): void;
}

/** Streaming container reader: push bytes as they arrive, then end(). */
export interface ContainerReader {
  readonly format: ContainerFormat;
  push(chunk: Uint8Array): void;
  /** No more bytes: reports a truncated trailing record as a warning. */
  end(): void;
  /** Link types of all interfaces seen so far, in order of first appearance, deduplicated. */
  linkTypes(): number[];
}

/** An IPv4/IPv6 packet after link-layer decoding and fragment reassembly. */
export interface IpPacket {
  frame: number;
  timeUs: number;
  version: 4 | 6;
  /** Textual addresses: dotted quad, or RFC 5952 compressed IPv6 (no brackets). */
  src: string;
  dst: string;
  /** Upper-layer protocol after IPv6 extension headers (6 TCP, 17 UDP, 132 SCTP, 1/58 ICMP). */
  protocol: number;
  /** Upper-layer bytes (a view, valid during the callback; a reassembled datagram is a copy). */
  payload: Uint8Array;
  /** True when the capture holds fewer bytes than the IP header says (snaplen cut). */
  truncated: boolean;
  /** First frame of a reassembled datagram (== frame when not fragmented). */
  firstFrame: number;
  /** Outer encapsulations crossed, outermost first, e.g. ["gre"], ["erspan"], ["ipip"]; [] when none. */
  tunnels: readonly string[];
  fileOffset: number;
  /** Where `payload` lives, when the decoder can say so without making a view: buf[start, end). */
  buf?: Uint8Array;
  start?: number;
  end?: number;
}

export interface Endpoint {
  ip: string;
  port: number;
}

/** "ip:port", IPv6 as "[addr]:port" (the report's notation). */
export function endpointKey(e: Endpoint): string {
  // One string per endpoint however many messages name it: the report, the model and the
  // detectors ask for the same few keys hundreds of thousands of times. A shared endpoint
  // (`endpoint`) carries its key; another is looked up.
  return e instanceof SharedEndpoint ? e.key : endpointKeys.get(e.ip, e.port);
}
const endpointKeys = new PairCache<string, number, string>((ip, port) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`));

/**
 * An endpoint made by `endpoint`, with its key. A class instance, but `ip` and `port` are its only
 * own properties (the key is a private field): JSON, a structured clone and a spread give
 * `{ ip, port }`, and `endpointKey` looks the key up for those copies.
 */
class SharedEndpoint implements Endpoint {
  readonly #key: string;
  constructor(
    readonly ip: string,
    readonly port: number,
  ) {
    this.#key = endpointKeys.get(ip, port);
  }
  get key(): string {
    return this.#key;
  }
}

/**
 * One Endpoint object per address and port: a capture names the same few endpoints on every
 * message, and the kept messages would otherwise hold two fresh objects each. Treat endpoints as
 * immutable (nothing writes to them).
 */
export function endpoint(ip: string, port: number): Endpoint {
  return endpoints.get(ip, port);
}
const endpoints = new PairCache<string, number, Endpoint>((ip, port) => new SharedEndpoint(ip, port));

export type Transport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'sctp';

/**
 * One application message handed to the SIP layer: a UDP/SCTP payload, one framed message of a
 * TCP/TLS/WebSocket stream, or the SIP inside a HEP packet (with HEP's addresses).
 */
export interface AppPayload {
  /** Frame where the message completes (Wireshark's convention). */
  frame: number;
  /** Frame where its first byte was seen. */
  firstFrame: number;
  timeUs: number;
  src: Endpoint;
  dst: Endpoint;
  transport: Transport;
  /** Connection id (TCP/TLS/WS), or null. */
  connection: number | null;
  /** null, or "hep", "erspan", "gre", "ipip", "websocket"… outermost first, joined by "/". */
  encapsulation: string | null;
  /**
   * The message bytes. A UDP datagram's are a view into the reader's buffer, valid only during
   * the `app` callback (copy them to keep them); stream-framed messages own theirs.
   */
  bytes: Uint8Array;
  /** Set when the stream had a gap or the packet was cut, so the message may be incomplete. */
  incomplete?: string;
  /** The frames whose bytes make up this message (for pcap export), ascending. */
  frames: number[];
  /** What the stream framer noticed about this message (resync, missing Content-Length …). */
  notes?: string[];
  /**
   * Where `bytes` are in the input, for stream-framed bytes that were one segment's (the framer
   * copies them); a view into the reader's buffer says it by itself (TransportOptions.locate).
   */
  at?: number;
}

/**
 * Splits a reassembled byte stream (one direction of a TCP connection, or the payload of a
 * WebSocket) into application messages. The SIP layer supplies it (Content-Length framing);
 * the capture layer only feeds it bytes in order.
 */
export interface StreamFramer {
  /**
   * In-order bytes that arrived in `frame`. Returns complete messages (possibly none). `at`: where
   * bytes[0] is in the input, when they are there as they are (a segment's payload), else -1.
   */
  push(bytes: Uint8Array, frame: number, timeUs: number, at?: number): FramedMessage[];
  /** A gap in the stream (lost segment): the framer drops partial state and resynchronises. */
  gap(frame: number, missingBytes: number): void;
  /** End of stream: whatever is buffered, as an incomplete message if it looks like one. */
  end(): FramedMessage[];
}
export interface FramedMessage {
  bytes: Uint8Array;
  frame: number;
  firstFrame: number;
  timeUs: number;
  frames: number[];
  incomplete?: string;
  /** Framing oddities of a complete message, in plain words (e.g. "no Content-Length on a stream: taken as 0"). Optional; added by the SIP framer. */
  notes?: string[];
  /** Where the message is in the input, when it lies whole in bytes pushed with their `at` (one segment). */
  at?: number;
}
export type StreamFramerFactory = () => StreamFramer;

/** TLS handshake metadata read from the record layer (no decryption). */
export interface TlsInfo {
  /** SNI from the ClientHello, or null when the ClientHello had none. */
  sni: string | null;
  /** Versions the client offered (supported_versions, else legacy_version), e.g. ["TLS 1.3","TLS 1.2"]. */
  offeredVersions: string[];
  /** Version the server chose (ServerHello supported_versions, else legacy), or null. */
  version: string | null;
  clientHelloFrame: number | null;
  serverHelloFrame: number | null;
  /** "complete" (both sides sent ChangeCipherSpec/Finished or app data flowed), "failed" (alert or RST/FIN before it completed), "partial" (capture ended mid-handshake), "none" (no handshake seen). */
  handshake: 'complete' | 'failed' | 'partial' | 'none';
  /** First alert seen: e.g. "fatal handshake_failure (40) from server", or null. Encrypted alerts read "encrypted alert from client". */
  alert: string | null;
  alertFrame: number | null;
}

/** A TCP connection as the report shows it (SIP, TLS or WebSocket toward a SIP port). */
export interface ConnectionInfo {
  id: number;
  transport: 'tcp' | 'tls' | 'ws' | 'wss';
  client: Endpoint;
  server: Endpoint;
  /** SYN frame, or the first frame seen when the capture started mid-connection. */
  openedFrame: number;
  openedTimeUs: number;
  /** True when the SYN was captured. */
  sawSyn: boolean;
  closedFrame: number | null;
  closedTimeUs: number | null;
  closedBy: 'fin' | 'rst' | null;
  /** Which side sent the first FIN/RST. */
  closedBySide: 'client' | 'server' | null;
  /** Every FIN/RST seen, in order. */
  closeEvents: Array<{ frame: number; timeUs: number; flag: 'fin' | 'rst'; side: 'client' | 'server' }>;
  tls: TlsInfo | null;
  /** Frames of the SIP messages it carried (filled by the engine). */
  messageFrames: number[];
  /** Gaps (lost segments) seen, per direction. */
  gaps: Array<{ frame: number; side: 'client' | 'server'; bytes: number }>;
  lastFrame: number;
  lastTimeUs: number;
  /** TCP segments seen on the connection once it was tracked (both directions). */
  packets?: number;
  /** TCP payload bytes sent by the client / by the server (retransmitted bytes count again). */
  clientBytes?: number;
  serverBytes?: number;
}

/** RTP/RTCP per-stream counters: never packet by packet. */
export interface RtpStreamStats {
  ssrc: number;
  src: Endpoint;
  dst: Endpoint;
  /** Payload type of the first packet; RTCP streams report 'rtcp' in `kind`. */
  payloadType: number;
  kind: 'rtp' | 'rtcp';
  packets: number;
  bytes: number;
  firstFrame: number;
  lastFrame: number;
  firstTimeUs: number;
  lastTimeUs: number;
  /** Packets missing according to the sequence numbers (RTP only). */
  lost: number;
  /** Sequence discontinuities (jumps other than +1), RTP only. */
  sequenceGaps: number;
  /** Times this SSRC appeared from a different source address:port toward the same destination. */
  sourceChanges: Array<{ frame: number; timeUs: number; from: Endpoint; to: Endpoint }>;
  /** How it was recognised: announced in SDP, or by the heuristic. */
  recognisedBy: 'sdp' | 'heuristic';
  /** Media quality counters (rtp-stats.ts); absent only on stats built by hand. */
  quality?: RtpQualityStats;
}

/** An RFC 4733 telephone-event (DTMF digit) in an RTP stream. */
export interface RtpDtmfEvent {
  /** "0"–"9", "*", "#", "A"–"D", "flash", or "event N". */
  digit: string;
  /** Frame of the event's first packet. */
  frame: number;
  timeUs: number;
  /** Longest duration the event's packets announced, in ms. */
  durationMs: number;
}

/** RTP quality of one stream (RFC 3550 A.3/A.8, RFC 4733, RTCP reports); see rtp-stats.ts. */
export interface RtpQualityStats {
  /** RFC 3550 A.3 expected packets (highest − base + 1, over sequence restarts). */
  expected: number;
  duplicates: number;
  outOfOrder: number;
  /** Forward sequence gaps plus sender restarts. */
  seqJumps: number;
  markers: number;
  /** Clock rate used for the stream's first payload type (0: unknown). */
  clockRate: number;
  /** Interarrival jitter (ms), Wireshark-compatible; null without a clock rate. */
  jitterMeanMs: number | null;
  jitterMaxMs: number | null;
  /** Largest gap between consecutive regular packets (ms). */
  maxDeltaMs: number;
  /** Arrival time elapsed − RTP clock elapsed (ms); null without a clock rate. */
  driftMs: number | null;
  dtmf: RtpDtmfEvent[];
  /** What RTCP report blocks about this SSRC said (jitter in timestamp units). */
  rtcp: { fractionLost: number; jitterTs: number; rttMs: number | null } | null;
  /** Per-second series from `startUs` (µs since the epoch of second 0). */
  perSecond: { startUs: number; packets: number[]; lost: number[]; jitterMs: number[] };
}

/** ICMP/ICMPv6 destination unreachable, tied to the flow of the packet it answers. */
export interface IcmpUnreachable {
  frame: number;
  timeUs: number;
  /** Who sent the ICMP error. */
  reporter: string;
  /** ICMP type/code in words, e.g. "port unreachable". */
  reason: string;
  type: number;
  code: number;
  /** The original datagram's flow (from the embedded header). */
  original: { protocol: number; src: Endpoint; dst: Endpoint };
}
