/**
 * in-dialog-request-misrouted (field notes 000, 001): an ACK/BYE/re-INVITE/UPDATE/INFO… sent
 * somewhere other than where the dialog state says: the next entry of the route set, else the
 * remote target — the peer's Contact, port included (RFC 3261 §12.2.1.1, §16.12). The routing
 * judgement per message comes from the SIP model (`model.hops`), which already accepts a private
 * Contact reached at the public address the peer's messages came from (NAT handled). Two more
 * signs are used: a Request-URI that dropped the Contact's port at the originating user agent,
 * and — when the request itself was never seen because the connection it needed failed — a
 * TCP/TLS connection opened mid-dialog toward the peer on a port other than its Contact's
 * (the BYE of field note 000). One finding per dialog.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { endpointKey } from '../../capture/types.ts';
import { getConnIndex } from '../lib/connections.ts';
import { normalizeHost } from '../lib/addr.ts';
import type { Flow, Msg } from '../lib/flow.ts';
import { contactUri, getFlow, responsesTo, sawBothDirections } from '../lib/flow.ts';
import { framesText, uniqFrames } from '../lib/text.ts';

/**
 * The remote target is set by the first 2xx the UAC receives; retransmissions of it do not change
 * it (RFC 3261 §13.2.2.4, §12.1.2). True when the request's Request-URI is the Contact of the first
 * (not retransmitted) 2xx its sender received in this dialog — the sender did as told.
 */
function firstTargetMatches(flow: Flow, x: Msg): boolean {
  const d = flow.dialogOf.get(x);
  const ru = x.requestUri;
  if (!d || !ru) return false;
  const ok = d.oks.find((o) => o.dst === x.src && !o.retransmission && !o.duplicate);
  const c = ok ? contactUri(ok) : null;
  if (!c) return false;
  return normalizeHost(c.host) === normalizeHost(ru.host) && (c.port ?? 5060) === (ru.port ?? 5060) && c.user === ru.user;
}

/**
 * True when the request belongs to no dialog: the INVITE was refused (a final 3xx–6xx) and no 2xx
 * made a dialog, so there is no remote target to miss (a BYE after a 403 is the sender's mistake,
 * not a routing fault; RFC 3261 §12.1: only 2xx and tagged 1xx create dialogs, and a failure ends
 * an early one). The ACK of a non-2xx final is part of the INVITE transaction and not judged here.
 */
function noDialogLeft(flow: Flow, x: Msg): boolean {
  const d = flow.dialogOf.get(x);
  if (d && d.oks.length > 0) return false;
  return firstInviteFailure(flow, x.callId) <= x.t;
}

/**
 * Per flow and call: the time of its first final 3xx–6xx to an INVITE (Infinity: none), worked out
 * once per call — scanned per request, a capture that starts mid-call cost a scan of the call for
 * each of its in-dialog requests.
 */
const inviteFailures = new WeakMap<Flow, Map<string, number>>();
function firstInviteFailure(flow: Flow, callId: string): number {
  let byCall = inviteFailures.get(flow);
  if (!byCall) inviteFailures.set(flow, (byCall = new Map()));
  let t = byCall.get(callId);
  if (t === undefined) {
    t = Infinity;
    for (const y of flow.calls.get(callId) ?? []) if (!y.isReq && y.method === 'INVITE' && y.status >= 300 && y.t < t) t = y.t;
    byCall.set(callId, t);
  }
  return t;
}

export const detectInDialogRequestMisrouted: Detector = {
  kind: 'in-dialog-request-misrouted',
  title: 'An in-dialog request went somewhere other than the remote target or route set',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const conns = getConnIndex(ctx);
    const byCall = new Map<string, { msgs: Array<{ x: Msg; rule: string; expected: string | null }>; conns: typeof conns.mid }>();
    const entry = (callId: string) => {
      let e = byCall.get(callId);
      if (!e) byCall.set(callId, (e = { msgs: [], conns: [] }));
      return e;
    };
    // Per dialog: the earliest time each connection carried one of its messages.
    const connSeen = new Map<object, Map<number, number>>();
    const firstOnConn = (x: Msg): number | undefined => {
      const d = flow.dialogOf.get(x);
      if (!d) return undefined;
      let m = connSeen.get(d);
      if (!m) {
        m = new Map();
        for (let yAt = 0; yAt < d.messages.length; yAt++) {
          const y = d.messages[yAt]!;
          if (y.m.connection !== null && !m.has(y.m.connection)) m.set(y.m.connection, y.t);
        }
        connSeen.set(d, m);
      }
      return x.m.connection === null ? undefined : m.get(x.m.connection);
    };
    for (let xAt = 0; xAt < flow.msgs.length; xAt++) {
      const x = flow.msgs[xAt]!;
      if (!x.isReq || x.toTag === null || x.duplicate || x.method === 'CANCEL') continue;
      const hop = ctx.model.hops.at(x.index, x);
      if (!hop || hop.kind !== 'in-dialog') continue;
      if (noDialogLeft(flow, x)) continue;
      const reused = x.m.connection !== null && hop.expected !== null && hop.expected.ip === x.dstEp.ip && x.transport !== 'udp';
      const seenAt = x.m.connection !== null ? firstOnConn(x) : undefined;
      const onDialogConn = seenAt !== undefined && seenAt < x.t;
      if (hop.matches === false && hop.expected && !reused && !onDialogConn) {
        entry(x.callId).msgs.push({ x, rule: hop.rule, expected: endpointKey(hop.expected) });
      } else if (hop.matches !== false && hop.requestUriMatches === false && x.viaCount === 1 && hop.expectedRequestUri && !firstTargetMatches(flow, x)) {
        const ru = x.sip.kind === 'request' ? x.sip.requestUriRaw : '';
        entry(x.callId).msgs.push({
          x,
          rule: `The Request-URI ${ru} is not the dialog's remote target ${hop.expectedRequestUri} (RFC 3261 §12.2.1.1).`,
          expected: null,
        });
      }
    }
    for (let mAt = 0; mAt < conns.mid.length; mAt++) {
      const m = conns.mid[mAt]!;
      if (!m.facts.failed || !m.portMismatch || m.facts.messages.length > 0) continue;
      entry(m.dialog.callId).conns.push(m);
    }
    const out: Finding[] = [];
    for (const [callId, e] of byCall) {
      const parts: string[] = [];
      const frames: number[] = [];
      let severity: Finding['severity'] = 'info';
      let expected: Finding['expected'] = null;
      const bump = (s: Finding['severity']) => {
        if (s === 'error' || (s === 'warning' && severity === 'info')) severity = s;
      };
      for (const { x, rule, expected: exp } of e.msgs) {
        frames.push(x.frame);
        const finals = responsesTo(flow, x).filter((r) => r.status >= 200);
        const retrans = x.tx.filter((y) => y.firstCopy === x && y.retransmission);
        frames.push(...retrans.map((r) => r.frame), ...finals.map((r) => r.frame));
        let outcome: string;
        if (x.method === 'ACK') {
          const d = flow.dialogOf.get(x);
          const okRetrans = d ? d.oks.filter((o) => o.retransmission && o.t > x.t) : [];
          if (okRetrans.length > 0) {
            bump('error');
            outcome = `the 2xx kept being retransmitted afterwards (${framesText(okRetrans.map((o) => o.frame))}), so the ACK never arrived (see ack-missing)`;
            frames.push(...okRetrans.map((o) => o.frame));
          } else {
            outcome = 'no 2xx retransmission followed, so it was delivered anyway (another address of the same host, or a capture-point effect)';
          }
        } else if (finals.length > 0) {
          outcome = `it was still answered ${finals[0]!.status} (frame ${finals[0]!.frame}) by ${finals[0]!.src}, so it was delivered anyway`;
        } else if (ctx.captureEndUs - x.t >= 4_000_000 && sawBothDirections(flow, x.srcIp, x.dstIp) === true) {
          bump(retrans.length > 0 || x.transport !== 'udp' ? 'error' : 'warning');
          outcome = retrans.length > 0 ? `it was retransmitted ${retrans.length} times and never answered` : 'it was never answered';
        } else {
          outcome = 'no answer was captured, but the capture does not go on long enough (or does not see the way back) to say it was lost';
        }
        parts.push(`The ${x.method} in frame ${x.frame} went ${x.src} → ${x.dst}. ${rule} ${exp ? `It should have gone to ${exp}; ` : ''}${outcome}.`);
        if (!expected && exp) {
          expected = { messageFrame: x.frame, from: x.src, to: exp, reason: rule };
        }
      }
      for (let mAt = 0; mAt < e.conns.length; mAt++) {
        const m = e.conns[mAt]!;
        bump('error');
        const c = m.facts.conn;
        frames.push(c.openedFrame, ...m.facts.failureFrames);
        if (m.targetFrame !== null) frames.push(m.targetFrame);
        parts.push(
          `At frame ${c.openedFrame}, while the call was up, ${endpointKey(c.client)} opened a new ${c.transport.toUpperCase()} connection to ${endpointKey(c.server)} to send an in-dialog request (typically the BYE), ` +
            `but the dialog's remote target is ${m.targetUri} (frame ${m.targetFrame}) — port ${m.target!.port}, not ${c.server.port}: the Contact's port was not kept and the default port was assumed. ` +
            `The connection failed (${m.facts.failure}), so the request never reached the peer${c.tls ? '; the TLS failure is the symptom, not the cause (see tls-handshake-failed)' : ''}.`,
        );
        if (!expected) {
          expected = {
            messageFrame: c.tls?.clientHelloFrame ?? c.openedFrame,
            from: endpointKey(c.client),
            to: endpointKey(m.target!),
            reason: `the dialog's remote target is ${m.targetUri}; in-dialog requests go there (RFC 3261 §12.2.1.1), over the existing connection`,
          };
        }
      }
      const first = e.msgs[0]?.x;
      out.push({
        kind: 'in-dialog-request-misrouted',
        severity,
        callId,
        frames: uniqFrames(frames),
        title: first
          ? `${first.method} sent to ${first.dst}${e.msgs[0]!.expected ? ` instead of ${e.msgs[0]!.expected}` : ' with a Request-URI that is not the remote target'}`
          : `In-dialog request sent to port ${e.conns[0]!.facts.conn.server.port} instead of the Contact's port ${e.conns[0]!.target!.port}`,
        explanation: parts.join(' '),
        references: ['RFC 3261 §12.2.1.1', 'RFC 3261 §16.12', 'RFC 3261 §8.1.2', ...(e.conns.length ? ['RFC 5923'] : [])],
        fix: 'Send in-dialog requests to the remote target exactly as the peer\'s Contact gives it (host and port, never a default-port assumption) through the Record-Route set; for TCP/TLS reuse the dialog\'s connection (RFC 5923 alias). If the Contact itself is wrong (private, missing port), fix it where the message enters the proxy.',
        expected,
        connections: e.conns.map((m) => m.facts.conn.id),
      });
    }
    return out;
  },
};
