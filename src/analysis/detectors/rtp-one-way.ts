/**
 * rtp-one-way (field note 003): an answered call whose RTP flows in one direction only — no
 * stream at all comes back to the address the media is sent from. Requires the call to have a
 * 2xx and a stream of a few seconds, so a capture cut right after the answer is not judged.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../engine/report.ts';
import { endpointKey } from '../../capture/types.ts';
import { isPrivateLike, normalizeHost } from '../lib/addr.ts';
import { getFlow } from '../lib/flow.ts';
import { callMedia, streamText } from '../lib/media.ts';
import { duration, uniqFrames } from '../lib/text.ts';

export const detectRtpOneWay: Detector = {
  kind: 'rtp-one-way',
  title: 'An answered call has RTP in one direction only',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const out: Finding[] = [];
    for (const [callId, cm] of callMedia(ctx)) {
      const streams = cm.streams;
      if (streams.length === 0) continue;
      const dialog = (flow.dialogsByCall.get(callId) ?? []).find((d) => d.oks.length > 0);
      if (!dialog) continue;
      // A return path exists when some stream comes from an address another stream goes to.
      const dstIps = new Set(streams.map((x) => normalizeHost(x.s.dst.ip)));
      const back = streams.some((y) => dstIps.has(normalizeHost(y.s.src.ip)));
      if (back) continue;
      const longest = streams.reduce((a, b) => (b.s.lastTimeUs - b.s.firstTimeUs > a.s.lastTimeUs - a.s.firstTimeUs ? b : a));
      const span = longest.s.lastTimeUs - longest.s.firstTimeUs;
      if (span < 2_000_000 || longest.s.packets < 50) continue;
      const silent = [...new Set(streams.map((x) => endpointKey(x.s.dst)))];
      // NAT in play: a private SDP address announced from a public source, or media from an unannounced address.
      const nat = cm.sdp.some((e) => e.privateAddress && !isPrivateLike(e.signallingSource.ip)) ||
        streams.some((x) => !cm.sdp.some((e) => normalizeHost(e.address) === normalizeHost(x.s.src.ip)));
      const severity: Finding['severity'] = !nat ? 'info' : span >= 5_000_000 ? 'error' : 'warning';
      out.push({
        kind: 'rtp-one-way',
        severity,
        callId,
        frames: uniqFrames([dialog.oks[0]!.frame, ...streams.map((x) => x.s.firstFrame)]),
        title: `One-way audio: RTP only ${[...new Set(streams.map((x) => `${x.s.src.ip} → ${x.s.dst.ip}`))].join(', ')}`,
        explanation:
          `The call was answered (frame ${dialog.oks[0]!.frame}) and RTP flowed for ${duration(span)}: ${streams.map((x) => streamText(x.s)).join('; ')}. ` +
          `Nothing came back from ${silent.join(', ')} in the other direction, so one party hears nothing. ` +
          (nat ? 'NAT is involved in this call. ' : 'No NAT is involved and the media flows between the announced addresses, so the silent side most likely sent no RTP at all (a test tool, a muted or send-only endpoint). ') +
          'Typical causes: the silent side sends its media to an address it cannot reach (a private SDP address of the peer, or a NAT that drops unsolicited inbound RTP), a firewall closing the RTP port range, or a SIP ALG rewriting the SDP wrongly. (A capture point that sees only one direction would look the same.)',
        references: ['RFC 3264 §5', 'RFC 3550 §3', 'RFC 4961'],
        fix: 'Check that each side\'s SDP address is reachable by the other (media relay / SBC for NATed phones, symmetric RTP), that the RTP port range is open, and that no SIP ALG rewrites the SDP.',
      });
    }
    return out;
  },
};
