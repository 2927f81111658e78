/**
 * rtp-icmp-unreachable (field note 004): ICMP destination/port unreachable answering RTP —
 * typically early media sent before the 200 OK, to a port the far side has not opened yet. Some
 * NATs drop their mapping on it and the next packet leaves from a new source port. ICMP after
 * the call ended (RTP trailing the BYE) is normal and not reported; ICMP in the last 2 s before
 * the BYE, after media had flowed for a while, is the ordinary hang-up race (the far end closed
 * its port a moment before its BYE arrived) and is only info.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { endpointKey } from '../../capture/types.ts';
import { flowKey } from '../lib/addr.ts';
import { getFlow } from '../lib/flow.ts';
import { duration, framesText, uniqFrames } from '../lib/text.ts';

/** ICMP this close before the BYE, after an answered call ran ≥ 5 s, is the hang-up race. */
const HANGUP_RACE_US = 2_000_000;

export const detectRtpIcmpUnreachable: Detector = {
  kind: 'rtp-icmp-unreachable',
  title: 'ICMP unreachable answered RTP',
  severity: 'warning',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const ids = ctx.model.media?.streamCallIds ?? [];
    const groups = new Map<string, { icmp: typeof ctx.icmp[number][]; stream: number }>();
    // RTP streams by destination and source (each source it had, before a change too), in stream
    // order, so each ICMP finds its stream in one step: a phone with a fixed RTP port gathers one
    // stream per call at one destination.
    const bySrcDst = new Map<string, number[]>();
    if (ctx.icmp.length > 0) {
      ctx.rtpStreams.forEach((s, i) => {
        if (s.kind !== 'rtp') return;
        for (const src of [s.src, ...s.sourceChanges.map((c) => c.from)]) {
          const k = flowKey(src, s.dst);
          const l = bySrcDst.get(k);
          if (!l) bySrcDst.set(k, [i]);
          else if (l[l.length - 1] !== i) l.push(i);
        }
      });
    }
    for (const x of ctx.icmp) {
      if (x.original.protocol !== 17) continue;
      const si = bySrcDst.get(flowKey(x.original.src, x.original.dst))?.[0] ?? -1;
      if (si < 0) continue;
      const key = `${ids[si] ?? ''}|${endpointKey(x.original.dst)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { icmp: [], stream: si }));
      g.icmp.push(x);
    }
    const out: Finding[] = [];
    for (const g of groups.values()) {
      const s = ctx.rtpStreams[g.stream]!;
      const callId = ids[g.stream] ?? null;
      const d = callId ? flow.dialogsByCall.get(callId)?.[0] : undefined;
      const first = g.icmp[0]!;
      if (d && d.byeT !== null && first.timeUs >= d.byeT) continue; // RTP trailing the hang-up
      const ok = d?.oks[0];
      const early = ok !== undefined && first.timeUs < ok.t;
      const last = g.icmp[g.icmp.length - 1]!;
      const hangUpRace = !early && d !== undefined && d.byeT !== null && d.byeT - first.timeUs <= HANGUP_RACE_US && last.timeUs <= d.byeT + 1_000_000 && first.timeUs - s.firstTimeUs >= 5_000_000;
      out.push({
        kind: 'rtp-icmp-unreachable',
        severity: hangUpRace ? 'info' : 'warning',
        callId,
        frames: uniqFrames([s.firstFrame, ...g.icmp.map((x) => x.frame), ...(ok ? [ok.frame] : []), ...s.sourceChanges.map((c) => c.frame)]),
        title: `ICMP ${first.reason} for RTP to ${endpointKey(first.original.dst)}${early ? ' before the 200 OK' : ''}`,
        explanation:
          `${first.reporter} answered RTP from ${endpointKey(first.original.src)} to ${endpointKey(first.original.dst)} with ICMP ${first.reason} (${framesText(g.icmp.map((x) => x.frame))}). ` +
          (early
            ? `The RTP started before the call was answered (the 200 OK is frame ${ok!.frame}, ${duration(ok!.t - first.timeUs)} later): early media to a port the far side had not opened yet. `
            : hangUpRace
              ? `It came ${duration(d!.byeT! - first.timeUs)} before the BYE (frame ${d!.byes[0]!.frame}), after ${duration(first.timeUs - s.firstTimeUs)} of media: the far end closed its port as it hung up, an ordinary race, not a fault. `
              : 'The port was closed while media was still sent to it. ') +
          `Some NATs drop their mapping when they see this ICMP and send the next packet from a new port${s.sourceChanges.length > 0 ? ` — which happened here (${s.sourceChanges.length} source change(s), see rtp-source-changed)` : ''}; a media server that locked onto the old source then ignores the stream.`,
        references: ['RFC 792', 'RFC 4787 §4.3', 'RFC 3264 §5'],
        fix: 'Do not answer early RTP with ICMP port unreachable (open the media port at offer time, or drop silently); avoid sending RTP before the answer, or make the media server re-latch quickly.',
      });
    }
    return out;
  },
};
