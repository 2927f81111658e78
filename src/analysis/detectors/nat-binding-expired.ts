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
 *
 * Seen from inside the NAT (the user agent's private address talking to a public one), the
 * dropped request never arrives, so the capture cannot show it. What it can show is the cause: a
 * call still up at the end of the capture whose media went on for 30 s or more after the last
 * packet of any kind on the phone's SIP flow (no keep-alive refreshed it). That is a `warning` —
 * the binding has likely expired — with the idle time and the media frames that prove the call
 * was still live; a capture on the NAT's public side proves the loss.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Msg } from '../lib/flow.ts';
import type { Flow } from '../lib/flow.ts';
import type { DetectorContext } from '../detector.ts';
import type { IcmpUnreachable } from '../../capture/types.ts';
import type { CapturedMessage } from '../../sip/types.ts';
import { getFlow, legCopies, nattedSources, pairKey, pairTraffic, responsesTo } from '../lib/flow.ts';
import { classifyAddress, isPrivateLike } from '../lib/addr.ts';
import { endpointKey } from '../../capture/types.ts';
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
    const done = new Set<string>();
    const out: Finding[] = idleFromInside(ctx, flow);
    if (natted.size === 0) return out;
    const pt = pairTraffic(flow);
    for (let xAt = 0; xAt < flow.msgs.length; xAt++) {
      const x = flow.msgs[xAt]!;
      if (!x.isReq || x.retransmission || x.duplicate || x.transport !== 'udp' || !natted.has(x.dst)) continue;
      const traffic = pt.byPair.get(pairKey(x.src, x.dst)) ?? [];
      // The packet before this one on the pair (capture order; skip same-instant copies).
      let last: (typeof traffic)[number] | null = null;
      let lastAt = -1;
      for (let i = (pt.pos[x.index] ?? 0) - 1; i >= 0; i--) {
        const m = traffic[i]!;
        if (m.timeUs < x.t) {
          last = m;
          lastAt = i;
          break;
        }
      }
      if (!last) continue;
      const gap = x.t - last.timeUs;
      if (gap < NAT_IDLE_MIN_US) continue;
      const key = `${x.callId}|${x.dst}`;
      if (done.has(key)) continue;
      const copies: Msg[] = legCopies(flow, x);
      if (responsesTo(flow, x).some((r) => r.src === x.dst)) continue;
      if (copies.length < 2 && ctx.captureEndUs - x.t < 4_000_000) continue;
      // The NAT's own word: ICMP port unreachable from its address for this request's datagram.
      const icmp = unreachableAfter(ctx, x);
      // Not one packet from that mapping after the request, to the end of the capture.
      const h = sidesOf(traffic);
      const mapping = h.firstKey === x.dst ? h.first : h.second;
      const heardSince = mapping.lastTimeUs > x.t;
      if (gap < NAT_IDLE_US && !icmp && (heardSince || copies.length < 3)) continue;
      // Keep-alives before the gap (up to the packet before it): how often the mapping was refreshed from inside.
      const sentBefore = mapping.count[lastAt + 1]!;
      const keepAlive =
        sentBefore >= 2
          ? `Before the gap the phone's side sent ${plural(sentBefore, 'packet')} on that flow, the last in frame ${traffic[mapping.last[lastAt]!]!.frame}; nothing refreshed it during the ${duration(gap)}.`
          : 'No keep-alive (OPTIONS, CRLF or any other packet) from the phone\'s side refreshed the mapping during the gap.';
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

/**
 * One endpoint's packets on a pair's traffic: how many it sent before each position (`count[i]`:
 * in positions 0..i−1), the position of its last one at or before each position (−1: none), and
 * the time of its last one. Built once per pair that a request is judged on, so that asking
 * about each of many requests on one flow does not scan the flow each time.
 */
interface SideHistory {
  count: Int32Array;
  last: Int32Array;
  lastTimeUs: number;
}

const histories = new WeakMap<readonly CapturedMessage[], { firstKey: string; first: SideHistory; second: SideHistory }>();

function sidesOf(traffic: readonly CapturedMessage[]): { firstKey: string; first: SideHistory; second: SideHistory } {
  let h = histories.get(traffic);
  if (h) return h;
  const n = traffic.length;
  const side = (): SideHistory => ({ count: new Int32Array(n + 1), last: new Int32Array(n), lastTimeUs: -Infinity });
  const first = side();
  const second = side();
  const firstKey = n > 0 ? endpointKey(traffic[0]!.src) : '';
  const a = traffic[0]?.src;
  let lastFirst = -1;
  let lastSecond = -1;
  for (let i = 0; i < n; i++) {
    const m = traffic[i]!;
    const mine = a !== undefined && m.src.ip === a.ip && m.src.port === a.port;
    first.count[i + 1] = first.count[i]! + (mine ? 1 : 0);
    second.count[i + 1] = second.count[i]! + (mine ? 0 : 1);
    if (mine) {
      lastFirst = i;
      first.lastTimeUs = Math.max(first.lastTimeUs, m.timeUs);
    } else {
      lastSecond = i;
      second.lastTimeUs = Math.max(second.lastTimeUs, m.timeUs);
    }
    first.last[i] = lastFirst;
    second.last[i] = lastSecond;
  }
  h = { firstKey, first, second };
  histories.set(traffic, h);
  return h;
}

/** ICMP port unreachable lists by the address they are about ("ip port"), each in time order. */
const unreachables = new WeakMap<readonly IcmpUnreachable[], Map<string, IcmpUnreachable[]>>();

/** The first ICMP port unreachable at or after the request, from its destination's address, about a UDP datagram to its destination. */
function unreachableAfter(ctx: DetectorContext, x: Msg): IcmpUnreachable | undefined {
  let byDst = unreachables.get(ctx.icmp);
  if (!byDst) {
    byDst = new Map();
    for (const i of ctx.icmp) {
      if (i.original.protocol !== 17 || i.reporter !== i.original.dst.ip) continue;
      const k = `${i.original.dst.ip} ${i.original.dst.port}`;
      let l = byDst.get(k);
      if (!l) byDst.set(k, (l = []));
      l.push(i);
    }
    for (const l of byDst.values()) l.sort((p, q) => p.timeUs - q.timeUs);
    unreachables.set(ctx.icmp, byDst);
  }
  const l = byDst.get(`${x.dstEp.ip} ${x.dstEp.port}`);
  if (!l) return undefined;
  let lo = 0;
  let hi = l.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (l[mid]!.timeUs < x.t) lo = mid + 1;
    else hi = mid;
  }
  return l[lo];
}

/** Seen from inside the NAT: a live call whose phone's SIP flow went silent past NAT timeouts (see the header). */
function idleFromInside(ctx: DetectorContext, flow: Flow): Finding[] {
  const out: Finding[] = [];
  const pt = pairTraffic(flow);
  // The RTP streams of each call, by stream index (built when a dialog first needs them).
  let streamsOfCall: Map<string, number[]> | null = null;
  for (let dAt = 0; dAt < flow.dialogs.length; dAt++) {
    const d = flow.dialogs[dAt]!;
    if (d.byeDeliveredT !== null || d.byes.length > 0 || d.oks.length === 0) continue;
    if (d.acks.length === 0 && d.confirmedT === null) continue;
    for (const ua of [d.calleeUaEp, d.callerUaEp]) {
      if (!isPrivateLike(ua.ip) || classifyAddress(ua.ip) === 'loopback') continue;
      const uaKey = endpointKey(ua);
      // The public peer the phone's SIP flow of this dialog runs to (over UDP, where NAT mappings expire).
      const hop = d.messages.concat(d.oks, d.acks).find((x) => x.transport === 'udp' && (x.src === uaKey || x.dst === uaKey) && !isPrivateLike(x.src === uaKey ? x.dstIp : x.srcIp));
      if (!hop) continue;
      const peer = hop.src === uaKey ? hop.dst : hop.src;
      const traffic = pt.byPair.get(pairKey(uaKey, peer)) ?? [];
      const last = traffic[traffic.length - 1];
      if (!last) continue;
      // The call's media, still flowing from or to the phone's address long after that.
      let live: { frame: number; timeUs: number } | null = null;
      if (streamsOfCall === null) {
        streamsOfCall = new Map();
        const ids = ctx.model.media.streamCallIds;
        for (let i = 0; i < ctx.rtpStreams.length; i++) {
          const id = ids[i];
          if (id === null || id === undefined) continue;
          let l = streamsOfCall.get(id);
          if (!l) streamsOfCall.set(id, (l = []));
          l.push(i);
        }
      }
      for (const i of streamsOfCall.get(d.callId) ?? []) {
        const s = ctx.rtpStreams[i]!;
        if (s.src.ip !== ua.ip && s.dst.ip !== ua.ip) continue;
        if (live === null || s.lastTimeUs > live.timeUs) live = { frame: s.lastFrame, timeUs: s.lastTimeUs };
      }
      if (live === null) continue;
      const idle = live.timeUs - last.timeUs;
      if (idle < NAT_IDLE_US) continue;
      out.push({
        kind: 'nat-binding-expired',
        severity: 'warning',
        callId: d.callId,
        frames: uniqFrames([last.frame, live.frame]),
        title: `SIP flow of ${uaKey} (behind NAT) silent for ${duration(idle)} while the call's media went on: its NAT binding has likely expired`,
        explanation:
          `${uaKey} is a private address and its SIP flow runs to ${peer} across a NAT. After frame ${last.frame} not one packet crossed ${uaKey} ↔ ${peer} ` +
          `(no CRLF or OPTIONS keep-alive, no re-REGISTER), while the call was still live: its media ran on until frame ${live.frame}, ${duration(idle)} later, and no BYE was seen. ` +
          'Media uses other ports and does not refresh the SIP mapping; real NATs expire idle UDP mappings after 5–60 s. ' +
          `Once it is gone the NAT drops a BYE or re-INVITE from ${peer} toward this phone, which then keeps a call the other side has ended — from inside, that looks like a call still up. ` +
          'A capture on the NAT\'s public side shows whether such a request was sent and lost.',
        references: ['RFC 4787 §4.3', 'RFC 5626 §4.4', 'RFC 3261 §10.2.1'],
        fix: 'Keep the NAT binding alive: CRLF or OPTIONS keep-alives every 15–25 s (RFC 5626 §4.4, natping from the proxy), or session timers (RFC 4028) shorter than the NAT timeout; or raise the NAT\'s UDP timeout for SIP.',
      });
      break;
    }
  }
  return out;
}
