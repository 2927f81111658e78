/**
 * SIP transactions and retransmission chains (RFC 3261 §17).
 *
 * Matching follows §17.1.3 (responses → client transaction: top Via branch + CSeq method) and
 * §17.2.3 (requests → server transaction: branch with the magic cookie `z9hG4bK` + sent-by +
 * method, where ACK matches the INVITE it acknowledges and CANCEL is its own transaction tied by
 * branch to the INVITE it cancels). For RFC 2543 peers (branch without the cookie) the fallback key
 * is Call-ID, CSeq, From tag and the top Via (the Request-URI and To tag of §17.2.3 are left out of
 * the key because responses carry no Request-URI and the To tag appears only in the response).
 *
 * Keys are per hop by construction: a proxy forwarding a request pushes its own Via, so each hop
 * of one INVITE is its own client/server transaction pair here. The same request seen again on the
 * same hop (same transaction, same source, destination and CSeq) is a retransmission; a response
 * is a retransmission when the same status with the same To tag goes again from the same source to
 * the same destination. Chains keep the intervals so Timer A/E/G back-off (T1 = 0.5 s doubling,
 * capped at T2 = 4 s except INVITE) and the 64·T1 = 32 s Timer B/F expiry are visible. A 2xx to
 * INVITE retransmitted by the UAS core (§13.3.1.4) is a chain too, although that transaction has
 * ended. The ACK to a 2xx is a transaction of its own (§17.1.1.3, §13.2.2.4).
 *
 * TCP-level retransmissions never reach this module (the capture layer removes them). SIP itself
 * retransmits over reliable transports only a 2xx to INVITE (§17.1.1.2 Timer A and §17.1.2.2
 * Timer E run only on unreliable transports), so a chain on TCP/TLS of anything else is flagged.
 */

import type { Endpoint, Transport } from '../capture/types.ts';
import { endpointKey } from '../capture/types.ts';
import type { CapturedMessage, SipMessage } from './types.ts';
import { isReliableTransport } from './addresses.ts';
import { epText, fromTag, sentByKey, toTag } from './modelutil.ts';

export const MAGIC_COOKIE = 'z9hG4bK';
/** RFC 3261 §17.1.1.1 default timer values, in ms. */
export const T1_MS = 500;
export const T2_MS = 4000;
export const TIMER_B_MS = 64 * T1_MS;

export interface Transaction {
  id: number;
  /** Method of the request that opened it (an ACK for a non-2xx stays in its INVITE transaction). */
  method: string;
  branch: string | null;
  /** True when the key is the RFC 2543 fallback (branch missing or without the magic cookie). */
  rfc2543: boolean;
  /** Top Via sent-by ("host:port", default port filled in). */
  sentBy: string | null;
  callId: string | null;
  cseq: number | null;
  /** Source and destination of the first request seen (null when only responses were captured). */
  client: Endpoint | null;
  server: Endpoint | null;
  transport: Transport;
  /** True when the request carried a To tag (a mid-dialog request). */
  inDialog: boolean;
  /**
   * Message indexes, in the order added: every copy of the request, every response, the ACKs of a
   * non-2xx final. Filled when the builder finishes (TransactionBuilder.finish), each at its
   * exact length; empty until then.
   */
  requests: number[];
  responses: number[];
  acks: number[];
  /** For an INVITE: the CANCEL transaction that cancelled it; for a CANCEL: the INVITE transaction. */
  cancelledBy: number | null;
  cancels: number | null;
  /** First final response seen (index, status), and the first provisional. */
  finalIndex: number | null;
  finalStatus: number | null;
  firstProvisionalIndex: number | null;
  firstIndex: number;
  lastIndex: number;
  firstTimeUs: number;
  lastTimeUs: number;
}

export type ChainTimer =
  | 'Timer A (INVITE request)'
  | 'Timer E (non-INVITE request)'
  | 'Timer G (non-2xx final to INVITE)'
  | 'UAS core 2xx retransmission (RFC 3261 §13.3.1.4)'
  | 'repeated provisional response'
  | 'resent on request retransmission'
  | 'repeated ACK';

export interface RetransmissionChain {
  id: number;
  transaction: number;
  kind: 'request' | 'response';
  method: string;
  status: number | null;
  /** Index of the first transmission, then every retransmission, in capture order. */
  first: number;
  members: number[];
  /** Number of retransmissions (members - 1). */
  count: number;
  /** Gaps between consecutive members, ms. */
  intervalsMs: number[];
  spanMs: number;
  from: string;
  to: string;
  transport: Transport;
  /** Which RFC 3261 timer (or rule) drives this kind of repetition. */
  timer: ChainTimer;
  /** True when the intervals follow the RFC 3261 back-off: doubling from the first interval, capped at T2 = 4 s except for INVITE requests. */
  backoff: boolean;
  /** Over a reliable transport (TCP/TLS/WS/SCTP). */
  reliableTransport: boolean;
  /** Retransmission over a reliable transport of anything but a 2xx to INVITE: SIP does not do that (RFC 3261 §17.1.1.2, §17.1.2.2), so a peer or a middlebox repeated it. */
  unusualOverReliable: boolean;
  /** The 64·T1 = 32 s transaction timeout (Timer B/F/H) had elapsed between the first and the last member. */
  reachedTimeout: boolean;
}

/** What the transaction pass says about one message. */
export interface TransactionAnnotation {
  transaction: number | null;
  retransmission: boolean;
  retransmissionOf: number | null;
  /** For an ACK: true when it acknowledges a non-2xx final in the INVITE transaction. */
  ackForNon2xx?: boolean;
}

function topViaKey(m: SipMessage): { branch: string | null; sentBy: string | null; cookie: boolean } {
  const v = m.via[0];
  if (!v) return { branch: null, sentBy: null, cookie: false };
  const branch = v.branch;
  return { branch, sentBy: sentByKey(v), cookie: branch !== null && branch.startsWith(MAGIC_COOKIE) };
}

/** The top Via's branch when it has the RFC 3261 magic cookie (the §17.2.3 key applies), else null. */
function cookieBranch(m: SipMessage): string | null {
  const b = m.via[0]?.branch ?? null;
  return b !== null && b.startsWith(MAGIC_COOKIE) ? b : null;
}

/** The key of a transaction among those of one branch (a method is a token, without spaces: the last space splits the key). */
function sentByMethod(sentBy: string, method: string): string {
  return `${sentBy} ${method}`;
}

/** The RFC 2543 fallback key of a message for a given method (branch missing or without the cookie). */
function key2543(m: SipMessage, c: CapturedMessage, method: string): string {
  const t = topViaKey(m);
  const viaText = t.sentBy === null ? `${epText(c.src)}>${epText(c.dst)}` : `${t.sentBy};branch=${t.branch ?? ''}`;
  return `2543|${m.callId ?? ''}|${m.cseq?.seq ?? ''}|${method}|${fromTag(m) ?? ''}|${viaText}`;
}

/** A message's role in its transaction (TransactionBuilder.role). */
const REQUEST = 1;
const RESPONSE = 2;
const ACK_OF_FINAL = 3;
const NULL_INT = -1;
const RFC2543 = 1;
const IN_DIALOG = 2;
/** Integers per transaction in `TransactionTable.ints`. */
const INTS = 7;
const [CANCELLED_BY, CANCELS, FINAL_INDEX, FINAL_STATUS, FIRST_PROVISIONAL, FIRST_INDEX, LAST_INDEX] = [0, 1, 2, 3, 4, 5, 6] as const;
const NO_INTS = new Int32Array(0);
const NO_BYTES = new Uint8Array(0);
const NO_FLOATS = new Float64Array(0);

/** The table with room for at least `need` entries (twice as many), the new ones set to `fill`. */
function grown<T extends Int32Array | Uint8Array | Float64Array>(a: T, need: number, fill: number): T {
  const out = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  out.set(a);
  if (fill !== 0) out.fill(fill, a.length);
  return out;
}

/** Past this many distinct transmissions a transaction's are also found by key (TransactionBuilder.seenByKey). */
const SEEN_CHAIN = 16;

function seenKey(what: string | number, tag: string, seq: number, src: string, dst: string): string {
  return `${typeof what === 'number' ? `#${what}` : what}\u0000${tag}\u0000${seq}\u0000${src}\u0000${dst}`;
}

/**
 * Builds transactions in one pass over the messages in capture order, straight into the columns
 * the table keeps (`TxColumns`): no object per transaction. As objects (~20 fields, three lists,
 * two boxed times) the builder's transactions lived through the whole pass and were garbage once
 * the table was made: on sip-dense ~40 MB that outlived the young generation (a sampling heap
 * profile of the model stage), which the browser's worker, with no full collection of its own in
 * the pass, carried to the model's peak.
 */
export class TransactionBuilder {
  /** How many transactions so far (their ids are 0 … count − 1). */
  private count = 0;
  private method: string[];
  private branch: Array<string | null>;
  private sentBy: Array<string | null>;
  private callId: Array<string | null>;
  private client: Array<Endpoint | null>;
  private server: Array<Endpoint | null>;
  private transport: Transport[];
  private flags: Uint8Array;
  /** CSeq number; NaN: none. */
  private cseq: Float64Array;
  /** First and last time (µs), two per transaction. */
  private times: Float64Array;
  /** INTS integers per transaction (NULL_INT: null). */
  private ints: Int32Array;
  /** The table, once `finish` has made it. */
  private done: TransactionTable | null = null;
  /** Per message index: its transaction's id (−1: none), for the chains. */
  private txOf: Int32Array;
  /**
   * RFC 3261 transactions by top-Via branch (§17.2.3: branch, sent-by, method). A branch has one
   * transaction nearly always: then the entry is its id, checked against the transaction's own
   * sent-by and method (interned strings), and no key string is built. A branch with more (an
   * INVITE and its CANCEL; the same fixed branch sent by many agents, which some firmware does)
   * gets a map by sent-by and method, so a lookup stays one step however many share it.
   */
  private readonly byBranch = new Map<string, number | Map<string, number>>();
  /** RFC 2543 transactions by their fallback key (key2543). */
  private readonly by2543 = new Map<string, number>();
  /**
   * The distinct transmissions seen on each transaction's hop, as one flat table (a handful per
   * transaction) instead of a list and an object per transmission: what was sent (method or
   * status), the To tag, the CSeq number, source and destination, the first index, and the next
   * entry of the same transaction (−1: none). `seenHead`/`seenTail` by transaction id.
   *
   * There are at most as many entries, and transactions, as messages: with the message count
   * given (`capacity`), every table is allocated once at that length. Grown by push instead, a
   * table of a signalling capture's 140,000 entries leaves two to three times its size in
   * discarded copies behind, and as such tables live through the whole build, the copies outlive
   * the young generation and stay until a full collection (~160 bytes per message for these).
   */
  private seenWhat: Array<string | number>;
  private seenTag: string[];
  private seenSeq: Float64Array;
  private seenSrc: string[];
  private seenDst: string[];
  private seenFirst: Int32Array;
  private seenNext: Int32Array;
  private seenHead: Int32Array;
  private seenTail: Int32Array;
  private seenCount = 0;
  /**
   * A transaction with more than SEEN_CHAIN distinct transmissions (one INVITE forked to
   * thousands of branches, each answering with its own To tag) also finds them by key: walking
   * its chain for each new response was quadratic.
   */
  private readonly seenByKey = new Map<number, Map<string, number>>();
  /**
   * The transactions' message lists are not grown by push: each message's role in its transaction
   * (request, response, ACK of a non-2xx) is noted here, in the order added, and `finish` gives
   * every transaction its lists at their exact length. Grown by push, then copied to length once
   * the model was complete, they left ~130 bytes per message of discarded arrays that outlived the
   * young generation. The checks made during the pass read `requestCount`.
   */
  private role: Uint8Array;
  private added: Int32Array;
  private addedCount = 0;
  private requestCounts: Int32Array;
  /** Per first-transmission index: the members of its chain. */
  private readonly chainMembers = new Map<number, number[]>();
  private messages: CapturedMessage[];

  /** `capacity`: how many messages will be added (more may be; the tables then grow). */
  constructor(capacity = 0) {
    const n = Math.max(16, capacity);
    // new Array(n) is a fast (holey) array even for hundreds of thousands of slots; the integer
    // tables are typed arrays (half the size, and nothing in them for the collector to trace).
    this.txOf = new Int32Array(n).fill(-1);
    this.role = new Uint8Array(n);
    this.added = new Int32Array(n);
    this.messages = new Array<CapturedMessage>(capacity);
    this.seenWhat = new Array<string | number>(capacity);
    this.seenTag = new Array<string>(capacity);
    this.seenSeq = new Float64Array(n);
    this.seenSrc = new Array<string>(capacity);
    this.seenDst = new Array<string>(capacity);
    this.seenFirst = new Int32Array(n);
    this.seenNext = new Int32Array(n);
    this.seenHead = new Int32Array(n);
    this.seenTail = new Int32Array(n);
    this.requestCounts = new Int32Array(n);
    // A transaction per message at most: its columns are allocated once too.
    this.method = new Array<string>(capacity);
    this.branch = new Array<string | null>(capacity);
    this.sentBy = new Array<string | null>(capacity);
    this.callId = new Array<string | null>(capacity);
    this.client = new Array<Endpoint | null>(capacity);
    this.server = new Array<Endpoint | null>(capacity);
    this.transport = new Array<Transport>(capacity);
    this.flags = new Uint8Array(n);
    this.cseq = new Float64Array(n);
    this.times = new Float64Array(n * 2);
    this.ints = new Int32Array(n * INTS);
  }

  add(c: CapturedMessage): TransactionAnnotation {
    const i = c.index;
    if (i >= this.txOf.length) {
      this.txOf = grown(this.txOf, i + 1, -1);
      this.role = grown(this.role, i + 1, 0);
    }
    if (this.addedCount >= this.added.length) this.added = grown(this.added, this.addedCount + 1, 0);
    this.added[this.addedCount++] = i;
    this.messages[i] = c;
    const m = c.sip;
    let ann: TransactionAnnotation = { transaction: null, retransmission: false, retransmissionOf: null };
    if (m) ann = m.kind === 'request' ? this.addRequest(c, m) : this.addResponse(c, m);
    this.txOf[i] = ann.transaction ?? -1;
    return ann;
  }

  /** How many requests (copies and retransmissions) transaction `id` has had so far. */
  requestCount(id: number): number {
    return this.requestCounts[id] ?? 0;
  }

  /** Whether transaction `id`'s request carried a To tag (a mid-dialog request), as known so far. */
  inDialogOf(id: number): boolean {
    return id >= 0 && id < this.count && (this.flags[id]! & IN_DIALOG) !== 0;
  }

  private int(id: number, k: number): number {
    return this.ints[id * INTS + k]!;
  }

  private setInt(id: number, k: number, v: number): void {
    this.ints[id * INTS + k] = v;
  }

  /** The transaction a message belongs to for a given method (ACK is looked up as INVITE), if one is open; −1 if none. */
  private find(m: SipMessage, c: CapturedMessage, method: string): number {
    const branch = cookieBranch(m);
    if (branch === null) return this.by2543.get(key2543(m, c, method)) ?? -1;
    const entry = this.byBranch.get(branch);
    if (entry === undefined) return -1;
    const sentBy = sentByKey(m.via[0]!);
    if (typeof entry === 'number') return this.method[entry] === method && this.sentBy[entry] === sentBy ? entry : -1;
    return entry.get(sentByMethod(sentBy, method)) ?? -1;
  }

  private open(c: CapturedMessage, m: SipMessage, method: string): number {
    const id = this.count++;
    if (id >= this.flags.length) {
      this.flags = grown(this.flags, id + 1, 0);
      this.cseq = grown(this.cseq, id + 1, 0);
      this.times = grown(this.times, (id + 1) * 2, 0);
      this.ints = grown(this.ints, (id + 1) * INTS, 0);
    }
    if (id >= this.seenHead.length) {
      this.seenHead = grown(this.seenHead, id + 1, 0);
      this.seenTail = grown(this.seenTail, id + 1, 0);
      this.requestCounts = grown(this.requestCounts, id + 1, 0);
    }
    const v = m.via[0];
    const branch = v?.branch ?? null;
    const sentBy = v ? sentByKey(v) : null;
    const cookie = cookieBranch(m);
    const request = m.kind === 'request';
    // Matched per hop (see the module comment) through the builder's maps (byBranch, by2543).
    this.method[id] = method;
    this.branch[id] = branch;
    this.sentBy[id] = sentBy;
    this.callId[id] = m.callId;
    this.cseq[id] = m.cseq?.seq ?? NaN;
    // Only the response was captured: the endpoints are still known from it.
    this.client[id] = request ? c.src : c.dst;
    this.server[id] = request ? c.dst : c.src;
    this.transport[id] = c.transport;
    this.flags[id] = (cookie === null ? RFC2543 : 0) | (request && toTag(m) !== null ? IN_DIALOG : 0);
    const base = id * INTS;
    this.ints[base + CANCELLED_BY] = NULL_INT;
    this.ints[base + CANCELS] = NULL_INT;
    this.ints[base + FINAL_INDEX] = NULL_INT;
    this.ints[base + FINAL_STATUS] = NULL_INT;
    this.ints[base + FIRST_PROVISIONAL] = NULL_INT;
    this.ints[base + FIRST_INDEX] = c.index;
    this.ints[base + LAST_INDEX] = c.index;
    this.times[id * 2] = c.timeUs;
    this.times[id * 2 + 1] = c.timeUs;
    if (cookie === null) this.by2543.set(key2543(m, c, method), id);
    else {
      const entry = this.byBranch.get(cookie);
      if (entry === undefined) this.byBranch.set(cookie, id);
      else {
        let map = entry;
        if (typeof map === 'number') {
          map = new Map([[sentByMethod(this.sentBy[map]!, this.method[map]!), map]]);
          this.byBranch.set(cookie, map);
        }
        map.set(sentByMethod(sentBy!, method), id);
      }
    }
    this.seenHead[id] = -1;
    this.seenTail[id] = -1;
    return id;
  }

  private touch(tx: number, c: CapturedMessage): void {
    this.ints[tx * INTS + LAST_INDEX] = c.index;
    this.times[tx * 2 + 1] = c.timeUs;
  }

  /** Records a transmission; returns the first index when it repeats an earlier one on this hop. */
  private repeatOf(tx: number, what: string | number, tag: string, seq: number, c: CapturedMessage): number | null {
    const src = endpointKey(c.src);
    const dst = endpointKey(c.dst);
    let first: number | undefined;
    const byKey = this.seenByKey.get(tx);
    let steps = 0;
    if (byKey) first = byKey.get(seenKey(what, tag, seq, src, dst));
    else {
      for (let e = this.seenHead[tx]!; e >= 0; e = this.seenNext[e]!, steps++) {
        if (this.seenWhat[e] === what && this.seenTag[e] === tag && this.seenSeq[e] === seq && this.seenSrc[e] === src && this.seenDst[e] === dst) {
          first = this.seenFirst[e]!;
          break;
        }
      }
    }
    if (first === undefined) {
      const e = this.seenCount++;
      if (e >= this.seenFirst.length) {
        this.seenSeq = grown(this.seenSeq, e + 1, 0);
        this.seenFirst = grown(this.seenFirst, e + 1, 0);
        this.seenNext = grown(this.seenNext, e + 1, 0);
      }
      this.seenWhat[e] = what;
      this.seenTag[e] = tag;
      this.seenSeq[e] = seq;
      this.seenSrc[e] = src;
      this.seenDst[e] = dst;
      this.seenFirst[e] = c.index;
      this.seenNext[e] = -1;
      const tail = this.seenTail[tx]!;
      if (tail < 0) this.seenHead[tx] = e;
      else this.seenNext[tail] = e;
      this.seenTail[tx] = e;
      if (byKey) byKey.set(seenKey(what, tag, seq, src, dst), c.index);
      else if (steps >= SEEN_CHAIN) {
        const m = new Map<string, number>();
        for (let k = this.seenHead[tx]!; k >= 0; k = this.seenNext[k]!) m.set(seenKey(this.seenWhat[k]!, this.seenTag[k]!, this.seenSeq[k]!, this.seenSrc[k]!, this.seenDst[k]!), this.seenFirst[k]!);
        this.seenByKey.set(tx, m);
      }
      return null;
    }
    const members = this.chainMembers.get(first);
    if (members) members.push(c.index);
    else this.chainMembers.set(first, [first, c.index]);
    return first;
  }

  private addRequest(c: CapturedMessage, m: SipMessage & { kind: 'request' }): TransactionAnnotation {
    const method = m.method.toUpperCase();
    // A transmission on this hop: method, source, destination, CSeq number.
    const seq = m.cseq?.seq ?? -1;
    if (method === 'ACK') {
      // ACK for a non-2xx final belongs to the INVITE transaction (§17.1.1.3); ACK for a 2xx is its own.
      const inv = this.find(m, c, 'INVITE');
      const finalStatus = inv < 0 ? NULL_INT : this.int(inv, FINAL_STATUS);
      if (finalStatus !== NULL_INT && finalStatus >= 300) {
        this.role[c.index] = ACK_OF_FINAL;
        this.touch(inv, c);
        const first = this.repeatOf(inv, method, '', seq, c);
        return { transaction: inv, retransmission: first !== null, retransmissionOf: first, ackForNon2xx: true };
      }
    }
    let tx = this.find(m, c, method);
    if (tx < 0) {
      tx = this.open(c, m, method);
      if (method === 'CANCEL') {
        const invTx = this.find(m, c, 'INVITE');
        if (invTx >= 0) {
          this.setInt(tx, CANCELS, invTx);
          if (this.int(invTx, CANCELLED_BY) === NULL_INT) this.setInt(invTx, CANCELLED_BY, tx);
        }
      }
    } else if (this.requestCounts[tx] === 0) {
      // Responses were seen before any copy of the request (capture started mid-transaction).
      this.client[tx] = c.src;
      this.server[tx] = c.dst;
      this.flags[tx] = (this.flags[tx]! & ~IN_DIALOG) | (toTag(m) !== null ? IN_DIALOG : 0);
    }
    this.role[c.index] = REQUEST;
    this.requestCounts[tx] = this.requestCounts[tx]! + 1;
    this.touch(tx, c);
    const first = this.repeatOf(tx, method, '', seq, c);
    return { transaction: tx, retransmission: first !== null, retransmissionOf: first };
  }

  private addResponse(c: CapturedMessage, m: SipMessage & { kind: 'response' }): TransactionAnnotation {
    const method = (m.cseq?.method ?? '').toUpperCase();
    let tx = this.find(m, c, method);
    if (tx < 0) tx = this.open(c, m, method);
    this.role[c.index] = RESPONSE;
    this.touch(tx, c);
    if (m.status >= 200 && this.int(tx, FINAL_INDEX) === NULL_INT) {
      this.setInt(tx, FINAL_INDEX, c.index);
      this.setInt(tx, FINAL_STATUS, m.status);
    } else if (m.status < 200 && this.int(tx, FIRST_PROVISIONAL) === NULL_INT) this.setInt(tx, FIRST_PROVISIONAL, c.index);
    // A transmission on this hop: status, To tag, source, destination.
    const first = this.repeatOf(tx, m.status, toTag(m) ?? '', -1, c);
    return { transaction: tx, retransmission: first !== null, retransmissionOf: first };
  }

  /**
   * The retransmission chains (every transmission that was repeated at least once), once every
   * message is added; the transactions become the table (`table()`), their lists filled. Then the
   * builder's working tables (the transmissions per hop, the lookups by branch, the messages) are
   * dropped: add nothing after.
   */
  finish(): RetransmissionChain[] {
    this.done = this.makeTable();
    const out = this.chains();
    this.txOf = NO_INTS;
    this.role = NO_BYTES;
    this.added = NO_INTS;
    this.requestCounts = NO_INTS;
    this.messages = [];
    this.seenWhat = [];
    this.seenTag = [];
    this.seenSeq = NO_FLOATS;
    this.seenSrc = [];
    this.seenDst = [];
    this.seenFirst = NO_INTS;
    this.seenNext = NO_INTS;
    this.seenHead = NO_INTS;
    this.seenTail = NO_INTS;
    this.seenByKey.clear();
    this.byBranch.clear();
    this.by2543.clear();
    this.chainMembers.clear();
    return out;
  }

  /** The transactions as columns, once `finish` is done (an empty table before). */
  table(): TransactionTable {
    return this.done ?? TransactionTable.fromTransactions([]);
  }

  /**
   * The table: the columns at their length, and every transaction's requests, responses and ACKs,
   * each list in the order the messages were added. The builder lets go of its columns.
   */
  private makeTable(): TransactionTable {
    const n = this.count;
    const listStart = new Int32Array(n * 3 + 1);
    for (let k = 0; k < this.addedCount; k++) {
      const i = this.added[k]!;
      // (An index outside the tables, which the engine never gives, has no role.)
      const r = this.role[i] ?? 0;
      if (r === 0) continue;
      const at = this.txOf[i]! * 3 + r - 1;
      listStart[at + 1] = listStart[at + 1]! + 1;
    }
    for (let j = 1; j <= n * 3; j++) listStart[j] = listStart[j]! + listStart[j - 1]!;
    const members = new Int32Array(listStart[n * 3]!);
    const next = listStart.slice(0, n * 3);
    for (let k = 0; k < this.addedCount; k++) {
      const i = this.added[k]!;
      const r = this.role[i] ?? 0;
      if (r === 0) continue;
      const at = this.txOf[i]! * 3 + r - 1;
      members[next[at]!] = i;
      next[at] = next[at]! + 1;
    }
    const strings = <T>(a: T[]): T[] => {
      a.length = n;
      return a;
    };
    const table = new TransactionTable({
      length: n,
      method: strings(this.method),
      branch: strings(this.branch),
      sentBy: strings(this.sentBy),
      callId: strings(this.callId),
      client: strings(this.client),
      server: strings(this.server),
      transport: strings(this.transport),
      flags: this.flags.slice(0, n),
      cseq: this.cseq.slice(0, n),
      times: this.times.slice(0, n * 2),
      ints: this.ints.slice(0, n * INTS),
      listStart,
      members,
    });
    this.method = [];
    this.branch = [];
    this.sentBy = [];
    this.callId = [];
    this.client = [];
    this.server = [];
    this.transport = [];
    this.flags = NO_BYTES;
    this.cseq = NO_FLOATS;
    this.times = NO_FLOATS;
    this.ints = NO_INTS;
    return table;
  }

  private chains(): RetransmissionChain[] {
    const out: RetransmissionChain[] = [];
    const firsts = [...this.chainMembers.keys()].sort((a, b) => a - b);
    for (const first of firsts) {
      const members = this.chainMembers.get(first);
      if (!members || members.length < 2) continue;
      const c0 = this.messages[first];
      const m0 = c0?.sip;
      const txId = this.txOf[first];
      if (!c0 || !m0 || txId === undefined || txId < 0) continue;
      const times = members.map((i) => this.messages[i]?.timeUs ?? 0);
      const intervalsMs: number[] = [];
      for (let i = 1; i < times.length; i++) intervalsMs.push(((times[i] ?? 0) - (times[i - 1] ?? 0)) / 1000);
      const spanMs = ((times[times.length - 1] ?? 0) - (times[0] ?? 0)) / 1000;
      const method = m0.kind === 'request' ? m0.method.toUpperCase() : (m0.cseq?.method ?? '').toUpperCase();
      const status = m0.kind === 'response' ? m0.status : null;
      let timer: ChainTimer;
      if (m0.kind === 'request') {
        timer = method === 'INVITE' ? 'Timer A (INVITE request)' : method === 'ACK' ? 'repeated ACK' : 'Timer E (non-INVITE request)';
      } else if (status !== null && status < 200) timer = 'repeated provisional response';
      else if (method === 'INVITE') timer = status !== null && status < 300 ? 'UAS core 2xx retransmission (RFC 3261 §13.3.1.4)' : 'Timer G (non-2xx final to INVITE)';
      else timer = 'resent on request retransmission';
      const capped = !(m0.kind === 'request' && method === 'INVITE');
      const reliable = isReliableTransport(c0.transport);
      out.push({
        id: out.length,
        transaction: txId,
        kind: m0.kind,
        method,
        status,
        first,
        members: [...members],
        count: members.length - 1,
        intervalsMs,
        spanMs,
        from: epText(c0.src),
        to: epText(c0.dst),
        transport: c0.transport,
        timer,
        backoff: isBackoff(intervalsMs, capped),
        reliableTransport: reliable,
        unusualOverReliable: reliable && !(m0.kind === 'response' && method === 'INVITE' && status !== null && status >= 200 && status < 300),
        reachedTimeout: spanMs >= TIMER_B_MS - T1_MS,
      });
    }
    return out;
  }
}

/**
 * True when intervals double from the first one (±25 %, ±80 ms), each capped at max(T2, first)
 * when `capped` (Timer E/G and 2xx retransmission), uncapped for Timer A.
 */
export function isBackoff(intervalsMs: number[], capped: boolean): boolean {
  if (intervalsMs.length < 2) return false;
  const first = intervalsMs[0] ?? 0;
  if (first <= 0) return false;
  const cap = capped ? Math.max(T2_MS, first) : Infinity;
  let expected = first;
  for (const got of intervalsMs) {
    const tol = Math.max(80, expected * 0.25);
    if (Math.abs(got - expected) > tol) return false;
    expected = Math.min(expected * 2, cap);
  }
  return true;
}


/** `list` copied into `into` from `at`; returns where it ends. */
function copyInto(into: Int32Array, at: number, list: readonly number[]): number {
  for (let k = 0; k < list.length; k++) into[at++] = list[k]!;
  return at;
}

/** The transactions' fields as columns: what TransactionBuilder writes and TransactionTable reads. */
export interface TxColumns {
  length: number;
  method: string[];
  branch: Array<string | null>;
  sentBy: Array<string | null>;
  callId: Array<string | null>;
  client: Array<Endpoint | null>;
  server: Array<Endpoint | null>;
  transport: Transport[];
  flags: Uint8Array;
  /** CSeq number; NaN: none. */
  cseq: Float64Array;
  /** First and last time of each transaction (µs), two per transaction. */
  times: Float64Array;
  /** INTS integers per transaction (NULL_INT: null). */
  ints: Int32Array;
  /** Where each transaction's requests, responses and ACKs start in `members` (three lists per transaction, then the end). */
  listStart: Int32Array;
  members: Int32Array;
}

/** A transaction's lists in the table: its request copies, its responses, its ACKs (of a non-2xx final). */
export const REQUESTS = 0;
export const RESPONSES = 1;
export const ACKS = 2;
export type TxList = typeof REQUESTS | typeof RESPONSES | typeof ACKS;

/**
 * The transactions once the model is built: what the rest of the analysis reads of them (the
 * calls' outcomes, the routing checks, the model's JSON), as columns. Built once from the
 * builder's objects, which then go: as objects (~20 fields, three lists and two boxed times
 * each) the 60,000 transactions of the bench's sip-dense file held ~26 MB from the model's build
 * to the detectors' end, as columns ~6 MB (strings are the messages' own, shared).
 *
 * The field readers (`methodOf`, `countOf`, `memberOf`, …) read one field without making
 * anything: what the calls' summaries and outcomes read of every transaction. `at(id)` makes a
 * `Transaction` object again, equal to the builder's, for the model's JSON and the tests.
 */
export class TransactionTable {
  readonly length: number;
  private readonly method: string[];
  private readonly branch: Array<string | null>;
  private readonly sentBy: Array<string | null>;
  private readonly callId: Array<string | null>;
  private readonly client: Array<Endpoint | null>;
  private readonly server: Array<Endpoint | null>;
  private readonly transport: Transport[];
  private readonly flags: Uint8Array;
  /** CSeq number; NaN: none. */
  private readonly cseq: Float64Array;
  /** First and last time of each transaction (µs), two per transaction. */
  private readonly times: Float64Array;
  /** INTS integers per transaction (NULL_INT: null). */
  private readonly ints: Int32Array;
  /** Where each transaction's requests, responses and ACKs start in `members` (three lists per transaction, then the end). */
  private readonly listStart: Int32Array;
  private readonly members: Int32Array;

  constructor(c: TxColumns) {
    this.length = c.length;
    this.method = c.method;
    this.branch = c.branch;
    this.sentBy = c.sentBy;
    this.callId = c.callId;
    this.client = c.client;
    this.server = c.server;
    this.transport = c.transport;
    this.flags = c.flags;
    this.cseq = c.cseq;
    this.times = c.times;
    this.ints = c.ints;
    this.listStart = c.listStart;
    this.members = c.members;
  }

  /** The table of these transactions (as `at` gives them back): tests, and a model read from JSON. */
  static fromTransactions(txs: readonly Transaction[]): TransactionTable {
    const n = txs.length;
    const c: TxColumns = {
      length: n,
      method: new Array<string>(n),
      branch: new Array<string | null>(n),
      sentBy: new Array<string | null>(n),
      callId: new Array<string | null>(n),
      client: new Array<Endpoint | null>(n),
      server: new Array<Endpoint | null>(n),
      transport: new Array<Transport>(n),
      flags: new Uint8Array(n),
      cseq: new Float64Array(n),
      times: new Float64Array(n * 2),
      ints: new Int32Array(n * INTS),
      listStart: new Int32Array(n * 3 + 1),
      members: NO_INTS,
    };
    let total = 0;
    for (let id = 0; id < n; id++) {
      const t = txs[id]!;
      total += t.requests.length + t.responses.length + t.acks.length;
    }
    c.members = new Int32Array(total);
    let at = 0;
    for (let id = 0; id < n; id++) {
      const t = txs[id]!;
      c.method[id] = t.method;
      c.branch[id] = t.branch;
      c.sentBy[id] = t.sentBy;
      c.callId[id] = t.callId;
      c.client[id] = t.client;
      c.server[id] = t.server;
      c.transport[id] = t.transport;
      c.flags[id] = (t.rfc2543 ? RFC2543 : 0) | (t.inDialog ? IN_DIALOG : 0);
      c.cseq[id] = t.cseq ?? NaN;
      c.times[id * 2] = t.firstTimeUs;
      c.times[id * 2 + 1] = t.lastTimeUs;
      const base = id * INTS;
      c.ints[base + CANCELLED_BY] = t.cancelledBy ?? NULL_INT;
      c.ints[base + CANCELS] = t.cancels ?? NULL_INT;
      c.ints[base + FINAL_INDEX] = t.finalIndex ?? NULL_INT;
      c.ints[base + FINAL_STATUS] = t.finalStatus ?? NULL_INT;
      c.ints[base + FIRST_PROVISIONAL] = t.firstProvisionalIndex ?? NULL_INT;
      c.ints[base + FIRST_INDEX] = t.firstIndex ?? NULL_INT;
      c.ints[base + LAST_INDEX] = t.lastIndex ?? NULL_INT;
      c.listStart[id * 3] = at;
      at = copyInto(c.members, at, t.requests);
      c.listStart[id * 3 + 1] = at;
      at = copyInto(c.members, at, t.responses);
      c.listStart[id * 3 + 2] = at;
      at = copyInto(c.members, at, t.acks);
    }
    c.listStart[n * 3] = at;
    return new TransactionTable(c);
  }

  private int(id: number, k: number): number | null {
    const v = this.ints[id * INTS + k]!;
    return v === NULL_INT ? null : v;
  }

  private list(id: number, l: number): Int32Array {
    return this.members.subarray(this.listStart[id * 3 + l]!, this.listStart[id * 3 + l + 1]!);
  }

  /** List l of transaction id as an array of its own (a loop: no view, no iterator). */
  private listArray(id: number, l: number): number[] {
    const from = this.listStart[id * 3 + l]!;
    const to = this.listStart[id * 3 + l + 1]!;
    const out = new Array<number>(to - from);
    for (let k = from; k < to; k++) out[k - from] = this.members[k]!;
    return out;
  }

  /** The indexes of every copy of transaction `id`'s request, in the order added (empty for an unknown id). */
  requestsOf(id: number): Int32Array {
    return id >= 0 && id < this.length ? this.list(id, 0) : NO_INTS;
  }

  /** For an INVITE: the CANCEL transaction that cancelled it's id is `cancelledBy`; for a CANCEL, the INVITE transaction it cancels. */
  cancelsOf(id: number): number | null {
    return id >= 0 && id < this.length ? this.int(id, CANCELS) : null;
  }

  // One field of transaction `id` (a known id), without making anything: what a call's summary
  // and outcome read of each of its transactions (calls.ts, outcome.ts).
  methodOf(id: number): string {
    return this.method[id]!;
  }
  callIdOf(id: number): string | null {
    return id >= 0 && id < this.length ? this.callId[id]! : null;
  }
  cseqOf(id: number): number | null {
    const v = this.cseq[id]!;
    return Number.isNaN(v) ? null : v;
  }
  inDialogOf(id: number): boolean {
    return (this.flags[id]! & IN_DIALOG) !== 0;
  }
  cancelledByOf(id: number): number | null {
    return this.int(id, CANCELLED_BY);
  }
  finalIndexOf(id: number): number | null {
    return this.int(id, FINAL_INDEX);
  }
  finalStatusOf(id: number): number | null {
    return this.int(id, FINAL_STATUS);
  }
  firstTimeOf(id: number): number {
    return this.times[id * 2]!;
  }
  lastTimeOf(id: number): number {
    return this.times[id * 2 + 1]!;
  }
  /** How many requests (REQUESTS), responses (RESPONSES) or ACKs (ACKS) transaction `id` has. */
  countOf(id: number, list: TxList): number {
    return this.listStart[id * 3 + list + 1]! - this.listStart[id * 3 + list]!;
  }
  /** The k-th message index of that list (k < countOf). */
  memberOf(id: number, list: TxList, k: number): number {
    return this.members[this.listStart[id * 3 + list]! + k]!;
  }

  /** Transaction `id` as the builder made it, or undefined for an unknown id. */
  at(id: number): Transaction | undefined {
    if (!(id >= 0 && id < this.length)) return undefined;
    const cseq = this.cseq[id]!;
    const flags = this.flags[id]!;
    return {
      id,
      method: this.method[id]!,
      branch: this.branch[id]!,
      rfc2543: (flags & RFC2543) !== 0,
      sentBy: this.sentBy[id]!,
      callId: this.callId[id]!,
      cseq: Number.isNaN(cseq) ? null : cseq,
      client: this.client[id]!,
      server: this.server[id]!,
      transport: this.transport[id]!,
      inDialog: (flags & IN_DIALOG) !== 0,
      requests: this.listArray(id, 0),
      responses: this.listArray(id, 1),
      acks: this.listArray(id, 2),
      cancelledBy: this.int(id, CANCELLED_BY),
      cancels: this.int(id, CANCELS),
      finalIndex: this.int(id, FINAL_INDEX),
      finalStatus: this.int(id, FINAL_STATUS),
      firstProvisionalIndex: this.int(id, FIRST_PROVISIONAL),
      firstIndex: this.int(id, FIRST_INDEX)!,
      lastIndex: this.int(id, LAST_INDEX)!,
      firstTimeUs: this.times[id * 2]!,
      lastTimeUs: this.times[id * 2 + 1]!,
    };
  }

  /** Every transaction as an object (the model's JSON, tests). */
  toArray(): Transaction[] {
    const out: Transaction[] = [];
    for (let id = 0; id < this.length; id++) out.push(this.at(id)!);
    return out;
  }

  toJSON(): Transaction[] {
    return this.toArray();
  }
}
