/**
 * Media: RTP/RTCP streams tied to calls. By the SDP offer/answer (RFC 3264 §5/§6, RFC 4566 `c=`
 * and `m=`; RTCP at the RTP port + 1 or the `a=rtcp` port, RFC 3605): a stream whose destination
 * (or, for symmetric RTP, RFC 4961, whose source) is an address:port a call announced belongs to
 * that call. Then by what really flowed: a NATed peer sends from a public address nobody announced,
 * so the reverse of a stream already tied (its destination back to its source) belongs to the same
 * call — that puts one-way audio and NAT-rewritten media on the right call. RTCP streams next to
 * a tied RTP flow (ports + 1) follow it. When an address:port is reused by several calls, the call
 * whose SDP came last before the stream started wins.
 */

import type { Endpoint, RtpStreamStats } from '../capture/types.ts';
import type { CapturedMessage, CSeq } from './types.ts';
import { isPrivateLike, normalizeHost } from './addresses.ts';
import { epText } from './modelutil.ts';
import { STATIC_PT } from '../capture/rtp-stats.ts';

export interface SdpEndpoint {
  /** Message index carrying the SDP. */
  index: number;
  frame: number;
  callId: string;
  timeUs: number;
  kind: 'offer' | 'answer' | 'unknown';
  /** The message was a request (true) or a response (false). */
  inRequest: boolean;
  mediaType: string;
  address: string;
  port: number;
  rtcpPort: number;
  direction: string;
  payloads: number[];
  /** The m= line's rtpmap entries (payload type → "NAME/RATE[/channels]"). */
  codecs: Array<{ payload: number; codec: string }>;
  /** c= is private/CGNAT/loopback/link-local. */
  privateAddress: boolean;
  /** Where the signalling carrying this SDP came from. */
  signallingSource: Endpoint;
}

export type MediaLinkBasis = 'sdp-destination' | 'sdp-source' | 'reverse-of-linked' | 'rtcp-next-to-rtp';

export interface MediaLink {
  stream: number;
  callId: string;
  basis: MediaLinkBasis;
  /** The SDP endpoint (index into sdp) that matched, when by SDP. */
  sdp: number | null;
}

export interface MediaModel {
  sdp: SdpEndpoint[];
  /** Per stream (same order as the input): the Call-ID it belongs to, or null. */
  streamCallIds: (string | null)[];
  links: MediaLink[];
}

function key(ip: string, port: number): string {
  return `${normalizeHost(ip)}|${port}`;
}

/** Offered CSeqs of one Call-ID compared one by one before a set of keys (collectSdp). */
const OFFERS_LISTED = 8;

export function collectSdp(messages: CapturedMessage[]): SdpEndpoint[] {
  const out: SdpEndpoint[] = [];
  // Offer/answer: the first SDP in a transaction-less sense per Call-ID+CSeq is the offer.
  // The CSeqs (number and method) that carried an offer, per Call-ID: a few per call, compared by
  // value (a key string per SDP was ~3 MB of garbage on the bench's sip-dense file); past
  // OFFERS_LISTED of one Call-ID (a long call's re-INVITEs), a set of keys, so that a scan per SDP
  // does not make such a call quadratic.
  const offered = new Map<string, Array<CSeq | null> | Set<string>>();
  const sameCSeq = (a: CSeq | null, b: CSeq | null): boolean => (a === null || b === null ? a === b : a.seq === b.seq && a.method === b.method);
  const cseqKey = (c: CSeq | null): string => (c === null ? '' : `${c.seq}\u0000${c.method}`);
  for (let cAt = 0; cAt < messages.length; cAt++) {
    const c = messages[cAt]!;
    const m = c.sip;
    if (!m?.sdp || !m.callId) continue;
    let kind: SdpEndpoint['kind'] = 'unknown';
    const isAck = m.kind === 'request' && m.method.toUpperCase() === 'ACK';
    const cseq = m.cseq;
    const offers = offered.get(m.callId);
    const seen = offers === undefined ? false : offers instanceof Set ? offers.has(cseqKey(cseq)) : offers.some((o) => sameCSeq(o, cseq));
    if (isAck) kind = 'answer';
    else if (!seen) {
      kind = 'offer';
      if (offers === undefined) offered.set(m.callId, [cseq]);
      else if (offers instanceof Set) offers.add(cseqKey(cseq));
      else if (offers.length < OFFERS_LISTED) offers.push(cseq);
      else offered.set(m.callId, new Set([...offers, cseq].map(cseqKey)));
    } else if (m.kind === 'response') kind = 'answer';
    for (let mediaAt = 0; mediaAt < m.sdp.media.length; mediaAt++) {
      const media = m.sdp.media[mediaAt]!;
      const addr = media.connection ?? m.sdp.connection;
      if (!addr || media.port === 0) continue;
      out.push({
        index: c.index,
        frame: c.frame,
        callId: m.callId,
        timeUs: c.timeUs,
        kind,
        inRequest: m.kind === 'request',
        mediaType: media.type,
        address: normalizeHost(addr),
        port: media.port,
        rtcpPort: media.rtcpPort ?? media.port + 1,
        direction: media.direction,
        payloads: media.payloads,
        codecs: media.codecs,
        privateAddress: isPrivateLike(addr),
        signallingSource: c.src,
      });
    }
  }
  return out;
}

export function linkMedia(streams: RtpStreamStats[], sdp: SdpEndpoint[]): MediaModel {
  const rtpAt = new Map<string, number[]>();
  const rtcpAt = new Map<string, number[]>();
  // Indexed only when there are streams to tie: a signalling trace (no RTP in it) has tens of
  // thousands of SDP addresses and nothing to look up in them.
  if (streams.length > 0) sdp.forEach((s, i) => {
    if (s.address === '0.0.0.0' || s.address === '::') return;
    // Appended in place: a copy per SDP made many SDPs announcing one address and port quadratic.
    const k = key(s.address, s.port);
    const at = rtpAt.get(k);
    if (at) at.push(i);
    else rtpAt.set(k, [i]);
    const kc = key(s.address, s.rtcpPort);
    const atc = rtcpAt.get(kc);
    if (atc) atc.push(i);
    else rtcpAt.set(kc, [i]);
  });
  // Each address's SDPs by time (ties: the later one last), sorted when a stream first asks: a
  // phone with a fixed RTP port, or a long call's re-offers, announce one address thousands of
  // times, and each stream scanned them all.
  const byTime = new Map<number[], { order: number[]; times: Float64Array }>();
  const pick = (cands: number[] | undefined, t: number): number | null => {
    if (!cands || cands.length === 0) return null;
    let sorted = byTime.get(cands);
    if (!sorted) {
      const order = cands.slice().sort((a, b) => (sdp[a]?.timeUs ?? 0) - (sdp[b]?.timeUs ?? 0) || a - b);
      sorted = { order, times: Float64Array.from(order, (i) => sdp[i]?.timeUs ?? 0) };
      byTime.set(cands, sorted);
    }
    // Latest SDP at or before the stream start (2 s slack for early media racing the answer),
    // else the first announced.
    const limit = t + 2_000_000;
    let lo = 0;
    let hi = sorted.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted.times[mid]! <= limit) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? sorted.order[lo - 1]! : (cands[0] ?? null);
  };
  const streamCallIds: (string | null)[] = streams.map(() => null);
  const links: MediaLink[] = [];
  const flowCall = new Map<string, string>();
  const set = (i: number, callId: string, basis: MediaLinkBasis, sdpIndex: number | null): void => {
    streamCallIds[i] = callId;
    links.push({ stream: i, callId, basis, sdp: sdpIndex });
    const st = streams[i];
    if (st) flowCall.set(`${epText(st.src)}>${epText(st.dst)}`, callId);
  };
  streams.forEach((st, i) => {
    const table = st.kind === 'rtcp' ? rtcpAt : rtpAt;
    const byDst = pick(table.get(key(st.dst.ip, st.dst.port)), st.firstTimeUs);
    if (byDst !== null) {
      const s = sdp[byDst];
      if (s) set(i, s.callId, 'sdp-destination', byDst);
      return;
    }
    const bySrc = pick(table.get(key(st.src.ip, st.src.port)), st.firstTimeUs);
    if (bySrc !== null) {
      const s = sdp[bySrc];
      if (s) set(i, s.callId, 'sdp-source', bySrc);
    }
  });
  // What really flowed: the reverse of a linked flow (NATed peer's real address), then RTCP at +1.
  for (let pass = 0; pass < 2; pass++) {
  streams.forEach((st, i) => {
    if (streamCallIds[i]) return;
    const rev = flowCall.get(`${epText(st.dst)}>${epText(st.src)}`);
    if (rev) {
      set(i, rev, 'reverse-of-linked', null);
      return;
    }
    if (st.kind === 'rtcp') {
      const a = { ip: st.src.ip, port: st.src.port - 1 };
      const b = { ip: st.dst.ip, port: st.dst.port - 1 };
      const c = flowCall.get(`${epText(a)}>${epText(b)}`) ?? flowCall.get(`${epText(b)}>${epText(a)}`);
      if (c) set(i, c, 'rtcp-next-to-rtp', null);
    }
  });
  }
  return { sdp, streamCallIds, links };
}

/**
 * The codec of each stream: the rtpmap of the SDP it was tied to, else the rtpmap of its call's
 * latest SDP (before the stream started) for that payload type, else the RFC 3551 static payload
 * type name; null for a dynamic payload type nobody mapped, and for RTCP.
 */
export function streamCodecs(streams: RtpStreamStats[], media: MediaModel): (string | null)[] {
  const linkSdp = new Map<number, number>();
  for (let lAt = 0; lAt < media.links.length; lAt++) {
    const l = media.links[lAt]!;
    if (l.sdp !== null) linkSdp.set(l.stream, l.sdp);
  }
  // The SDPs of the calls that have a stream only: a signalling trace has tens of thousands of
  // SDPs and few streams or none (listing them all was ~5 MB of garbage on the bench's sip-dense,
  // at the model's peak).
  const withStreams = new Set<string>();
  for (let k = 0; k < media.streamCallIds.length; k++) {
    const id = media.streamCallIds[k];
    if (id !== null && id !== undefined) withStreams.add(id);
  }
  const byCall = new Map<string, SdpEndpoint[]>();
  for (let sAt = 0; sAt < media.sdp.length && withStreams.size > 0; sAt++) {
    const s = media.sdp[sAt]!;
    if (!withStreams.has(s.callId)) continue;
    let list = byCall.get(s.callId);
    if (!list) byCall.set(s.callId, (list = []));
    list.push(s);
  }
  return streams.map((stream, index) => {
    if (stream.kind !== 'rtp') return null;
    const pt = stream.payloadType;
    const of = (s: SdpEndpoint | undefined): string | null => s?.codecs.find((c) => c.payload === pt)?.codec ?? null;
    const tied = linkSdp.get(index);
    if (tied !== undefined) {
      const c = of(media.sdp[tied]);
      if (c) return c;
    }
    const callId = media.streamCallIds[index];
    let best: string | null = null;
    for (const s of (callId ? byCall.get(callId) : undefined) ?? []) {
      const c = of(s);
      if (c && (best === null || s.timeUs <= stream.firstTimeUs)) best = c;
    }
    return best ?? STATIC_PT[pt] ?? null;
  });
}
