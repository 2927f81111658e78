/**
 * rtp-to-unlatched-address (field note 004): one side sends RTP to the address the peer's SDP
 * announced although the peer's media really arrives from another address (its NAT's public
 * address): no latching / symmetric RTP (RFC 4961), so that media is lost in the NAT. "Another
 * address" includes the same public IP on another port when a NAT is known to sit in front of
 * the peer (its media was also seen from a private address, or its Via/Contact were private):
 * a NAT that translates ports, or a SIP ALG that wrote a port into the SDP the NAT does not use.
 * Without NAT, media from a port other than the SDP's is just asymmetric RTP and is left alone.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Endpoint, RtpStreamStats } from '../../capture/types.ts';
import { endpointKey } from '../../capture/types.ts';
import { isPrivateLike, normalizeHost, sameEndpoint } from '../lib/addr.ts';
import { getFlow, nattedSources } from '../lib/flow.ts';
import { callMedia, streamText } from '../lib/media.ts';
import { uniqFrames } from '../lib/text.ts';

/** Every source a stream was seen from (first source, then each new one), with the frame it first appeared in. */
function sources(s: RtpStreamStats): Array<{ ep: Endpoint; frame: number }> {
  const out = [{ ep: s.src, frame: s.firstFrame }];
  for (const c of s.sourceChanges) if (!out.some((o) => sameEndpoint(o.ep, c.to))) out.push({ ep: c.to, frame: c.frame });
  return out;
}

interface SourceEntry {
  q: { s: RtpStreamStats; i: number };
  /** Position of the stream in the call, and of the source in the stream. */
  qi: number;
  ord: number;
  ep: Endpoint;
  frame: number;
}

/** Source entries kept per (destination IP, source IP) of a call: enough for any verdict. */
const MAX_SOURCES_PER_PAIR = 256;

export const detectRtpToUnlatchedAddress: Detector = {
  kind: 'rtp-to-unlatched-address',
  title: 'RTP sent to the SDP address while the peer\'s media came from elsewhere',
  severity: 'error',
  detect(ctx) {
    const out: Finding[] = [];
    for (const [callId, cm] of callMedia(ctx)) {
      // A finding needs a stream of the call (most calls of a signalling capture have none): no
      // indexes built for nothing (three Maps a call, ~12 MB on sip-dense's 20,000 calls).
      if (cm.streams.length === 0) continue;
      // Indexes instead of a scan per stream (a call can carry thousands of streams): the first
      // SDP endpoint per address:port, and each stream's public sources by (its destination IP,
      // source IP), in stream order then source order.
      const sdpAt = new Map<string, (typeof cm.sdp)[number]>();
      for (let eAt = 0; eAt < cm.sdp.length; eAt++) {
        const e = cm.sdp[eAt]!;
        const k = `${normalizeHost(e.address)}|${e.port}`;
        if (!sdpAt.has(k)) sdpAt.set(k, e);
      }
      const seenFrom = new Map<string, SourceEntry[]>();
      const perEndpoint = new Map<string, number>();
      cm.streams.forEach((q, qi) => {
        const dst = normalizeHost(q.s.dst.ip);
        sources(q.s).forEach((o, ord) => {
          if (isPrivateLike(o.ep.ip)) return;
          const k = `${dst}|${normalizeHost(o.ep.ip)}`;
          let list = seenFrom.get(k);
          if (!list) seenFrom.set(k, (list = []));
          // Per source endpoint the first two streams are enough: a search skips at most one
          // stream (the one it serves) and one endpoint (the SDP address).
          const ek = `${k}|${normalizeHost(o.ep.ip)}|${o.ep.port}`;
          const same = perEndpoint.get(ek) ?? 0;
          if (same >= 2 || list.length >= MAX_SOURCES_PER_PAIR) return;
          perEndpoint.set(ek, same + 1);
          list.push({ q, qi, ord, ep: o.ep, frame: o.frame });
        });
      });
      for (let rAt = 0; rAt < cm.streams.length; rAt++) {
        const r = cm.streams[rAt]!;
        // r: B → D, where D is an SDP address of the call.
        const sdp = sdpAt.get(`${normalizeHost(r.s.dst.ip)}|${r.s.dst.port}`);
        if (!sdp) continue;
        const bIp = normalizeHost(r.s.src.ip);
        const dIp = normalizeHost(r.s.dst.ip);
        const partyIps = new Set([dIp, normalizeHost(sdp.signallingSource.ip)]);
        // The peer's real media: a stream of the call toward B, from the same party (its NAT's
        // address, or D's host) but another address:port than D — NAT port translation included.
        let best: SourceEntry | null = null;
        for (const ip of partyIps) {
          for (const e of seenFrom.get(`${bIp}|${ip}`) ?? []) {
            if (e.q === r || sameEndpoint(e.ep, r.s.dst)) continue;
            if (best === null || e.qi < best.qi || (e.qi === best.qi && e.ord < best.ord)) best = e;
            break;
          }
        }
        const real = best && { q: best.q.s, ep: best.ep, frame: best.frame };
        if (!real) continue;
        if (normalizeHost(real.ep.ip) === dIp) {
          // Same IP, other port: only a NAT in front of the peer makes that a latching fault.
          const seenPrivate = sources(real.q).some((o) => isPrivateLike(o.ep.ip));
          if (!seenPrivate && !nattedSources(getFlow(ctx.messages)).has(endpointKey(sdp.signallingSource))) continue;
        }
        const sameHost = normalizeHost(real.ep.ip) === dIp;
        out.push({
          kind: 'rtp-to-unlatched-address',
          severity: 'error',
          callId,
          frames: uniqFrames([sdp.frame, r.s.firstFrame, real.frame]),
          title: `RTP sent to SDP address ${endpointKey(r.s.dst)}, but the peer's media comes from ${endpointKey(real.ep)}`,
          explanation:
            `${endpointKey(r.s.src)} sends its RTP to ${endpointKey(r.s.dst)}, the address in the SDP of frame ${sdp.frame} (c=${sdp.address}, port ${sdp.port}), while the peer's own media arrives from ${endpointKey(real.ep)} (first at frame ${real.frame}; ${streamText(real.q)}) — ` +
            `${sameHost ? 'the same public address on another port: the NAT translated the port' : 'its NAT\'s public address'}. ` +
            `Without latching (sending back to where the media comes from, RFC 4961) these packets (${streamText(r.s)}) ${sdp.privateAddress ? 'go to a private address and are lost' : 'miss the NAT mapping and are dropped'}: one-way audio.`,
          references: ['RFC 4961', 'RFC 3264 §5', 'RFC 7362'],
          fix: 'Enable symmetric RTP / latching (comedia, rtpengine "symmetric") on this side, or have a media relay rewrite the NATed peer\'s SDP (fix_nated_sdp); if a SIP ALG rewrote the SDP, disable it.',
        });
      }
    }
    return out;
  },
};
