/**
 * sdp-private-address (field notes 003, 004): an SDP `c=` with a private/CGNAT address in a
 * message that came from a public address. The peer sends its RTP there (RFC 3264 §5, RFC 4566
 * §5.7) — into nobody's network — unless it latches onto the source of the media it receives
 * (symmetric RTP, RFC 4961) or a media relay rewrites the SDP. Info when the capture shows NAT
 * handled (forwarded copy rewritten, media returned to the NAT's address, or RTP flowing both ways
 * between public addresses, as through a relay like rtpengine); warning otherwise.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { endpointKey } from '../../capture/types.ts';
import { isPrivateLike, normalizeHost } from '../lib/addr.ts';
import type { SdpEndpoint } from '../../sip/media.ts';
import { callMedia, streamText } from '../lib/media.ts';
import { framesText, uniqFrames } from '../lib/text.ts';

/** One text per address and port, for Set lookups (hosts normalised as `epEq` compares them). */
const epKey = (ip: string, port: number): string => `${normalizeHost(ip)}|${port}`;

export const detectSdpPrivateAddress: Detector = {
  kind: 'sdp-private-address',
  title: 'SDP announces a private media address in signalling from a public one',
  severity: 'warning',
  detect(ctx) {
    const out: Finding[] = [];
    const sdpAll = ctx.model.media?.sdp ?? [];
    const media = callMedia(ctx);
    const groups = new Map<string, SdpEndpoint[]>();
    for (let eAt = 0; eAt < sdpAll.length; eAt++) {
      const e = sdpAll[eAt]!;
      if (!e.privateAddress || isPrivateLike(e.signallingSource.ip)) continue;
      if (e.address === '0.0.0.0' || e.address === '::') continue;
      const k = `${e.callId}|${e.address}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(e);
    }
    for (const list of groups.values()) {
      const e = list[0]!;
      const cm = media.get(e.callId);
      const streams = cm?.streams ?? [];
      // The announced address:ports as keys (a long call re-offers it thousands of times).
      const announced = new Set(list.map((p) => epKey(p.address, p.port)));
      const toPrivate = streams.filter((x) => announced.has(epKey(x.s.dst.ip, x.s.dst.port)));
      // Media the NATed side really sent (from its public address) and media returned to that address.
      const fromNat = streams.filter((x) => x.s.src.ip === e.signallingSource.ip);
      // Endpoint keys in Sets: a call may carry thousands of streams (no pairwise scans).
      const natSources = new Set(fromNat.map((f) => epKey(f.s.src.ip, f.s.src.port)));
      const latched = streams.filter((x) => natSources.has(epKey(x.s.dst.ip, x.s.dst.port)));
      // Relayed: RTP flows both ways between two public addresses (a relay such as rtpengine, or a
      // NAT media address other than the signalling one), none of it to the private address.
      const flows = new Set(streams.filter((y) => y.s.packets > 0).map((y) => `${epKey(y.s.src.ip, y.s.src.port)}>${epKey(y.s.dst.ip, y.s.dst.port)}`));
      const twoWay = streams.filter(
        (x) => !isPrivateLike(x.s.src.ip) && !isPrivateLike(x.s.dst.ip) && x.s.packets > 0 && flows.has(`${epKey(x.s.dst.ip, x.s.dst.port)}>${epKey(x.s.src.ip, x.s.src.port)}`),
      );
      const rewritten = (cm?.sdp ?? []).some((o) => o.index > e.index && !o.privateAddress && o.kind === e.kind && o.inRequest === e.inRequest && o.signallingSource.ip !== e.signallingSource.ip);
      let severity: Finding['severity'] = 'warning';
      const parts = [
        `The SDP in frame ${e.frame} (${e.kind}) announces media at ${e.address}:${e.port} (c=${e.address}), a private address, but the message came from ${endpointKey(e.signallingSource)}: the sender is behind a NAT. ` +
          'The peer sends its RTP to the announced address (RFC 3264 §5), which cannot be reached from outside.',
      ];
      if (toPrivate.length > 0) {
        parts.push(`RTP was indeed sent to it: ${toPrivate.map((x) => streamText(x.s)).join('; ')} (see rtp-to-unlatched-address).`);
      } else if (latched.length > 0) {
        severity = 'info';
        parts.push(`The peer latched on the NAT's address instead: ${latched.map((x) => streamText(x.s)).join('; ')}, so media works.`);
      } else if (twoWay.length >= 2) {
        severity = 'info';
        parts.push(`Media flowed both ways between public addresses instead (relayed or latched): ${twoWay.map((x) => streamText(x.s)).join('; ')}, so NAT was handled.`);
      } else if (rewritten) {
        severity = 'info';
        parts.push('A later copy of the SDP forwarded by a proxy or media relay carries a public address, so NAT was handled.');
      } else if (streams.length === 0) {
        parts.push('No RTP of this call was captured, so whether the far end latched onto the real source (symmetric RTP) cannot be seen.');
      }
      out.push({
        kind: 'sdp-private-address',
        severity,
        callId: e.callId,
        frames: uniqFrames([...list.map((x) => x.frame), ...toPrivate.map((x) => x.s.firstFrame)]),
        title: `SDP c=${e.address} is private but the signalling came from ${endpointKey(e.signallingSource)}`,
        explanation: parts.join(' ') + (list.length > 1 ? ` Also in ${framesText(list.slice(1).map((x) => x.frame))}.` : ''),
        references: ['RFC 3264 §5', 'RFC 4566 §5.7', 'RFC 4961', 'RFC 7362'],
        fix: 'Use a media relay / SBC that rewrites the SDP (rtpproxy/rtpengine with fix_nated_sdp), enable symmetric RTP (latching, comedia) on the far end, or let the UA learn its public address (STUN/ICE); disable any SIP ALG.',
      });
    }
    return out;
  },
};
