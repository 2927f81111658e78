/**
 * new-connection-mid-dialog (field notes 000, 002): an in-dialog request or response travelled on
 * (or tried to open) a new TCP/TLS connection while one between the same two hosts already
 * carried the dialog. Responses must go back on the request's connection when it is open
 * (RFC 3261 §18.2.2); requests may open new connections (RFC 3261 §18) but behind NAT or with
 * strict SBCs only reuse works (RFC 5923, RFC 5626). Severity: error when the new connection
 * failed, warning when a response left the existing connection, info when a request opened a
 * working new connection (or the old one had been closed).
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { endpointKey } from '../../capture/types.ts';
import { connText, getConnIndex, openSiblings } from '../lib/connections.ts';
import type { ConnFacts } from '../lib/connections.ts';
import { getFlow } from '../lib/flow.ts';
import { framesText, msgShort, uniqFrames } from '../lib/text.ts';

/** A connection that carried no readable SIP over an established TLS session. */
function silentTls(o: ConnFacts): boolean {
  return o.messages.length === 0 && o.conn.tls?.handshake === 'complete';
}

export const detectNewConnectionMidDialog: Detector = {
  kind: 'new-connection-mid-dialog',
  title: 'An in-dialog message opened a new TCP/TLS connection instead of reusing one',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const idx = getConnIndex(ctx);
    const out: Finding[] = [];
    for (const m of idx.mid) {
      const c = m.facts.conn;
      if (m.earlierCount === 0) continue;
      const carried = m.facts.messages.map((i) => flow.byIndex[i]).filter((x) => x !== undefined);
      const first = carried[0];
      let severity: Finding['severity'];
      const parts: string[] = [];
      const old = m.earlierOpen[0] ?? m.earlier[0]!;
      parts.push(
        `While the dialog of call ${m.dialog.callId} was up, ${connText(c)} was opened at frame ${c.openedFrame}` +
          `${first ? ` to carry ${msgShort(first)} (frame ${first.frame})` : ''}, although ${connText(old.conn)} between the same hosts ` +
          `${m.earlierOpen.length > 0 ? 'was still open' : `had been closed at frame ${old.conn.closedFrame}`}.`,
      );
      if (m.facts.failed) {
        severity = 'error';
        parts.push(`The new connection failed: ${m.facts.failure}${first ? '' : ', so whatever in-dialog request it was meant for (typically the BYE) was never delivered'}.`);
      } else if (first && !first.isReq && m.earlierOpen.length > 0) {
        severity = 'warning';
        parts.push(`A response must go back on the connection its request came on while it is open (RFC 3261 §18.2.2); behind a NAT or firewall a new connection toward the client cannot be opened.`);
      } else if (m.earlierOpen.length > 0) {
        severity = 'info';
        parts.push('It worked here, but behind a NAT or with an SBC that only trusts the connection it accepted, a new connection toward that peer fails; reusing the open one avoids that (RFC 5923).');
      } else {
        severity = 'info';
        parts.push('The new connection was needed because the earlier one had closed (see connection-closed-mid-dialog).');
      }
      if (m.portMismatch && m.target) parts.push(`It went to port ${c.server.port}, while the dialog's remote target ${m.targetUri} names port ${m.target.port} (see in-dialog-request-misrouted).`);
      out.push({
        kind: 'new-connection-mid-dialog',
        severity,
        callId: m.dialog.callId,
        frames: uniqFrames([c.openedFrame, ...m.facts.failureFrames, ...carried.map((x) => x.frame), ...(m.targetFrame !== null ? [m.targetFrame] : [])]),
        title: `New ${c.transport.toUpperCase()} connection ${endpointKey(c.client)} → ${endpointKey(c.server)} mid-dialog${m.facts.failed ? ' failed' : ''}`,
        explanation: parts.join(' ') + (carried.length > 0 ? ` It carried ${framesText(carried.map((x) => x.frame))}.` : ''),
        references: ['RFC 3261 §18.2.2', 'RFC 5923', 'RFC 5626', 'RFC 3261 §12.2.1.1'],
        fix: 'Reuse the existing connection for in-dialog requests and responses (Via alias, RFC 5923; outbound flows, RFC 5626; force_tcp_alias in OpenSIPS/Kamailio), keep it open for the dialog\'s lifetime, and put the real listening port in the Contact.',
        connections: [c.id, ...m.earlier.map((e) => e.conn.id)],
      });
    }
    // Encrypted signalling (no readable SIP): a new connection between two hosts while another
    // between them is still open, seen at the connection level only.
    const covered = new Set(idx.mid.map((m) => m.facts.conn.id));
    for (const f of idx.facts.values()) {
      const c = f.conn;
      if (covered.has(c.id) || f.messages.length > 0) continue;
      const sib = openSiblings(idx, c, silentTls);
      if (sib.length === 0) continue;
      const o = sib[0]!.conn;
      out.push({
        kind: 'new-connection-mid-dialog',
        severity: f.failed ? 'error' : 'info',
        callId: null,
        frames: uniqFrames([o.openedFrame, c.openedFrame, ...f.failureFrames]),
        title: `New ${c.transport.toUpperCase()} connection ${endpointKey(c.client)} → ${endpointKey(c.server)} while #${o.id} between the same hosts was open${f.failed ? ' — failed' : ''}`,
        explanation:
          `${connText(c)} was opened at frame ${c.openedFrame} although ${connText(o)} (opened at frame ${o.openedFrame}, TLS established) was still open between the same two hosts. ` +
          `The SIP inside is encrypted, so the message that needed it cannot be read here, but a new connection in the reverse direction during a call is typically an in-dialog request (a BYE) sent to the Contact's host with a default-port assumption instead of over the existing connection. ` +
          (f.failed ? `It failed: ${f.failure}, so that request was never delivered.` : 'It worked here.') +
          ' Decrypting the capture (TLS key log) shows which message it was.',
        references: ['RFC 5923', 'RFC 3261 §18.2.2', 'RFC 3261 §12.2.1.1', 'RFC 5626'],
        fix: 'Reuse the existing connection for in-dialog requests (Via alias, RFC 5923; outbound, RFC 5626), and put the real listening port in the Contact so a new connection, when needed, goes to the right port.',
        connections: [c.id, o.id],
      });
    }
    return out;
  },
};
