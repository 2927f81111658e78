/**
 * rtp-source-changed (field note 004): an RTP stream (same SSRC toward the same destination)
 * whose source address:port changed mid-call — typically a NAT that dropped its mapping (after an
 * ICMP port unreachable, a timeout or an HA switch) and opened a new one. A media server that
 * locked onto the first source (latching with session locking) ignores the new one: no audio
 * until its lock times out. A stream that flips back and forth between one private and one public
 * source is the same packets captured on both sides of a NAT, and is not reported.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { endpointKey } from '../../capture/types.ts';
import type { RtpStreamStats } from '../../capture/types.ts';
import { flowKey, isPrivateLike, sameEndpoint } from '../lib/addr.ts';
import { streamText } from '../lib/media.ts';
import { uniqFrames } from '../lib/text.ts';

/**
 * The same packets captured on both sides of a NAT (a capture on the router, "-i any"): the
 * stream flips back and forth between exactly two sources, one private and one public. That is
 * one flow seen twice, not a source change.
 */
function bothSidesOfNat(s: RtpStreamStats): boolean {
  if (s.sourceChanges.length < 2) return false;
  const a = s.src;
  const b = s.sourceChanges[0]!.to;
  if (isPrivateLike(a.ip) === isPrivateLike(b.ip)) return false;
  return s.sourceChanges.every((c) => (sameEndpoint(c.from, a) && sameEndpoint(c.to, b)) || (sameEndpoint(c.from, b) && sameEndpoint(c.to, a)));
}

export const detectRtpSourceChanged: Detector = {
  kind: 'rtp-source-changed',
  title: 'An RTP stream changed its source address:port mid-call',
  severity: 'warning',
  detect(ctx) {
    const out: Finding[] = [];
    const ids = ctx.model.media?.streamCallIds ?? [];
    // ICMP by the flow it quotes (source > destination), in capture order, built when a stream first asks.
    let byFlow: Map<string, number[]> | null = null;
    ctx.rtpStreams.forEach((s, i) => {
      if (s.kind !== 'rtp' || s.sourceChanges.length === 0) return;
      if (bothSidesOfNat(s)) return;
      if (byFlow === null) {
        byFlow = new Map();
        ctx.icmp.forEach((x, k) => {
          const key = flowKey(x.original.src, x.original.dst);
          const l = byFlow!.get(key);
          if (l) l.push(k);
          else byFlow!.set(key, [k]);
        });
      }
      // The ICMP about RTP from a source it changed from to this destination, up to the first change.
      const at = new Set<number>();
      for (const c of s.sourceChanges) for (const k of byFlow.get(flowKey(c.from, s.dst)) ?? []) at.add(k);
      const icmp = [...at].sort((a, b) => a - b).map((k) => ctx.icmp[k]!).filter((x) => x.timeUs <= (s.sourceChanges[0]?.timeUs ?? 0));
      const changes = s.sourceChanges.map((c) => `${endpointKey(c.from)} → ${endpointKey(c.to)} at frame ${c.frame}`).join('; ');
      out.push({
        kind: 'rtp-source-changed',
        severity: 'warning',
        callId: ids[i] ?? null,
        frames: uniqFrames([s.firstFrame, ...s.sourceChanges.map((c) => c.frame), ...icmp.map((x) => x.frame)]),
        title: `RTP source changed mid-stream (${s.sourceChanges.length}×) toward ${endpointKey(s.dst)}`,
        explanation:
          `The RTP stream ${streamText(s)} changed its source: ${changes}. A NAT opened a new mapping for the same flow. ` +
          `${icmp.length > 0 ? `Just before, ${endpointKey(s.dst)}'s side answered with ICMP port unreachable (frame ${icmp[0]!.frame}), which makes some NATs tear the mapping down (see rtp-icmp-unreachable). ` : ''}` +
          'A receiver that latched onto the first source and locks the session drops the packets from the new one, so audio is lost until the lock expires.',
        references: ['RFC 3550 §8.2', 'RFC 4961', 'RFC 4787 §4.3'],
        fix: 'Let the media server re-latch quickly (short session-lock timeout) and stop it from sending ICMP port unreachable for early RTP; on the NAT, keep mappings stable (endpoint-independent mapping, longer UDP timeouts).',
      });
    });
    return out;
  },
};
