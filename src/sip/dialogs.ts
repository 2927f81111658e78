/**
 * SIP dialogs (RFC 3261 §12), built in one pass in capture order.
 *
 * A dialog is Call-ID + the two tags. It is created early by a 1xx with a To tag to an initial
 * INVITE and confirmed by a 2xx (§12.1, §13.2.2.4); a forking proxy makes several early dialogs
 * for one INVITE (one per To tag), of which one (or more) is confirmed. SUBSCRIBE/REFER 2xx and
 * NOTIFY create dialogs too (RFC 6665 §4.1.2.4). A dialog ends with a BYE and its response
 * (§15), or the BYE timing out, a non-2xx final to the initial INVITE (early dialogs die, §12.3),
 * or a 481/408 to a mid-dialog target refresh or BYE (§12.2.1.2).
 *
 * Per side it keeps what RFC 3261 §12.1.1/§12.1.2 say the UA stores: the remote target (for the
 * caller: the Contact of the 2xx, updated by target refreshes — re-INVITE/UPDATE 2xx it receives,
 * or requests it receives; for the callee: the Contact of the INVITE) and the route set (the
 * Record-Route of the 2xx reversed for the caller; of the INVITE as-is for the callee). When one
 * message is captured on several hops, the copy captured last is taken (the one closest to the
 * receiving UA, having crossed every record-routing proxy). Each in-dialog request gets a snapshot
 * of its sender's state so routing can say where it should have gone at that moment.
 */

import type { Endpoint } from '../capture/types.ts';
import type { CapturedMessage, SipMessage, SipUri } from './types.ts';
import type { DialogRouteState } from './routing.ts';
import type { TransactionTable, TxList } from './transactions.ts';
import { ACKS, REQUESTS, RESPONSES } from './transactions.ts';
import { fromTag, headerValue, toTag } from './modelutil.ts';
import { normalizeHost } from './addresses.ts';
import { appended, EMPTY, FEW, fewAdd, fewHas, fewSize, sortAscending } from '../lib/lists.ts';
import type { Few } from '../lib/lists.ts';

export type DialogState = 'early' | 'confirmed' | 'terminated';
export type DialogSideName = 'caller' | 'callee';

/** A dialog side's target and route set as parsed URIs, and its last routing snapshot (DialogBuilder). */
interface ParsedSide {
  target: SipUri | null;
  routes: SipUri[];
  snapshot: DialogRouteState | null;
  /** Where each id sits in the side's `connections`, once that holds more than FEW. */
  connectionAt: Map<number, number> | null;
}

/** Same length, same items (===). */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface DialogSide {
  /** The Contact the other side sent (this side's remote target), as written, or null. */
  remoteTarget: string | null;
  /** Message index that set the remote target. */
  remoteTargetFrom: number | null;
  /** Where the copies of that message came from (the peer's observed sources, NAT evidence). */
  remoteTargetSources: Endpoint[];
  /** The route set, in the order this side uses it. */
  routeSet: string[];
  routeSetFrom: number | null;
  /** TCP/TLS/WS connections that carried the messages setting the remote target or route set (connection reuse, RFC 5923/5626/7118). */
  connections: number[];
}

export interface TargetChange {
  side: DialogSideName;
  index: number;
  from: string | null;
  to: string;
}

export interface Dialog {
  id: number;
  callId: string;
  /** Tag of the dialog initiator (From tag of the initial INVITE/SUBSCRIBE). */
  callerTag: string;
  /** Tag of the other side (To tag of the response). */
  calleeTag: string;
  /** The method that created it (INVITE, SUBSCRIBE, REFER, NOTIFY). */
  method: string;
  /** CSeq number of the initial request (null when the set-up was not captured). */
  initialCseq: number | null;
  state: DialogState;
  earlyIndex: number | null;
  confirmedIndex: number | null;
  terminatedIndex: number | null;
  terminationReason:
    | null
    | 'bye'
    | 'bye-rejected'
    | 'bye-timeout'
    | 'rejected'
    | 'cancelled'
    | 'other-branch-answered'
    | 'no-such-dialog'
    | 'request-timeout'
    | 'subscription-terminated';
  /** Who sent the BYE (or the final response that ended it). */
  terminatedBy: DialogSideName | null;
  /** First BYE and its final status. */
  byeIndex: number | null;
  byeStatus: number | null;
  /** The set-up was not captured (first seen with both tags); caller/callee orientation is a guess. */
  startedBeforeCapture: boolean;
  /** caller: the UAC's view (remote target = callee's Contact); callee: the UAS's. */
  caller: DialogSide;
  callee: DialogSide;
  targetChanges: TargetChange[];
  /** Every message index of this dialog, in order (including the initial request and its tag-less responses). */
  messages: number[];
  /** In-dialog requests (ACK, BYE, re-INVITE, UPDATE, INFO, …) by index. */
  requests: number[];
  /** Initial-request transactions (one per hop) that created it. */
  initialTransactions: number[];
  firstIndex: number;
  lastIndex: number;
}

const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);
/** Methods sent inside an INVITE dialog (RFC 3261, 3262, 3311, 3515, 6086, 3428). */
const INVITE_USAGE = new Set(['ACK', 'BYE', 'INVITE', 'UPDATE', 'INFO', 'PRACK', 'REFER', 'MESSAGE', 'OPTIONS']);

function emptySide(): DialogSide {
  return { remoteTarget: null, remoteTargetFrom: null, remoteTargetSources: EMPTY, routeSet: EMPTY, routeSetFrom: null, connections: EMPTY };
}

// What the builder keeps per dialog and per initial request (its copies, the hosts that
// answered, the copies' sources) has one to three values nearly always and lives through the
// whole model pass: short lists (lib/lists.ts `Few`), not a Set or Map each (~14 MB on sip-dense
// that outlived the young generation).
/** The initial request (no To tag) as seen on each hop, per Call-ID + From tag + CSeq. */
interface PendingInitial {
  copies: number[];
  /** The same indices, for membership tests. */
  copySet: Few<number>;
  dialogs: number[];
}

/** What a dialog's callee has learnt from the initial request's copies so far (kept incremental). */
interface CalleeLearning {
  /** How many of the pending copies have been looked at. */
  seen: number;
  /** The number of responder hosts when `reaching` was worked out; more responders mean a full recount. */
  responders: number;
  /** The last copy sent to a host that answered in this dialog. */
  reaching: CapturedMessage | null;
  /** Every copy's source so far, once each (by address and port). */
  sources: Endpoint[];
  /** Their "ip port" keys, once there are more than FEW. */
  sourceKeys: Set<string> | null;
}

/** A Call-ID and two tags, either way round, as one key. */
function tagPairKey(callId: string, a: string, b: string): string {
  return a < b ? `${callId}\u0000${a}\u0000${b}` : `${callId}\u0000${b}\u0000${a}`;
}

/** `e` added to the learning's sources unless one with its address and port is there. */
function addSource(l: CalleeLearning, e: Endpoint): void {
  if (l.sourceKeys !== null) {
    const key = `${e.ip} ${e.port}`;
    if (l.sourceKeys.has(key)) return;
    l.sourceKeys.add(key);
    l.sources = appended(l.sources, e);
    return;
  }
  for (let k = 0; k < l.sources.length; k++) {
    const s = l.sources[k]!;
    if (s.ip === e.ip && s.port === e.port) return;
  }
  l.sources = appended(l.sources, e);
  if (l.sources.length > FEW) l.sourceKeys = new Set(l.sources.map((s) => `${s.ip} ${s.port}`));
}

export class DialogBuilder {
  readonly dialogs: Dialog[] = [];
  /** Dialog id per message index. */
  readonly dialogOf: (number | null)[];
  /**
   * Snapshot of the sender's routing state for each in-dialog request, by message index (a slot
   * per message, allocated once: a map of 40,000 requests left its outgrown tables behind, ~5 MB
   * on sip-dense).
   */
  readonly routeState: Array<DialogRouteState | undefined>;
  /** Dialog ids per Call-ID (a Call-ID has a few; found by their tags). */
  private readonly byCallId = new Map<string, number[]>();
  /** The dialogs of Call-IDs with more than FEW, by Call-ID and tag pair (`tagPairKey`). */
  private readonly byTags = new Map<string, number>();
  private readonly pending = new Map<string, PendingInitial>();
  private messages: CapturedMessage[];
  /** Parsed remote target and route set per dialog side (kept out of the plain-data model). */
  private parsed: Array<ParsedSide | undefined> = [];
  /** Per dialog: the hosts (canonical text) that sent its responses. */
  private responderHosts: Array<Few<string> | undefined> = [];
  private learning: Array<CalleeLearning | undefined> = [];

  /**
   * `tb`: the transaction builder this one runs beside (how many requests each transaction has
   * had so far, whether it is mid-dialog; its table, with the lists, once it has finished). `capacity`: how many
   * messages will be added. The two per-message tables are allocated at that length once, not
   * grown by push (see TransactionBuilder: the copies a growing table leaves behind outlive the
   * young generation).
   */
  constructor(
    private readonly tb: { requestCount(id: number): number; inDialogOf(id: number): boolean; table(): TransactionTable },
    capacity = 0,
  ) {
    this.dialogOf = new Array<number | null>(capacity);
    this.routeState = new Array<DialogRouteState | undefined>(capacity);
    this.messages = new Array<CapturedMessage>(capacity);
  }

  private parsedSide(d: Dialog, side: DialogSideName): ParsedSide {
    const k = d.id * 2 + (side === 'caller' ? 0 : 1);
    let p = this.parsed[k];
    if (!p) {
      p = { target: null, routes: EMPTY, snapshot: null, connectionAt: null };
      this.parsed[k] = p;
    }
    return p;
  }

  private find(m: SipMessage): Dialog | null {
    const f = fromTag(m);
    const t = toTag(m);
    if (!m.callId || f === null || t === null) return null;
    const ids = this.byCallId.get(m.callId);
    if (ids === undefined) return null;
    // The latest dialog with these two tags (either way round): a scan of the Call-ID's few
    // dialogs, or, for a Call-ID with many (a fork storm, a Call-ID reused call after call), the
    // map by tag pair, where a scan per message was quadratic.
    if (ids.length > FEW) {
      const id = this.byTags.get(tagPairKey(m.callId, f, t));
      return id === undefined ? null : (this.dialogs[id] ?? null);
    }
    for (let k = ids.length - 1; k >= 0; k--) {
      const d = this.dialogs[ids[k]!];
      if (d && ((d.callerTag === f && d.calleeTag === t) || (d.callerTag === t && d.calleeTag === f))) return d;
    }
    return null;
  }

  private create(callId: string, callerTag: string, calleeTag: string, method: string, c: CapturedMessage, cseq: number | null, startedBeforeCapture: boolean): Dialog {
    const d: Dialog = {
      id: this.dialogs.length,
      callId,
      callerTag,
      calleeTag,
      method,
      initialCseq: cseq,
      state: 'early',
      earlyIndex: null,
      confirmedIndex: null,
      terminatedIndex: null,
      terminationReason: null,
      terminatedBy: null,
      byeIndex: null,
      byeStatus: null,
      startedBeforeCapture,
      caller: emptySide(),
      callee: emptySide(),
      // Each list grows by `appended` (lib/lists.ts), from the one empty list.
      targetChanges: EMPTY,
      messages: EMPTY,
      requests: EMPTY,
      initialTransactions: EMPTY,
      firstIndex: c.index,
      lastIndex: c.index,
    };
    this.dialogs.push(d);
    const ids = this.byCallId.get(callId);
    if (ids) ids.push(d.id);
    else this.byCallId.set(callId, [d.id]);
    if (ids && ids.length > FEW) {
      // From the first time past FEW on, every dialog of this Call-ID is in the map (the latest
      // of a tag pair wins, as the scan finds it).
      if (ids.length === FEW + 1) for (let k = 0; k < FEW; k++) this.indexTags(this.dialogs[ids[k]!]!);
      this.indexTags(d);
    }
    return d;
  }

  private indexTags(d: Dialog): void {
    this.byTags.set(tagPairKey(d.callId, d.callerTag, d.calleeTag), d.id);
  }

  private attach(d: Dialog, c: CapturedMessage): void {
    this.dialogOf[c.index] = d.id;
    d.messages = appended(d.messages, c.index);
    d.lastIndex = c.index;
    if (c.sip?.kind === 'response') this.addResponder(d, normalizeHost(c.src.ip));
  }

  private responders(d: Dialog): Few<string> {
    return this.responderHosts[d.id] ?? EMPTY;
  }

  private addResponder(d: Dialog, host: string): void {
    const f = this.responderHosts[d.id];
    this.responderHosts[d.id] = f === undefined ? [host] : fewAdd(f, host);
  }

  /** Which side sent this message: a request's From tag is its sender's, a response's To tag is. */
  private senderSide(d: Dialog, m: SipMessage): DialogSideName {
    const senderTag = m.kind === 'request' ? fromTag(m) : toTag(m);
    return senderTag === d.callerTag ? 'caller' : 'callee';
  }

  private setTarget(d: Dialog, side: DialogSideName, c: CapturedMessage, m: SipMessage): void {
    const uri = m.contact[0]?.uri;
    if (!uri) return;
    const s = d[side];
    const sameMessageCopy = s.remoteTargetFrom !== null && this.sameMessage(s.remoteTargetFrom, c);
    if (s.remoteTarget !== uri.raw) d.targetChanges = appended(d.targetChanges, { side, index: c.index, from: s.remoteTarget, to: uri.raw });
    s.remoteTarget = uri.raw;
    this.parsedSide(d, side).target = uri;
    s.remoteTargetFrom = c.index;
    // Another message: its source starts the list (a list of one, not an empty one grown by a push
    // to a dozen slots); another copy of the same message adds its source if new.
    if (!sameMessageCopy) s.remoteTargetSources = [c.src];
    else if (!s.remoteTargetSources.some((e) => e.ip === c.src.ip && e.port === c.src.port)) s.remoteTargetSources = appended(s.remoteTargetSources, c.src);
    if (c.connection !== null) this.addConnection(d, side, c.connection);
  }

  /** A connection that carried a message setting this side's target or routes, unless listed. */
  private addConnection(d: Dialog, side: DialogSideName, id: number): void {
    const s = d[side];
    const p = this.parsedSide(d, side);
    if (p.connectionAt ? p.connectionAt.has(id) : s.connections.includes(id)) return;
    // A routing snapshot taken before keeps the list it saw, with its count (a new one while short).
    const list = (s.connections = appended(s.connections, id));
    if (p.connectionAt) p.connectionAt.set(id, list.length - 1);
    else if (list.length > FEW) p.connectionAt = new Map(list.map((x, i) => [x, i]));
  }

  /** True when the message at index i and c are copies of one message (same start line, CSeq, tags). */
  private sameMessage(i: number, c: CapturedMessage): boolean {
    const a = this.messages[i]?.sip;
    const b = c.sip;
    if (!a || !b) return false;
    const startA = a.kind === 'request' ? a.method : String(a.status);
    const startB = b.kind === 'request' ? b.method : String(b.status);
    return startA === startB && a.cseq?.seq === b.cseq?.seq && a.cseq?.method === b.cseq?.method && fromTag(a) === fromTag(b) && toTag(a) === toTag(b);
  }

  private setRoutes(d: Dialog, side: DialogSideName, c: CapturedMessage, m: SipMessage, reverse: boolean): void {
    const s = d[side];
    // No Record-Route (most dialogs between user agents): the one empty list, not four new ones
    // per copy of the INVITE and per 2xx (never written into: a route set is replaced, not changed).
    let routes: SipUri[] = EMPTY;
    if (m.recordRoute.length > 0) {
      const uris = m.recordRoute.filter((r) => r.uri !== null).map((r) => r.uri as SipUri);
      routes = uris.length === 0 ? EMPTY : reverse ? uris.reverse() : uris;
    }
    this.parsedSide(d, side).routes = routes;
    s.routeSet = routes.length === 0 ? EMPTY : routes.map((u) => u.raw);
    s.routeSetFrom = c.index;
    if (c.connection !== null) this.addConnection(d, side, c.connection);
  }

  private pendingKey(m: SipMessage): string | null {
    if (!m.callId || !m.cseq) return null;
    return `${m.callId}\u0000${fromTag(m) ?? ''}\u0000${m.cseq.seq}\u0000${m.cseq.method.toUpperCase()}`;
  }

  /** One message; `ackForNon2xx` marks an ACK of a non-2xx final (it belongs to no dialog, §17.1.1.3). */
  add(c: CapturedMessage, transaction: number | null, ackForNon2xx = false): void {
    this.messages[c.index] = c;
    this.dialogOf[c.index] = null;
    const m = c.sip;
    if (!m || !m.callId || ackForNon2xx) return;
    if (m.kind === 'request') this.addRequest(c, m);
    else this.addResponse(c, m, transaction);
  }

  private addRequest(c: CapturedMessage, m: SipMessage & { kind: 'request' }): void {
    const method = m.method.toUpperCase();
    const tt = toTag(m);
    const ft = fromTag(m);
    if (tt === null) {
      // Initial request: remember its copies until a response creates the dialog.
      const k = this.pendingKey(m);
      if (k && DIALOG_CREATING.has(method)) {
        let p = this.pending.get(k);
        if (p === undefined) {
          this.pending.set(k, (p = { copies: EMPTY, copySet: EMPTY, dialogs: EMPTY }));
        }
        p.copies = appended(p.copies, c.index);
        // The copies list itself while it is short (its indexes are distinct), then a Set.
        if (!Array.isArray(p.copySet)) p.copySet.add(c.index);
        else p.copySet = p.copies.length > FEW ? new Set(p.copies) : p.copies;
        // A copy seen after the dialog exists (retransmission, or next hop): refresh the callee's view.
        for (const id of p.dialogs) {
          const d = this.dialogs[id];
          if (d) this.calleeLearnsInitial(d, p, null);
        }
      }
      return;
    }
    if (!m.callId || ft === null) return;
    let d = this.find(m);
    if (!d) {
      if (method === 'NOTIFY') {
        // RFC 6665: a NOTIFY may create the subscription dialog (subscriber = To, notifier = From).
        d = this.create(m.callId, tt, ft, 'NOTIFY', c, null, false);
      } else if (INVITE_USAGE.has(method) || method === 'SUBSCRIBE') {
        // Set-up not captured: the sender of the first request seen is taken as the caller (a guess).
        d = this.create(m.callId, ft, tt, method === 'SUBSCRIBE' ? 'SUBSCRIBE' : 'INVITE', c, null, true);
      } else return; // REGISTER, PUBLISH, CANCEL … with a To tag: no dialog (RFC 3903, §9)
      d.state = 'confirmed';
      d.confirmedIndex = c.index;
    }
    const side = this.senderSide(d, m);
    // Routing snapshot: the sender's own state, before this request changes anything. The same
    // object as its previous request's when nothing changed in between (an ACK and the BYE after
    // it): one per change instead of one per request (~4 MB of sip-dense's 40,000).
    const s = d[side];
    const p = this.parsedSide(d, side);
    const unknown = d.startedBeforeCapture && s.remoteTarget === null;
    let snap = p.snapshot;
    if (snap === null || snap.remoteTarget !== p.target || snap.routeSet !== p.routes || snap.unknown !== unknown || !sameItems(snap.remoteTargetSources, s.remoteTargetSources) || snap.connections.count !== s.connections.length) {
      const connections = { list: s.connections, count: s.connections.length, position: p.connectionAt };
      snap = { remoteTarget: p.target, routeSet: p.routes, remoteTargetSources: [...s.remoteTargetSources], connections, unknown };
      p.snapshot = snap;
    }
    this.routeState[c.index] = snap;
    this.attach(d, c);
    d.requests = appended(d.requests, c.index);
    const other: DialogSideName = side === 'caller' ? 'callee' : 'caller';
    // Target refresh request: the receiver's remote target becomes its Contact (§12.2.2).
    if (TARGET_REFRESH.has(method) && m.contact.length > 0) this.setTarget(d, other, c, m);
    if (d.startedBeforeCapture && d[other].remoteTarget === null && m.contact.length > 0) this.setTarget(d, other, c, m);
    if (method === 'BYE' && d.byeIndex === null) {
      d.byeIndex = c.index;
      d.terminatedBy = side;
    }
    if (method === 'NOTIFY' && /^\s*terminated/i.test(headerValue(m, 'Subscription-State') ?? '') && d.method !== 'INVITE') {
      d.terminatedBy = side;
      d.byeIndex = d.byeIndex ?? c.index;
    }
  }

  /**
   * The callee (UAS) learns the caller's Contact and the Record-Route from the INVITE (§12.1.1):
   * of the copies captured on several hops, the one that reached the UAS (its destination sent
   * this dialog's responses), else the last one captured.
   */
  private calleeLearnsInitial(d: Dialog, p: PendingInitial, extraResponder: string | null): void {
    const prev = d.callee.remoteTargetFrom;
    if (prev !== null && !fewHas(p.copySet, prev)) return; // a target refresh has replaced it since
    if (extraResponder) this.addResponder(d, normalizeHost(extraResponder));
    const responders = this.responders(d);
    const responderCount = fewSize(responders);
    // Each call looks only at the copies it has not seen, unless a new responder may make an
    // earlier copy the one that reached the UAS: then all of them again (a few times per dialog).
    let l = this.learning[d.id];
    if (!l || l.responders !== responderCount) this.learning[d.id] = l = { seen: 0, responders: responderCount, reaching: null, sources: l?.sources ?? EMPTY, sourceKeys: l?.sourceKeys ?? null };
    const from = l.seen;
    let last: CapturedMessage | null = null;
    for (let k = from; k < p.copies.length; k++) {
      const x = this.messages[p.copies[k]!];
      if (!x?.sip) continue;
      last = x;
      addSource(l, x.src);
      if (fewHas(responders, normalizeHost(x.dst.ip))) l.reaching = x;
    }
    l.seen = p.copies.length;
    if (from > 0 && last === null) return; // nothing new to learn from
    const pick = l.reaching ?? last ?? this.lastCopy(p);
    if (!pick?.sip) return;
    this.setTarget(d, 'callee', pick, pick.sip);
    this.setRoutes(d, 'callee', pick, pick.sip, false);
    // Every copy's source (before and after NATs between capture points) is the caller as seen on
    // the wire; setTarget keeps the list for another copy of the same message and starts it afresh
    // otherwise, so only what it lacks is added.
    const side = d.callee;
    const have = side.remoteTargetSources;
    if (have.length < l.sources.length) {
      if (l.sourceKeys === null && have.length <= FEW) {
        for (const e of l.sources) if (!side.remoteTargetSources.some((x) => x.ip === e.ip && x.port === e.port)) side.remoteTargetSources = appended(side.remoteTargetSources, e);
      } else {
        const keys = new Set(have.map((e) => `${e.ip} ${e.port}`));
        for (const e of l.sources) if (!keys.has(`${e.ip} ${e.port}`)) side.remoteTargetSources = appended(side.remoteTargetSources, e);
      }
    }
  }

  private lastCopy(p: PendingInitial): CapturedMessage | null {
    for (let k = p.copies.length - 1; k >= 0; k--) {
      const x = this.messages[p.copies[k]!];
      if (x?.sip) return x;
    }
    return null;
  }

  private addResponse(c: CapturedMessage, m: SipMessage & { kind: 'response' }, transaction: number | null): void {
    const method = (m.cseq?.method ?? '').toUpperCase();
    const tx = transaction;
    const tt = toTag(m);
    const ft = fromTag(m);
    const pk = this.pendingKey(m);
    const pending = pk ? this.pending.get(pk) : undefined;
    const requests = tx !== null ? this.tb.requestCount(tx) : 0;
    const initial = tx !== null ? !this.tb.inDialogOf(tx) && requests > 0 : pending !== undefined;
    let d = this.find(m);
    if (!d && m.callId && ft !== null && tt !== null && DIALOG_CREATING.has(method) && (initial || tx === null || requests === 0)) {
      const creates = (method === 'INVITE' && m.status > 100 && m.status < 300) || (m.status >= 200 && m.status < 300);
      if (creates) {
        d = this.create(m.callId, ft, tt, method, c, m.cseq?.seq ?? null, false);
        if (pending) {
          pending.dialogs = appended(pending.dialogs, d.id);
          this.calleeLearnsInitial(d, pending, c.src.ip);
        } else d.startedBeforeCapture = tx === null || requests === 0;
      }
    }
    if (tx !== null && initial && DIALOG_CREATING.has(method) && d && !d.initialTransactions.includes(tx)) d.initialTransactions = appended(d.initialTransactions, tx);
    if (!d) {
      // A non-2xx final to an initial INVITE kills every early dialog of that INVITE (§12.3 / §13.2.2.3).
      if (pending && m.status >= 300) this.killEarly(pending, c, m);
      return;
    }
    this.attach(d, c);
    const receiver: DialogSideName = this.senderSide(d, m) === 'caller' ? 'callee' : 'caller';
    if (initial && DIALOG_CREATING.has(method) && m.status > 100 && m.status < 300 && receiver === 'caller') {
      // The caller's remote target and route set come from the dialog-creating response (§12.1.2).
      this.setTarget(d, 'caller', c, m);
      this.setRoutes(d, 'caller', c, m, true);
      if (m.status < 200 && d.earlyIndex === null && d.state === 'early') d.earlyIndex = c.index;
      if (m.status >= 200 && d.confirmedIndex === null && d.state !== 'terminated') {
        d.state = 'confirmed';
        d.confirmedIndex = c.index;
      }
    } else if (initial && m.status >= 300 && pending) {
      this.killEarly(pending, c, m);
    } else if (!initial && m.status >= 200 && m.status < 300 && TARGET_REFRESH.has(method)) {
      // 2xx to a target refresh: the request's sender updates its remote target (§12.2.1.2).
      this.setTarget(d, receiver, c, m);
    }
    if (method === 'BYE' && m.status >= 200 && d.byeStatus === null) {
      d.byeStatus = m.status;
      d.state = 'terminated';
      d.terminatedIndex = c.index;
      d.terminationReason = m.status < 300 ? 'bye' : 'bye-rejected';
    } else if (!initial && (m.status === 481 || m.status === 408) && d.state !== 'terminated' && (d.method === 'INVITE' ? method === 'INVITE' || method === 'UPDATE' : method === 'SUBSCRIBE' || method === 'NOTIFY')) {
      d.state = 'terminated';
      d.terminatedIndex = c.index;
      d.terminationReason = m.status === 481 ? 'no-such-dialog' : 'request-timeout';
      d.terminatedBy = receiver;
    } else if (method === 'NOTIFY' && m.status < 300 && m.status >= 200 && d.method !== 'INVITE' && d.byeIndex !== null && d.state !== 'terminated') {
      d.state = 'terminated';
      d.terminatedIndex = c.index;
      d.terminationReason = 'subscription-terminated';
    }
  }

  private killEarly(pending: PendingInitial, c: CapturedMessage, m: SipMessage & { kind: 'response' }): void {
    for (const id of pending.dialogs) {
      const d = this.dialogs[id];
      if (!d || d.state !== 'early') continue;
      d.state = 'terminated';
      d.terminatedIndex = c.index;
      d.terminationReason = m.status === 487 ? 'cancelled' : 'rejected';
      d.terminatedBy = 'callee';
    }
  }

  /** The messages of transaction t's list that have no dialog join `owner`'s. */
  private joinOwner(owner: Dialog, table: TransactionTable, t: number, list: TxList): void {
    for (let k = 0, n = table.countOf(t, list); k < n; k++) {
      const i = table.memberOf(t, list, k);
      if (this.dialogOf[i] === null || this.dialogOf[i] === undefined) {
        this.dialogOf[i] = owner.id;
        owner.messages = appended(owner.messages, i);
      }
    }
  }

  /**
   * End of capture: attach each initial request (and its tag-less responses) to the dialog it
   * created (the confirmed one when forked), end early dialogs whose INVITE another branch
   * answered, and time out BYEs never answered within 64·T1.
   */
  finish(captureEndUs: number, annotations: { transactionOf(i: number): number | null }): void {
    // The transactions' lists are filled once the transaction builder has finished.
    const table = this.tb.table();
    for (const p of this.pending.values()) {
      const ds = p.dialogs.map((id) => this.dialogs[id]).filter((d): d is Dialog => d !== undefined);
      if (ds.length === 0) continue;
      const confirmed = ds.filter((d) => d.confirmedIndex !== null);
      const owner = confirmed[0] ?? ds[0];
      if (!owner) continue;
      if (confirmed.length > 0) {
        for (const d of ds) {
          if (d.state === 'early') {
            d.state = 'terminated';
            d.terminationReason = 'other-branch-answered';
            d.terminatedIndex = confirmed[0]?.confirmedIndex ?? null;
          }
        }
      }
      // The initial request's transactions: every message in them without a dialog joins the owner.
      const txs = new Set<number>();
      for (let k = 0; k < p.copies.length; k++) {
        const t = annotations.transactionOf(p.copies[k]!);
        if (t !== null) txs.add(t);
      }
      txs.forEach((t) => {
        if (t < 0 || t >= table.length) return;
        this.joinOwner(owner, table, t, REQUESTS);
        this.joinOwner(owner, table, t, RESPONSES);
        this.joinOwner(owner, table, t, ACKS);
        const by = table.cancelledByOf(t);
        if (by !== null && by >= 0 && by < table.length) {
          this.joinOwner(owner, table, by, REQUESTS);
          this.joinOwner(owner, table, by, RESPONSES);
        }
      });
    }
    for (const d of this.dialogs) {
      sortAscending(d.messages);
      sortAscending(d.initialTransactions);
      d.firstIndex = d.messages[0] ?? d.firstIndex;
      d.lastIndex = d.messages[d.messages.length - 1] ?? d.lastIndex;
      if (d.byeIndex !== null && d.byeStatus === null && d.state !== 'terminated' && d.method === 'INVITE') {
        const bye = this.messages[d.byeIndex];
        if (bye && captureEndUs - bye.timeUs >= 32_000_000) {
          d.state = 'terminated';
          d.terminationReason = 'bye-timeout';
          d.terminatedIndex = d.byeIndex;
        }
      }
    }
    // The working tables go (add nothing after): what stays is the dialogs, dialogOf and routeState.
    this.messages = [];
    this.parsed = [];
    this.responderHosts = [];
    this.learning = [];
    this.byCallId.clear();
    this.byTags.clear();
    this.pending.clear();
  }
}
