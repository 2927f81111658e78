/**
 * TCP/TLS connections seen against the dialogs they served (RFC 3261 §18.2.2 connection reuse
 * for responses, RFC 5923 connection reuse for requests, RFC 5626 outbound flows): which
 * connections carried a dialog's messages, which were opened while a dialog was up between the
 * same two hosts, which failed (TLS alert, reset or silence before the handshake finished, or a
 * reset before any SIP), and the port the dialog's remote target says the host listens on.
 * Shared by new-connection-mid-dialog, tls-handshake-failed, connection-closed-mid-dialog,
 * in-dialog-request-misrouted and dialog-not-terminated so that they tell one consistent story.
 * Connections are indexed by their unordered IP pair, so the judgement is linear in the number
 * of dialogs and connections, not their product.
 */
import type { ConnectionInfo, Endpoint } from '../../capture/types.ts';
import { endpointKey } from '../../capture/types.ts';
import { normalizeHost } from './addr.ts';
import type { CapturedMessage } from '../../sip/types.ts';
import type { DetectorContext } from '../detector.ts';
import type { Dialog, Flow } from './flow.ts';
import { contactUri, dialogIps, getFlow, uriEndpoint } from './flow.ts';

export interface ConnFacts {
  conn: ConnectionInfo;
  /** SIP messages it carried (message indexes in capture order). */
  messages: number[];
  failed: boolean;
  /** Why it failed, in words, or null. */
  failure: string | null;
  /** Frames that show the failure (ClientHello, alert, RST/FIN). */
  failureFrames: number[];
}

export interface MidDialogConn {
  dialog: Dialog;
  facts: ConnFacts;
  /** Earlier connections between the same two hosts that carried this dialog (or its INVITE). */
  earlier: ConnFacts[];
  /** Earlier ones still open when this one was opened. */
  earlierOpen: ConnFacts[];
  /** The endpoint the dialog's remote target (Contact) names at the server's IP, if any. */
  target: Endpoint | null;
  /** The Contact URI text behind `target`. */
  targetUri: string | null;
  targetFrame: number | null;
  /** The server port differs from the remote target's port. */
  portMismatch: boolean;
}

export interface ConnIndex {
  facts: Map<number, ConnFacts>;
  /** Connection ids carrying each dialog's messages. */
  byDialog: Map<Dialog, number[]>;
  mid: MidDialogConn[];
  /** `mid` per dialog. */
  midByDialog: Map<Dialog, MidDialogConn[]>;
  /** `mid` per connection id. */
  midByConn: Map<number, MidDialogConn>;
  /** Connections by unordered IP pair ("a|b"). */
  byIpPair: Map<string, ConnFacts[]>;
}

function ipPair(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

const cache = new WeakMap<readonly ConnectionInfo[], ConnIndex>();

/** Seconds of silence after a ClientHello, with the capture going on, that count as "no answer". */
const HANDSHAKE_SILENCE_US = 5_000_000;

/** Forget the index built for these connections (see releaseFlow). */
export function releaseConnIndex(connections: readonly ConnectionInfo[]): void {
  cache.delete(connections);
}

export function getConnIndex(ctx: DetectorContext): ConnIndex {
  let c = cache.get(ctx.connections);
  if (!c) {
    c = build(ctx, getFlow(ctx.messages));
    cache.set(ctx.connections, c);
  }
  return c;
}

function messageSides(conn: ConnectionInfo, messages: number[], all: readonly CapturedMessage[]): 'client-only' | 'both' {
  for (const i of messages) {
    const m = all[i];
    if (m && normalizeHost(m.src.ip) === normalizeHost(conn.server.ip) && m.src.port === conn.server.port) return 'both';
  }
  return 'client-only';
}

function judge(conn: ConnectionInfo, messages: number[], captureEndUs: number, all: readonly CapturedMessage[]): ConnFacts {
  const tls = conn.tls;
  const frames: number[] = [];
  let failure: string | null = null;
  const firstClose = conn.closeEvents[0];
  if (tls && tls.handshake === 'failed') {
    if (tls.clientHelloFrame !== null) frames.push(tls.clientHelloFrame);
    if (tls.alert) {
      failure = `the TLS handshake failed with ${tls.alert}`;
      if (tls.alertFrame !== null) frames.push(tls.alertFrame);
    } else if (firstClose) {
      failure = `the ${firstClose.side} ${firstClose.flag === 'rst' ? 'reset (RST)' : 'closed (FIN)'} the connection ${tls.serverHelloFrame === null ? 'before any ServerHello' : 'before the handshake finished'}`;
    } else failure = 'the TLS handshake failed';
    for (const e of conn.closeEvents) frames.push(e.frame);
  } else if (tls && tls.handshake === 'partial' && tls.clientHelloFrame !== null && tls.serverHelloFrame === null && captureEndUs - conn.lastTimeUs > HANDSHAKE_SILENCE_US) {
    failure = 'the ClientHello was never answered';
    frames.push(tls.clientHelloFrame);
  } else if (messages.length > 0 && firstClose && firstClose.flag === 'rst' && messageSides(conn, messages, all) === 'client-only') {
    failure = `the ${firstClose.side} reset (RST) the connection and nothing came back on it`;
    frames.push(conn.openedFrame, firstClose.frame);
  } else if (messages.length === 0 && firstClose && firstClose.flag === 'rst' && (!tls || tls.handshake !== 'complete')) {
    failure = `the ${firstClose.side} reset (RST) the connection before any SIP message crossed it`;
    frames.push(conn.openedFrame, firstClose.frame);
  }
  return { conn, messages, failed: failure !== null, failure, failureFrames: frames };
}

function build(ctx: DetectorContext, flow: Flow): ConnIndex {
  const carried = new Map<number, number[]>();
  for (let mAt = 0; mAt < ctx.messages.length; mAt++) {
    const m = ctx.messages[mAt]!;
    if (m.connection === null) continue;
    let l = carried.get(m.connection);
    if (!l) carried.set(m.connection, (l = []));
    l.push(m.index);
  }
  const facts = new Map<number, ConnFacts>();
  const byIpPair = new Map<string, ConnFacts[]>();
  for (let cAt = 0; cAt < ctx.connections.length; cAt++) {
    const c = ctx.connections[cAt]!;
    const f = judge(c, carried.get(c.id) ?? [], ctx.captureEndUs, ctx.messages);
    facts.set(c.id, f);
    const k = ipPair(normalizeHost(c.client.ip), normalizeHost(c.server.ip));
    let l = byIpPair.get(k);
    if (!l) byIpPair.set(k, (l = []));
    l.push(f);
  }

  const byDialog = new Map<Dialog, number[]>();
  const mid: MidDialogConn[] = [];
  const midByDialog = new Map<Dialog, MidDialogConn[]>();
  const midByConn = new Map<number, MidDialogConn>();
  for (let dAt = 0; dAt < flow.dialogs.length; dAt++) {
    const d = flow.dialogs[dAt]!;
    // Most dialogs of a big capture are UDP-only: settle those without allocating.
    let any = false;
    for (let xAt = 0; xAt < d.invites.length; xAt++) {
      const x = d.invites[xAt]!;
      if (x.m.connection !== null) any = true;
    }
    for (let xAt = 0; xAt < d.messages.length; xAt++) {
      const x = d.messages[xAt]!;
      if (x.m.connection !== null || x.transport !== 'udp') any = true;
    }
    if (!any) {
      byDialog.set(d, []);
      continue;
    }
    const ids = new Set<number>();
    const inviteConns = new Set<number>();
    for (let xAt = 0; xAt < d.invites.length; xAt++) {
      const x = d.invites[xAt]!;
      if (x.m.connection !== null) inviteConns.add(x.m.connection);
    }
    let reliable = false;
    for (let xAt = 0; xAt < d.invites.length; xAt++) {
      const x = d.invites[xAt]!;
      if (x.m.connection !== null) ids.add(x.m.connection);
    }
    for (let xAt = 0; xAt < d.messages.length; xAt++) {
      const x = d.messages[xAt]!;
      if (x.m.connection !== null) ids.add(x.m.connection);
      if (x.transport !== 'udp') reliable = true;
    }
    byDialog.set(d, [...ids]);
    if (ids.size === 0 && !reliable) {
      // A UDP dialog: a TCP/TLS connection between its hosts is still interesting (transport switch), but rare; skip.
      continue;
    }
    const end = d.endT ?? Infinity;
    // Candidate connections: those between two IPs of the dialog.
    const ips = dialogIps(d);
    const candidates: ConnFacts[] = [];
    for (let i = 0; i < ips.length; i++) {
      for (let j = i; j < ips.length; j++) {
        const l = byIpPair.get(ipPair(ips[i]!, ips[j]!));
        if (l) for (const x of l) candidates.push(x);
      }
    }
    candidates.sort((a, b) => a.conn.id - b.conn.id);
    for (let fAt = 0; fAt < candidates.length; fAt++) {
      const f = candidates[fAt]!;
      const c = f.conn;
      if (ids.has(c.id) && inviteConns.has(c.id)) continue;
      if (c.openedTimeUs <= d.establishedT || c.openedTimeUs > end) continue;
      const cIp = normalizeHost(c.client.ip);
      const sIp = normalizeHost(c.server.ip);
      // Only connections that carried this dialog, or carried nothing (a failed attempt).
      if (!ids.has(c.id) && f.messages.length > 0) continue;
      const earlier: ConnFacts[] = [];
      for (const id of ids) {
        const o = facts.get(id);
        if (!o || o.conn.id === c.id || o.conn.openedTimeUs >= c.openedTimeUs) continue;
        const oc = normalizeHost(o.conn.client.ip);
        const os = normalizeHost(o.conn.server.ip);
        if ((oc === cIp && os === sIp) || (oc === sIp && os === cIp)) earlier.push(o);
      }
      const earlierOpen = earlier.filter((o) => o.conn.closedTimeUs === null || o.conn.closedTimeUs > c.openedTimeUs);
      // The remote target at the server's IP: the Contact of a message that the server's host sent in this dialog.
      let target: Endpoint | null = null;
      let targetUri: string | null = null;
      let targetFrame: number | null = null;
      for (const x of [...d.invites, ...d.oks, ...d.messages]) {
        if (x.srcIp !== sIp) continue;
        const u = contactUri(x);
        if (!u) continue;
        const e = uriEndpoint(u, x.transport);
        if (!e || normalizeHost(e.ip) !== sIp) continue;
        target = e;
        targetUri = u.raw;
        targetFrame = x.frame;
      }
      const m: MidDialogConn = {
        dialog: d,
        facts: f,
        earlier,
        earlierOpen,
        target,
        targetUri,
        targetFrame,
        portMismatch: target !== null && target.port !== c.server.port,
      };
      mid.push(m);
      let l = midByDialog.get(d);
      if (!l) midByDialog.set(d, (l = []));
      l.push(m);
      if (!midByConn.has(c.id)) midByConn.set(c.id, m);
    }
  }
  return { facts, byDialog, mid, midByDialog, midByConn, byIpPair };
}

export function connText(c: ConnectionInfo): string {
  return `${c.transport.toUpperCase()} connection #${c.id} ${endpointKey(c.client)} → ${endpointKey(c.server)}`;
}

/**
 * For a connection that carried no readable SIP (encrypted TLS): earlier connections between the
 * same two hosts, in either direction, that were still open when it was opened. Without the SIP
 * this is how a capture shows "a new connection where one to that peer already existed".
 */
export function openSiblings(idx: ConnIndex, c: ConnectionInfo): ConnFacts[] {
  const out: ConnFacts[] = [];
  for (const f of idx.byIpPair.get(ipPair(normalizeHost(c.client.ip), normalizeHost(c.server.ip))) ?? []) {
    const o = f.conn;
    if (o.id === c.id || o.openedTimeUs >= c.openedTimeUs) continue;
    if (o.closedTimeUs !== null && o.closedTimeUs <= c.openedTimeUs) continue;
    if (f.failed) continue;
    out.push(f);
  }
  return out;
}
