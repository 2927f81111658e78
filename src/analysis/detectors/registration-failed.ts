/**
 * registration-failed (field note 003): a user agent's registration did not take, so the
 * registrar has no binding for it and calls to it fail. Judged on the last REGISTER attempt of a
 * Call-ID (RFC 3261 §10.2.4: one Call-ID per registration, CSeq rising), after any 2xx:
 *   - retried with no answer (Timer E retransmissions until Timer F, 64·T1 = 32 s, §17.1.2.2),
 *   - refused with a final failure (403, 404, 423 Interval Too Brief, 5xx …, §10.3),
 *   - left at a 401/407 challenge the UA never answered with credentials (§22.2).
 * A de-registration (Expires: 0) that fails is only info, and so is one REGISTER over UDP sent
 * once and never answered (a real user agent retransmits: the capture saw too little to judge).
 * A capture holding only the registrar's side (the failure responses without their request) is
 * judged on those responses. One finding per Call-ID.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Msg } from '../lib/flow.ts';
import { getFlow, legCopies, responsesTo, sawBothDirections } from '../lib/flow.ts';
import { headerValue } from '../../sip/modelutil.ts';
import { duration, framesText, plural, uniqFrames } from '../lib/text.ts';

const TIMER_F_US = 32_000_000;

function isDeregistration(r: Msg): boolean {
  const m = r.sip;
  const expires = headerValue(m, 'Expires');
  if (expires !== null && Number(expires.trim()) === 0) return true;
  return r.contact.length > 0 && r.contact.every((c) => c.params.expires === '0');
}

/** REGISTER failures seen without their requests (a capture at the registrar's side only). */
function responsesOnly(list: Msg[]): Finding | null {
  const resps = list.filter((x) => !x.isReq && x.method === 'REGISTER' && x.status >= 200 && !x.retransmission && !x.duplicate);
  const lastOk = resps.reduce((t, x) => (x.status < 300 ? Math.max(t, x.t) : t), -Infinity);
  const refused = resps.filter((x) => x.status >= 300 && x.status !== 401 && x.status !== 407 && x.t > lastOk);
  if (refused.length === 0) return null;
  const r = refused[refused.length - 1]!;
  const reason = r.reason;
  return {
    kind: 'registration-failed',
    severity: 'error',
    callId: r.callId,
    frames: uniqFrames(refused.map((x) => x.frame)),
    title: `Registration refused (${r.status}${reason ? ` ${reason}` : ''})`,
    explanation:
      `${r.src} answered a REGISTER with ${refused.map((x) => `${x.status} (frame ${x.frame})`).join(', ')}, and no registration was accepted after it; the REGISTER itself is not in the capture. ` +
      'Without a registration the registrar has no Contact for this user: calls to it fail.',
    references: ['RFC 3261 §10.3', 'RFC 3261 §21.5'],
    fix: 'A 5xx means the registrar (or a proxy before it) could not serve the request: check its database or upstream; a 4xx names what it refused.',
  };
}

export const detectRegistrationFailed: Detector = {
  kind: 'registration-failed',
  title: 'A REGISTER was refused or never answered',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const out: Finding[] = [];
    for (let cAt = 0; cAt < flow.callLists.length; cAt++) {
      const list = flow.callLists[cAt]!;
      const callId = list[0]!.callId;
      const regs = list.filter((x) => x.isReq && x.method === 'REGISTER' && !x.retransmission && !x.duplicate);
      if (regs.length === 0) {
        const refusal = responsesOnly(list);
        if (refusal) out.push(refusal);
        continue;
      }
      const lastOk = [...list].reverse().find((x) => !x.isReq && x.method === 'REGISTER' && x.status >= 200 && x.status < 300);
      const after = regs.filter((r) => lastOk === undefined || r.t > lastOk.t);
      if (after.length === 0) continue;
      // The attempt that decides: the last REGISTER sent (its copies on every leg).
      const last = after[after.length - 1]!;
      const finals = after.flatMap((r) => responsesTo(flow, r).filter((x) => x.status >= 200));
      const lastFinals = responsesTo(flow, last).filter((x) => x.status >= 200);
      const copies = legCopies(flow, last);
      const since = ctx.captureEndUs - last.t;
      let what: string;
      let severity: Finding['severity'] = 'error';
      const lastFinal = lastFinals[lastFinals.length - 1];
      if (lastFinal && lastFinal.status !== 401 && lastFinal.status !== 407) {
        what = `it was refused with ${lastFinal.status} ${lastFinal.reason} (frame ${lastFinal.frame})`;
      } else if (lastFinal) {
        if (since < TIMER_F_US) continue; // the UA may still answer the challenge
        what = `it was challenged with ${lastFinal.status} (frame ${lastFinal.frame}) and the user agent never sent it again with credentials in the ${duration(since)} the capture went on`;
      } else {
        if (copies.length < 2 && since < TIMER_F_US) continue; // the capture simply stopped
        what = `no response came back${copies.length > 1 ? ` although it was retransmitted ${plural(copies.length - 1, 'time')} over ${duration(copies[copies.length - 1]!.t - last.t)} (${framesText(copies.map((c) => c.frame))})` : ''}`;
        if (!sawBothDirections(flow, last.srcIp, last.dstIp)) severity = 'warning';
        if (copies.length < 2 && last.transport === 'udp') severity = 'info';
      }
      const dereg = isDeregistration(last);
      if (dereg) severity = 'info';
      const aor = last.sip.to?.uri?.raw ?? '';
      const earlier = after.length > 1 ? ` It was the ${after.length}${after.length === 2 ? 'nd' : after.length === 3 ? 'rd' : 'th'} attempt${lastOk ? ' since the last successful registration' : ''}, each without success (${framesText(after.map((r) => r.frame))}).` : '';
      out.push({
        kind: 'registration-failed',
        severity,
        callId,
        frames: uniqFrames([...after.flatMap((r) => legCopies(flow, r).map((c) => c.frame)), ...finals.map((f) => f.frame)]),
        title: `${dereg ? 'De-registration' : 'Registration'} of ${aor || last.src} ${!lastFinal ? 'never answered' : lastFinal.status === 401 || lastFinal.status === 407 ? `left at a ${lastFinal.status} challenge` : `refused (${lastFinal.status})`}`,
        explanation:
          `${last.src} sent REGISTER${aor ? ` for ${aor}` : ''} to ${last.dst} (frame ${last.frame}), and ${what}.${earlier} ` +
          (dereg
            ? 'It asked to remove its binding (Expires 0), so only the clean-up failed.'
            : 'Without a registration the registrar has no Contact for this user: calls to it fail (404/480) and it only works outbound, if at all.'),
        references: ['RFC 3261 §10.2', 'RFC 3261 §10.3', 'RFC 3261 §17.1.2.2'],
        fix: lastFinal
          ? 'Check the account on the registrar (user, domain, password) and what the refusal says (423: raise Expires; 403/404: the user or its credentials are not known there).'
          : 'Find where the REGISTER dies: the registrar\'s address and port, a firewall or NAT dropping UDP 5060, or a SIP ALG; with NAT, send keep-alives or re-register more often.',
      });
    }
    return out;
  },
};
