/**
 * contact-private-address (field notes 001, 003): a Contact holding a private/CGNAT/loopback
 * address in a message that came from a public address — REGISTER, INVITE/UPDATE/SUBSCRIBE
 * requests and their 1xx/2xx. The Contact becomes the remote target of the dialog (RFC 3261
 * §12.1.1, §12.1.2, §12.2.1.1), so in-dialog requests (the ACK first) follow it into a
 * network nobody outside the NAT can reach. A message between two private hosts is not NAT and
 * is left alone. Severity follows what the capture shows: error when a request really went to the
 * private address (or a forwarded copy still carries it and the ACK is lost), info when NAT was
 * handled (a forwarded copy or the later requests use the public address), warning otherwise.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import { classifyAddress, normalizeHost } from '../lib/addr.ts';
import type { Flow, Msg } from '../lib/flow.ts';
import { contactUri, getFlow, requestsToEndpoint, requestsToIp, unreachableFrom } from '../lib/flow.ts';
import { framesText, msgShort, uniqFrames } from '../lib/text.ts';

const TARGET_METHODS = new Set(['REGISTER', 'INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

function carriesTarget(x: Msg): boolean {
  if (x.isReq) return TARGET_METHODS.has(x.method);
  // REGISTER responses list the bindings, not the sender's address.
  return x.method !== 'REGISTER' && TARGET_METHODS.has(x.method) && x.status > 100 && x.status < 300;
}

/**
 * The Record-Route hop the receiver of `x` will send in-dialog requests to (for a request, the
 * top entry; for a response, the bottom one, RFC 3261 §12.1.2), when it is reachable from where
 * `x` came from; else null.
 */
function recordRouteHop(x: Msg): string | null {
  const rr = x.recordRoute;
  if (rr.length === 0) return null;
  const hop = (x.isReq ? rr[0] : rr[rr.length - 1])?.uri;
  if (!hop || unreachableFrom(hop.host, x.srcIp)) return null;
  return hop.port !== null ? `${hop.host}:${hop.port}` : hop.host;
}

/**
 * The proxy that took the UA's request straight from its NAT mapping Record-Routes the dialog and
 * relays its media (its 2xx back to the UA names the proxy's own address in SDP c=, as rtpengine
 * or an SBC does): a NAT-aware proxy stays on the path of every in-dialog request toward the UA.
 * Returns that 2xx, or null.
 */
function natAwareRelay(callMsgs: readonly Msg[], mappings: readonly string[], after: number): Msg | null {
  for (const y of callMsgs) {
    if (y.isReq || y.t <= after || y.status < 200 || y.status >= 300 || !mappings.includes(y.dst)) continue;
    const proxy = normalizeHost(y.srcIp);
    const routes = y.recordRoute.map((r) => (r.uri ? normalizeHost(r.uri.host) : ''));
    const c = y.sdp?.session ?? null;
    if (routes.includes(proxy) && c !== null && normalizeHost(c) === proxy) return y;
  }
  return null;
}

/** New requests (no To tag) to an IP, by the Request-URI's user ("" for none), built per IP when first asked. */
const newRequestsByUser = new WeakMap<Flow, Map<string, Map<string, Msg[]>>>();

function newRequestsTo(flow: Flow, ip: string): Msg[] {
  return requestsToIp(flow, ip).filter((x) => x.toTag === null);
}

function newRequestsToUser(flow: Flow, ip: string, user: string | null): Msg[] {
  let perIp = newRequestsByUser.get(flow);
  if (!perIp) newRequestsByUser.set(flow, (perIp = new Map()));
  let byUser = perIp.get(ip);
  if (!byUser) {
    byUser = new Map();
    for (const x of newRequestsTo(flow, ip)) {
      const k = x.requestUri?.user ?? '';
      const l = byUser.get(k);
      if (l) l.push(x);
      else byUser.set(k, [x]);
    }
    perIp.set(ip, byUser);
  }
  return byUser.get(user ?? '') ?? [];
}

/**
 * The requests sent to these "ip:port" mappings, grouped by IP in the order the IPs first appear
 * among them, each IP's in capture order.
 */
function requestsToMappings(flow: Flow, mappingIp: ReadonlyMap<string, string>): Msg[] {
  const byIp = new Map<string, Msg[]>();
  for (const [m, ip] of mappingIp) {
    const sent = requestsToEndpoint(flow, m);
    const l = byIp.get(ip);
    if (l) {
      for (const x of sent) l.push(x);
      l.sort((a, b) => a.index - b.index);
    } else byIp.set(ip, [...sent]);
  }
  return [...byIp.values()].flat();
}

export const detectContactPrivateAddress: Detector = {
  kind: 'contact-private-address',
  title: 'Contact holds a private address in a message that came from a public one',
  severity: 'error',
  detect({ messages }) {
    const flow = getFlow(messages);
    const out: Finding[] = [];
    // Group: one finding per call and private Contact host.
    const groups = new Map<string, Msg[]>();
    for (let xAt = 0; xAt < flow.msgs.length; xAt++) {
      const x = flow.msgs[xAt]!;
      if (x.duplicate || !carriesTarget(x)) continue;
      const c = contactUri(x);
      if (!c || !unreachableFrom(c.host, x.srcIp)) continue;
      const k = `${x.callId}|${normalizeHost(c.host)}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(x);
    }
    // Registrations per private host: phones behind different NATs are often given the same
    // private address (192.168.1.x); what is sent to it then belongs to one of them, told apart by
    // the Request-URI's user (a registrar sends to the Contact as registered).
    const registrationsAt = new Map<string, number>();
    for (const list of groups.values()) {
      if (!list.every((x) => x.method === 'REGISTER')) continue;
      const h = normalizeHost(contactUri(list[0]!)!.host);
      registrationsAt.set(h, (registrationsAt.get(h) ?? 0) + 1);
    }
    for (const list of groups.values()) {
      const first = list[0]!;
      const c = contactUri(first)!;
      const host = normalizeHost(c.host);
      const callMsgs = flow.calls.get(first.callId) ?? [];
      // The user agent's own copies: requests whose top Via is that host, responses with the most Vias.
      let maxVia = 0;
      for (let xAt = 0; xAt < list.length; xAt++) {
        const x = list[xAt]!;
        if (!x.isReq && x.viaCount > maxVia) maxVia = x.viaCount;
      }
      const direct = list.filter((x) => (x.isReq ? x.topVia !== null && normalizeHost(x.topVia.host) === host : x.viaCount === maxVia));
      // The UA's public mappings ("ip:port" → its IP), in the order they first appear.
      const mappingIp = new Map<string, string>();
      for (const x of direct.length > 0 ? direct : list) if (!mappingIp.has(x.src)) mappingIp.set(x.src, x.srcIp);
      const mappingSet = new Set(mappingIp.keys());
      const mappings = [...mappingSet];
      const forwarded = list.filter((x) => !mappingSet.has(x.src));
      const onlyRegister = list.every((x) => x.method === 'REGISTER');
      // Requests sent to the private host from the public side: for a registration, new requests of
      // any call (the registrar used the Contact as is); for a dialog, requests of this call.
      const toHost = !onlyRegister ? callMsgs : (registrationsAt.get(host) ?? 0) > 1 ? newRequestsToUser(flow, host, c.user) : newRequestsTo(flow, host);
      const sentToPrivate = toHost.filter((x) => x.isReq && x.dstIp === host && x.t >= first.t && unreachableFrom(host, x.srcIp));
      // Requests that reached the UA at its public mapping (NAT handled).
      // (For a registration, the requests to the mappings themselves — not all requests to their
      // IPs: an office NAT's address takes every phone's requests.)
      const pool = onlyRegister ? requestsToMappings(flow, mappingIp) : callMsgs;
      const sentToMapping = pool.filter((x) => x.isReq && x.t > first.t && mappingSet.has(x.dst) && x.method !== 'REGISTER');
      // A later copy of the same message forwarded with the Contact fixed.
      const forwardedFixed = callMsgs.some(
        (y) =>
          y.t > first.t && y.srcIp !== first.srcIp && y.method === first.method && y.status === first.status && y.cseq === first.cseq &&
          contactUri(y) !== null && normalizeHost(contactUri(y)!.host) !== host,
      );
      const headline = list.find((x) => !x.isReq && x.status >= 200) ?? list.find((x) => x.isReq) ?? first;
      let severity: Finding['severity'];
      const consequences: string[] = [];
      let expected: Finding['expected'] = null;
      const d = flow.dialogOf.get(first);
      const unacked = d ? d.oks.filter((o) => o.retransmission && contactUri(o) !== null && normalizeHost(contactUri(o)!.host) === host) : [];
      const kindWord = classifyAddress(host) === 'loopback' ? 'a loopback address' : 'a private address';
      const onlyRetransmissions = list.every((x) => x.retransmission);
      if (onlyRetransmissions && sentToPrivate.length === 0) {
        // The remote target comes from the first 2xx; retransmissions do not change it (RFC 3261 §13.2.2.4).
        severity = 'info';
        consequences.push(
          'Only retransmissions carried it — the first copy had another Contact — and a retransmitted 2xx does not change the dialog\'s remote target (RFC 3261 §13.2.2.4), so this did not misroute anything; it shows a proxy that fixes the first copy of a reply but relays retransmissions untouched.',
        );
      } else if (unacked.length > 0 && sentToPrivate.length === 0) {
        severity = 'error';
        consequences.push(`The 2xx carrying it was retransmitted (${framesText(unacked.map((o) => o.frame))}) because no ACK came back: the ACK followed the Contact and was lost (see ack-missing).`);
      } else if (sentToPrivate.length > 0) {
        severity = 'error';
        const s0 = sentToPrivate[0]!;
        consequences.push(
          `${s0.src} then sent ${framesText(sentToPrivate.map((x) => x.frame))} (${[...new Set(sentToPrivate.map((x) => x.method))].join(', ')}) to ${s0.dst}, ` +
            `an address that cannot be reached from outside the NAT, so ${sentToPrivate.length === 1 ? 'it was' : 'they were'} lost.`,
        );
        expected = {
          messageFrame: s0.frame,
          from: s0.src,
          to: mappings[0]!,
          reason: `the Contact ${c.raw} was private; the user agent was really reachable at ${mappings[0]!}, where its messages came from`,
        };
      } else if (forwardedFixed || sentToMapping.length > 0) {
        severity = 'info';
        consequences.push(
          forwardedFixed
            ? 'A proxy rewrote the Contact when it forwarded the message, so NAT was handled.'
            : `Later requests reached the user agent at its public address (${framesText(sentToMapping.map((x) => x.frame))}), so NAT was handled.`,
        );
      } else if (onlyRegister) {
        severity = 'info';
        consequences.push('A registrar behind which calls are routed to the source address of the REGISTER (e.g. fix_nated_register) copes with this; one that uses the Contact as is cannot reach the phone.');
      } else if (natAwareRelay(callMsgs, mappings, first.t) !== null) {
        const y = natAwareRelay(callMsgs, mappings, first.t)!;
        severity = 'info';
        consequences.push(
          `${y.src}, which received it from the NAT's public address, Record-Routes the dialog and relays its media (its ${msgShort(y)} in frame ${y.frame} names itself in SDP c=): a NAT-aware proxy that stays on the path of every request toward the user agent and reaches it at ${mappings[0]}.`,
        );
      } else if (recordRouteHop(headline) !== null) {
        // The route set puts a proxy (an SBC) between the peer and the Contact: in-dialog requests
        // go to it first (RFC 3261 §12.1.1, §12.2.1.1), and it sits on the Contact's side.
        severity = 'info';
        consequences.push(`The message carried Record-Route, so in-dialog requests go through ${recordRouteHop(headline)} first, a proxy on the user agent's side that can reach the private Contact; the peer never sends there itself.`);
      } else {
        severity = 'warning';
        consequences.push('No later request of this dialog was captured, so whether in-dialog requests (ACK, BYE) reached the user agent cannot be seen here.');
      }
      const frames = uniqFrames([...list.map((x) => x.frame), ...sentToPrivate.map((x) => x.frame)]);
      out.push({
        kind: 'contact-private-address',
        severity,
        callId: first.callId,
        frames,
        title: `Contact <${c.raw}> is ${classifyAddress(host) === 'loopback' ? 'loopback' : 'private'} but ${msgShort(headline)} came from ${mappings[0]}`,
        explanation:
          `${list.length === 1 ? `The ${msgShort(first)} in frame ${first.frame}` : `${list.length} messages (${framesText(list.map((x) => x.frame))}, first the ${msgShort(first)})`} ` +
          `carried Contact <${c.raw}>, ${kindWord}, but came from ${mappings.join(', ')}: ${kindWord === 'a loopback address' ? 'nobody but that host itself can reach it' : 'the sender is behind a NAT and advertised its LAN address'}. ` +
          (forwarded.length > 0 ? `${[...new Set(forwarded.map((x) => x.src))].join(', ')} forwarded it with the same Contact (${framesText(forwarded.map((x) => x.frame))}). ` : '') +
          `The Contact is the remote target of the dialog (RFC 3261 §12.2.1.1): requests toward this user agent are sent there. ` +
          consequences.join(' '),
        references: ['RFC 3261 §12.1.1', 'RFC 3261 §12.2.1.1', 'RFC 3261 §10.3', 'RFC 5626'],
        fix:
          'On the proxy facing the NATed user agent, fix the Contact of its requests and of replies that come directly from it (fix_nated_contact / fix_nated_register, or add_contact_alias) — only for endpoints, not for replies from other proxies; or make the UA learn its public address (STUN, rport) or use an SBC.',
        expected,
      });
    }
    return out;
  },
};
