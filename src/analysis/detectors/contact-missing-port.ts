/**
 * contact-missing-port (field note 000): a Contact without a port in a dialog-creating message
 * (or REGISTER) that came from a non-default or ephemeral port, or over TCP/TLS. The peer then
 * assumes the default port (5060, 5061 for TLS/sips, RFC 3263 §4.2) for in-dialog requests
 * (RFC 3261 §12.2.1.1, §19.1.2), which behind NAT or with ephemeral ports is not where the user
 * agent listens. Error when an in-dialog request toward it then went to the default port and
 * failed; info when nothing went wrong in the capture. A private Contact host is left to
 * contact-private-address. A WebSocket client's `.invalid` Contact (RFC 7118 §5) is not judged:
 * it is never dialled, requests go back over the client's WebSocket connection.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { endpointKey } from '../../capture/types.ts';
import { defaultPort, isPrivateLike, normalizeHost } from '../lib/addr.ts';
import { getConnIndex } from '../lib/connections.ts';
import type { Msg } from '../lib/flow.ts';
import { contactUri, getFlow, responsesTo, uriTransport } from '../lib/flow.ts';
import { uniqFrames } from '../lib/text.ts';

const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'REGISTER']);

export const detectContactMissingPort: Detector = {
  kind: 'contact-missing-port',
  title: 'Contact has no port although the sender used a non-default port or TCP/TLS',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const conns = getConnIndex(ctx);
    const groups = new Map<string, Msg[]>();
    for (let xAt = 0; xAt < flow.msgs.length; xAt++) {
      const x = flow.msgs[xAt]!;
      if (x.duplicate || x.retransmission) continue;
      const creating = x.isReq ? DIALOG_CREATING.has(x.method) && x.toTag === null : x.method === 'INVITE' && x.status >= 200 && x.status < 300;
      if (!creating) continue;
      const u = contactUri(x);
      if (!u || u.port !== null || u.params['maddr']) continue;
      if (isPrivateLike(u.host)) continue;
      // A WebSocket client's Contact names no reachable host or port by design (RFC 7118 §5:
      // "<random>.invalid;transport=ws"): requests reach it over its own connection (outbound,
      // RFC 5626), so a missing port there is the standard, not a fault.
      const t = uriTransport(u) ?? x.transport;
      if (t === 'ws' || t === 'wss' || u.host.toLowerCase().endsWith('.invalid')) continue;
      const dflt = defaultPort(u.scheme === 'sips' ? 'sips' : t);
      const reliable = x.transport !== 'udp' && x.transport !== 'sctp';
      // The sender's own address: only when the Contact names the host the message came from (else a proxy/registrar view).
      if (normalizeHost(u.host) !== x.srcIp && !reliable) continue;
      if (!reliable && x.srcEp.port === dflt) continue;
      if (reliable && x.srcEp.port === dflt) continue;
      const k = `${x.callId}|${x.src}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(x);
    }
    const out: Finding[] = [];
    for (const list of groups.values()) {
      const first = list[0]!;
      const u = contactUri(first)!;
      const host = normalizeHost(u.host);
      const t = uriTransport(u) ?? first.transport;
      const dflt = defaultPort(u.scheme === 'sips' ? 'sips' : t);
      // Consequences: in-dialog requests toward that host at the default port.
      const d = flow.dialogOf.get(first);
      const toDefault = (d?.messages ?? []).filter((y) => y.isReq && y.dstIp === host && y.dstEp.port === dflt && y.srcIp !== first.srcIp && y.t > first.t);
      const unanswered = toDefault.filter((y) => y.method !== 'ACK' && !responsesTo(flow, y).some((r) => r.status >= 200));
      const failedConns = (d ? (conns.midByDialog.get(d) ?? []) : []).filter((m) => normalizeHost(m.facts.conn.server.ip) === host && m.facts.conn.server.port === dflt && m.facts.failed);
      let severity: Finding['severity'] = 'info';
      const parts = [
        `The ${first.isReq ? first.method : `${first.status} to INVITE`} in frame ${first.frame} came from ${first.src} over ${first.transport.toUpperCase()} with Contact <${u.raw}>, which has no port: ` +
          `the peer will send in-dialog requests to the default port ${dflt} (RFC 3261 §19.1.2, RFC 3263 §4.2), ` +
          `${first.transport === 'udp' ? `while this user agent sent from port ${first.srcEp.port}` : `while this connection's port is the ephemeral ${first.srcEp.port}`}.`,
      ];
      if (failedConns.length > 0 || unanswered.length > 0) {
        severity = 'error';
        if (failedConns.length > 0) {
          const c = failedConns[0]!.facts.conn;
          parts.push(`That is what happened: at frame ${c.openedFrame} the peer opened a new connection to ${endpointKey(c.server)} for an in-dialog request and it failed (${failedConns[0]!.facts.failure}) (see in-dialog-request-misrouted, tls-handshake-failed).`);
        }
        if (unanswered.length > 0) parts.push(`The ${unanswered[0]!.method} sent to ${unanswered[0]!.dst} (frame ${unanswered[0]!.frame}) was never answered.`);
      } else if (toDefault.length > 0) {
        parts.push(`In-dialog requests did go to port ${dflt} (frame ${toDefault[0]!.frame}) and were answered, so the user agent listens there too.`);
      } else {
        parts.push(first.transport === 'udp' ? 'Nothing failed in this capture, but it relies on the user agent also listening on the default port.' : 'Over TCP/TLS this works only while the peer reuses the existing connection.');
      }
      out.push({
        kind: 'contact-missing-port',
        severity,
        callId: first.callId,
        frames: uniqFrames([...list.map((x) => x.frame), ...toDefault.map((y) => y.frame), ...failedConns.flatMap((m) => [m.facts.conn.openedFrame, ...m.facts.failureFrames])]),
        title: `Contact <${u.raw}> has no port (sent from ${first.src})`,
        explanation: parts.join(' '),
        references: ['RFC 3261 §12.2.1.1', 'RFC 3261 §19.1.2', 'RFC 3263 §4.2', 'RFC 5923'],
        fix: 'Put the listening port in the Contact (or have the proxy rewrite the Contact to the received source address and port for endpoints); for TCP/TLS add ;alias / ;ob so the peer reuses the connection (RFC 5923, RFC 5626).',
        connections: failedConns.map((m) => m.facts.conn.id),
      });
    }
    return out;
  },
};
