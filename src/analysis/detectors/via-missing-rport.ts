/**
 * via-missing-rport (field notes 000, 002): a UDP request crossed a NAT — its top Via sent-by is
 * a private address while it came from a public one — and carries no `rport`. Without rport the
 * server answers to received + the sent-by port (RFC 3261 §18.2.2), a port the NAT did not open,
 * unless the NAT kept the port or the server forces rport; with rport it answers to the source
 * port (RFC 3581 §4). Warning when the NAT changed the port and the responses did not follow the
 * source; info when it worked anyway (server forced rport, or the NAT kept the port).
 *
 * Seen from inside the NAT (LAN capture) the source is private too: a UDP request from a private
 * address toward a public one, with a private sent-by and no rport, is judged by what came back:
 * retransmitted and never answered by that server → warning (the answers went to the sent-by port
 * the NAT never opened, unless the NAT kept the port); answered → info.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { defaultPort, isIpLiteral, isPrivateLike } from '../lib/addr.ts';
import type { Msg } from '../lib/flow.ts';
import { getFlow, privateBehindPublic } from '../lib/flow.ts';
import { framesText, uniqFrames } from '../lib/text.ts';
import { appended, EMPTY } from '../../lib/lists.ts';

export const detectViaMissingRport: Detector = {
  kind: 'via-missing-rport',
  title: 'A UDP request crossed a NAT without rport',
  severity: 'warning',
  detect({ messages }) {
    const flow = getFlow(messages);
    const out: Finding[] = [];
    // The requests of a call grouped by source, call by call: the groups of the whole capture,
    // keyed by Call-ID and source, lived until the last was judged (~8 MB of keys, lists and
    // map on sip-udp-100MB, thrown away after). The findings come call by call, a call's groups
    // in the order of their first request; runDetectors sorts them by frame, and two groups can
    // share a first frame only within a call.
    const groups: Msg[][] = [];
    for (let cAt = 0; cAt < flow.callLists.length; cAt++) {
      const call = flow.callLists[cAt]!;
      groups.length = 0;
      // A call's sources are found by a scan; a Call-ID shared by many sources switches to a map.
      let bySource: Map<string, number> | null = null;
      for (let xAt = 0; xAt < call.length; xAt++) {
        const x = call[xAt]!;
        if (!x.isReq || x.duplicate || !x.topVia || x.transport !== 'udp') continue;
        if (x.topVia.rport !== undefined || x.topVia.transport !== 'UDP') continue;
        if (!privateBehindPublic(x.topVia.host, x.srcIp) && !lanToPublic(x)) continue;
        let g: number;
        if (bySource !== null) g = bySource.get(x.src) ?? groups.length;
        else {
          g = 0;
          while (g < groups.length && groups[g]![0]!.src !== x.src) g++;
        }
        // At its length while short (lib/lists.ts): one list per source of the call.
        groups[g] = appended(groups[g] ?? EMPTY, x);
        if (bySource !== null) bySource.set(x.src, g);
        else if (groups.length > SCAN_SOURCES) bySource = new Map(groups.map((l, k) => [l[0]!.src, k]));
      }
      for (let gAt = 0; gAt < groups.length; gAt++) judgeGroup(groups[gAt]!, out);
    }
    return out;
  },
};

/** Up to this many sources a call's groups are found by a scan. */
const SCAN_SOURCES = 8;

/** The finding for one call's requests from one source that crossed a NAT without rport. */
function judgeGroup(list: Msg[], out: Finding[]): void {
  const first = list[0]!;
  if (!privateBehindPublic(first.topVia!.host, first.srcIp)) {
    out.push(lanFinding(list));
    return;
  }
  const v = first.topVia!;
  const sentPort = v.port ?? defaultPort('udp');
  const portKept = sentPort === first.srcEp.port;
  const responses = list.flatMap((x) => x.tx.filter((r) => !r.isReq && r.src === x.dst && r.t >= x.t));
  const toSource = responses.filter((r) => r.dst === first.src);
  const elsewhere = responses.filter((r) => r.dst !== first.src);
  let severity: Finding['severity'];
  const parts = [
    `${list.length === 1 ? `The ${first.method} in frame ${first.frame}` : `${list.length} requests (${framesText(list.map((x) => x.frame))})`} came over UDP from ${first.src} with top Via ${v.raw}: ` +
      `a private sent-by, so it crossed a NAT, and no rport parameter.`,
    `Without rport a server answers to received=${first.srcIp} at the sent-by port ${sentPort} (RFC 3261 §18.2.2), not to the port ${first.srcEp.port} the NAT opened; rport asks for the source port (RFC 3581 §4).`,
  ];
  if (elsewhere.length > 0) {
    severity = portKept ? 'info' : 'warning';
    parts.push(`Responses were indeed sent to ${[...new Set(elsewhere.map((r) => r.dst))].join(', ')} (${framesText(elsewhere.map((r) => r.frame))}) (see response-to-wrong-port).`);
  } else if (toSource.length > 0) {
    severity = 'info';
    parts.push(
      portKept
        ? 'It worked here only because the NAT kept the source port equal to the sent-by port.'
        : `It worked here because the server answered to the source port anyway (force_rport): ${framesText(toSource.map((r) => r.frame))}.`,
    );
  } else {
    severity = portKept ? 'info' : 'warning';
    parts.push(portKept ? 'The NAT kept the port, so responses can still arrive — a NAT that changes ports would break this.' : 'No response to it was captured from the server it was sent to.');
  }
  out.push({
    kind: 'via-missing-rport',
    severity,
    callId: first.callId,
    frames: uniqFrames([...list.map((x) => x.frame), ...elsewhere.map((r) => r.frame)]),
    title: `UDP request from ${first.src} crossed a NAT without rport (Via ${v.host}:${sentPort})`,
    explanation: parts.join(' '),
    references: ['RFC 3581 §4', 'RFC 3261 §18.2.2', 'RFC 3261 §18.2.1'],
    fix: 'Enable rport on the user agent, or force rport on the proxy for requests whose top Via does not match the source (OpenSIPS/Kamailio: if (nat_uac_test("18")) force_rport();).',
  });
}

/** A UDP request seen inside the NAT: private source and sent-by, public destination. */
function lanToPublic(x: Msg): boolean {
  return isPrivateLike(x.srcIp) && isPrivateLike(x.topVia!.host) && isIpLiteral(x.topVia!.host) && !isPrivateLike(x.dstEp.ip);
}

/** The LAN-side judgement: did the server it was sent to answer anything? */
function lanFinding(list: Msg[]): Finding {
  const first = list[0]!;
  const v = first.topVia!;
  const sentPort = v.port ?? defaultPort('udp');
  const answered = list.some((x) => x.tx.some((r) => !r.isReq && r.src === x.dst && r.t >= x.t));
  const retransmitted = list.some((x) => x.retransmission);
  const severity: Finding['severity'] = !answered && retransmitted ? 'warning' : 'info';
  const what = list.length === 1 ? `The ${first.method} in frame ${first.frame}` : `${list.length} requests (${framesText(list.map((x) => x.frame))})`;
  const parts = [
    `${what} left ${first.src} over UDP toward the public address ${first.dst} with top Via ${v.raw}: a private sent-by and no rport, so after the NAT the server sees a sent-by that does not match the source.`,
    `Without rport it answers to the NAT's address at the sent-by port ${sentPort} (RFC 3261 §18.2.2), which the NAT opened only if it kept the source port; rport asks for the real source port (RFC 3581 §4).`,
    severity === 'warning'
      ? `Not one response from ${first.dst} came back to this side of the NAT, though the request was retransmitted — what a server answering to the wrong port looks like from inside (a capture on the public side would show the responses).`
      : answered
        ? 'Responses did come back here, so the NAT kept the port or the server forced rport.'
        : 'It was not retransmitted within the capture, so nothing more can be said.',
  ];
  return {
    kind: 'via-missing-rport',
    severity,
    callId: first.callId,
    frames: uniqFrames(list.map((x) => x.frame)),
    title: `UDP request from ${first.src} to the public ${first.dst} without rport (Via ${v.host}:${sentPort})${severity === 'warning' ? ', never answered' : ''}`,
    explanation: parts.join(' '),
    references: ['RFC 3581 §4', 'RFC 3261 §18.2.2', 'RFC 3261 §18.2.1'],
    fix: 'Enable rport on the user agent, or force rport on the proxy for requests whose top Via does not match the source (OpenSIPS/Kamailio: if (nat_uac_test("18")) force_rport();).',
  };
}
