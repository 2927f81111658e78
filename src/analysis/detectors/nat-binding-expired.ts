/**
 * nat-binding-expired (field notes 002, 003): a request sent over UDP toward the public address of
 * a user agent behind NAT after the flow was idle, and it goes unanswered: the NAT forgot the
 * mapping and drops it. Only flows whose far end is known to be NATed (private Via/Contact seen
 * from it) are judged. Real NATs expire UDP mappings after 5–60 s (RFC 4787 §4.3 asks for 2 min
 * but many do not), so no fixed timeout is assumed: an idle gap of 30 s or more is enough with an
 * unanswered request; a shorter one (from 5 s) needs the capture's own evidence — an ICMP port
 * unreachable from the NAT's address answering the request, or the request retransmitted and not
 * one packet from that mapping since. The explanation states the idle time and whether anything
 * (OPTIONS, any SIP) kept the mapping alive before.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Msg } from '../lib/flow.ts';
import { getFlow, legCopies, nattedSources, pairKey, pairTraffic, responsesTo } from '../lib/flow.ts';
import { duration, framesText, plural, uniqFrames } from '../lib/text.ts';

/** Idle gap that counts on its own with an unanswered request: most NATs drop UDP mappings by 30 s. */
export const NAT_IDLE_US = 30_000_000;
/** Shortest idle gap judged at all (the quickest real NATs expire UDP mappings after 5 s). */
export const NAT_IDLE_MIN_US = 5_000_000;

export const detectNatBindingExpired: Detector = {
  kind: 'nat-binding-expired',
  title: 'A request toward a NATed user agent went unanswered after a long idle gap',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const natted = nattedSources(flow);
    const out: Finding[] = [];
    const done = new Set<string>();
    if (natted.size === 0) return out;
    const pt = pairTraffic(flow);
    for (const x of flow.msgs) {
      if (!x.isReq || x.retransmission || x.duplicate || x.transport !== 'udp' || !natted.has(x.dst)) continue;
      const traffic = pt.byPair.get(pairKey(x.src, x.dst)) ?? [];
      // The packet before this one on the pair (capture order; skip same-instant copies).
      let last: (typeof traffic)[number] | null = null;
      for (let i = (pt.pos[x.index] ?? 0) - 1; i >= 0; i--) {
        const m = traffic[i]!;
        if (m.timeUs < x.t) {
          last = m;
          break;
        }
      }
      if (!last) continue;
      const gap = x.t - last.timeUs;
      if (gap < NAT_IDLE_MIN_US) continue;
      const copies: Msg[] = legCopies(flow, x);
      if (responsesTo(flow, x).some((r) => r.src === x.dst)) continue;
      if (copies.length < 2 && ctx.captureEndUs - x.t < 4_000_000) continue;
      // The NAT's own word: ICMP port unreachable from its address for this request's datagram.
      const icmp = ctx.icmp.find(
        (i) => i.timeUs >= x.t && i.original.protocol === 17 && i.reporter === x.dstEp.ip && i.original.dst.ip === x.dstEp.ip && i.original.dst.port === x.dstEp.port,
      );
      // Not one packet from that mapping after the request, to the end of the capture.
      const heardSince = traffic.some((m) => m.timeUs > x.t && m.src.ip === x.dstEp.ip && m.src.port === x.dstEp.port);
      if (gap < NAT_IDLE_US && !icmp && (heardSince || copies.length < 3)) continue;
      // Keep-alives before the gap: how often the mapping was refreshed from inside.
      const fromMapping = traffic.filter((m) => m.timeUs < x.t && m.src.ip === x.dstEp.ip && m.src.port === x.dstEp.port);
      const keepAlive =
        fromMapping.length >= 2
          ? `Before the gap the phone's side sent ${plural(fromMapping.length, 'packet')} on that flow, the last in frame ${fromMapping[fromMapping.length - 1]!.frame}; nothing refreshed it during the ${duration(gap)}.`
          : 'No keep-alive (OPTIONS, CRLF or any other packet) from the phone\'s side refreshed the mapping during the gap.';
      const key = `${x.callId}|${x.dst}`;
      if (done.has(key)) continue;
      done.add(key);
      out.push({
        kind: 'nat-binding-expired',
        severity: 'error',
        callId: x.callId,
        frames: uniqFrames([last.frame, ...copies.map((c) => c.frame), ...(icmp ? [icmp.frame] : [])]),
        title: `${x.method} to ${x.dst} unanswered after ${duration(gap)} of silence on that flow (NAT binding expired)`,
        explanation:
          `${x.dst} is the public NAT mapping of a user agent behind NAT (its Via/Contact were private). Nothing crossed the flow ${x.src} ↔ ${x.dst} for ${duration(gap)} ` +
          `(last packet frame ${last.frame}); then the ${x.method} in frame ${x.frame} was sent${copies.length > 1 ? ` and retransmitted ${plural(copies.length - 1, 'time')} (${framesText(copies.map((c) => c.frame))})` : ''} and never answered. ` +
          `${icmp ? `The NAT's address answered with ICMP ${icmp.reason} (frame ${icmp.frame}): it has no mapping for that port any more. ` : ''}` +
          `${heardSince ? '' : 'Not one packet came from that mapping after the request. '}${keepAlive} ` +
          'Real NATs expire idle UDP mappings after 5–60 s; after that the NAT drops unsolicited packets toward the phone.',
        references: ['RFC 4787 §4.3', 'RFC 5626 §4.4', 'RFC 3261 §10.2.1'],
        fix: 'Keep the NAT binding alive: CRLF or OPTIONS keep-alives every 15–25 s (RFC 5626 §4.4, natping), or re-register more often than the NAT timeout; or raise the NAT\'s UDP timeout for SIP.',
      });
    }
    return out;
  },
};
