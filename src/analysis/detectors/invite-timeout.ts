/**
 * invite-timeout (field note 003): an INVITE retransmitted on a hop with no final response — the
 * client transaction's Timer A doubles the interval and Timer B gives up after 64·T1 = 32 s
 * (RFC 3261 §17.1.1.2), or a proxy answers 408 Request Timeout upstream. A 408 after a ringing
 * 18x is a no-answer timer, not a timeout of the request, and is left alone; an ACK from the
 * caller proves a final response existed even when it was not captured. One finding per call.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Msg } from '../lib/flow.ts';
import { isPrivateLike } from '../lib/addr.ts';
import { anyResponses, getFlow, isResponseTo, legCopies, nattedSources, responsesTo, sawBothDirections } from '../lib/flow.ts';
import { duration, framesText, plural, uniqFrames } from '../lib/text.ts';

const TIMER_B_US = 32_000_000;

export const detectInviteTimeout: Detector = {
  kind: 'invite-timeout',
  title: 'An INVITE was retransmitted and never got a final response',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const natted = nattedSources(flow);
    const out: Finding[] = [];
    for (let cAt = 0; cAt < flow.callLists.length; cAt++) {
      const list = flow.callLists[cAt]!;
      const callId = list[0]!.callId;
      // ACKs of the call by "CSeq|source IP", latest time (an ACK proves a final response existed); built on demand.
      let ackAt: Map<string, number> | null = null;
      const ackedAfter = (inv: Msg): boolean => {
        if (!ackAt) {
          ackAt = new Map();
          for (let aAt = 0; aAt < list.length; aAt++) {
            const a = list[aAt]!;
            if (a.isReq && a.method === 'ACK') ackAt.set(`${a.cseq}|${a.srcIp}`, Math.max(a.t, ackAt.get(`${a.cseq}|${a.srcIp}`) ?? -Infinity));
          }
        }
        return (ackAt.get(`${inv.cseq}|${inv.srcIp}`) ?? -Infinity) > inv.t;
      };
      const legs: Array<{ first: Msg; copies: Msg[]; r408: Msg[]; lost: Msg[]; silent: boolean; trying: Msg[] }> = [];
      for (let invAt = 0; invAt < list.length; invAt++) {
        const inv = list[invAt]!;
        if (!inv.isReq || inv.method !== 'INVITE' || inv.retransmission || inv.duplicate) continue;
        // Most INVITEs ring: asked first without building the lists below (the same test as
        // `resps.some(…)` on them).
        if (inv.tx.some((r) => isResponseTo(r, inv) && backToSender(r, inv) && r.status > 100 && r.status < 200)) continue;
        // Only responses that reached the client count; ones sent elsewhere (wrong port) were lost.
        const allResps = responsesTo(flow, inv);
        const resps = allResps.filter((r) => backToSender(r, inv));
        if (resps.some((r) => r.status > 100 && r.status < 200)) continue; // it rang: not a timeout of the request
        const finals = resps.filter((r) => r.status >= 200);
        if (finals.length === 0 && ackedAfter(inv)) continue; // a final existed, not captured
        const reached = new Set(resps);
        const lost = allResps.filter((r) => !reached.has(r));
        const copies = legCopies(flow, inv);
        const r408 = finals.filter((r) => r.status === 408);
        if (finals.length > 0 && r408.length === 0) continue;
        const anyFinalElsewhere = anyResponses(flow, inv).some((r) => r.status >= 200 && r.status !== 408 && r.dst === inv.src);
        if (anyFinalElsewhere) continue;
        if (r408.length === 0 && copies.length < 2) continue;
        const trying = resps.filter((r) => r.status === 100);
        legs.push({ first: inv, copies, r408: [...r408, ...lost.filter((r) => r.status === 408)], lost, silent: resps.length === 0 && lost.length === 0, trying });
      }
      if (legs.length === 0) continue;
      // The hop that timed out is the one furthest downstream: most Vias.
      legs.sort((a, b) => b.first.viaCount - a.first.viaCount);
      const main = legs.find((l) => l.copies.length >= 2) ?? legs[0]!;
      const f = main.first;
      const last = main.copies[main.copies.length - 1]!;
      const span = last.t - f.t;
      const after = ctx.captureEndUs - f.t;
      const all408 = legs.flatMap((l) => l.r408);
      const parts: string[] = [];
      // What did come back, in the capture's own words (a 100 Trying is an answer of the next hop).
      const t100 = main.trying[0];
      const heard = t100
        ? `only ${main.trying.length === 1 ? 'a 100 Trying' : `${main.trying.length} × 100 Trying`} came back (frame ${t100.frame}, ${duration(t100.t - f.t)} after the INVITE): the next hop took the request, but no ringing or final response followed from the callee side`
        : main.silent ? `no response at all came back from ${f.dst}` : `no response reached ${f.src}`;
      if (main.copies.length >= 2) {
        parts.push(
          `The INVITE from ${f.src} to ${f.dst} (frame ${f.frame}) was retransmitted ${plural(main.copies.length - 1, 'time')} over ${duration(span)} (${framesText(main.copies.map((x) => x.frame))}) — Timer A doubling — and ${heard}.`,
        );
      } else {
        parts.push(`The INVITE from ${f.src} to ${f.dst} (frame ${f.frame}) was sent once, and ${heard}.`);
      }
      const cancel = list.find((x) => x.isReq && x.method === 'CANCEL' && x.cseq === f.cseq && x.t > f.t);
      if (cancel) parts.push(`The caller gave up and sent CANCEL (frame ${cancel.frame}, ${duration(cancel.t - f.t)} after the INVITE).`);
      if (main.lost.length > 0) {
        parts.push(
          `${f.dst} did answer (${framesText(main.lost.map((r) => r.frame))}), but to ${[...new Set(main.lost.map((r) => r.dst))].join(', ')} instead of ${f.src}, where the INVITE came from, so the caller never heard anything (see response-to-wrong-port).`,
        );
      }
      if (all408.length > 0) parts.push(`It ended with 408 Request Timeout (${framesText(all408.map((r) => r.frame))}), ${duration(all408[0]!.t - f.t)} after the INVITE.`);
      else if (after >= TIMER_B_US) parts.push(`After 64·T1 = 32 s Timer B fires and the caller gives up (RFC 3261 §17.1.1.2).`);
      const hints: string[] = [];
      if (natted.has(f.dst)) hints.push(`${f.dst} is the public NAT mapping of a user agent behind NAT (its Via/Contact were private): a UDP NAT binding that expired or a port-restricted NAT drops requests toward it (see nat-binding-expired)`);
      const contact = f.contact[0]?.uri;
      if (f.topVia && contact && isPrivateLike(contact.host) && !isPrivateLike(f.srcIp)) hints.push(`the INVITE's Contact ${contact.raw} is private, so responses routed by it cannot come back`);
      if (hints.length > 0) parts.push(`Likely cause: ${hints.join('; ')}.`);
      const oneSided = main.silent && !sawBothDirections(flow, f.srcIp, f.dstIp);
      if (oneSided) parts.push(`Nothing at all was captured coming from ${f.dstIp} to ${f.srcIp}, so the capture may only see one direction.`);
      let severity: Finding['severity'] = all408.length > 0 || span >= 16_000_000 || after >= TIMER_B_US ? 'error' : 'warning';
      if (oneSided) severity = 'warning';
      out.push({
        kind: 'invite-timeout',
        severity,
        callId,
        frames: uniqFrames([...legs.flatMap((l) => l.copies.map((x) => x.frame)), ...main.trying.map((r) => r.frame), ...all408.map((r) => r.frame), ...legs.flatMap((l) => l.lost.map((r) => r.frame))]),
        title: `INVITE to ${f.dst} ${main.copies.length >= 2 ? `retransmitted ${plural(main.copies.length - 1, 'time')}` : 'sent'} without ${main.trying.length > 0 ? 'a final answer' : 'answer'}${all408.length > 0 ? ', then 408' : ''}`,
        explanation: parts.join(' '),
        references: ['RFC 3261 §17.1.1.2', 'RFC 3261 §16.7', 'RFC 3261 §21.4.9'],
        fix: 'Find where the INVITE dies: check that the callee is reachable at the address the proxy uses (registration contact fixed for NAT, NAT binding kept alive with keep-alives or short re-registration), that no SIP ALG rewrites it, and that the firewall lets SIP in.',
      });
    }
    return out;
  },
};

/** A response that came back to the INVITE's sender (its address, or its connection). */
function backToSender(r: Msg, inv: Msg): boolean {
  return r.dst === inv.src || (inv.m.connection !== null && r.m.connection === inv.m.connection);
}
