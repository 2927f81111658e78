/**
 * tls-handshake-failed (field note 000): a TLS ClientHello answered by a reset, a fatal alert, or
 * nothing. TLS is often only the symptom: when the connection was opened mid-dialog toward a
 * port other than the one the dialog's remote target names (RFC 3261 §12.2.1.1), the real fault
 * is the misrouted in-dialog request that needed a new connection at all (RFC 5923 connection
 * reuse would have used the existing one), and the explanation says so. Missing SNI (RFC 6066
 * §3) is reported because peers that map TLS clients to trusted peer profiles by it reject them.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { endpointKey } from '../../capture/types.ts';
import { connText, getConnIndex, openSiblings } from '../lib/connections.ts';
import type { ConnFacts } from '../lib/connections.ts';
import { framesText, uniqFrames } from '../lib/text.ts';

/** A sibling worth naming: a TLS connection, or one that carried no readable SIP. */
function tlsOrSilent(o: ConnFacts): boolean {
  return o.messages.length === 0 || o.conn.tls !== null;
}

export const detectTlsHandshakeFailed: Detector = {
  kind: 'tls-handshake-failed',
  title: 'A TLS handshake was reset, refused with an alert, or never answered',
  severity: 'error',
  detect(ctx) {
    const idx = getConnIndex(ctx);
    const out: Finding[] = [];
    for (const f of idx.facts.values()) {
      const c = f.conn;
      if (!c.tls || !f.failed) continue;
      const mid = idx.midByConn.get(c.id);
      const tls = c.tls;
      const parts: string[] = [];
      parts.push(
        `${connText(c)} was opened at frame ${c.openedFrame}; ${tls.clientHelloFrame !== null ? `its ClientHello (frame ${tls.clientHelloFrame}, offering ${tls.offeredVersions.join(', ') || 'unknown versions'}, ${tls.sni ? `SNI ${tls.sni}` : 'no SNI'})` : 'the handshake'} failed: ${f.failure}.`,
      );
      if (!tls.sni) parts.push('The ClientHello carried no SNI, so a server that picks the peer profile by name cannot associate it with a trusted peer.');
      let references = ['RFC 5246 §7.4', 'RFC 8446 §4.1', 'RFC 3261 §26.2', 'RFC 6066 §3'];
      let fix = 'Check the server\'s TLS policy and certificates for this client (versions, ciphers, SNI, peer profile), and the client\'s trust store.';
      let callId: string | null = null;
      const frames = [c.openedFrame, ...f.failureFrames];
      if (mid) {
        callId = mid.dialog.callId;
        const d = mid.dialog;
        parts.push(
          `This connection was opened while the dialog of call ${d.callId} was up between ${endpointKey(c.client)} and ${c.server.ip}, ` +
            `${mid.earlierOpen.length > 0 ? `although connection #${mid.earlierOpen.map((e) => e.conn.id).join(', #')} to that peer was still open` : mid.earlierCount > 0 ? `after the connection that carried the dialog (#${mid.earlier.map((e) => e.conn.id).join(', #')}${mid.earlierCount > mid.earlier.length ? ` and ${mid.earlierCount - mid.earlier.length} more` : ''}) had closed` : 'and carried no SIP message'}.`,
        );
        if (mid.portMismatch && mid.target) {
          parts.push(
            `It went to port ${c.server.port}, but the dialog's remote target is ${mid.targetUri} (frame ${mid.targetFrame}) — port ${mid.target.port}. ` +
              `TLS is only the symptom here: an in-dialog request (typically the BYE) was sent to the wrong port, which forced a new connection the server would not accept (see in-dialog-request-misrouted).`,
          );
          references = ['RFC 3261 §12.2.1.1', 'RFC 5923', 'RFC 3261 §18.2.2', ...references];
          fix = 'Fix the routing, not TLS: send in-dialog requests to the remote target exactly as the Contact gives it (keep its port), over the existing connection (RFC 5923 alias / connection reuse); make the peer put its listening port in the Contact.';
          if (mid.targetFrame !== null) frames.push(mid.targetFrame);
        } else {
          parts.push('A mid-dialog request needed this new connection; when it fails the request (often the BYE) is never delivered.');
          fix = 'Reuse the existing connection for in-dialog requests (RFC 5923 alias, RFC 5626 outbound) or keep it open for the dialog\'s lifetime; then check the server\'s TLS policy for new connections from this peer.';
        }
      }
      const siblings = mid ? [] : openSiblings(idx, c, tlsOrSilent);
      if (siblings.length > 0) {
        const o = siblings[0]!.conn;
        parts.push(
          `${connText(o)} between the same two hosts was open at that moment (opened at frame ${o.openedFrame}). A connection opened toward a peer that already has one is typically an in-dialog request (a BYE) that was not sent over the existing connection — ` +
            'often because the Contact had no port and the default TLS port was assumed. TLS is then only the symptom of that routing fault (see new-connection-mid-dialog, contact-missing-port, in-dialog-request-misrouted).',
        );
        references = ['RFC 5923', 'RFC 3261 §12.2.1.1', 'RFC 3261 §18.2.2', ...references];
        fix = 'Fix the routing first: send in-dialog requests over the existing connection (RFC 5923 alias / RFC 5626 outbound) and to the Contact exactly as given, with its port; then check the TLS policy of the server for new connections from this peer (SNI, peer profile).';
        frames.push(o.openedFrame);
      }
      out.push({
        kind: 'tls-handshake-failed',
        severity: 'error',
        callId,
        frames: uniqFrames(frames),
        title: `TLS handshake to ${endpointKey(c.server)} failed: ${f.failure}`,
        explanation: parts.join(' ') + ` Evidence: ${framesText(uniqFrames(frames))}.`,
        references,
        fix,
        connections: [c.id, ...(mid ? mid.earlier.map((e) => e.conn.id) : siblings.map((o) => o.conn.id))],
      });
    }
    return out;
  },
};
