/**
 * connection-closed-mid-dialog (field note 002): the TCP/TLS connection that carried a dialog was
 * closed (FIN or RST) while the dialog was confirmed and no BYE had been sent. Per RFC 3261
 * §18.2.2 / RFC 5923 a later request can open a new connection — but not toward a peer behind
 * NAT or a firewall, so the BYE breaks (a too-short tcp_connection_lifetime does exactly this).
 * Severity: error when the teardown then failed, warning when the capture does not show a
 * teardown, info when a later BYE got through on a new connection.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { connText, getConnIndex, laterMid } from '../lib/connections.ts';
import { getFlow } from '../lib/flow.ts';
import { duration, uniqFrames } from '../lib/text.ts';

export const detectConnectionClosedMidDialog: Detector = {
  kind: 'connection-closed-mid-dialog',
  title: 'The connection carrying a dialog was closed while the call was up',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const idx = getConnIndex(ctx);
    const out: Finding[] = [];
    for (let dAt = 0; dAt < flow.dialogs.length; dAt++) {
      const d = flow.dialogs[dAt]!;
      const ids = idx.byDialog.get(d) ?? [];
      for (let idAt = 0; idAt < ids.length; idAt++) {
        const id = ids[idAt]!;
        const f = idx.facts.get(id);
        if (!f) continue;
        const c = f.conn;
        const close = c.closeEvents[0];
        if (!close || c.closedTimeUs === null) continue;
        const confirmedT = d.confirmedT ?? (d.acks[0]?.t ?? null);
        if (confirmedT === null || close.timeUs < confirmedT) continue;
        if (d.byeT !== null && d.byeT <= close.timeUs) continue;
        // Did the teardown get through later?
        // Later connections of the dialog (the first few named; a dialog may open thousands).
        const { later, failed: failedLater, failedCount } = laterMid(idx, d, close.timeUs);
        const byeOk = d.endT !== null && d.byeFinals.some((r) => r.status >= 200 && r.status < 300);
        let severity: Finding['severity'];
        const parts: string[] = [
          `${connText(c)} carried the dialog of call ${d.callId} (confirmed at ${duration(confirmedT - d.establishedT)} after the 2xx) and was ` +
            `${close.flag === 'rst' ? 'reset (RST)' : 'closed (FIN)'} by the ${close.side} at frame ${close.frame}, ${duration(close.timeUs - c.openedTimeUs)} after it opened, while the call was still up.`,
        ];
        if (failedLater.length > 0 || (d.byes.length > 0 && d.byeDeliveredT === null)) {
          severity = 'error';
          parts.push(
            failedLater.length > 0
              ? `A later attempt to reach the peer on a new connection (#${failedLater.map((m) => m.facts.conn.id).join(', #')}${failedCount > failedLater.length ? ` and ${failedCount - failedLater.length} more` : ''}) failed: ${failedLater[0]!.facts.failure}; the in-dialog request it carried was lost.`
              : `The BYE sent later (frame ${d.byes[0]!.frame}) never reached the peer${d.byeFinals.some((r) => r.status === 408) ? ' (it ended in 408 Request Timeout)' : ''}: the teardown broke (see bye-not-delivered).`,
          );
        } else if (byeOk) {
          severity = 'info';
          parts.push('The BYE still got through later (a new connection could be opened), so the call ended cleanly; behind a NAT it would not have.');
        } else {
          severity = 'warning';
          parts.push('Behind a NAT or firewall the far side cannot open a new connection back, so the next in-dialog request (BYE, re-INVITE) would be lost.');
        }
        out.push({
          kind: 'connection-closed-mid-dialog',
          severity,
          callId: d.callId,
          frames: uniqFrames([
            ...f.messages.map((i) => flow.byIndex[i]?.frame ?? 0),
            ...c.closeEvents.map((e) => e.frame),
            ...later.flatMap((m) => [m.facts.conn.openedFrame, ...m.facts.failureFrames]),
            ...d.byes.map((b) => b.frame),
          ]),
          title: `${c.transport.toUpperCase()} connection #${c.id} ${close.flag === 'rst' ? 'reset' : 'closed'} while the call was up`,
          explanation: parts.join(' '),
          references: ['RFC 3261 §18.2.2', 'RFC 5923', 'RFC 5626 §4.4'],
          fix: 'Keep SIP connections open for at least the longest call (raise tcp_connection_lifetime above the call length / registration interval), send keep-alives (RFC 5626 CRLF) or session-timer re-INVITEs more often than the connection lifetime.',
          connections: [c.id, ...later.map((m) => m.facts.conn.id)],
        });
      }
    }
    return out;
  },
};
