/**
 * cancel-unanswered: a CANCEL retransmitted and never answered. A CANCEL is answered hop by hop
 * at once, 200 OK (or 481 when there is nothing left to cancel), RFC 3261 §9.2; a CANCEL sent
 * again and again until Timer F (64·T1 = 32 s, §17.1.2.2) means the next hop never received it
 * or its answers went elsewhere, so the callee may go on ringing and the INVITE ends only by
 * timer. One finding per CANCEL.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { getFlow, legCopies, responsesTo, sawBothDirections } from '../lib/flow.ts';
import type { Msg } from '../lib/flow.ts';
import { duration, framesText, plural, uniqFrames } from '../lib/text.ts';

const TIMER_F_US = 32_000_000;

export const detectCancelUnanswered: Detector = {
  kind: 'cancel-unanswered',
  title: 'A CANCEL was retransmitted and never answered',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const out: Finding[] = [];
    for (let cAt = 0; cAt < flow.callLists.length; cAt++) {
      const list = flow.callLists[cAt]!;
      const callId = list[0]!.callId;
      // The call's final responses to INVITEs by CSeq, in call order (built when a CANCEL first needs them).
      let finals: Map<number, Msg[]> | null = null;
      for (let xAt = 0; xAt < list.length; xAt++) {
        const c = list[xAt]!;
        if (!c.isReq || c.method !== 'CANCEL' || c.retransmission || c.duplicate) continue;
        const answers = responsesTo(flow, c).filter((r) => (r.status >= 200 && r.status < 300) || r.status === 481);
        if (answers.length > 0) continue;
        const copies = legCopies(flow, c);
        if (copies.length < 2) continue;
        const span = copies[copies.length - 1]!.t - c.t;
        const since = ctx.captureEndUs - c.t;
        const others = responsesTo(flow, c).filter((r) => r.status >= 300);
        // The INVITE it cancels: same Call-ID and CSeq number, and how that INVITE ended.
        if (finals === null) {
          finals = new Map();
          for (const x of list) {
            if (x.isReq || x.method !== 'INVITE' || x.status < 200) continue;
            const l = finals.get(x.cseq);
            if (l) l.push(x);
            else finals.set(x.cseq, [x]);
          }
        }
        const invFinal = finals.get(c.cseq)?.find((x) => x.t > c.t);
        const severity: Finding['severity'] = span >= TIMER_F_US / 2 || since >= TIMER_F_US ? (sawBothDirections(flow, c.srcIp, c.dstIp) ? 'error' : 'warning') : 'warning';
        out.push({
          kind: 'cancel-unanswered',
          severity,
          callId,
          frames: uniqFrames([...copies.map((x) => x.frame), ...others.map((r) => r.frame), ...(invFinal ? [invFinal.frame] : [])]),
          title: `CANCEL ${c.src} → ${c.dst} retransmitted ${plural(copies.length - 1, 'time')}, never answered`,
          explanation:
            `${c.src} sent CANCEL to ${c.dst} (frame ${c.frame}) and retransmitted it ${plural(copies.length - 1, 'time')} over ${duration(span)} (${framesText(copies.map((x) => x.frame))}), ` +
            `but no 200 OK (nor 481) ever came back for it${others.length > 0 ? ` — only ${others.map((r) => `${r.status} (frame ${r.frame})`).join(', ')}` : ''}. ` +
            'A CANCEL is answered at once by the next hop, so either it never arrived there or its answers went to another address or port. ' +
            (invFinal
              ? `The INVITE it was meant to stop ended with ${invFinal.status} (frame ${invFinal.frame}), ${duration(invFinal.t - c.t)} after the CANCEL.`
              : 'The INVITE it was meant to stop got no final response in the capture: the callee may have kept ringing.'),
          references: ['RFC 3261 §9.1', 'RFC 3261 §9.2', 'RFC 3261 §17.1.2.2'],
          fix: 'Check that the CANCEL goes to the same next hop (address, port, transport) as the INVITE it cancels, with the same top Via branch, and that responses can come back to the sender\'s Via (rport behind NAT).',
        });
      }
    }
    return out;
  },
};
