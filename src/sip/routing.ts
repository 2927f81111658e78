/**
 * Where a message should have gone, beside where it went.
 *
 * - Responses (RFC 3261 §18.2.2, RFC 3581 §4): over a reliable transport, back on the connection
 *   the request arrived on (else a new connection to `received` and the sent-by port); over UDP,
 *   to `maddr` if present, else to the address the request really came from (`received`, which the
 *   server adds whenever sent-by differs from the source, §18.2.1) and to the port the request came
 *   from when it asked for `rport`, else to the sent-by port or the default port (5060/5061). The
 *   rule is applied to the request's top Via as it arrived on that hop, with the source it really
 *   came from; when the request was not captured, the response's own top Via (with the `received`
 *   and `rport` values the server wrote) stands in.
 * - In-dialog requests (RFC 3261 §12.2.1.1, §16.12, §8.1.2): the first entry of the route set that
 *   the sender has not consumed yet (loose `;lr` or strict, the next hop is that URI), else the
 *   remote target (the peer's Contact). The capture point may sit between hops, so route-set entries
 *   up to and including the sender's own address are skipped: a record-routing proxy forwards to
 *   the entry after itself. A private Contact reached at the public address the peer's messages came
 *   from is NAT traversal done right (a proxy's fix_nated_contact, or latching), not a misroute.
 * - ACK for a non-2xx and CANCEL (§17.1.1.3, §9.1): to the same destination as the INVITE.
 * - Out-of-dialog requests: the top Route if any (preloaded outbound proxy), else local policy or
 *   DNS (RFC 3263), which a capture cannot judge.
 *
 * Also: a request's actual source beside its top Via sent-by (NAT evidence, §18.2.1, RFC 3581).
 */

import type { Endpoint } from '../capture/types.ts';
import type { CapturedMessage, NameAddr, SipMessage, SipUri, Via } from './types.ts';
import { defaultPort, isPrivateLike, isReliableTransport, normalizeHost, sameEndpoint, sameHost } from './addresses.ts';
import { epText, toTag, uriTarget } from './modelutil.ts';

/**
 * What the rules read of a message beside where it travelled: a few values of its parse. Read
 * from the parse (`routingFields`), or from a record that holds the same values once the parse is
 * gone (the detectors' flow messages, analysis/lib/flow.ts).
 */
export interface RoutingFields {
  readonly isReq: boolean;
  /** The request method, upper-case (a response: its CSeq method). */
  readonly method: string;
  readonly topVia: Via | null;
  readonly route: readonly NameAddr[];
  /** The Request-URI (null for a response, or when unreadable). */
  readonly requestUri: SipUri | null;
  /**
   * The To tag: an in-dialog request has one. From a parse an empty `tag=` is '' (in dialog);
   * the detectors' flow gives null for it, and judges only requests with a tag it counts.
   */
  readonly toTag: string | null;
}

export function routingFields(m: SipMessage): RoutingFields {
  const isReq = m.kind === 'request';
  return {
    isReq,
    method: (isReq ? m.method : (m.cseq?.method ?? '')).toUpperCase(),
    topVia: m.via[0] ?? null,
    route: m.route,
    requestUri: isReq ? m.requestUri : null,
    toTag: toTag(m),
  };
}

export type HopKind = 'response' | 'in-dialog' | 'ack-non2xx' | 'cancel' | 'initial';

/** The request's top Via sent-by against where the packet really came from. */
export interface ViaSourceCheck {
  sentByHost: string;
  sentByPort: number | null;
  /** The port the sent-by implies (written, or the transport default). */
  sentByEffectivePort: number;
  source: Endpoint;
  hostMatches: boolean;
  portMatches: boolean;
  /** `rport` in the request: 'absent', 'empty' (asks for it, RFC 3581 §3), or the value. */
  rport: 'absent' | 'empty' | number;
  received: string | null;
  viaTransport: string;
  sentByPrivate: boolean;
  sourcePrivate: boolean;
}

export interface HopCheck {
  index: number;
  kind: HopKind;
  /** The address:port the rules say the message should have gone to (null when it cannot be told). */
  expected: Endpoint | null;
  /** The target when the rule names a DNS name we cannot resolve ("name:port"), else null. */
  expectedHost: string | null;
  actual: Endpoint;
  /** The rule applied, in plain words with the header values. */
  rule: string;
  /** true/false, or null when the capture does not say (DNS name, unknown dialog, local policy). */
  matches: boolean | null;
  /** For a response: the copy of the request it answers on this hop (index), when captured. */
  request: number | null;
  /** For a reliable transport: the connection expected (the request's), else null. */
  expectedConnection: number | null;
  /** In-dialog requests: the Request-URI the dialog state calls for, and whether the message used it. */
  expectedRequestUri: string | null;
  requestUriMatches: boolean | null;
  /** True when matching needed the NAT rule (private Contact reached at its observed public source). */
  viaNat: boolean;
  /**
   * Why it counts as a match: 'rule' (the RFC 3261 rule as such), 'nat-source' (private Contact
   * reached at the peer's observed public address), 'connection-reuse' (sent on the TCP/TLS/WS
   * connection the dialog was set up on, RFC 5923 / RFC 5626 / RFC 7118), 'same-node' (another
   * address of the same node, per the host merge proposals), 'new-connection-to-sent-by' (a
   * response on a new connection to received + sent-by port, RFC 3261 §18.2.2); null when not matched.
   */
  matchedBy: 'rule' | 'nat-source' | 'connection-reuse' | 'same-node' | 'new-connection-to-sent-by' | null;
  /** For requests: top Via sent-by against the real source. */
  via: ViaSourceCheck | null;
}

/** Top Via sent-by against the real source of a request. */
export function viaSourceCheck(c: CapturedMessage, f: RoutingFields): ViaSourceCheck | null {
  if (!f.isReq) return null;
  const v = f.topVia;
  if (!v) return null;
  const eff = v.port ?? defaultPort(v.transport);
  return {
    sentByHost: v.host,
    sentByPort: v.port,
    sentByEffectivePort: eff,
    source: c.src,
    hostMatches: sameHost(v.host, c.src.ip),
    portMatches: eff === c.src.port,
    rport: v.rport === undefined ? 'absent' : v.rport === null ? 'empty' : v.rport,
    received: v.received,
    viaTransport: v.transport,
    sentByPrivate: isPrivateLike(v.host),
    sourcePrivate: isPrivateLike(c.src.ip),
  };
}

function base(c: CapturedMessage, f: RoutingFields, kind: HopKind): HopCheck {
  return {
    index: c.index,
    kind,
    expected: null,
    expectedHost: null,
    actual: c.dst,
    rule: '',
    matches: null,
    request: null,
    expectedConnection: null,
    expectedRequestUri: null,
    requestUriMatches: null,
    viaNat: false,
    matchedBy: null,
    via: viaSourceCheck(c, f),
  };
}

/**
 * Where a response must go (RFC 3261 §18.2.2 / RFC 3581 §4), from the request as it arrived on
 * that hop (`req` and its top Via, may be null), beside where the response went.
 */
export function responseHop(resp: CapturedMessage, f: RoutingFields, req: CapturedMessage | null, reqTopVia: Via | null): HopCheck {
  const out = base(resp, f, 'response');
  out.request = req?.index ?? null;
  const reliable = isReliableTransport(resp.transport);
  if (req && reqTopVia) {
    const v = reqTopVia;
    if (reliable) {
      out.expected = req.src;
      out.expectedConnection = req.connection;
      const sameConn = req.connection !== null && resp.connection !== null ? req.connection === resp.connection : null;
      if (sameConn === false) {
        out.matches = false;
        out.rule = `Reliable transport (${resp.transport.toUpperCase()}): the response must go back on connection ${req.connection} the request came on (RFC 3261 §18.2.2); it went on connection ${resp.connection} to ${epText(resp.dst)}.`;
      } else {
        out.matches = sameEndpoint(resp.dst, req.src);
        out.rule = `Reliable transport (${resp.transport.toUpperCase()}): the response goes back on the connection the request came from, to ${epText(req.src)} (RFC 3261 §18.2.2).`;
        const sentBy = { ip: normalizeHost(req.src.ip), port: v.port ?? defaultPort(v.transport) };
        if (!out.matches && sameConn === null && sameEndpoint(resp.dst, sentBy)) {
          // Connection not identified (e.g. SCTP): a new one to received + sent-by port is the §18.2.2 fallback.
          out.matches = true;
          out.matchedBy = 'new-connection-to-sent-by';
          out.rule += ` It went to ${epText(resp.dst)}, received + the sent-by port: the fallback when the original connection is gone.`;
        }
      }
      if (out.matches && out.matchedBy === null) out.matchedBy = 'rule';
      return out;
    }
    const maddr = v.params['maddr'];
    const sentPort = v.port ?? defaultPort(v.transport);
    if (maddr) {
      const ip = normalizeHost(maddr);
      out.expected = { ip, port: sentPort };
      out.rule = `Via has maddr=${maddr}: the response goes to ${ip}:${sentPort} (RFC 3261 §18.2.2).`;
    } else {
      const hostOk = sameHost(v.host, req.src.ip);
      const ip = normalizeHost(req.src.ip);
      const wantsRport = v.rport !== undefined;
      const port = wantsRport ? req.src.port : sentPort;
      out.expected = { ip, port };
      const hostPart = hostOk
        ? `the sent-by host ${v.host}`
        : `received=${ip} (the request came from ${epText(req.src)}, not from sent-by ${v.host})`;
      const portPart = wantsRport
        ? `the port the request came from, ${req.src.port} (rport, RFC 3581 §4)`
        : v.port !== null
          ? `the sent-by port ${v.port} (no rport)`
          : `the default port ${sentPort} (Via has no port and no rport)`;
      out.rule = `UDP: the response goes to ${hostPart}, at ${portPart} (RFC 3261 §18.2.2).`;
    }
    out.matches = sameEndpoint(resp.dst, out.expected);
    return out;
  }
  // The request was not captured on this hop: the response's own top Via says where it goes.
  const v = f.topVia;
  if (!v) {
    out.rule = 'The response has no Via: nothing says where it should go.';
    return out;
  }
  if (reliable) {
    out.rule = 'Reliable transport and the request was not captured: the connection it came on is unknown.';
    return out;
  }
  const maddr = v.params['maddr'];
  const ip = normalizeHost(maddr ?? v.received ?? v.host);
  const port = typeof v.rport === 'number' && !maddr ? v.rport : (v.port ?? defaultPort(v.transport));
  out.rule = `Request not captured; by the response's top Via (${v.raw}): ${maddr ? 'maddr' : v.received ? 'received' : 'sent-by host'} ${ip}, port ${port}${typeof v.rport === 'number' && !maddr ? ' from rport' : ''} (RFC 3261 §18.2.2, RFC 3581 §4).`;
  if (!maddr && v.received === null && !/^[0-9.:a-f]+$/i.test(v.host)) {
    out.expectedHost = `${ip}:${port}`;
    return out;
  }
  out.expected = { ip, port };
  out.matches = sameEndpoint(resp.dst, out.expected);
  return out;
}

/** ACK for a non-2xx, or CANCEL: same destination as the INVITE (RFC 3261 §17.1.1.3, §9.1). */
export function sameAsInviteHop(c: CapturedMessage, f: RoutingFields, invite: CapturedMessage | null, kind: 'ack-non2xx' | 'cancel'): HopCheck {
  const out = base(c, f, kind);
  const what = kind === 'cancel' ? 'A CANCEL goes to the same address as the INVITE it cancels (RFC 3261 §9.1)' : 'The ACK for a non-2xx final goes where the INVITE went (RFC 3261 §17.1.1.3)';
  if (!invite) {
    out.rule = `${what}; the INVITE was not captured on this hop.`;
    return out;
  }
  out.expected = invite.dst;
  out.expectedConnection = invite.connection;
  out.matches = sameEndpoint(c.dst, invite.dst);
  out.rule = `${what}: ${epText(invite.dst)}.`;
  return out;
}

/** Out-of-dialog request: top Route (preloaded route) if any, else local policy. */
export function initialRequestHop(c: CapturedMessage, f: RoutingFields): HopCheck {
  const out = base(c, f, 'initial');
  if (!f.isReq) return out;
  const top = f.route[0]?.uri;
  if (top) {
    const t = uriTarget(top, c.transport);
    out.expected = t.endpoint;
    out.expectedHost = t.endpoint ? null : t.host;
    out.matches = t.endpoint ? sameEndpoint(c.dst, t.endpoint) : null;
    out.rule = `Out-of-dialog request with a preloaded Route: the next hop is the top Route ${top.raw} (RFC 3261 §8.1.2, §16.12).`;
  } else {
    out.rule = 'Out-of-dialog request without Route: the next hop is chosen by local policy (outbound proxy) or DNS on the Request-URI (RFC 3261 §8.1.2, RFC 3263); the capture cannot judge it.';
  }
  return out;
}

/**
 * A dialog side's connections as they were at a request: the first `count` of its list, which
 * only grows (one list per side shared by every snapshot, not a copy per request: a dialog whose
 * every re-INVITE came on a new connection made the copies quadratic). `position` finds an id in
 * one step once the list is long; while it is null the list is short.
 */
export interface ConnectionsAsOf {
  list: readonly number[];
  count: number;
  position: ReadonlyMap<number, number> | null;
}

/** True when connection `id` was among them. */
export function includesConnection(c: ConnectionsAsOf, id: number): boolean {
  if (c.position) {
    const at = c.position.get(id);
    return at !== undefined && at < c.count;
  }
  for (let i = 0; i < c.count; i++) if (c.list[i] === id) return true;
  return false;
}

/** The dialog state a sender uses for an in-dialog request (a snapshot at the time of the request). */
export interface DialogRouteState {
  remoteTarget: SipUri | null;
  routeSet: SipUri[];
  /** Where the messages that set the remote target came from (NAT-observed sources of the peer). */
  remoteTargetSources: Endpoint[];
  /** Connections that carried the messages setting the remote target / route set. */
  connections: ConnectionsAsOf;
  /** True when the dialog was not seen being set up (capture started mid-dialog). */
  unknown: boolean;
}

/**
 * Next hop of an in-dialog request (RFC 3261 §12.2.1.1, §16.12), from the sender's perspective at
 * this capture point, beside where it went.
 */
export function inDialogHop(c: CapturedMessage, f: RoutingFields, state: DialogRouteState | null): HopCheck {
  const out = base(c, f, 'in-dialog');
  if (!f.isReq) return out;
  if (!state || state.unknown || !state.remoteTarget) {
    // Dialog set-up not captured: judge by what the message itself says (Route, else Request-URI).
    const top = f.route[0]?.uri ?? f.requestUri;
    if (!top) {
      out.rule = 'Dialog set-up not captured and the request names no target.';
      return out;
    }
    const t = uriTarget(top, c.transport);
    out.expected = t.endpoint;
    out.expectedHost = t.endpoint ? null : t.host;
    out.matches = t.endpoint ? sameEndpoint(c.dst, t.endpoint) : null;
    out.rule = `Dialog set-up not captured; by the message itself the next hop is ${f.route[0] ? `the top Route ${top.raw}` : `the Request-URI ${top.raw}`} (RFC 3261 §16.12).`;
    return out;
  }
  // Skip route-set entries already consumed: up to the last one naming the sender's own address.
  let start = 0;
  state.routeSet.forEach((u, i) => {
    const h = normalizeHost(u.params['maddr'] ?? u.host);
    if (sameHost(h, c.src.ip)) start = i + 1;
  });
  const remaining = state.routeSet.slice(start);
  const next = remaining[0];
  const target = state.remoteTarget;
  if (next) {
    const loose = 'lr' in next.params;
    out.expectedRequestUri = loose ? target.raw : next.raw;
    const t = uriTarget(next, c.transport);
    out.expected = t.endpoint;
    out.expectedHost = t.endpoint ? null : t.host;
    out.matches = t.endpoint ? sameEndpoint(c.dst, t.endpoint) : null;
    out.rule = `${start > 0 ? `The sender ${c.src.ip} is in the route set; after it the` : 'The dialog route set is not empty: the'} next hop is the ${loose ? 'loose-routing (;lr)' : 'strict-routing'} route ${next.raw}${loose ? `, Request-URI the remote target ${target.raw}` : ', which becomes the Request-URI'} (RFC 3261 §12.2.1.1, §16.12).`;
  } else {
    out.expectedRequestUri = target.raw;
    const t = uriTarget(target, c.transport);
    out.expected = t.endpoint;
    out.expectedHost = t.endpoint ? null : t.host;
    out.matches = t.endpoint ? sameEndpoint(c.dst, t.endpoint) : null;
    out.rule = `${state.routeSet.length === 0 ? 'No route set' : `The sender ${c.src.ip} is the last entry of the route set`}: the request goes to the remote target, the Contact ${target.raw} (RFC 3261 §12.2.1.1).`;
    if (out.matches === false && t.endpoint && isPrivateLike(t.endpoint.ip)) {
      const nat = state.remoteTargetSources.find((s) => sameEndpoint(s, c.dst) && !sameHost(s.ip, t.endpoint?.ip));
      if (nat) {
        out.matches = true;
        out.viaNat = true;
        out.matchedBy = 'nat-source';
        out.rule += ` The Contact is private; the request went to ${epText(nat)}, the public address the peer's messages came from (NAT traversal, e.g. fix_nated_contact or the received/rport of its registration).`;
      }
    }
  }
  if (out.matches === false && c.connection !== null && includesConnection(state.connections, c.connection)) {
    out.matches = true;
    out.matchedBy = 'connection-reuse';
    out.rule += ` It went on connection ${c.connection} to ${epText(c.dst)}, the connection the dialog was set up on (connection reuse, RFC 5923, RFC 5626, RFC 7118).`;
  }
  if (out.matches && out.matchedBy === null) out.matchedBy = 'rule';
  if (f.requestUri && out.expectedRequestUri) {
    const want = state.routeSet.length && remaining[0] && !('lr' in remaining[0].params) ? remaining[0] : target;
    out.requestUriMatches = sameUri(f.requestUri, want);
  }
  return out;
}

/** URI equality for routing purposes: scheme, user, host (canonical), effective port. */
export function sameUri(a: SipUri, b: SipUri): boolean {
  const pa = a.port ?? defaultPort(a.params['transport'] ?? a.scheme);
  const pb = b.port ?? defaultPort(b.params['transport'] ?? b.scheme);
  return a.scheme === b.scheme && (a.user ?? '') === (b.user ?? '') && sameHost(a.host, b.host) && pa === pb;
}

/**
 * "Where should this message have gone, and where did it go?" for the detectors and the ghost
 * arrow: the routing check the model computed for message `messageIndex`.
 */
export function expectedHop(model: { hops: { at(index: number): HopCheck | null } }, messageIndex: number): {
  expected: Endpoint | null;
  actual: Endpoint;
  rule: string;
  matches: boolean | null;
  check: HopCheck;
} | null {
  const h = model.hops.at(messageIndex);
  if (!h) return null;
  return { expected: h.expected, actual: h.actual, rule: h.rule, matches: h.matches, check: h };
}
