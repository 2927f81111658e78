/**
 * response-to-wrong-port (field notes 000, 002): a response sent to an address:port other than the
 * source of the request it answers. Over UDP a server answers to received + the sent-by port
 * unless the request asked for rport (RFC 3261 §18.2.2, RFC 3581 §4); behind a NAT only the
 * source port is open, so Via-based routing loses the response. Over TCP/TLS the response must
 * use the request's connection while it is open (RFC 3261 §18.2.2). The request copies on the
 * same hop come from the capture (several copies when the capture sees both sides of a NAT);
 * a response that went to the source of any of them is correct. One finding per call and server.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Msg } from '../lib/flow.ts';
import { getFlow, legCopies, privateBehindPublic, requestsAnswered } from '../lib/flow.ts';
import { framesText, uniqFrames } from '../lib/text.ts';

interface Bad {
  resp: Msg;
  req: Msg;
  why: string;
  rportIgnored: boolean;
}

/**
 * A long transaction's requests (its list holds every response too), made once per transaction:
 * a 2xx retransmitted thousands of times scanned all of its copies for each copy. A short one is
 * scanned as it is: a list and a cache entry for each of a capture's transactions lived through
 * the detector, to be thrown away after it (~15 MB on sip-udp-100MB).
 */
const txRequests = new WeakMap<readonly Msg[], Msg[]>();
function requestsOfTx(tx: readonly Msg[]): readonly Msg[] {
  if (tx.length <= SCAN_TX) return tx;
  let reqs = txRequests.get(tx);
  if (reqs === undefined) txRequests.set(tx, (reqs = tx.filter((r) => r.isReq)));
  return reqs;
}
/** Up to this many messages a transaction is scanned whole (its responses skipped) rather than its requests listed. */
const SCAN_TX = 32;

export const detectResponseToWrongPort: Detector = {
  kind: 'response-to-wrong-port',
  title: 'A response went to an address:port other than the source of its request',
  severity: 'error',
  detect({ messages }) {
    const flow = getFlow(messages);
    const groups = new Map<string, Bad[]>();
    for (let respAt = 0; respAt < flow.msgs.length; respAt++) {
      const resp = flow.msgs[respAt]!;
      if (resp.isReq || resp.duplicate) continue;
      // Asked first without building lists (this runs for every response): were there requests
      // it answers (requestsAnswered: those sent to its source, else to its source's IP), and
      // did one of them come from where it went?
      let exact = false;
      let exactFromDst = false;
      let sameIp = false;
      let sameIpFromDst = false;
      const txReqs = requestsOfTx(resp.tx);
      for (let rAt = 0; rAt < txReqs.length; rAt++) {
        const r = txReqs[rAt]!;
        if (!r.isReq || r.method !== resp.method || r.t > resp.t) continue;
        if (r.dst === resp.src) {
          exact = true;
          if (r.src === resp.dst) exactFromDst = true;
        }
        if (r.dstIp === resp.srcIp) {
          sameIp = true;
          if (r.src === resp.dst) sameIpFromDst = true;
        }
      }
      if (!exact && !sameIp) continue;
      if (exact ? exactFromDst : sameIpFromDst) continue;
      const reqs = requestsAnswered(flow, resp);
      const req = reqs[reqs.length - 1]!;
      const v = req.topVia;
      let why: string;
      let rportIgnored = false;
      if (resp.transport !== 'udp' || req.transport !== 'udp') {
        if (resp.m.connection !== null && reqs.some((r) => r.m.connection === resp.m.connection)) continue;
        if (resp.m.connection === null || req.m.connection === null) continue;
        why = `The request came on connection #${req.m.connection} from ${req.src}; the response must go back on that connection while it is open (RFC 3261 §18.2.2), but went on connection #${resp.m.connection} to ${resp.dst}.`;
      } else if (v && v.params['maddr']) {
        continue; // maddr: the response goes where the Via says, by design
      } else if (v && v.rport !== undefined) {
        rportIgnored = true;
        why = `The request's top Via (${v.raw}) asked for rport, so the response had to go to the source ${req.src} (RFC 3581 §4); it went to ${resp.dst}.`;
      } else {
        // No rport and no NAT between them (the sent-by host is the source): the sender listens
        // on its sent-by port and Via-based routing is the RFC 3261 rule working as designed.
        if (!v || !privateBehindPublic(v.host, req.srcIp)) continue;
        const port = v?.port ?? 5060;
        why = `The request's top Via (${v?.raw ?? 'none'}) has no rport, so the server used Via-based routing — received ${req.srcIp}, sent-by port ${port} (RFC 3261 §18.2.2) — and sent it to ${resp.dst} instead of the source ${req.src} the NAT had opened.`;
      }
      const k = `${resp.callId}|${resp.src}|${req.src}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push({ resp, req, why, rportIgnored });
    }
    const out: Finding[] = [];
    for (const list of groups.values()) {
      const b = list[0]!;
      const reqCopies = legCopies(flow, b.req);
      const retransAfter = reqCopies.filter((r) => r.t > b.resp.t);
      const anyRportIgnored = list.some((x) => x.rportIgnored);
      const severity: Finding['severity'] = retransAfter.length > 0 || anyRportIgnored ? 'error' : 'warning';
      const parts = [
        `${list.length === 1 ? `The ${b.resp.status} ${b.resp.reason} in frame ${b.resp.frame}` : `${list.length} responses (${framesText(list.map((x) => x.resp.frame))})`} from ${b.resp.src} answered ${b.req.method} requests that came from ${b.req.src}. ${b.why}`,
      ];
      if (retransAfter.length > 0) parts.push(`The client never got it: it kept retransmitting the ${b.req.method} (${framesText(retransAfter.map((r) => r.frame))}).`);
      out.push({
        kind: 'response-to-wrong-port',
        severity,
        callId: b.resp.callId,
        frames: uniqFrames([...list.map((x) => x.resp.frame), ...list.map((x) => x.req.frame), ...retransAfter.map((r) => r.frame)]),
        title: `${b.resp.status} sent to ${b.resp.dst} instead of the request's source ${b.req.src}`,
        explanation: parts.join(' '),
        references: ['RFC 3261 §18.2.2', 'RFC 3581 §4', 'RFC 3261 §18.2.1'],
        fix: anyRportIgnored
          ? 'The server ignores rport: fix or upgrade it so responses go to the source address and port of the request (RFC 3581).'
          : 'Send responses symmetrically: enable rport on the client, or force_rport on the server/proxy for requests whose Via does not match the source; over TCP/TLS answer on the request\'s connection.',
        expected: { messageFrame: b.resp.frame, from: b.resp.src, to: b.req.src, reason: b.why },
      });
    }
    return out;
  },
};
