/**
 * request-loop: a request goes round between proxies. Seen as 482 Loop Detected (RFC 3261
 * §16.3 item 4, §21.4.20) or 483 Too Many Hops (Max-Forwards reached 0, §16.3 item 3,
 * §21.4.21), or as the same request (Call-ID, CSeq, method) crossing the same pair of hosts again
 * and again with a new branch each time and Max-Forwards counting down. One finding per
 * request.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Msg } from '../lib/flow.ts';
import { getFlow } from '../lib/flow.ts';
import { headerValue } from '../../sip/modelutil.ts';
import { framesText, plural, uniqFrames } from '../lib/text.ts';

/** The same request crossing one host pair this many times with distinct branches is a loop. */
const LOOP_CROSSINGS = 3;

export const detectRequestLoop: Detector = {
  kind: 'request-loop',
  title: 'A request loops between hops',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const out: Finding[] = [];
    for (let cAt = 0; cAt < flow.callLists.length; cAt++) {
      const list = flow.callLists[cAt]!;
      const callId = list[0]!.callId;
      // Most calls cannot hold a loop: fewer requests than a loop's crossings and no 482/483.
      // Said without building anything (this runs for every call).
      let requests = 0;
      let loopAnswer = false;
      for (let xAt = 0; xAt < list.length; xAt++) {
        const x = list[xAt]!;
        if (x.isReq) {
          if (!x.retransmission && !x.duplicate && x.method !== 'ACK') requests++;
        } else if (x.status === 482 || x.status === 483) loopAnswer = true;
      }
      if (requests < LOOP_CROSSINGS && !loopAnswer) continue;
      // Requests by "method CSeq": every first transmission on every hop.
      const byReq = new Map<string, Msg[]>();
      for (let xAt = 0; xAt < list.length; xAt++) {
        const x = list[xAt]!;
        if (!x.isReq || x.retransmission || x.duplicate || x.method === 'ACK') continue;
        const k = `${x.method} ${x.cseq}`;
        let l = byReq.get(k);
        if (!l) byReq.set(k, (l = []));
        l.push(x);
      }
      // The 482/483 answers by the same "method CSeq", gathered once: looked up per request of a
      // long call, a scan of the call each was quadratic.
      const answersByReq = new Map<string, Msg[]>();
      if (loopAnswer) {
        for (let xAt = 0; xAt < list.length; xAt++) {
          const x = list[xAt]!;
          if (x.isReq || (x.status !== 482 && x.status !== 483) || Number.isNaN(x.cseq)) continue;
          const k = `${x.method} ${x.cseq}`;
          const l = answersByReq.get(k);
          if (l) l.push(x);
          else answersByReq.set(k, [x]);
        }
      }
      for (const [k, reqs] of byReq) {
        const method = k.split(' ')[0]!;
        const cseq = reqs[0]!.cseq;
        const loopAnswers = answersByReq.get(k) ?? [];
        // Crossings of one host pair with distinct branches.
        const pairs = new Map<string, Msg[]>();
        const seenBranches = new Set<string>();
        for (let rAt = 0; rAt < reqs.length; rAt++) {
          const r = reqs[rAt]!;
          const p = `${r.srcIp}>${r.dstIp}`;
          let l = pairs.get(p);
          if (!l) pairs.set(p, (l = []));
          const b = `${p} ${r.branch}`;
          if (!seenBranches.has(b)) {
            seenBranches.add(b);
            l.push(r);
          }
        }
        const looping = [...pairs.values()].filter((l) => l.length >= LOOP_CROSSINGS).sort((a, b) => b.length - a.length)[0];
        if (loopAnswers.length === 0 && !looping) continue;
        const maxForwards = reqs.map((r) => Number(headerValue(r.sip, 'Max-Forwards') ?? NaN)).filter((n) => Number.isFinite(n));
        const mf = maxForwards.length > 1 ? ` Max-Forwards went from ${Math.max(...maxForwards)} down to ${Math.min(...maxForwards)}.` : '';
        const first = reqs[0]!;
        const parts: string[] = [];
        if (looping) parts.push(`The ${method} (CSeq ${cseq}) went from ${looping[0]!.srcIp} to ${looping[0]!.dstIp} ${plural(looping.length, 'time')}, each time with a new branch (${framesText(looping.map((r) => r.frame))}): the proxies keep sending it back to each other.`);
        else parts.push(`The ${method} (CSeq ${cseq}) from ${first.src} (frame ${first.frame}) crossed ${plural(reqs.length, 'hop')}.`);
        if (loopAnswers.length > 0) {
          const a = loopAnswers[0]!;
          parts.push(`${a.src} answered ${a.status} ${a.reason} (frame ${a.frame})${a.status === 483 ? ': Max-Forwards ran down to 0, which only a loop (or a very long chain) does' : ': a proxy found its own Via in the request'}.`);
        }
        out.push({
          kind: 'request-loop',
          severity: 'error',
          callId,
          frames: uniqFrames([...(looping ?? []).map((r) => r.frame), ...loopAnswers.map((a) => a.frame)]),
          title: `${method} loops${looping ? ` between ${looping[0]!.srcIp} and ${looping[0]!.dstIp}` : ''}${loopAnswers.length > 0 ? ` (${loopAnswers[0]!.status})` : ''}`,
          explanation: `${parts.join(' ')}${mf} The request never reaches the callee.`,
          references: ['RFC 3261 §16.3', 'RFC 3261 §21.4.20', 'RFC 3261 §21.4.21', 'RFC 5393'],
          fix: 'Check the routing of this request URI on the proxies involved (a route, dispatcher or DNS entry pointing back at the sender, or a domain a proxy does not treat as its own), and make each proxy recognise its own addresses.',
        });
      }
    }
    return out;
  },
};
