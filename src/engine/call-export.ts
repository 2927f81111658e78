/**
 * What "export these calls as pcap/pcapng" writes: every frame of their SIP messages, the
 * opening/TLS handshake/closing frames of the connections that carried them, and — unless
 * switched off — their media: every RTP/RTCP packet of the streams tied to the calls (RFC 3550
 * flows found by SDP, see sip/media.ts) and the ICMP errors answering them. Findings become
 * pcapng packet comments, one per finding on its first exported evidence frame (not the same text
 * on each of forty RTP frames).
 *
 * The report keeps no per-packet frame list for media (1 GB of RTP would be millions of numbers):
 * the export re-reads the capture anyway, so RTP/RTCP packets are recognised on the way by their
 * UDP flow, SSRC and frame range (`mediaMatcher`), without storing anything per packet.
 */
import { decodePacket } from '../capture/decode.ts';
import { endpointKey } from '../capture/types.ts';
import type { PacketRecord } from '../capture/types.ts';
import type { FrameMatcher } from './extract.ts';
import type { Report, ReportRtpStream } from '../report/report.ts';

export interface CallExportOptions {
  /** Include the calls' RTP/RTCP packets and the ICMP errors about them (default true). */
  media?: boolean;
}

export interface CallExport {
  /** Frames named by number (SIP, connections, ICMP, first/last media frames), ascending. */
  frames: number[];
  /** pcapng packet comments by frame: one line per finding. */
  comments: Record<number, string>;
  /** The media packets, matched while the capture is re-read; null when none or switched off. */
  media: FrameMatcher | null;
}

/** The calls' streams (RTP and RTCP) in the report. */
function streamsOf(report: Report, calls: ReadonlySet<string>): ReportRtpStream[] {
  return report.rtpStreams.filter((s) => s.callId !== null && calls.has(s.callId));
}

export function callExport(report: Report, callIds: readonly string[], options: CallExportOptions = {}): CallExport {
  const calls = new Set(callIds);
  const frames = new Set<number>();
  const conns = new Set<number>();
  for (const m of report.messages) {
    if (m.callId === null || !calls.has(m.callId)) continue;
    for (const f of m.frames) frames.add(f);
    frames.add(m.frame);
    if (m.connection !== null) conns.add(m.connection);
  }
  for (const c of report.connections) {
    if (!conns.has(c.id)) continue;
    frames.add(c.openedFrame);
    if (c.closedFrame !== null) frames.add(c.closedFrame);
    for (const e of c.closeEvents) frames.add(e.frame);
    for (const f of [c.tls?.clientHelloFrame, c.tls?.serverHelloFrame, c.tls?.alertFrame]) if (typeof f === 'number') frames.add(f);
  }
  let media: FrameMatcher | null = null;
  if (options.media !== false) {
    const streams = streamsOf(report, calls);
    media = mediaMatcher(streams);
    const flows = new Set<string>();
    for (const s of streams) {
      frames.add(s.firstFrame);
      frames.add(s.lastFrame);
      flows.add(`${s.src}>${s.dst}`);
      for (const c of s.sourceChanges) flows.add(`${c.to}>${s.dst}`);
    }
    // ICMP errors answering the calls' media (e.g. port unreachable for early RTP).
    for (const i of report.icmp ?? []) {
      if (flows.has(`${i.original.src}>${i.original.dst}`)) frames.add(i.frame);
    }
  }
  const comments: Record<number, string> = {};
  for (const f of report.findings) {
    if (f.callId === null || !calls.has(f.callId)) continue;
    const at = f.frames.find((fr) => frames.has(fr));
    if (at === undefined) continue;
    const line = `sipladder ${f.severity}: ${f.title}`;
    comments[at] = comments[at] ? `${comments[at]}\n${line}` : line;
  }
  return { frames: [...frames].sort((a, b) => a - b), comments, media };
}

/**
 * Matches the packets of these streams while a capture is re-read: UDP from the stream's source
 * (or a later source after a source change) to its destination, carrying its SSRC, between its
 * first and last frame. Null when there are no streams.
 */
export function mediaMatcher(streams: readonly ReportRtpStream[]): FrameMatcher | null {
  if (streams.length === 0) return null;
  const byFlow = new Map<string, Array<{ ssrc: number; rtcp: boolean; first: number; last: number }>>();
  let lastFrame = 0;
  const add = (src: string, s: ReportRtpStream): void => {
    const k = `${src}>${s.dst}`;
    let list = byFlow.get(k);
    if (!list) byFlow.set(k, (list = []));
    list.push({ ssrc: s.ssrc >>> 0, rtcp: s.kind === 'rtcp', first: s.firstFrame, last: s.lastFrame });
  };
  let firstFrame = Infinity;
  for (const s of streams) {
    add(s.src, s);
    for (const c of s.sourceChanges) if (c.to !== s.src) add(c.to, s);
    lastFrame = Math.max(lastFrame, s.lastFrame);
    firstFrame = Math.min(firstFrame, s.firstFrame);
  }
  return {
    lastFrame,
    matches(rec: PacketRecord): boolean {
      if (rec.frame < firstFrame || rec.frame > lastFrame) return false;
      const d = decodePacket(rec.linkType, rec.data);
      if (d === null || d.protocol !== 17 || d.payload.length < 8) return false;
      const list = byFlow.get(`${endpointKey({ ip: d.src, port: d.sport })}>${endpointKey({ ip: d.dst, port: d.dport })}`);
      if (list === undefined) return false;
      const p = d.payload;
      if ((p[0]! & 0xc0) !== 0x80) return false;
      const rtcp = p[1]! >= 200 && p[1]! <= 204;
      const o = rtcp ? 4 : 8;
      if (p.length < o + 4) return false;
      const ssrc = ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
      for (const s of list) {
        if (s.rtcp === rtcp && s.ssrc === ssrc && rec.frame >= s.first && rec.frame <= s.last) return true;
      }
      return false;
    },
  };
}

/** The media of the calls whose SIP messages are among these frames (for an export given by frame numbers). */
export function mediaForFrames(report: Report, frames: ReadonlySet<number>): FrameMatcher | null {
  const calls = new Set<string>();
  for (const m of report.messages) if (m.callId !== null && frames.has(m.frame)) calls.add(m.callId);
  return calls.size === 0 ? null : mediaMatcher(streamsOf(report, calls));
}
