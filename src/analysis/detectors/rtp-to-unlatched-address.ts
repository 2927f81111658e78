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
import type { Finding } from '../../engine/report.ts';
import type { Endpoint, RtpStreamStats } from '../../capture/types.ts';
import { endpointKey } from '../../capture/types.ts';
import { isPrivateLike, normalizeHost, sameEndpoint } from '../lib/addr.ts';
import { getFlow, nattedSources } from '../lib/flow.ts';
import { callMedia, epEq, streamText } from '../lib/media.ts';
import { uniqFrames } from '../lib/text.ts';

/** Every source a stream was seen from (first source, then each new one), with the frame it first appeared in. */
function sources(s: RtpStreamStats): Array<{ ep: Endpoint; frame: number }> {
  const out = [{ ep: s.src, frame: s.firstFrame }];
  for (const c of s.sourceChanges) if (!out.some((o) => sameEndpoint(o.ep, c.to))) out.push({ ep: c.to, frame: c.frame });
  return out;
}

export const detectRtpToUnlatchedAddress: Detector = {
  kind: 'rtp-to-unlatched-address',
  title: 'RTP sent to the SDP address while the peer\'s media came from elsewhere',
  severity: 'error',
  detect(ctx) {
    const out: Finding[] = [];
    for (const [callId, cm] of callMedia(ctx)) {
      for (const r of cm.streams) {
        // r: B → D, where D is an SDP address of the call.
        const sdp = cm.sdp.find((e) => epEq(r.s.dst, e.address, e.port));
        if (!sdp) continue;
        const bIp = normalizeHost(r.s.src.ip);
        const dIp = normalizeHost(r.s.dst.ip);
        const partyIps = new Set([dIp, normalizeHost(sdp.signallingSource.ip)]);
        // The peer's real media: a stream of the call toward B, from the same party (its NAT's
        // address, or D's host) but another address:port than D — NAT port translation included.
        let real: { q: RtpStreamStats; ep: Endpoint; frame: number } | null = null;
        for (const q of cm.streams) {
          if (q === r || normalizeHost(q.s.dst.ip) !== bIp) continue;
          const src = sources(q.s).find((o) => partyIps.has(normalizeHost(o.ep.ip)) && !sameEndpoint(o.ep, r.s.dst) && !isPrivateLike(o.ep.ip));
          if (src) {
            real = { q: q.s, ep: src.ep, frame: src.frame };
            break;
          }
        }
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
