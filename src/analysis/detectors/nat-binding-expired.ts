/**
 * nat-binding-expired (field notes 002, 003): a request sent over UDP toward the public address of
 * a user agent behind NAT after the flow was idle longer than common NAT UDP timeouts (30–60 s),
 * and it goes unanswered: the NAT forgot the mapping and drops it. Only flows whose far end is
 * known to be NATed (private Via/Contact seen from it) are judged.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../engine/report.ts';
import type { Msg } from '../lib/flow.ts';
import { getFlow, legCopies, nattedSources, pairKey, pairTraffic, responsesTo } from '../lib/flow.ts';
import { duration, framesText, plural, uniqFrames } from '../lib/text.ts';

/** Shortest idle gap that counts: many NATs drop UDP mappings after 30 s. */
export const NAT_IDLE_US = 30_000_000;

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
      if (gap < NAT_IDLE_US) continue;
      const copies: Msg[] = legCopies(flow, x);
      if (responsesTo(flow, x).some((r) => r.src === x.dst)) continue;
      if (copies.length < 2 && ctx.captureEndUs - x.t < 4_000_000) continue;
      const key = `${x.callId}|${x.dst}`;
      if (done.has(key)) continue;
      done.add(key);
      out.push({
        kind: 'nat-binding-expired',
        severity: 'error',
        callId: x.callId,
        frames: uniqFrames([last.frame, ...copies.map((c) => c.frame)]),
        title: `${x.method} to ${x.dst} unanswered after ${duration(gap)} of silence on that flow (NAT binding expired)`,
        explanation:
          `${x.dst} is the public NAT mapping of a user agent behind NAT (its Via/Contact were private). Nothing crossed the flow ${x.src} ↔ ${x.dst} for ${duration(gap)} ` +
          `(last packet frame ${last.frame}); then the ${x.method} in frame ${x.frame} was sent${copies.length > 1 ? ` and retransmitted ${plural(copies.length - 1, 'time')} (${framesText(copies.map((c) => c.frame))})` : ''} and never answered. ` +
          'UDP NAT mappings typically expire after 30–60 s without traffic; after that the NAT drops unsolicited packets toward the phone.',
        references: ['RFC 4787 §4.3', 'RFC 5626 §4.4', 'RFC 3261 §10.2.1'],
        fix: 'Keep the NAT binding alive: CRLF or OPTIONS keep-alives every 15–25 s (RFC 5626 §4.4, natping), or re-register more often than the NAT timeout; or raise the NAT\'s UDP timeout for SIP.',
      });
    }
    return out;
  },
};
