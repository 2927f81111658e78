/**
 * via-private-address (field notes 002, 003): a request whose top Via sent-by is a private/CGNAT/
 * loopback address arrived from a different, public address — the sender is behind a NAT and
 * does not know its public address. The server then adds `received` (RFC 3261 §18.2.1) and, with
 * `rport`, the source port (RFC 3581 §4), and responses work. So this is mostly information
 * ("this UA is behind NAT"); it becomes a warning when a response was actually sent to the
 * private sent-by address. A Via between two private hosts is not NAT and is not reported.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { classifyAddress, normalizeHost } from '../lib/addr.ts';
import type { Msg } from '../lib/flow.ts';
import { getFlow, privateBehindPublic, responsesTo } from '../lib/flow.ts';
import { framesText, uniqFrames } from '../lib/text.ts';

export const detectViaPrivateAddress: Detector = {
  kind: 'via-private-address',
  title: 'Top Via holds a private address but the request came from a public one (NAT)',
  severity: 'warning',
  detect({ messages }) {
    const flow = getFlow(messages);
    const groups = new Map<string, Msg[]>();
    for (let xAt = 0; xAt < flow.msgs.length; xAt++) {
      const x = flow.msgs[xAt]!;
      if (!x.isReq || x.duplicate || !x.topVia) continue;
      if (!privateBehindPublic(x.topVia.host, x.srcIp)) continue;
      const k = `${x.src}|${normalizeHost(x.topVia.host)}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(x);
    }
    const out: Finding[] = [];
    for (const list of groups.values()) {
      const first = list[0]!;
      const v = first.topVia!;
      const host = normalizeHost(v.host);
      const toPrivate = list.flatMap((x) => x.tx.filter((r) => !r.isReq && r.src === x.dst && r.dstIp === host));
      const answered = list.flatMap((x) => responsesTo(flow, x).filter((r) => r.dst === x.src));
      const withRport = list.some((x) => x.topVia?.rport !== undefined);
      const severity: Finding['severity'] = toPrivate.length > 0 ? 'warning' : 'info';
      // A loopback sent-by (sipsak writes 127.0.0.1) is the sender's own host, not its LAN address.
      const loopback = classifyAddress(host) === 'loopback';
      const parts = [
        `${list.length === 1 ? `The ${first.method} in frame ${first.frame}` : `${list.length} requests (${framesText(list.map((x) => x.frame))})`} came from ${first.src}${new Set(list.map((x) => x.callId)).size > 1 ? ` (${new Set(list.map((x) => x.callId)).size} calls)` : ''} but ` +
          `the top Via says ${v.host}${v.port !== null ? `:${v.port}` : ''} (${v.raw}): the sender is behind a NAT and wrote ${loopback ? 'a loopback address, which names only its own host' : 'its LAN address'}.`,
        `RFC 3261 §18.2.1 makes the server add received=${first.srcIp}${withRport ? ` and, because the Via asks for rport, rport=${first.srcEp.port} (RFC 3581 §4)` : ''}, so responses can still find it.`,
      ];
      if (toPrivate.length > 0) parts.push(`But ${framesText(toPrivate.map((r) => r.frame))} ${toPrivate.length === 1 ? 'was' : 'were'} sent to the private address ${toPrivate[0]!.dst}, which cannot be reached from outside the NAT.`);
      else if (answered.length > 0) parts.push(`Responses did reach it at ${first.src} (${framesText(answered.map((r) => r.frame))}): NAT was handled correctly.`);
      if (!withRport && first.transport === 'udp') parts.push('The Via has no rport (see via-missing-rport).');
      out.push({
        kind: 'via-private-address',
        severity,
        callId: new Set(list.map((x) => x.callId)).size === 1 ? first.callId : null,
        frames: uniqFrames([...list.map((x) => x.frame), ...toPrivate.map((r) => r.frame)]),
        title: `Via sent-by ${v.host} is ${loopback ? 'loopback' : 'private'}; request came from ${first.src} (behind NAT)`,
        explanation: parts.join(' '),
        references: ['RFC 3261 §18.2.1', 'RFC 3261 §18.2.2', 'RFC 3581 §4'],
        fix: 'Nothing to fix when responses return to the source: add rport on the UA (or force_rport on the proxy) so responses follow the NAT mapping; use STUN or an SBC if the UA must know its public address.',
        expected: toPrivate[0] ? { messageFrame: toPrivate[0].frame, from: toPrivate[0].src, to: first.src, reason: `the request came from ${first.src} (received=${first.srcIp}); the private sent-by ${v.host} is unreachable` } : null,
      });
    }
    return out;
  },
};
