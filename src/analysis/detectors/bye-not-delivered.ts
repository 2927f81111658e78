/**
 * bye-not-delivered (field note 000): a BYE that got no final response — retransmitted over UDP
 * until Timer F gives up (64·T1 = 32 s, RFC 3261 §17.1.2.2), silent on a connection — or that
 * was answered with a failure: 408 Request Timeout (a proxy whose own BYE toward the peer timed
 * out, §16.7), 477 Send Failed, 481 Call/Transaction Does Not Exist (the far end has no such
 * dialog), or a 5xx (a proxy could not forward it). Either way the dialog did not end at the far
 * end. A 401/407 challenge is not a failure (the BYE is sent again with credentials). One
 * finding per dialog. A capture that never shows anything coming back from the BYE's
 * destination may simply be one-sided; that lowers the severity and is said.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { getConnIndex } from '../lib/connections.ts';
import type { Msg } from '../lib/flow.ts';
import { anyResponses, getFlow, legCopies, responsesTo, sawBothDirections } from '../lib/flow.ts';
import { duration, framesText, plural, uniqFrames } from '../lib/text.ts';

const TIMER_F_US = 32_000_000;

export const detectByeNotDelivered: Detector = {
  kind: 'bye-not-delivered',
  title: 'A BYE got no final response',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const out: Finding[] = [];
    for (let dAt = 0; dAt < flow.dialogs.length; dAt++) {
      const d = flow.dialogs[dAt]!;
      if (d.byes.length === 0) continue;
      // The first transmission of each BYE leg; only a 2xx delivers it (a challenge asks for a new BYE).
      const firsts = d.byes.filter((b) => !b.retransmission && !b.duplicate);
      const settles = (status: number) => (status >= 200 && status < 300) || status === 401 || status === 407;
      const delivered = (b: Msg): boolean =>
        responsesTo(flow, b).some((r) => settles(r.status)) || anyResponses(flow, b).some((r) => settles(r.status) && r.dst === b.src);
      const undelivered = firsts.filter((b) => !delivered(b));
      if (undelivered.length === 0) continue;
      // Failure answers (408, 477, 481, 5xx …) that reached the BYE's sender.
      const timeouts = undelivered.flatMap((u) => responsesTo(flow, u).filter((r) => r.status >= 300 && !settles(r.status) && r.dst === u.src));
      // The headline: the leg furthest downstream (most Vias), where the BYE really died.
      const b = [...undelivered].sort((x, y) => y.viaCount - x.viaCount || x.t - y.t)[0]!;
      const copies = legCopies(flow, b);
      const last = copies[copies.length - 1]!;
      const after = ctx.captureEndUs - b.t;
      const oneSided = !sawBothDirections(flow, b.srcIp, b.dstIp);
      const provisional = responsesTo(flow, b).filter((r) => r.status < 200);
      const conn = b.m.connection === null ? undefined : getConnIndex(ctx).facts.get(b.m.connection)?.conn;
      const reset = conn?.closeEvents.find((e) => e.flag === 'rst' && e.timeUs >= b.t);
      let severity: Finding['severity'];
      if (after < 1_000_000 && copies.length < 2 && !reset && timeouts.length === 0) continue; // the capture simply stopped
      if (reset || timeouts.length > 0 || last.t - b.t >= 16_000_000 || after >= TIMER_F_US) severity = 'error';
      else severity = 'warning';
      if (oneSided && !reset && timeouts.length === 0) severity = 'info';
      const answered = responsesTo(flow, b).filter((r) => r.status >= 200);
      const parts = [
        `${b.src} sent the BYE to ${b.dst} (frame ${b.frame}) ${copies.length > 1 ? `and retransmitted it ${plural(copies.length - 1, 'time')} over ${duration(last.t - b.t)} (${framesText(copies.map((x) => x.frame))})` : `over ${b.transport.toUpperCase()}`}, ` +
          `and ${answered.length > 0 ? `the only final response was ${answered[0]!.status} (frame ${answered[0]!.frame})` : `no final response came back${provisional.length ? ` (only ${provisional.map((p) => p.status).join(', ')})` : ''} in the ${duration(after)} the capture continued`}.`,
      ];
      const upstream = undelivered.filter((u) => u !== b);
      if (timeouts.length > 0) {
        const t = timeouts[0]!;
        const reason = t.reason;
        const meaning =
          t.status === 408 ? 'a 408 means the BYE timed out (RFC 3261 §16.7, §17.1.2.2), not that it reached the far end'
          : t.status === 481 ? 'a 481 means whoever answered holds no such dialog (RFC 3261 §15.1.2): the BYE went to the wrong place, or the far end had already dropped the call'
          : t.status === 477 ? 'a 477 is what a proxy (Kamailio, for one) answers when it could not send the request on to the next hop'
          : t.status >= 500 ? `a ${t.status} means a server on the way failed to pass it on (RFC 3261 §21.5)`
          : `a ${t.status} is a failure, so the BYE did not end the dialog at the far end`;
        parts.push(
          `${t.src} ${t.status === 408 ? 'gave up and answered' : 'answered'} ${t.status} ${reason} to ${t.dst} (${framesText(timeouts.map((r) => r.frame))})` +
            `${upstream.length > 0 ? ` for the BYE it had received in frame ${upstream[0]!.frame}` : ''}: ${meaning}.`,
        );
      }
      parts.push('The side that sent it considers the call over; the other side, never having received it, keeps the call leg up (see dialog-not-terminated) — the phone stays busy and callbacks fail.');
      if (reset) parts.push(`The ${reset.side} reset the connection it was sent on (frame ${reset.frame}) instead of answering.`);
      const okLater = d.byeFinals.find((r) => r.status >= 200 && r.status < 300);
      if (okLater) parts.push(`The dialog only ended later, by another BYE answered at frame ${okLater.frame}.`);
      if (oneSided && !reset && timeouts.length === 0) parts.push(`Nothing at all was captured coming from ${b.dstIp} to ${b.srcIp}, so the capture may only see one direction.`);
      out.push({
        kind: 'bye-not-delivered',
        severity,
        callId: d.callId,
        frames: uniqFrames([...undelivered.flatMap((u) => legCopies(flow, u).map((x) => x.frame)), ...provisional.map((p) => p.frame), ...timeouts.map((r) => r.frame), ...(reset ? [reset.frame] : [])]),
        connections: conn ? [conn.id] : [],
        title: `BYE ${b.src} → ${b.dst} ${timeouts.length === 0 ? 'got no final response' : timeouts[0]!.status === 408 ? 'timed out (408)' : `answered ${timeouts[0]!.status}, not delivered`}${copies.length > 1 ? ` after ${plural(copies.length - 1, 'retransmission')}` : ''}`,
        explanation: parts.join(' '),
        references: ['RFC 3261 §15.1.1', 'RFC 3261 §17.1.2.2', 'RFC 3261 §12.2.1.1'],
        fix: 'Check that the BYE is sent to the dialog\'s remote target and route set (Contact with its port, Record-Route), over the existing connection for TCP/TLS, and that the NAT binding toward the far side is still open (keep-alives).',
      });
    }
    return out;
  },
};
