/**
 * dialog-not-terminated (field note 000): a confirmed INVITE dialog with no BYE answered before
 * the capture ended (a 408 to the BYE is a timeout, not an answer). Error when a teardown attempt
 * was seen failing (an unanswered or timed-out BYE, or a
 * connection toward the peer that failed mid-dialog); info when the call is simply still up after
 * a long time (the capture may just have stopped during the call).
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { getConnIndex } from '../lib/connections.ts';
import { getFlow } from '../lib/flow.ts';
import { duration, uniqFrames } from '../lib/text.ts';

/** A call up longer than this at capture end is worth a note. */
export const LONG_DIALOG_US = 60_000_000;

export const detectDialogNotTerminated: Detector = {
  kind: 'dialog-not-terminated',
  title: 'A confirmed call was never torn down',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const conns = getConnIndex(ctx);
    const out: Finding[] = [];
    for (let dAt = 0; dAt < flow.dialogs.length; dAt++) {
      const d = flow.dialogs[dAt]!;
      if (d.byeDeliveredT !== null || d.oks.length === 0) continue;
      if (d.acks.length === 0 && d.confirmedT === null) continue; // never confirmed: ack-missing's business
      const upFor = ctx.captureEndUs - d.establishedT;
      const failedConns = (conns.midByDialog.get(d) ?? []).filter((m) => m.facts.failed);
      // A BYE that got no answer although the capture went on (a BYE at the very end is just the capture stopping).
      const unansweredByes = d.byes.filter((b) => ctx.captureEndUs - b.t >= 4_000_000 || b.retransmission);
      if (d.byes.length > 0 && unansweredByes.length === 0) continue;
      const failed = failedConns.length > 0 || unansweredByes.length > 0;
      if (!failed && upFor < LONG_DIALOG_US) continue;
      const parts = [`The call (dialog ${d.callerTag} / ${d.calleeTag}) was answered at frame ${d.oks[0]!.frame} and was still up when the capture ended ${duration(upFor)} later.`];
      if (unansweredByes.length > 0) parts.push(`A BYE was sent (frame ${unansweredByes[0]!.frame}) but never reached the peer${d.byeFinals.some((r) => r.status === 408) ? ' (it ended in 408 Request Timeout)' : ''} (see bye-not-delivered), so one side still holds the call leg.`);
      if (failedConns.length > 0) {
        const m = failedConns[0]!;
        parts.push(
          `At frame ${m.facts.conn.openedFrame} a new connection from ${m.facts.conn.client.ip} toward ${m.facts.conn.server.ip}:${m.facts.conn.server.port} failed (${m.facts.failure}): ` +
            'an in-dialog request — typically the BYE — never reached the peer, which keeps the call leg up.',
        );
      }
      if (!failed) parts.push('No teardown was attempted in the capture; if the call really ended, the BYE was lost before this capture point.');
      out.push({
        kind: 'dialog-not-terminated',
        severity: failed ? 'error' : 'info',
        callId: d.callId,
        frames: uniqFrames([d.oks[0]!.frame, ...(d.acks[0] ? [d.acks[0].frame] : []), ...unansweredByes.map((b) => b.frame), ...failedConns.flatMap((m) => [m.facts.conn.openedFrame, ...m.facts.failureFrames])]),
        title: `Call still up at capture end (${duration(upFor)})${failed ? ' after a failed teardown' : ''}`,
        explanation: parts.join(' '),
        references: ['RFC 3261 §15', 'RFC 4028'],
        fix: 'Make sure the BYE reaches the peer (remote target with its port, existing connection); use session timers (RFC 4028) so a leg whose BYE was lost is cleared, and alert on calls exceeding the expected duration.',
        connections: failedConns.map((m) => m.facts.conn.id),
      });
    }
    return out;
  },
};
