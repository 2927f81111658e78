/**
 * excessive-nat-fixup (field note 001): a proxy rewrote the Contact of a 2xx (or an INVITE) to the
 * source address of the packet although that packet came from another proxy, not from the user
 * agent — the routable Contact of the callee is lost and the ACK/BYE go to the other proxy,
 * which does not know what to do with them. Seen as two copies of one message on both sides of
 * a proxy: the incoming copy from B with a routable Contact C, the outgoing copy with Contact = B.
 * With only one copy, a Contact equal to an entry of the message's own Record-Route set is the
 * same sign.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { isPrivateLike, normalizeHost } from '../lib/addr.ts';
import type { Msg } from '../lib/flow.ts';
import { contactUri, getFlow, uriEndpoint } from '../lib/flow.ts';
import { uniqFrames } from '../lib/text.ts';

function isTargetCarrier(x: Msg): boolean {
  return (!x.isReq && x.method === 'INVITE' && x.status >= 200 && x.status < 300) || (x.isReq && x.method === 'INVITE' && x.toTag === null);
}

function copyKey(srcIp: string, isReq: boolean, method: string, status: number, cseq: number, viaCount: number): string {
  return `${srcIp}|${isReq ? 'q' : 'r'}|${method}|${status}|${cseq}|${viaCount}`;
}

/** A call's INVITEs and 2xx answers to them by copyKey, in call order. */
function carriersByCopyKey(list: readonly Msg[]): Map<string, Msg[]> {
  const m = new Map<string, Msg[]>();
  for (let i = 0; i < list.length; i++) {
    const y = list[i]!;
    // Only what a copy of a target carrier can be: an INVITE, or a 2xx to one.
    if (y.method !== 'INVITE' || (!y.isReq && (y.status < 200 || y.status >= 300))) continue;
    const k = copyKey(y.srcIp, y.isReq, y.method, y.status, y.cseq, y.viaCount);
    const l = m.get(k);
    if (l) l.push(y);
    else m.set(k, [y]);
  }
  return m;
}

export const detectExcessiveNatFixup: Detector = {
  kind: 'excessive-nat-fixup',
  title: 'A Contact was rewritten to an intermediate proxy\'s address',
  severity: 'error',
  detect({ messages }) {
    const flow = getFlow(messages);
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (let cAt = 0; cAt < flow.callLists.length; cAt++) {
      const list = flow.callLists[cAt]!;
      const callId = list[0]!.callId;
      // The call's INVITEs and 2xx by what a forwarded copy shares with its original (built when
      // the first candidate needs it: a long call's re-INVITE answers each scanned the call).
      let copies: Map<string, Msg[]> | null = null;
      for (let inCopyAt = 0; inCopyAt < list.length; inCopyAt++) {
        const inCopy = list[inCopyAt]!;
        if (!isTargetCarrier(inCopy) || inCopy.duplicate || inCopy.retransmission) continue;
        const key = `${callId}|${inCopy.method}|${inCopy.status}`;
        if (seen.has(key)) continue;
        const c1 = contactUri(inCopy);
        if (!c1) continue;
        const e1 = uriEndpoint(c1, inCopy.transport);
        if (!e1 || isPrivateLike(e1.ip)) continue;
        if (normalizeHost(e1.ip) === inCopy.srcIp) continue; // came from the UA itself (or its NAT): fixing is right
        // The copy the receiving proxy forwarded next: sent by the receiver, one Via more (a
        // request) or less (a response).
        copies ??= carriersByCopyKey(list);
        const want = copyKey(inCopy.dstIp, inCopy.isReq, inCopy.method, inCopy.status, inCopy.cseq, inCopy.isReq ? inCopy.viaCount + 1 : inCopy.viaCount - 1);
        const outCopy = copies.get(want)?.find((y) => y !== inCopy && y.t >= inCopy.t);
        if (!outCopy) continue;
        const c2 = contactUri(outCopy);
        if (!c2) continue;
        const e2 = uriEndpoint(c2, outCopy.transport);
        if (!e2 || normalizeHost(e2.ip) !== inCopy.srcIp) continue;
        if (e2.port !== inCopy.srcEp.port && normalizeHost(e2.ip) === normalizeHost(e1.ip)) continue;
        seen.add(key);
        const d = flow.dialogOf.get(inCopy);
        const misdirected = (d?.messages ?? []).filter(
          (y) => y.isReq && y.dstIp === inCopy.srcIp && y.t > outCopy.t && y.requestUri !== null && normalizeHost(y.requestUri.host) === inCopy.srcIp,
        );
        const okRetrans = d ? d.oks.filter((o) => o.retransmission) : [];
        const what = inCopy.isReq ? 'INVITE' : `${inCopy.status} to INVITE`;
        out.push({
          kind: 'excessive-nat-fixup',
          severity: 'error',
          callId,
          frames: uniqFrames([inCopy.frame, outCopy.frame, ...misdirected.map((y) => y.frame), ...okRetrans.map((o) => o.frame)]),
          title: `${outCopy.src} rewrote the ${what} Contact to ${inCopy.src}, a proxy, instead of keeping <${c1.raw}>`,
          explanation:
            `The ${what} reached ${outCopy.src} from ${inCopy.src} (frame ${inCopy.frame}) with Contact <${c1.raw}>, a routable address that is not the sender's: ${inCopy.src} is another proxy, not the user agent. ` +
            `${outCopy.src} still replaced it with the packet's source and forwarded Contact <${c2.raw}> (frame ${outCopy.frame}). The real remote target of the dialog is lost: ` +
            `the ${inCopy.isReq ? 'callee' : 'caller'} now sends the ACK and BYE to the other proxy as if it were the user agent` +
            `${okRetrans.length > 0 ? `, and the 2xx was retransmitted ${okRetrans.length} times for want of an ACK (see ack-missing)` : ''}.`,
          references: ['RFC 3261 §12.1.2', 'RFC 3261 §12.2.1.1', 'RFC 3261 §16.6'],
          fix: 'Apply NAT Contact fixing (fix_nated_contact) only to messages that come directly from a NATed endpoint — not to replies or requests that come from another proxy (check the Via count / that the source is not a known peer proxy).',
          expected: misdirected[0]
            ? { messageFrame: misdirected[0].frame, from: misdirected[0].src, to: `${e1.ip}:${e1.port}`, reason: `the callee's Contact was <${c1.raw}> before ${outCopy.src} rewrote it` }
            : null,
        });
      }
    }
    return out;
  },
};
