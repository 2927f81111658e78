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
import type { Msg } from './flow.ts';
import { EMPTY, FEW } from '../../lib/lists.ts';
import { OpenIntervals } from '../../lib/intervals.ts';

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
  /**
   * Earlier connections between the same two hosts that carried this dialog (or its INVITE): the
   * oldest LISTED of them, in the order they first carried it; `earlierCount` says how many.
   */
  earlier: ConnFacts[];
  earlierCount: number;
  /** Earlier ones still open when this one was opened (the oldest LISTED, same order). */
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
  /** Built when first asked: per dialog, its mid-dialog connections and the failed ones by opening time (laterMid). */
  laterIndex: Map<Dialog, { all: OpenIntervals<MidDialogConn>; failed: OpenIntervals<MidDialogConn> }>;
  /** Built when first asked: per `accept` question, per IP pair, the connections as intervals (openSiblings). */
  siblingIndex: Map<(f: ConnFacts) => boolean, Map<string, OpenIntervals<ConnFacts>>>;
}

/**
 * How many connections a finding names at most when it lists earlier, later or sibling
 * connections: a dialog whose every request opened a new connection would otherwise list all the
 * earlier ones in each finding (a report quadratic in size).
 */
export const LISTED = FEW;

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
  // Per IP pair, the connections that carried no SIP message, by opening time.
  const emptyByOpening = new Map<string, OpenIntervals<ConnFacts>>();
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
    // Candidate connections, opened while the dialog was up: those that carried it, and those
    // between two of its IPs that carried nothing (failed attempts). One that carried other
    // dialogs' messages is not this dialog's concern; so many dialogs between the same two hosts,
    // each on its own connection, do not each walk all the others'.
    const candidates: ConnFacts[] = [];
    for (const id of ids) {
      const f = facts.get(id);
      if (f && f.conn.openedTimeUs > d.establishedT && f.conn.openedTimeUs <= end) candidates.push(f);
    }
    const ips = dialogIps(d);
    for (let i = 0; i < ips.length; i++) {
      for (let j = i; j < ips.length; j++) {
        const key = ipPair(ips[i]!, ips[j]!);
        let iv = emptyByOpening.get(key);
        if (!iv) {
          const empty = (byIpPair.get(key) ?? EMPTY).filter((x) => x.messages.length === 0);
          emptyByOpening.set(key, (iv = new OpenIntervals(empty, opened, () => -Infinity)));
        }
        for (let k = iv.openedBefore(d.establishedT); k < iv.items.length; k++) {
          const x = iv.items[k]!;
          if (x.conn.openedTimeUs > end) break;
          if (x.conn.openedTimeUs > d.establishedT) candidates.push(x);
        }
      }
    }
    candidates.sort((a, b) => a.conn.id - b.conn.id);
    // The dialog's connections in the order they first carried it, and per IP pair as intervals.
    const rank = new Map<number, number>();
    for (const id of ids) rank.set(id, rank.size);
    const pairIntervals = new Map<string, OpenIntervals<ConnFacts>>();
    const targets = new Map<string, RemoteTarget>();
    for (let fAt = 0; fAt < candidates.length; fAt++) {
      const f = candidates[fAt]!;
      const c = f.conn;
      if (ids.has(c.id) && inviteConns.has(c.id)) continue;
      const cIp = normalizeHost(c.client.ip);
      const sIp = normalizeHost(c.server.ip);
      // Only connections that carried this dialog, or carried nothing (a failed attempt).
      if (!ids.has(c.id) && f.messages.length > 0) continue;
      const key = ipPair(cIp, sIp);
      let iv = pairIntervals.get(key);
      if (!iv) {
        const mine: ConnFacts[] = [];
        for (const id of ids) {
          const o = facts.get(id);
          if (o && ipPair(normalizeHost(o.conn.client.ip), normalizeHost(o.conn.server.ip)) === key) mine.push(o);
        }
        iv = new OpenIntervals(mine, opened, closing);
        pairIntervals.set(key, iv);
      }
      // Opened strictly before this one (so not this one); still open = closing after its opening.
      const earlierCount = iv.openedBefore(c.openedTimeUs);
      const earlier = byRank(iv.items.slice(0, Math.min(LISTED, earlierCount)), rank);
      const earlierOpen = byRank(iv.openAt(c.openedTimeUs, LISTED), rank);
      let t = targets.get(sIp);
      if (!t) targets.set(sIp, (t = remoteTargetAt(d, sIp)));
      const { target, targetUri, targetFrame } = t;
      const m: MidDialogConn = {
        dialog: d,
        facts: f,
        earlier,
        earlierCount,
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
  return { facts, byDialog, mid, midByDialog, midByConn, byIpPair, laterIndex: new Map(), siblingIndex: new Map() };
}

function opened(f: ConnFacts): number {
  return f.conn.openedTimeUs;
}

function closing(f: ConnFacts): number {
  return f.conn.closedTimeUs ?? Infinity;
}

/** The list sorted by each connection's rank (missing: by id). */
function byRank(list: ConnFacts[], rank: ReadonlyMap<number, number> | null): ConnFacts[] {
  if (list.length > 1) list.sort((a, b) => (rank?.get(a.conn.id) ?? a.conn.id) - (rank?.get(b.conn.id) ?? b.conn.id));
  return list;
}

interface RemoteTarget {
  target: Endpoint | null;
  targetUri: string | null;
  targetFrame: number | null;
}

/** The remote target at a host's IP: the Contact of the last message that host sent in the dialog naming its own IP. */
function remoteTargetAt(d: Dialog, ip: string): RemoteTarget {
  const out: RemoteTarget = { target: null, targetUri: null, targetFrame: null };
  const see = (x: Msg): void => {
    if (x.srcIp !== ip) return;
    const u = contactUri(x);
    if (!u) return;
    const e = uriEndpoint(u, x.transport);
    if (!e || normalizeHost(e.ip) !== ip) return;
    out.target = e;
    out.targetUri = u.raw;
    out.targetFrame = x.frame;
  };
  for (let i = 0; i < d.invites.length; i++) see(d.invites[i]!);
  for (let i = 0; i < d.oks.length; i++) see(d.oks[i]!);
  for (let i = 0; i < d.messages.length; i++) see(d.messages[i]!);
  return out;
}

/**
 * The dialog's connections opened mid-dialog at or after t (`midByDialog` entries): the first
 * LISTED of them and of the failed ones, in id order, and how many failed.
 */
export function laterMid(idx: ConnIndex, d: Dialog, t: number): { later: MidDialogConn[]; failed: MidDialogConn[]; failedCount: number } {
  const list = idx.midByDialog.get(d) ?? EMPTY;
  if (list.length === 0) return { later: EMPTY, failed: EMPTY, failedCount: 0 };
  let ix = idx.laterIndex.get(d);
  if (!ix) {
    const at = (m: MidDialogConn): number => m.facts.conn.openedTimeUs;
    ix = { all: new OpenIntervals(list, at, () => -Infinity), failed: new OpenIntervals(list.filter((m) => m.facts.failed), at, () => -Infinity) };
    idx.laterIndex.set(d, ix);
  }
  const { all, failed: bad } = ix;
  const from = all.openedBefore(t);
  const failedFrom = bad.openedBefore(t);
  const byId = (a: MidDialogConn, b: MidDialogConn): number => a.facts.conn.id - b.facts.conn.id;
  return {
    later: all.items.slice(from, from + LISTED).sort(byId),
    failed: bad.items.slice(failedFrom, failedFrom + LISTED).sort(byId),
    failedCount: bad.items.length - failedFrom,
  };
}

export function connText(c: ConnectionInfo): string {
  return `${c.transport.toUpperCase()} connection #${c.id} ${endpointKey(c.client)} → ${endpointKey(c.server)}`;
}

/**
 * For a connection that carried no readable SIP (encrypted TLS): earlier connections between the
 * same two hosts, in either direction, that were still open when it was opened, did not fail and
 * pass `accept` — the first LISTED, in id order. Without the SIP this is how a capture shows "a
 * new connection where one to that peer already existed". `accept` should be one function per
 * question (its index is kept per function).
 */
export function openSiblings(idx: ConnIndex, c: ConnectionInfo, accept: (f: ConnFacts) => boolean): ConnFacts[] {
  const key = ipPair(normalizeHost(c.client.ip), normalizeHost(c.server.ip));
  let perPair = idx.siblingIndex.get(accept);
  if (!perPair) idx.siblingIndex.set(accept, (perPair = new Map()));
  let iv = perPair.get(key);
  if (!iv) perPair.set(key, (iv = new OpenIntervals(idx.byIpPair.get(key) ?? EMPTY, opened, (f) => (!f.failed && accept(f) ? closing(f) : -Infinity))));
  return byRank(iv.openAt(c.openedTimeUs, LISTED), null);
}
