/**
 * rtp-to-unlatched-address (field note 004): one side sends RTP to the address the peer's SDP
 * announced although the peer's media really arrives from another address (its NAT's public
 * address): no latching / symmetric RTP (RFC 4961), so that media is lost in the NAT.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../engine/report.ts';
import { endpointKey } from '../../capture/types.ts';
import { normalizeHost } from '../lib/addr.ts';
import { callMedia, epEq, streamText } from '../lib/media.ts';
import { uniqFrames } from '../lib/text.ts';

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
        // The peer's real media: a stream of the call toward B, from an address that is not D.
        const real = cm.streams.find(
          (q) => q !== r && normalizeHost(q.s.dst.ip) === normalizeHost(r.s.src.ip) && normalizeHost(q.s.src.ip) !== normalizeHost(r.s.dst.ip) && normalizeHost(q.s.src.ip) === normalizeHost(sdp.signallingSource.ip),
        );
        if (!real) continue;
        out.push({
          kind: 'rtp-to-unlatched-address',
          severity: 'error',
          callId,
          frames: uniqFrames([sdp.frame, r.s.firstFrame, real.s.firstFrame]),
          title: `RTP sent to SDP address ${endpointKey(r.s.dst)}, but the peer's media comes from ${endpointKey(real.s.src)}`,
          explanation:
            `${endpointKey(r.s.src)} sends its RTP to ${endpointKey(r.s.dst)}, the address in the SDP of frame ${sdp.frame}, while the peer's own media arrives from ${endpointKey(real.s.src)} (${streamText(real.s)}) — its NAT's public address. ` +
            `Without latching (sending back to where the media comes from, RFC 4961) these packets (${streamText(r.s)}) ${sdp.privateAddress ? 'go to a private address and are lost' : 'miss the NAT mapping and are dropped'}: one-way audio.`,
          references: ['RFC 4961', 'RFC 3264 §5', 'RFC 7362'],
          fix: 'Enable symmetric RTP / latching (comedia, rtpengine "symmetric") on this side, or have a media relay rewrite the NATed peer\'s SDP (fix_nated_sdp).',
        });
      }
    }
    return out;
  },
};
