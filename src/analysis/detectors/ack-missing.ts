/**
 * ack-missing (field note 001): a 2xx to INVITE is retransmitted and no ACK reaches the node
 * that retransmits it. The UAS retransmits its 2xx with T1 doubling up to T2 until the ACK comes
 * and gives up after 64·T1 = 32 s, usually with a BYE (RFC 3261 §13.3.1.4); the UAC sends the
 * ACK to the remote target — the 2xx's Contact — through the route set (RFC 3261 §13.2.2.4,
 * §12.2.1.1). Judged per leg: on a leg where a 2xx is retransmitted from S, the ACK must reach S
 * when S is the callee's user agent or a record-routing proxy. A leg whose sender is a proxy that
 * did not record-route is left alone (the ACK legitimately bypasses it). When ACKs do reach S but
 * S keeps retransmitting the 2xx well after them, S is a proxy relaying the callee's
 * retransmissions and the ACK went no further than S — typically because the 2xx Contact (the
 * ACK's Request-URI) was rewritten to S's own address (field note 001, excessive NAT handling).
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { isPrivateLike, normalizeHost } from '../lib/addr.ts';
import type { Dialog, Flow, Msg } from '../lib/flow.ts';
import { contactUri, getFlow, sawBothDirections, unreachableFrom } from '../lib/flow.ts';
import { duration, framesText, plural, uniqFrames } from '../lib/text.ts';

export const detectAckMissing: Detector = {
  kind: 'ack-missing',
  title: 'A 2xx to INVITE was retransmitted and no ACK reached its sender',
  severity: 'error',
  detect({ messages }) {
    const flow = getFlow(messages);
    const out: Finding[] = [];
    for (let dAt = 0; dAt < flow.dialogs.length; dAt++) {
      const d = flow.dialogs[dAt]!;
      const f = judgeDialog(flow, d);
      if (f) out.push(f);
    }
    return out;
  },
};

/** 2xx retransmissions later than this after an ACK reached their sender mean the ACK went no further. */
const STUCK_AFTER_US = 1_000_000;

function judgeDialog(flow: Flow, d: Dialog): Finding | null {
  // Every 2xx to an INVITE of this dialog (initial or re-INVITE), per leg and CSeq.
  const legs = new Map<string, Msg[]>();
  for (const o of d.messages) {
    if (o.isReq || o.method !== 'INVITE' || o.status < 200 || o.status >= 300 || o.duplicate) continue;
    const k = `${o.src}>${o.dst}|${o.cseq}|${o.toTag ?? ''}`;
    let l = legs.get(k);
    if (!l) legs.set(k, (l = []));
    l.push(o);
  }
  // The leg closest to the callee first (most Vias).
  const ordered = [...legs.values()].sort((a, b) => b[0]!.viaCount - a[0]!.viaCount);
  // The dialog's ACKs by CSeq, read once (a long call's retransmitted re-INVITE answers each filtered the dialog).
  let acksByCseq: Map<number, Msg[]> | null = null;
  for (const leg of ordered) {
    if (!leg.some((o) => o.retransmission)) continue;
    const first = leg[0]!;
    if (acksByCseq === null) {
      acksByCseq = new Map();
      for (const a of d.messages) {
        if (!a.isReq || a.method !== 'ACK') continue;
        const l = acksByCseq.get(a.cseq);
        if (l) l.push(a);
        else acksByCseq.set(a.cseq, [a]);
      }
    }
    const acks = acksByCseq.get(first.cseq) ?? [];
    const S = first.src;
    const sIp = first.srcIp;
    const recordRouted = first.recordRoute.some((r) => r.uri && normalizeHost(r.uri.host) === sIp);
    const isUas = S === d.calleeUa;
    if (!isUas && !recordRouted) continue;
    const reached = acks.filter((a) => (a.dst === S || (a.dstIp === sIp && a.transport !== 'udp')) && a.t >= first.t);
    // ACKs reached S, yet S kept retransmitting long after: the ACK did not get past S.
    const stuck = reached.length > 0 ? leg.filter((o) => o.retransmission && o.t > reached[0]!.t + STUCK_AFTER_US) : [];
    if (reached.length > 0 && stuck.length < 2) continue;
    const D = first.dst;
    const sentByD = reached.length > 0 ? [] : acks.filter((a) => a.srcIp === first.dstIp && a.t >= first.t);
    const last = leg[leg.length - 1]!;
    const span = last.t - first.t;
    // The callee's BYE: from S, or — when S only relays — from the callee side (its From-tag is the callee's).
    const fromS = d.byes.filter((b) => b.srcIp === sIp && b.t >= first.t);
    const byeFromS = fromS.length > 0 ? fromS : d.byes.filter((b) => b.fromTag === d.calleeTag && b.t >= first.t && !b.retransmission && !b.duplicate).slice(0, 1);
    const byeResponses = d.messages.filter((x) => !x.isReq && x.method === 'BYE' && byeFromS.some((b) => b.tx === x.tx));
    const contact = contactUri(first);
    const contactText = contact ? `<${contact.raw}>` : '(none)';
    const parts: string[] = [];
    let selfCause = '';
    parts.push(
      `The ${first.status} (${first.reason}) to the INVITE (frame ${first.frame}) went from ${S} to ${D} and was ` +
        `retransmitted ${plural(leg.length - 1, 'time')} over ${duration(span)} (${framesText(leg.map((x) => x.frame))}), which is what a ` +
        `UAS does while it waits for the ACK (RFC 3261 §13.3.1.4).`,
    );
    let cause = '';
    let expected: Finding['expected'] = null;
    let fix = 'Make the 2xx Contact point to an address where the callee can really be reached, and route the ACK along the Record-Route set to it.';
    if (reached.length > 0) {
      const a0 = reached[0]!;
      const ruri = a0.sip.kind === 'request' ? a0.sip.requestUriRaw : '';
      parts.push(
        `ACKs did reach ${S} (${framesText(reached.map((a) => a.frame))}), yet ${S} kept retransmitting the ${first.status} ${duration(stuck[stuck.length - 1]!.t - a0.t)} after the first of them ` +
          `(${framesText(stuck.map((o) => o.frame))}): ${S} is relaying the callee's retransmissions, and the ACK went no further than ${S}. The ACK's Request-URI was ${ruri}.`,
      );
      // A 2xx copy whose Contact names S itself: the remote target was rewritten to S.
      const selfContact = d.oks.map((o) => ({ o, u: contactUri(o) })).find(({ u }) => u !== null && normalizeHost(u.host) === sIp && (u.port ?? 5060) === first.srcEp.port);
      if (selfContact) {
        selfCause =
          `The ${first.status} was forwarded with Contact <${selfContact.u!.raw}> (frame ${selfContact.o.frame}) — ${S}'s own address, not the callee's — so the ACK is addressed to ${S} itself, which has nowhere to relay it (see excessive-nat-fixup).`;
      }
    } else if (sentByD.length > 0) {
      const wrong = sentByD[0]!;
      const dests = [...new Set(sentByD.map((a) => a.dst))];
      parts.push(
        `No ACK ever reached ${S}: ${D} did send ${plural(sentByD.length, 'ACK')} (${framesText(sentByD.map((a) => a.frame))}) but to ${dests.join(', ')}, ` +
          `following the 2xx's Contact ${contactText}.`,
      );
      expected = {
        messageFrame: wrong.frame,
        from: wrong.src,
        to: S,
        reason: `the 200 OK came from ${S}; the ACK followed its Contact ${contactText} to ${wrong.dst} instead`,
      };
    } else {
      const acksElsewhere = acks.filter((a) => a.t >= first.t);
      if (acksElsewhere.length > 0) {
        parts.push(
          `No ACK ever reached ${S}; the only ACKs seen (${framesText(acksElsewhere.map((a) => a.frame))}) went ${[...new Set(acksElsewhere.map((a) => `${a.src} → ${a.dst}`))].join(', ')}.`,
        );
      } else {
        parts.push(`No ACK for it was captured at all.`);
      }
    }
    if (contact && unreachableFrom(contact.host, sIp)) {
      cause = isPrivateLike(sIp)
        ? `The Contact ${contactText} is a loopback address, which means "this host" to whoever uses it: the ACK can never reach ${S}.`
        : `The Contact ${contactText} holds a private address although the 2xx came from ${S}: nobody outside that NAT can reach it, so the ACK is lost.`;
      fix =
        'Fix the Contact of 2xx replies that come directly from a NATed endpoint (e.g. fix_nated_contact() in the onreply route when the callee is known to be behind NAT) — only for replies from endpoints, not from other proxies.';
    } else if (contact && first.recordRoute.some((r) => r.uri && normalizeHost(r.uri.host) === normalizeHost(contact.host) && (r.uri.port ?? 5060) === (contact.port ?? 5060))) {
      cause = `The Contact ${contactText} is the address of a proxy in the Record-Route set, not of the callee: a proxy rewrote it (see excessive-nat-fixup).`;
      fix = 'Fix the Contact of replies from endpoints only — not of replies that come from another proxy.';
    }
    if (selfCause) {
      cause = selfCause;
      fix = 'Fix the Contact of replies from endpoints only — not of replies that come from another proxy (fix_nated_contact only when the reply comes directly from a NATed UA).';
    }
    if (cause) parts.push(cause);
    if (byeFromS.length > 0) {
      parts.push(
        `${fromS.length > 0 ? S : `The callee (${byeFromS[0]!.src})`} then gave up and sent a BYE (frame ${byeFromS[0]!.frame}, ${duration(byeFromS[0]!.t - first.t)} after the first 2xx): the call was torn down by the SIP stack, not by the user.`,
      );
    }
    const oneSided = !sawBothDirections(flow, first.dstIp, sIp) && sentByD.length === 0 && reached.length === 0;
    if (oneSided) parts.push(`Nothing at all was captured going from ${first.dstIp} to ${sIp}, so the capture may simply not see that direction.`);
    const frames = uniqFrames([
      ...d.messages.filter((o) => !o.isReq && o.method === 'INVITE' && o.cseq === first.cseq && o.status === first.status && o.t >= first.t).map((o) => o.frame),
      ...sentByD.map((a) => a.frame),
      ...reached.map((a) => a.frame),
      ...byeFromS.map((b) => b.frame),
      ...byeResponses.map((b) => b.frame),
    ]);
    return {
      kind: 'ack-missing',
      severity: oneSided ? 'warning' : 'error',
      callId: d.callId,
      frames,
      title: `${first.status} to INVITE retransmitted ${plural(leg.length - 1, 'time')}, no ACK reached ${S}${byeFromS.length > 0 ? '; call dropped with BYE' : ''}`,
      explanation: parts.join(' '),
      references: ['RFC 3261 §13.3.1.4', 'RFC 3261 §13.2.2.4', 'RFC 3261 §12.2.1.1', 'RFC 3261 §17.1.1.3'],
      fix,
      expected,
    };
  }
  return null;
}
