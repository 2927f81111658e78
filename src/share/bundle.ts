/**
 * The share bundle: the selected calls' own packets as a small pcapng, plus the view state
 * rewritten to point into it. This is what a share link carries and what "Download" saves.
 *
 * What goes in:
 * - SIP: every message of the selected calls. Not anonymised: the original frames, byte for
 *   byte (and, for TCP, the connection's SYN/FIN/RST and empty segments, the TLS handshake
 *   frames). Anonymised: each message re-encoded from its text after rewriting, as its own
 *   Ethernet/IP/UDP datagram, or for a TCP connection as segment(s) of a synthetic TCP stream
 *   per connection (ISNs fixed, direction, connection and order preserved, the 3-way handshake
 *   when the original had a SYN, FIN/RST where the original closed; checksums computed). HEP
 *   and tunnels are unwrapped (the inner addresses travel); SIP over WebSocket and SCTP become
 *   plain TCP and UDP (the link says so in its notes).
 * - RTP: statistics per stream in the view state; as packets only a skeleton — the first and
 *   last few packets of each stream and the packets around each source change, as bare RTP
 *   headers (payload removed, sequence numbers made consecutive) so the re-analysis still sees
 *   which streams flowed, and where. With `rtpPackets`, every packet of the streams, payload
 *   included.
 * - ICMP destination-unreachable messages about the calls' addresses (re-encoded when
 *   anonymised).
 * Notes become pcapng packet comments (Wireshark's frame.comment); the view state (without the
 * packets) goes into the Section Header Block comment, so the file alone restores the view.
 */
import type { CapturedMessage } from '../sip/types.ts';
import { framesOf } from '../sip/types.ts';
import type { PacketRecord } from '../capture/types.ts';
import { endpointKey } from '../capture/types.ts';
import { decodePacket } from '../capture/decode.ts';
import { writePcapng } from '../capture/write.ts';
import type { WritablePacket } from '../capture/write.ts';
import type { Report, ReportConnection, ReportRtpStream } from '../report/report.ts';
import { Anonymiser } from './anonymise.ts';
import type { Replacement } from './anonymise.ts';
import {
  icmpUnreachableFrame,
  LINKTYPE_ETHERNET,
  splitEndpoint,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  tcpFrame,
  udpFrame,
} from './packets.ts';
import type { Scan } from './scan.ts';
import { defaultSharedView, SHARE_VERSION, writeSharedView } from './view.ts';
import type { SharedNote, SharedOverlays, SharedTimeMode, SharedView } from './view.ts';

/** What the user is looking at (structurally the app's ViewState; message ids are indices). */
export interface ViewInput {
  selectedCalls: string[];
  selectedMessage: number | null;
  hosts: { names: Record<string, string>; groups: string[][]; splitPorts: string[]; order: string[]; detached?: string[] };
  timeMode: SharedTimeMode;
  overlays: SharedOverlays;
  unfolded: number[];
  /** Notes by message index. */
  annotations: Record<number, string>;
  /** Notes on findings, keyed "kind@frame" with the finding's first evidence frame (original numbering). */
  findingNotes?: Record<string, string>;
}

export interface BundleOptions {
  /** Rewrite addresses, numbers, names (default on in the dialog). */
  anonymise: boolean;
  /** Also rewrite Call-IDs and tags. */
  callIds: boolean;
  /** Carry every RTP packet (with payload) instead of statistics and a header-only skeleton. */
  rtpPackets: boolean;
  /** Name of the shared file. */
  name?: string;
  /** HMAC key (tests only; a random one per share otherwise). */
  key?: Uint8Array;
}

export interface BundleSource {
  report: Report;
  messages: ReadonlyArray<Pick<CapturedMessage, 'index' | 'frame' | 'frames' | 'timeUs' | 'src' | 'dst' | 'transport' | 'connection' | 'raw'>>;
  /** Reads the original capture again. */
  scan: Scan;
}

export interface Bundle {
  /** pcapng: notes as packet comments, the view state in the section comment. */
  capture: Uint8Array;
  view: SharedView;
  /** What the anonymiser replaced (empty when not anonymised), for the preview. */
  replacements: Replacement[];
  /** The SIP text exactly as shared, by frame in the shared capture (first 200 messages). */
  preview: Array<{ frame: number; text: string }>;
  packets: number;
  /** What the bundle leaves out or changes, in plain words. */
  notes: string[];
}

interface OutPacket {
  /** Original frame this packet stands for (sort key), and order among packets of one anchor. */
  anchor: number;
  sub: number;
  packet: WritablePacket;
  /** Index of the SIP message it carries (the last packet of a message is its frame). */
  message?: number;
}

interface RtpKept {
  frame: number;
  timeUs: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** RTP header (fixed 12 bytes + CSRCs), or the whole payload when rtpPackets. */
  bytes: Uint8Array;
  linkType: number;
  raw: Uint8Array | null;
}

/** Packets kept at each end of a stream: enough for detectors that want a real stream (≥ 50 packets). */
const SKELETON_EDGE = 30;
const SEGMENT = 1400;
const latin1 = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 255;
  return out;
};

/** "2024-05-01T12:00:00.123456Z" → µs since the epoch. */
function isoToUs(iso: string): number {
  const ms = Date.parse(iso);
  const micros = /\.\d{3}(\d{3})Z$/.exec(iso)?.[1];
  return Number.isFinite(ms) ? ms * 1000 + (micros ? Number(micros) : 0) : 0;
}

function endpointOf(key: string): { ip: string; port: number } | null {
  return splitEndpoint(key);
}

/** RTP statistics picker for one stream: first/last packets and each source change. */
class SkeletonPicker {
  first: RtpKept[] = [];
  tail: RtpKept[] = [];
  changes: RtpKept[] = [];
  private lastSrc = '';
  private afterChange = 0;
  constructor(readonly stream: ReportRtpStream) {}
  push(k: RtpKept): void {
    const src = `${k.src}|${k.sport}`;
    if (this.first.length < SKELETON_EDGE) this.first.push(k);
    else if (this.lastSrc !== '' && src !== this.lastSrc) {
      this.changes.push(...this.tail.slice(-1), k);
      this.afterChange = 2;
    } else if (this.afterChange > 0) {
      this.changes.push(k);
      this.afterChange--;
    }
    this.lastSrc = src;
    this.tail.push(k);
    if (this.tail.length > SKELETON_EDGE) this.tail.shift();
  }
  packets(): RtpKept[] {
    const byFrame = new Map<number, RtpKept>();
    for (const k of [...this.first, ...this.changes, ...this.tail]) byFrame.set(k.frame, k);
    return [...byFrame.values()].sort((a, b) => a.frame - b.frame);
  }
}

function withSectionComment(pcapng: Uint8Array, comment: string, app = 'sipladder'): Uint8Array {
  const oldLen = new DataView(pcapng.buffer, pcapng.byteOffset).getUint32(4, true);
  const enc = new TextEncoder();
  let c = enc.encode(comment);
  // An option holds at most 65,535 bytes; a view that big travels only in the link.
  if (c.length > 65532) c = enc.encode('sipladder share view: too large for a pcapng comment');
  const a = enc.encode(app);
  const pad = (n: number): number => (n + 3) & ~3;
  const len = 24 + 4 + pad(c.length) + 4 + pad(a.length) + 4 + 4;
  const shb = new Uint8Array(len);
  const v = new DataView(shb.buffer);
  v.setUint32(0, 0x0a0d0d0a, true); // block type SHB
  v.setUint32(4, len, true); // block total length
  v.setUint32(8, 0x1a2b3c4d, true); // byte-order magic
  v.setUint16(12, 1, true); // major version
  v.setUint16(14, 0, true); // minor version
  v.setInt32(16, -1, true); // section length: unknown
  v.setInt32(20, -1, true);
  let o = 24;
  v.setUint16(o, 1, true); // opt_comment
  v.setUint16(o + 2, c.length, true);
  shb.set(c, o + 4);
  o += 4 + pad(c.length);
  v.setUint16(o, 4, true); // shb_userappl
  v.setUint16(o + 2, a.length, true);
  shb.set(a, o + 4);
  // opt_endofopt: 4 zero bytes, then the trailing block length
  v.setUint32(len - 4, len, true);
  const out = new Uint8Array(len + pcapng.length - oldLen);
  out.set(shb, 0);
  out.set(pcapng.subarray(oldLen), len);
  return out;
}

/** Prefix of the section comment that carries the view state. */
export const SECTION_COMMENT_PREFIX = 'sipladder share view: #';

export async function buildBundle(src: BundleSource, input: ViewInput, options: BundleOptions): Promise<Bundle> {
  const { report } = src;
  const notes: string[] = [];
  const callSet = new Set(input.selectedCalls.length ? input.selectedCalls : report.calls.map((c) => c.callId));
  const pair = (a: string, b: string): string => [endpointOf(a)?.ip ?? a, endpointOf(b)?.ip ?? b].sort().join('|');
  const ofCalls = report.messages.filter((m) => m.callId !== null && callSet.has(m.callId));
  const pairs = new Set(ofCalls.map((m) => pair(m.src, m.dst)));
  // Messages without a readable Call-ID (malformed) go along when they travelled between the
  // same hosts as the calls' messages: they may be the very evidence of a finding.
  const chosen = report.messages.filter((m) => (m.callId !== null ? callSet.has(m.callId) : pairs.has(pair(m.src, m.dst))));
  const chosenIdx = new Set(chosen.map((m) => m.index));
  const msgs = src.messages.filter((m) => chosenIdx.has(m.index));
  const chosenFrames = new Set(chosen.flatMap((m) => m.frames));
  const connIds = new Set(msgs.map((m) => m.connection).filter((c): c is number => c !== null));
  const conns: ReportConnection[] = report.connections.filter((c) => connIds.has(c.id));
  const streams = report.rtpStreams.filter((s) => s.callId !== null && callSet.has(s.callId));
  const endpoints = new Set<string>();
  for (const m of chosen) endpoints.add(m.src).add(m.dst);
  for (const s of streams) endpoints.add(s.src).add(s.dst);
  const ipOfKey = (k: string): string => endpointOf(k)?.ip ?? k;
  const ips = new Set([...endpoints].map(ipOfKey));
  const icmp = report.icmp.filter((i) => endpoints.has(i.original.src) || endpoints.has(i.original.dst) || (ips.has(ipOfKey(i.original.src)) && ips.has(ipOfKey(i.original.dst))));

  // --- Read the original capture once: raw frames, control-packet times, RTP packets. ---
  const rawWanted = new Set<number>();
  const timeWanted = new Set<number>();
  if (!options.anonymise) {
    for (const m of msgs) for (const f of framesOf(m)) rawWanted.add(f);
    for (const c of conns) {
      rawWanted.add(c.openedFrame);
      for (const e of c.closeEvents) rawWanted.add(e.frame);
      for (const f of [c.tls?.clientHelloFrame, c.tls?.serverHelloFrame, c.tls?.alertFrame]) if (f != null) rawWanted.add(f);
    }
    for (const i of icmp) rawWanted.add(i.frame);
  } else {
    for (const c of conns) {
      timeWanted.add(c.openedFrame);
      for (const e of c.closeEvents) timeWanted.add(e.frame);
    }
  }
  // Frames of a selected connection travel too (handshakes, WebSocket upgrade, FIN/RST, bare
  // ACKs), except those that only carry other calls' messages.
  const otherFrames = new Set<number>();
  if (!options.anonymise) for (const m of src.messages) if (!chosenIdx.has(m.index) && m.connection !== null && connIds.has(m.connection)) for (const f of framesOf(m)) otherFrames.add(f);
  for (const f of rawWanted) otherFrames.delete(f);
  const connTuples = new Map<string, ReportConnection>();
  for (const c of conns) {
    connTuples.set(`${c.client}>${c.server}`, c);
    connTuples.set(`${c.server}>${c.client}`, c);
  }
  const rtpStreams = streams.filter((s) => s.kind === 'rtp');
  const pickers = new Map<string, SkeletonPicker>();
  for (const s of rtpStreams) pickers.set(`${s.dst}#${s.ssrc}`, new SkeletonPicker(s));
  const allRtp: RtpKept[] = [];
  let minRtp = Infinity;
  let maxRtp = 0;
  for (const s of rtpStreams) {
    minRtp = Math.min(minRtp, s.firstFrame);
    maxRtp = Math.max(maxRtp, s.lastFrame);
  }
  const raw = new Map<number, WritablePacket>();
  const times = new Map<number, number>();
  const key = (ip: string, port: number): string => endpointKey({ ip, port });

  await src.scan((rec: PacketRecord) => {
    const f = rec.frame;
    if (rawWanted.has(f)) raw.set(f, { timeUs: rec.timeUs, linkType: rec.linkType, data: rec.data.slice(), origLen: rec.origLen });
    if (timeWanted.has(f)) times.set(f, rec.timeUs);
    const inRtp = f >= minRtp && f <= maxRtp;
    if (!inRtp && (options.anonymise || connTuples.size === 0)) return;
    const p = decodePacket(rec.linkType, rec.data);
    if (!p) return;
    if (p.protocol === 6 && !options.anonymise && connTuples.size > 0 && !rawWanted.has(f)) {
      // The connection's control segments (SYN, FIN, RST, bare ACKs) travel with its messages.
      const c = connTuples.get(`${key(p.src, p.sport)}>${key(p.dst, p.dport)}`);
      if (c && f >= c.openedFrame && f <= c.lastFrame && !otherFrames.has(f)) {
        raw.set(f, { timeUs: rec.timeUs, linkType: rec.linkType, data: rec.data.slice(), origLen: rec.origLen });
      }
      return;
    }
    if (!inRtp || p.protocol !== 17 || p.payload.length < 12 || (p.payload[0]! & 0xc0) !== 0x80) return;
    const b1 = p.payload[1]!;
    if (b1 >= 200 && b1 <= 204) return; // RTCP: statistics only
    const ssrc = ((p.payload[8]! << 24) | (p.payload[9]! << 16) | (p.payload[10]! << 8) | p.payload[11]!) >>> 0;
    const picker = pickers.get(`${key(p.dst, p.dport)}#${ssrc}`);
    if (!picker || f < picker.stream.firstFrame || f > picker.stream.lastFrame) return;
    const hdr = 12 + 4 * (p.payload[0]! & 0x0f);
    const kept: RtpKept = {
      frame: f,
      timeUs: rec.timeUs,
      src: p.src,
      sport: p.sport,
      dst: p.dst,
      dport: p.dport,
      bytes: (options.rtpPackets ? p.payload : p.payload.subarray(0, Math.min(hdr, p.payload.length))).slice(),
      linkType: rec.linkType,
      raw: options.rtpPackets && !options.anonymise ? rec.data.slice() : null,
    };
    if (options.rtpPackets) allRtp.push(kept);
    else picker.push(kept);
  });

  // --- Anonymiser: collect every value, then fix the map. ---
  let anon: Anonymiser | null = null;
  if (options.anonymise) {
    anon = await Anonymiser.create({ callIds: options.callIds }, options.key);
    for (const m of msgs) {
      anon.observeMessage(m.raw);
      anon.observeAddress(m.src.ip);
      anon.observeAddress(m.dst.ip);
    }
    for (const k of [...endpoints, ...conns.flatMap((c) => [c.client, c.server]), ...icmp.flatMap((i) => [i.original.src, i.original.dst])]) anon.observeAddress(ipOfKey(k));
    for (const i of icmp) anon.observeAddress(i.reporter);
    for (const k of allRtp) [k.src, k.dst].forEach((ip) => anon!.observeAddress(ip));
    for (const p of pickers.values()) for (const k of p.packets()) [k.src, k.dst].forEach((ip) => anon!.observeAddress(ip));
    for (const t of Object.values(input.annotations)) anon.observeFree(t);
    for (const t of Object.values(input.findingNotes ?? {})) anon.observeFree(t);
    for (const t of Object.values(input.hosts.names)) anon.observeFree(t);
    await anon.prepare();
  }
  const A = (ip: string): string => (anon ? anon.address(ip) : ip);
  const E = (k: string): string => (anon ? anon.endpoint(k) : k);

  // --- Packets. ---
  const out: OutPacket[] = [];
  const texts = new Map<number, string>();
  if (!anon) {
    const frameMsg = new Map<number, number>();
    for (const m of msgs) frameMsg.set(m.frame, m.index);
    for (const [f, p] of raw) out.push({ anchor: f, sub: 0, packet: p, message: frameMsg.get(f) });
    for (const m of msgs) texts.set(m.index, m.raw);
    const missing = msgs.filter((m) => !raw.has(m.frame)).length;
    if (missing) notes.push(`${missing} message frames were not found when the capture was read again`);
  } else {
    const eth = (data: Uint8Array, timeUs: number): WritablePacket => ({ timeUs, linkType: LINKTYPE_ETHERNET, data });
    // TCP: one synthetic stream per connection.
    const streamState = new Map<number, { c: ReportConnection; client: { ip: string; port: number }; server: { ip: string; port: number }; next: { client: number; server: number } }>();
    for (const c of conns) {
      const client = endpointOf(c.client);
      const server = endpointOf(c.server);
      if (!client || !server) continue;
      const st = { c, client: { ip: A(client.ip), port: client.port }, server: { ip: A(server.ip), port: server.port }, next: { client: 1000, server: 5000 } };
      streamState.set(c.id, st);
      const t = times.get(c.openedFrame) ?? isoToUs(c.openedTime);
      if (c.sawSyn) {
        out.push({ anchor: c.openedFrame, sub: 0, packet: eth(tcpFrame(st.client.ip, st.client.port, st.server.ip, st.server.port, 999, 0, TCP_SYN, new Uint8Array(0)), t) });
        out.push({ anchor: c.openedFrame, sub: 1, packet: eth(tcpFrame(st.server.ip, st.server.port, st.client.ip, st.client.port, 4999, 1000, TCP_SYN | TCP_ACK, new Uint8Array(0)), t) });
        out.push({ anchor: c.openedFrame, sub: 2, packet: eth(tcpFrame(st.client.ip, st.client.port, st.server.ip, st.server.port, 1000, 5000, TCP_ACK, new Uint8Array(0)), t) });
      }
      if (c.transport !== 'tcp') notes.push(`connection ${c.id} (${c.transport}) is re-encoded as plain TCP`);
    }
    const sideOf = (st: { client: { ip: string; port: number } }, ip: string, port: number): 'client' | 'server' => (st.client.ip === ip && st.client.port === port ? 'client' : 'server');
    // Interleave messages and close events in original frame order.
    type Ev = { frame: number; kind: 'msg'; m: (typeof msgs)[number] } | { frame: number; kind: 'close'; c: number; flag: 'fin' | 'rst'; side: 'client' | 'server' };
    const events: Ev[] = msgs.map((m) => ({ frame: m.frame, kind: 'msg' as const, m }));
    for (const c of conns) for (const e of c.closeEvents) events.push({ frame: e.frame, kind: 'close', c: c.id, flag: e.flag, side: e.side });
    events.sort((a, b) => a.frame - b.frame || (a.kind === 'msg' ? -1 : 1));
    let sctp = 0;
    for (const ev of events) {
      if (ev.kind === 'close') {
        const st = streamState.get(ev.c);
        if (!st) continue;
        const from = ev.side === 'client' ? st.client : st.server;
        const to = ev.side === 'client' ? st.server : st.client;
        const other = ev.side === 'client' ? 'server' : 'client';
        const flags = ev.flag === 'fin' ? TCP_FIN | TCP_ACK : TCP_RST | TCP_ACK;
        const t = times.get(ev.frame) ?? 0;
        out.push({ anchor: ev.frame, sub: 10, packet: eth(tcpFrame(from.ip, from.port, to.ip, to.port, st.next[ev.side], st.next[other], flags, new Uint8Array(0)), t) });
        if (ev.flag === 'fin') st.next[ev.side] += 1;
        continue;
      }
      const m = ev.m;
      const text = anon.message(m.raw);
      texts.set(m.index, text);
      const body = latin1(text);
      const s = { ip: A(m.src.ip), port: m.src.port };
      const d = { ip: A(m.dst.ip), port: m.dst.port };
      const st = m.connection !== null ? streamState.get(m.connection) : undefined;
      if (st) {
        const side = sideOf(st, s.ip, s.port);
        const other = side === 'client' ? 'server' : 'client';
        let sub = 0;
        for (let o = 0; o < body.length || o === 0; o += SEGMENT) {
          const chunk = body.subarray(o, o + SEGMENT);
          const last = o + SEGMENT >= body.length;
          out.push({ anchor: m.frame, sub: sub++, packet: eth(tcpFrame(s.ip, s.port, d.ip, d.port, st.next[side], st.next[other], TCP_ACK | (last ? TCP_PSH : 0), chunk), m.timeUs), message: last ? m.index : undefined });
          st.next[side] += chunk.length;
          if (body.length === 0) break;
        }
      } else {
        if (m.transport === 'sctp') sctp++;
        out.push({ anchor: m.frame, sub: 0, packet: eth(udpFrame(s.ip, s.port, d.ip, d.port, body), m.timeUs), message: m.index });
      }
    }
    if (sctp) notes.push(`${sctp} SIP messages sent over SCTP are re-encoded as UDP`);
    for (const i of icmp) {
      const o = endpointOf(i.original.src);
      const t = endpointOf(i.original.dst);
      if (!o || !t) continue;
      try {
        const data = icmpUnreachableFrame(A(i.reporter), i.type, i.code, { protocol: i.original.protocol, src: A(o.ip), sport: o.port, dst: A(t.ip), dport: t.port });
        out.push({ anchor: i.frame, sub: 0, packet: eth(data, isoToUs(i.time)) });
      } catch {
        notes.push(`the ICMP message of frame ${i.frame} could not be re-encoded`);
      }
    }
    const tlsOnly = conns.filter((c) => c.tls && c.tls.handshake !== 'none').length;
    if (tlsOnly) notes.push(`TLS handshake records of ${tlsOnly} connections are not carried when anonymising (their SNI names a host)`);
  }

  // RTP: skeleton or every packet.
  const rtpList = options.rtpPackets ? allRtp : [...pickers.values()].flatMap((p) => renumber(p.packets()));
  for (const k of rtpList) {
    if (k.raw) out.push({ anchor: k.frame, sub: 0, packet: { timeUs: k.timeUs, linkType: k.linkType, data: k.raw } });
    else out.push({ anchor: k.frame, sub: 0, packet: { timeUs: k.timeUs, linkType: LINKTYPE_ETHERNET, data: udpFrame(A(k.src), k.sport, A(k.dst), k.dport, k.bytes) } });
  }
  if (rtpStreams.length && !options.rtpPackets) notes.push(`RTP travels as statistics and ${rtpList.length} header-only packets (no audio)`);

  // --- Number the new frames. ---
  out.sort((a, b) => a.anchor - b.anchor || a.sub - b.sub);
  const frameMap = new Map<number, number>();
  const msgFrame = new Map<number, number>();
  out.forEach((p, i) => {
    if (!frameMap.has(p.anchor)) frameMap.set(p.anchor, i + 1);
    if (p.message !== undefined) {
      msgFrame.set(p.message, i + 1);
      frameMap.set(p.anchor, i + 1);
    }
  });
  const byIndex = new Map(report.messages.map((m) => [m.index, m]));
  const newFrameOfMessage = (idx: number): number | null => msgFrame.get(idx) ?? frameMap.get(byIndex.get(idx)?.frame ?? -1) ?? null;
  const mapFrame = (f: number): number | null => frameMap.get(f) ?? null;

  // --- The view, pointing into the new capture. ---
  const view: SharedView = defaultSharedView();
  view.version = SHARE_VERSION;
  view.name = options.name ?? 'shared-call.pcapng';
  const callId = (c: string): string => (anon ? anon.callId(c) : c);
  view.calls = input.selectedCalls.filter((c) => callSet.has(c)).map(callId);
  view.message = input.selectedMessage !== null && chosenIdx.has(input.selectedMessage) ? newFrameOfMessage(input.selectedMessage) : null;
  const free = (t: string): string => (anon ? anon.free(t) : t);
  view.hosts = {
    names: Object.fromEntries(Object.entries(input.hosts.names).map(([k, v]) => [E(k), free(v)])),
    groups: input.hosts.groups.map((g) => g.map(E)),
    splitPorts: input.hosts.splitPorts.map(E),
    order: input.hosts.order.map(E),
    detached: (input.hosts.detached ?? []).map(E),
  };
  view.timeMode = input.timeMode;
  view.overlays = { ...input.overlays };
  view.unfolded = input.unfolded.map(newFrameOfMessage).filter((f): f is number => f !== null);
  const shared: SharedNote[] = [];
  const comments = new Map<number, string[]>();
  const addComment = (frame: number, text: string): void => {
    const list = comments.get(frame) ?? [];
    list.push(text);
    comments.set(frame, list);
  };
  for (const [idx, text] of Object.entries(input.annotations)) {
    const f = chosenIdx.has(Number(idx)) ? newFrameOfMessage(Number(idx)) : null;
    if (f === null || !text.trim()) continue;
    const t = free(text);
    shared.push({ frame: f, text: t });
    addComment(f, t);
  }
  for (const [k, text] of Object.entries(input.findingNotes ?? {})) {
    const m = /^(.+)@(\d+)$/.exec(k);
    const f = m ? mapFrame(Number(m[2])) : null;
    if (!m || f === null || !text.trim()) continue;
    const t = free(text);
    shared.push({ finding: `${m[1]}@${f}`, text: t });
    addComment(f, `${m[1]}: ${t}`);
  }
  view.notes = shared;
  view.findings = report.findings
    .filter((fd) => (fd.callId !== null ? callSet.has(fd.callId) : fd.frames.some((f) => chosenFrames.has(f))))
    .map((fd) => ({ kind: fd.kind, frames: fd.frames.map(mapFrame).filter((f): f is number => f !== null) }));
  view.rtp = streams.map((s) => ({
    ssrc: s.ssrc,
    kind: s.kind,
    src: E(s.src),
    dst: E(s.dst),
    payloadType: s.payloadType,
    packets: s.packets,
    bytes: s.bytes,
    lost: s.lost,
    sequenceGaps: s.sequenceGaps,
    firstTime: s.firstTime,
    lastTime: s.lastTime,
    callId: s.callId === null ? null : callId(s.callId),
    sourceChanges: s.sourceChanges.length,
  }));
  view.meta = { anonymised: options.anonymise, callIds: options.anonymise && options.callIds, rtpPackets: options.rtpPackets };

  const packets = out.map((p, i) => ({ ...p.packet, comment: comments.get(i + 1)?.join('\n') }));
  const viewText = writeSharedView(view).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  const capture = withSectionComment(writePcapng(packets), `${SECTION_COMMENT_PREFIX}sl=${SHARE_VERSION}&${viewText}`);
  const preview = [...texts.entries()]
    .map(([idx, text]) => ({ frame: newFrameOfMessage(idx) ?? 0, text }))
    .sort((a, b) => a.frame - b.frame)
    .slice(0, 200);
  return { capture, view, replacements: anon ? anon.replacements() : [], preview, packets: packets.length, notes };
}

/** Skeleton RTP: consecutive sequence numbers from the first kept one (no fake loss). */
function renumber(list: RtpKept[]): RtpKept[] {
  if (list.length === 0) return list;
  const first = ((list[0]!.bytes[2]! << 8) | list[0]!.bytes[3]!) & 0xffff;
  return list.map((k, i) => {
    const b = k.bytes.slice();
    const seq = (first + i) & 0xffff;
    b[2] = seq >>> 8;
    b[3] = seq & 255;
    return { ...k, bytes: b, raw: null };
  });
}
