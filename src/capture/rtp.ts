/**
 * RTP/RTCP stream statistics without per-packet storage (RFC 3550 §5.1 header, §6.4 RTCP
 * SR/RR/SDES/BYE/APP; Appendix A.1 sequence-number bookkeeping with 16-bit wrap-around lives in
 * rtp-stats.ts).
 *
 * A stream is identified by SSRC + destination ip:port (+ RTP/RTCP kind); when the same SSRC
 * reaches the same destination from another source ip:port that is recorded as a source change
 * (typical of NAT rebinding or a media relay switching legs). Streams are recognised either
 * because the destination (or source) was announced in SDP, or heuristically: version 2, a
 * plausible payload type, and ≥3 packets of one SSRC with increasing sequence numbers
 * (RTCP: a valid compound structure seen twice). Unconfirmed candidates are kept cheaply and
 * dropped at the end.
 *
 * Quality (jitter, loss, duplicates, DTMF, per-second series) is kept per stream by
 * rtp-stats.ts, RTCP reports by rtcp.ts.
 *
 * Hot path: `packet()` allocates nothing for a packet of a known stream. Streams are found
 * through a per-destination-port cache of the last stream seen there, else through a Map keyed
 * by the SSRC number, with a chain for the rare SSRC collision.
 */
import type { Endpoint, RtpQualityStats, RtpStreamStats } from './types.ts';
import { PayloadTable, RtpQuality } from './rtp-stats.ts';
import { RtcpReports } from './rtcp.ts';

/** Packets a heuristic RTP candidate needs, with increasing sequence numbers. */
const RTP_CONFIRM = 3;
const RTCP_CONFIRM = 2;
/** A candidate that failed this many times to confirm is rejected for good. */
const MAX_PROBES = 12;
/** Upper bound on unconfirmed candidates, so random UDP cannot grow memory without end. */
const MAX_CANDIDATES = 20000;
const MAX_SOURCE_CHANGES = 100;

class RtpStream {
  /** Next stream with the same SSRC (collision chain). */
  chain: RtpStream | null = null;
  confirmed = false;
  rejected = false;
  probes = 0;
  probation = 0;
  recognisedBy: 'sdp' | 'heuristic' = 'heuristic';
  srcIp: string;
  srcPort: number;
  /** Current source (differs from srcIp/srcPort after a source change). */
  curIp: string;
  curPort: number;
  packets = 0;
  bytes = 0;
  firstFrame = 0;
  lastFrame = 0;
  firstTimeUs = 0;
  lastTimeUs = 0;
  sourceChanges: Array<{ frame: number; timeUs: number; from: Endpoint; to: Endpoint }> = [];
  sourceChangeCount = 0;
  readonly q = new RtpQuality();
  /** Clock rates / telephone-event PTs for this stream (set before the first reset). */
  table: PayloadTable;

  constructor(
    readonly ssrc: number,
    readonly kind: 'rtp' | 'rtcp',
    readonly payloadType: number,
    readonly dstIp: string,
    readonly dstPort: number,
    srcIp: string,
    srcPort: number,
    table: PayloadTable,
  ) {
    this.table = table;
    this.srcIp = srcIp;
    this.srcPort = srcPort;
    this.curIp = srcIp;
    this.curPort = srcPort;
  }

  /** Start (or restart) the counters with this packet. */
  reset(seq: number, len: number, frame: number, timeUs: number): void {
    this.q.reset(seq, timeUs, this.kind === 'rtp' && this.payloadType < 128 ? this.table.rate[this.payloadType]! : 0);
    this.packets = 1;
    this.bytes = len;
    this.firstFrame = frame;
    this.lastFrame = frame;
    this.firstTimeUs = timeUs;
    this.lastTimeUs = timeUs;
    this.probation = 1;
  }

  /** RFC 3550 A.3 cumulative loss (expected − received), shown as 0 when duplicates outnumber it. */
  lost(): number {
    if (this.kind === 'rtcp') return 0;
    return Math.max(0, this.q.lostRaw());
  }
}

/** Plausible heuristic RTP payload types: static 0–34, dynamic 96–127. */
function plausiblePt(pt: number): boolean {
  return pt <= 34 || pt >= 96;
}

/** Walks an RTCP compound packet; true when the sub-packet lengths add up exactly. */
export function validRtcp(d: Uint8Array, off: number, end: number): boolean {
  let o = off;
  let n = 0;
  while (o + 4 <= end) {
    if ((d[o]! & 0xc0) !== 0x80) return false;
    const pt = d[o + 1]!;
    if (pt < 192 || pt > 223) return false;
    const len = (((d[o + 2]! << 8) | d[o + 3]!) + 1) * 4;
    o += len;
    n++;
  }
  return n > 0 && o === end;
}

/** An SDP `a=rtpmap`: payload type → "NAME/RATE[/channels]". */
export interface RtpMap {
  readonly payload: number;
  readonly codec: string;
}

/** How many rtpmaps an address's list holds before it becomes its PayloadTable. */
const MERGED_RTPMAPS = 64;

/** The PayloadTable of rtpmap lists replayed in order (the last mapping of a payload type wins). */
function tableOf(...lists: ReadonlyArray<readonly RtpMap[]>): PayloadTable {
  const table = new PayloadTable();
  for (const list of lists) for (const e of list) table.map(e.payload, e.codec);
  return table;
}

/**
 * A value per address and port that SDP announced, kept by port: the port's slot holds the first
 * address announced there and its value; later addresses of the same port (phones of one make
 * announce the same ports) are a short list of address, value pairs beside it, a map by address
 * once there are more than PORT_PAIRS. A signalling capture announces tens of thousands of
 * address:port pairs: an "ip|port" key string and a hash entry for each (RTP, RTCP, rtpmaps) were
 * ~17 MB made while the bench's sip-dense file was read; now a slot, or the SDP's own address
 * string in a list.
 */
class ByAddressPort<T> {
  private readonly ips: Array<string | undefined> = new Array<string | undefined>(65536);
  private readonly values: Array<T | undefined> = new Array<T | undefined>(65536);
  /** The second and later addresses announced on a port: [ip, value, ip, value …], or a map by address. */
  private readonly more = new Map<number, Array<string | T> | Map<string, T>>();
  size = 0;

  get(ip: string, port: number): T | undefined {
    const first = this.ips[port];
    if (first === undefined) return undefined;
    if (first === ip) return this.values[port];
    const m = this.more.get(port);
    if (m === undefined) return undefined;
    if (m instanceof Map) return m.get(ip);
    for (let k = 0; k < m.length; k += 2) if (m[k] === ip) return m[k + 1] as T;
    return undefined;
  }

  set(ip: string, port: number, value: T): void {
    const first = this.ips[port];
    if (first === undefined) {
      this.ips[port] = ip;
      this.values[port] = value;
      this.size++;
      return;
    }
    if (first === ip) {
      this.values[port] = value;
      return;
    }
    const m = this.more.get(port);
    if (m === undefined) {
      this.more.set(port, [ip, value]);
      this.size++;
    } else if (m instanceof Map) {
      if (!m.has(ip)) this.size++;
      m.set(ip, value);
    } else {
      for (let k = 0; k < m.length; k += 2) {
        if (m[k] === ip) {
          m[k + 1] = value;
          return;
        }
      }
      this.size++;
      m.push(ip, value);
      if (m.length > PORT_PAIRS * 2) {
        const map = new Map<string, T>();
        for (let k = 0; k < m.length; k += 2) map.set(m[k] as string, m[k + 1] as T);
        this.more.set(port, map);
      }
    }
  }
}
/** Addresses of one port (after the first) kept as a list before a map. */
const PORT_PAIRS = 8;

export class RtpTracker {
  private readonly bySsrc = new Map<number, RtpStream>();
  private readonly all: RtpStream[] = [];
  /** Clock rates and telephone-event PTs, from RFC 3551 and the SDP rtpmaps announced so far. */
  readonly payloads = new PayloadTable();
  /**
   * Per announced "ip|port" (RTP port): the rtpmaps of the SDP that announced it, as a list until
   * a stream needs them, then as the PayloadTable built from that list (a table is 1.6 KB: built
   * for every SDP of a signalling-only capture it was most of the model's memory). The list is the
   * SDP summary's own (its entries shared by every body that repeats the line); a second
   * announcement of the address appends to a copy. Replayed in order, the last mapping of a
   * payload type wins, as `map()` overwrites.
   */
  private readonly tables = new ByAddressPort<PayloadTable | readonly RtpMap[]>();
  private readonly rtcp = new RtcpReports();
  private candidates = 0;
  /** Last stream hit per destination port: packets of a known stream skip the Map lookup. */
  private readonly byPort: Array<RtpStream | null> = new Array<RtpStream | null>(65536).fill(null);
  /** The addresses and ports announced in SDP (RTP port and port+1 for RTCP). */
  private readonly announced = new ByAddressPort<true>();
  /** Port prefilter for `announced`: 1 = some address announced this port. */
  readonly announcedPorts = new Uint8Array(65536);

  announce(ip: string, port: number): void {
    if (port <= 0 || port > 65535) return;
    this.announced.set(ip, port, true);
    this.announcedPorts[port] = 1;
    if (port < 65535) {
      this.announced.set(ip, port + 1, true);
      this.announcedPorts[port + 1] = 1;
    }
  }

  /**
   * An SDP `a=rtpmap` (payload type → "NAME/RATE") of the media announced at ip:port: clock
   * rates for jitter, RFC 4733 events. Like Wireshark, a stream uses the rtpmaps of the SDP that
   * announced its destination (else its source); streams nobody announced use every rtpmap seen.
   */
  announceCodecs(ip: string | null, port: number, codecs: readonly RtpMap[]): void {
    if (codecs.length === 0) return;
    for (const c of codecs) this.payloads.map(c.payload, c.codec);
    if (ip === null || port <= 0 || port > 65535) return;
    const t = this.tables.get(ip, port);
    if (t === undefined) this.tables.set(ip, port, codecs);
    else if (t instanceof PayloadTable) for (const c of codecs) t.map(c.payload, c.codec);
    // Announced again and again (re-INVITEs of a long call): the table, no longer a list.
    else if (t.length + codecs.length > MERGED_RTPMAPS) this.tables.set(ip, port, tableOf(t, codecs));
    else this.tables.set(ip, port, t.concat(codecs));
  }

  private tableFor(dst: string, dport: number, src: string, sport: number): PayloadTable {
    if (this.tables.size === 0) return this.payloads;
    return this.builtTable(dst, dport) ?? this.builtTable(src, sport) ?? this.payloads;
  }

  /** The table of an announced address, built from its rtpmaps in the order they were seen. */
  private builtTable(ip: string, port: number): PayloadTable | undefined {
    const t = this.tables.get(ip, port);
    if (t === undefined || t instanceof PayloadTable) return t;
    const built = tableOf(t);
    this.tables.set(ip, port, built);
    return built;
  }

  /** True when ip:port was announced in SDP (cheap when the port never was). */
  isAnnounced(ip: string, port: number): boolean {
    return this.announcedPorts[port] === 1 && this.announced.get(ip, port) === true;
  }

  /**
   * One UDP datagram whose payload starts at d[off] with version bits 2 (caller checked
   * `(d[off] & 0xc0) === 0x80`). Returns true when it was counted in a confirmed stream.
   */
  packet(
    frame: number,
    timeUs: number,
    src: string,
    sport: number,
    dst: string,
    dport: number,
    d: Uint8Array,
    off: number,
    end: number,
  ): boolean {
    const len = end - off;
    if (len < 8) return false;
    const b1 = d[off + 1]!;
    let kind: 'rtp' | 'rtcp';
    let ssrc: number;
    let seq = 0;
    if (b1 >= 200 && b1 <= 204) {
      kind = 'rtcp';
      ssrc = ((d[off + 4]! << 24) | (d[off + 5]! << 16) | (d[off + 6]! << 8) | d[off + 7]!) >>> 0;
    } else {
      if (len < 12) return false;
      kind = 'rtp';
      seq = (d[off + 2]! << 8) | d[off + 3]!;
      ssrc = ((d[off + 8]! << 24) | (d[off + 9]! << 16) | (d[off + 10]! << 8) | d[off + 11]!) >>> 0;
    }

    let sameDst: RtpStream | null = null;
    const last = this.byPort[dport] ?? null;
    let head: RtpStream | undefined;
    if (last !== null && last.ssrc === ssrc && last.dstPort === dport && last.kind === kind && last.dstIp === dst) {
      sameDst = last;
    }
    let s: RtpStream | null | undefined = sameDst === null ? (head = this.bySsrc.get(ssrc)) : null;
    while (s !== undefined && s !== null) {
      if (s.dstPort === dport && s.kind === kind && s.dstIp === dst) {
        sameDst = s;
        break;
      }
      s = s.chain;
    }

    if (sameDst === null) {
      // New stream (or candidate).
      if (!this.structureOk(kind, d, off, end)) return false;
      let recognised: 'sdp' | 'heuristic' = 'heuristic';
      if (this.isAnnounced(dst, dport) || this.isAnnounced(src, sport)) recognised = 'sdp';
      else {
        if (kind === 'rtp' && !plausiblePt(b1 & 0x7f)) return false;
        if (this.candidates >= MAX_CANDIDATES) return false;
        this.candidates++;
      }
      const st = new RtpStream(ssrc, kind, kind === 'rtp' ? b1 & 0x7f : b1, dst, dport, src, sport, this.payloads);
      st.recognisedBy = recognised;
      if (kind === 'rtp') st.table = this.tableFor(dst, dport, src, sport);
      st.reset(seq, len, frame, timeUs);
      this.quality(st, frame, timeUs, seq, b1, d, off, end);
      if (recognised === 'sdp') st.confirmed = true;
      if (head === undefined) this.bySsrc.set(ssrc, st);
      else {
        while (head.chain !== null) head = head.chain;
        head.chain = st;
      }
      this.all.push(st);
      this.byPort[dport] = st;
      return st.confirmed;
    }

    const st = sameDst;
    this.byPort[dport] = st;
    if (st.rejected) return false;

    if (!st.confirmed) {
      // Probation: the candidate must keep a valid structure and increasing sequence numbers.
      if (!this.structureOk(kind, d, off, end) || st.curPort !== sport || st.curIp !== src) {
        this.probeFailed(st, seq, len, frame, timeUs, d, off, end);
        return false;
      }
      if (kind === 'rtp') {
        const delta = (seq - (st.q.maxExt & 0xffff)) & 0xffff;
        if (delta === 0 || delta > 10) {
          this.probeFailed(st, seq, len, frame, timeUs, d, off, end);
          return false;
        }
      }
      this.quality(st, frame, timeUs, seq, b1, d, off, end);
      st.packets++;
      st.bytes += len;
      st.lastFrame = frame;
      st.lastTimeUs = timeUs;
      st.probation++;
      if (this.isAnnounced(dst, dport) || this.isAnnounced(src, sport)) st.recognisedBy = 'sdp';
      if (st.recognisedBy === 'sdp' || st.probation >= (kind === 'rtp' ? RTP_CONFIRM : RTCP_CONFIRM)) {
        st.confirmed = true;
        this.candidates--;
      }
      return st.confirmed;
    }

    // Confirmed stream: the hot path.
    if (st.curPort !== sport || st.curIp !== src) {
      st.sourceChangeCount++;
      if (st.sourceChanges.length < MAX_SOURCE_CHANGES) {
        st.sourceChanges.push({ frame, timeUs, from: { ip: st.curIp, port: st.curPort }, to: { ip: src, port: sport } });
      }
      st.curIp = src;
      st.curPort = sport;
    }
    st.packets++;
    st.bytes += len;
    st.lastFrame = frame;
    st.lastTimeUs = timeUs;
    this.quality(st, frame, timeUs, seq, b1, d, off, end);
    return true;
  }

  /** Quality counters for one packet already counted in `st` (RTP) or its reports (RTCP). */
  private quality(st: RtpStream, frame: number, timeUs: number, seq: number, b1: number, d: Uint8Array, off: number, end: number): void {
    if (st.kind === 'rtcp') {
      this.rtcp.packet(timeUs, d, off, end);
      return;
    }
    const ts = ((d[off + 4]! << 24) | (d[off + 5]! << 16) | (d[off + 6]! << 8) | d[off + 7]!) >>> 0;
    const pt = b1 & 0x7f;
    const table = st.table;
    st.q.packet(timeUs, seq, ts, pt, b1 >= 0x80, table.perMs[pt]!);
    if (table.event[pt] === 1) st.q.telephoneEvent(frame, timeUs, ts, table.eventRate[pt]!, d, off, end);
  }

  private structureOk(kind: 'rtp' | 'rtcp', d: Uint8Array, off: number, end: number): boolean {
    if (kind === 'rtcp') return validRtcp(d, off, end);
    const b0 = d[off]!;
    let hdr = 12 + (b0 & 0x0f) * 4;
    if (hdr > end - off) return false;
    if (b0 & 0x10) {
      if (hdr + 4 > end - off) return false;
      hdr += 4 + ((d[off + hdr + 2]! << 8) | d[off + hdr + 3]!) * 4;
      if (hdr > end - off) return false;
    }
    if (b0 & 0x20) {
      const pad = d[end - 1]!;
      if (pad === 0 || hdr + pad > end - off) return false;
    }
    return true;
  }

  private probeFailed(st: RtpStream, seq: number, len: number, frame: number, timeUs: number, d: Uint8Array, off: number, end: number): void {
    st.probes++;
    if (st.probes >= MAX_PROBES) {
      st.rejected = true;
      return;
    }
    st.reset(seq, len, frame, timeUs);
    if (st.kind === 'rtp') this.quality(st, frame, timeUs, seq, d[off + 1]!, d, off, end);
  }

  private qualityOf(s: RtpStream): RtpQualityStats {
    const q = s.q;
    const rtp = s.kind === 'rtp';
    const rep = rtp ? this.rtcp.bySource.get(s.ssrc) : undefined;
    return {
      expected: rtp ? q.expected() : 0,
      duplicates: q.duplicates,
      outOfOrder: q.outOfOrder,
      seqJumps: q.seqJumps,
      markers: q.markers,
      clockRate: q.clockRate,
      jitterMeanMs: rtp && q.jitterKnown ? q.jitterMean : null,
      jitterMaxMs: rtp && q.jitterKnown ? q.jitterMax : null,
      maxDeltaMs: q.maxDelta,
      driftMs: rtp ? q.driftMs() : null,
      dtmf: q.dtmf.slice(),
      rtcp: rep === undefined ? null : { fractionLost: rep.fractionLost, jitterTs: rep.jitterTs, rttMs: rep.rttMs },
      perSecond: q.perSecond(),
    };
  }

  /**
   * Confirmed streams, in order of first appearance. SDP read after the packets (SIP over TLS is
   * decrypted once the pass is over) still counts: a stream on an address announced by then is
   * labelled 'sdp', and one still on probation there is taken too.
   */
  streams(): RtpStreamStats[] {
    const out: RtpStreamStats[] = [];
    for (const s of this.all) {
      const announced = this.isAnnounced(s.dstIp, s.dstPort) || this.isAnnounced(s.srcIp, s.srcPort);
      if (!s.confirmed && (!announced || s.rejected)) continue;
      const recognisedBy = announced ? 'sdp' : s.recognisedBy;
      out.push({
        ssrc: s.ssrc,
        src: { ip: s.srcIp, port: s.srcPort },
        dst: { ip: s.dstIp, port: s.dstPort },
        payloadType: s.payloadType,
        kind: s.kind,
        packets: s.packets,
        bytes: s.bytes,
        firstFrame: s.firstFrame,
        lastFrame: s.lastFrame,
        firstTimeUs: s.firstTimeUs,
        lastTimeUs: s.lastTimeUs,
        lost: s.lost(),
        sequenceGaps: s.kind === 'rtp' ? s.q.sequenceGaps : 0,
        sourceChanges: s.sourceChanges.slice(),
        recognisedBy,
        quality: this.qualityOf(s),
      });
    }
    return out;
  }
}
