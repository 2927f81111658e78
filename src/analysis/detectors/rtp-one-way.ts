/**
 * rtp-one-way (field note 003): an answered call whose RTP flows in one direction only as
 * received — no stream comes back to the address the media is sent from, or the only one that
 * does is sent from a public address to a private one, which no router on the Internet
 * delivers (seen outside that private network: on its LAN, after the NAT, it is normal). Requires the call to have a 2xx and a stream of a few seconds, so a capture cut right
 * after the answer is not judged. It is the symptom the customer reports, so it is an error
 * whenever a NAT is in play — seen from the WAN (private SDP from a public source, media from an
 * unannounced address) or from the LAN (media crossing between private and public addresses).
 * Without any NAT (a test tool streaming one way, a send-only endpoint) it is info.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
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
      // Streams that can arrive: not sent from a public address to a private one — unless that
      // private host itself sends media here, which puts the capture on its LAN, after the NAT.
      const lanHosts = new Set(streams.filter((x) => isPrivateLike(x.s.src.ip)).map((x) => normalizeHost(x.s.src.ip)));
      const unreachable = (x: (typeof streams)[number]) => isPrivateLike(x.s.dst.ip) && !isPrivateLike(x.s.src.ip) && !lanHosts.has(normalizeHost(x.s.dst.ip));
      const received = streams.filter((x) => !unreachable(x));
      const lost = streams.filter(unreachable);
      if (received.length === 0) continue;
      // A return path exists when some received stream comes from an address another one goes to.
      const dstIps = new Set(received.map((x) => normalizeHost(x.s.dst.ip)));
      const back = received.some((y) => dstIps.has(normalizeHost(y.s.src.ip)));
      if (back) continue;
      const longest = received.reduce((a, b) => (b.s.lastTimeUs - b.s.firstTimeUs > a.s.lastTimeUs - a.s.firstTimeUs ? b : a));
      const span = longest.s.lastTimeUs - longest.s.firstTimeUs;
      if (span < 2_000_000 || longest.s.packets < 50) continue;
      const silent = [...new Set(received.map((x) => endpointKey(x.s.dst)))];
      // NAT in play: a private SDP address announced from a public source, media from an
      // unannounced address, media crossing between private and public addresses (the LAN side
      // of a NAT), or a return stream sent to a private address from a public one.
      const nat = cm.sdp.some((e) => e.privateAddress && !isPrivateLike(e.signallingSource.ip)) ||
        received.some((x) => !cm.sdp.some((e) => normalizeHost(e.address) === normalizeHost(x.s.src.ip))) ||
        received.some((x) => isPrivateLike(x.s.src.ip) !== isPrivateLike(x.s.dst.ip)) ||
        lost.length > 0;
      const severity: Finding['severity'] = !nat ? 'info' : span >= 5_000_000 ? 'error' : 'warning';
      out.push({
        kind: 'rtp-one-way',
        severity,
        callId,
        frames: uniqFrames([dialog.oks[0]!.frame, ...streams.map((x) => x.s.firstFrame)]),
        title: `One-way audio: RTP only ${[...new Set(received.map((x) => `${x.s.src.ip} → ${x.s.dst.ip}`))].join(', ')}`,
        explanation:
          `The call was answered (frame ${dialog.oks[0]!.frame}) and RTP flowed for ${duration(span)}: ${received.map((x) => streamText(x.s)).join('; ')}. ` +
          `Nothing came back from ${silent.join(', ')} in the other direction, so one party hears nothing. ` +
          (lost.length > 0 ? `The other direction was sent, but to a private address from a public one, where it cannot arrive: ${lost.map((x) => streamText(x.s)).join('; ')}. ` : '') +
          (nat ? 'NAT is involved in this call. ' : 'No NAT is involved and the media flows between the announced addresses, so the silent side most likely sent no RTP at all (a test tool, a muted or send-only endpoint). ') +
          'Typical causes: the silent side sends its media to an address it cannot reach (a private SDP address of the peer, or a NAT that drops unsolicited inbound RTP), a firewall closing the RTP port range, or a SIP ALG rewriting the SDP wrongly. (A capture point that sees only one direction would look the same.)',
        references: ['RFC 3264 §5', 'RFC 3550 §3', 'RFC 4961'],
        fix: 'Check that each side\'s SDP address is reachable by the other (media relay / SBC for NATed phones, symmetric RTP), that the RTP port range is open, and that no SIP ALG rewrites the SDP.',
      });
    }
    return out;
  },
};
