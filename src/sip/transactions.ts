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
import { exactList } from '../lib/lists.ts';

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

/** Builds transactions in one pass over the messages in capture order. */
export class TransactionBuilder {
  readonly transactions: Transaction[] = [];
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

  /** The transaction a message belongs to for a given method (ACK is looked up as INVITE), if one is open. */
  private find(m: SipMessage, c: CapturedMessage, method: string): Transaction | undefined {
    const branch = cookieBranch(m);
    if (branch === null) {
      const id = this.by2543.get(key2543(m, c, method));
      return id === undefined ? undefined : this.transactions[id];
    }
    const entry = this.byBranch.get(branch);
    if (entry === undefined) return undefined;
    const sentBy = sentByKey(m.via[0]!);
    if (typeof entry === 'number') {
      const tx = this.transactions[entry]!;
      return tx.method === method && tx.sentBy === sentBy ? tx : undefined;
    }
    const id = entry.get(sentByMethod(sentBy, method));
    return id === undefined ? undefined : this.transactions[id];
  }

  private open(c: CapturedMessage, m: SipMessage, method: string): Transaction {
    const t = topViaKey(m);
    const branch = cookieBranch(m);
    const rfc2543 = branch === null;
    // Matched per hop (see the module comment) through the builder's maps (byBranch, by2543).
    const tx: Transaction = {
      id: this.transactions.length,
      method,
      branch: t.branch,
      rfc2543,
      sentBy: t.sentBy,
      callId: m.callId,
      cseq: m.cseq?.seq ?? null,
      client: m.kind === 'request' ? c.src : c.dst,
      server: m.kind === 'request' ? c.dst : c.src,
      transport: c.transport,
      inDialog: m.kind === 'request' ? toTag(m) !== null : false,
      requests: [],
      responses: [],
      acks: [],
      cancelledBy: null,
      cancels: null,
      finalIndex: null,
      finalStatus: null,
      firstProvisionalIndex: null,
      firstIndex: c.index,
      lastIndex: c.index,
      firstTimeUs: c.timeUs,
      lastTimeUs: c.timeUs,
    };
    if (m.kind === 'response') {
      // Only the response was captured: the endpoints are still known from it.
      tx.client = c.dst;
      tx.server = c.src;
    }
    this.transactions.push(tx);
    if (tx.id >= this.seenHead.length) {
      this.seenHead = grown(this.seenHead, tx.id + 1, 0);
      this.seenTail = grown(this.seenTail, tx.id + 1, 0);
      this.requestCounts = grown(this.requestCounts, tx.id + 1, 0);
    }
    if (branch === null) this.by2543.set(key2543(m, c, method), tx.id);
    else {
      const entry = this.byBranch.get(branch);
      if (entry === undefined) this.byBranch.set(branch, tx.id);
      else {
        let map = entry;
        if (typeof map === 'number') {
          const other = this.transactions[map]!;
          map = new Map([[sentByMethod(other.sentBy!, other.method), other.id]]);
          this.byBranch.set(branch, map);
        }
        map.set(sentByMethod(tx.sentBy!, method), tx.id);
      }
    }
    this.seenHead[tx.id] = -1;
    this.seenTail[tx.id] = -1;
    return tx;
  }

  private touch(tx: Transaction, c: CapturedMessage): void {
    tx.lastIndex = c.index;
    tx.lastTimeUs = c.timeUs;
  }

  /** Records a transmission; returns the first index when it repeats an earlier one on this hop. */
  private repeatOf(tx: Transaction, what: string | number, tag: string, seq: number, c: CapturedMessage): number | null {
    const src = endpointKey(c.src);
    const dst = endpointKey(c.dst);
    let first: number | undefined;
    for (let e = this.seenHead[tx.id]!; e >= 0; e = this.seenNext[e]!) {
      if (this.seenWhat[e] === what && this.seenTag[e] === tag && this.seenSeq[e] === seq && this.seenSrc[e] === src && this.seenDst[e] === dst) {
        first = this.seenFirst[e]!;
        break;
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
      const tail = this.seenTail[tx.id]!;
      if (tail < 0) this.seenHead[tx.id] = e;
      else this.seenNext[tail] = e;
      this.seenTail[tx.id] = e;
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
      if (inv && inv.finalStatus !== null && inv.finalStatus >= 300) {
        this.role[c.index] = ACK_OF_FINAL;
        this.touch(inv, c);
        const first = this.repeatOf(inv, method, '', seq, c);
        return { transaction: inv.id, retransmission: first !== null, retransmissionOf: first, ackForNon2xx: true };
      }
    }
    let tx = this.find(m, c, method);
    if (!tx) {
      tx = this.open(c, m, method);
      tx.client = c.src;
      tx.server = c.dst;
      if (method === 'CANCEL') {
        const invTx = this.find(m, c, 'INVITE');
        if (invTx !== undefined) {
          tx.cancels = invTx.id;
          if (invTx.cancelledBy === null) invTx.cancelledBy = tx.id;
        }
      }
    } else if (this.requestCounts[tx.id] === 0) {
      // Responses were seen before any copy of the request (capture started mid-transaction).
      tx.client = c.src;
      tx.server = c.dst;
      tx.inDialog = toTag(m) !== null;
    }
    this.role[c.index] = REQUEST;
    this.requestCounts[tx.id] = this.requestCounts[tx.id]! + 1;
    this.touch(tx, c);
    const first = this.repeatOf(tx, method, '', seq, c);
    return { transaction: tx.id, retransmission: first !== null, retransmissionOf: first };
  }

  private addResponse(c: CapturedMessage, m: SipMessage & { kind: 'response' }): TransactionAnnotation {
    const method = (m.cseq?.method ?? '').toUpperCase();
    const tx = this.find(m, c, method) ?? this.open(c, m, method);
    this.role[c.index] = RESPONSE;
    this.touch(tx, c);
    if (m.status >= 200 && tx.finalIndex === null) {
      tx.finalIndex = c.index;
      tx.finalStatus = m.status;
    } else if (m.status < 200 && tx.firstProvisionalIndex === null) tx.firstProvisionalIndex = c.index;
    // A transmission on this hop: status, To tag, source, destination.
    const first = this.repeatOf(tx, m.status, toTag(m) ?? '', -1, c);
    return { transaction: tx.id, retransmission: first !== null, retransmissionOf: first };
  }

  /**
   * The retransmission chains (every transmission that was repeated at least once), once every
   * message is added. Then the builder's working tables (the transmissions per hop, the lookups
   * by branch, the messages) are dropped: add nothing after. The transactions stay.
   */
  finish(): RetransmissionChain[] {
    this.fillLists();
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
    this.byBranch.clear();
    this.by2543.clear();
    this.chainMembers.clear();
    return out;
  }

  /**
   * The transactions as columns, once `finish` (and whatever reads the objects: the dialogs'
   * finish) is done; the builder lets go of its objects.
   */
  table(): TransactionTable {
    const table = new TransactionTable(this.transactions);
    this.transactions.length = 0;
    return table;
  }

  /** Every transaction's requests, responses and ACKs, each list at its exact length, in the order the messages were added. */
  private fillLists(): void {
    const txs = this.transactions;
    const counts = new Int32Array(txs.length * 3);
    for (let k = 0; k < this.addedCount; k++) {
      const i = this.added[k]!;
      // (An index outside the tables, which the engine never gives, has no role.)
      const r = this.role[i] ?? 0;
      if (r === 0) continue;
      const at = this.txOf[i]! * 3 + r - 1;
      counts[at] = counts[at]! + 1;
    }
    for (let k = 0; k < txs.length; k++) {
      const tx = txs[k]!;
      tx.requests = exactList(counts[tx.id * 3]!);
      tx.responses = exactList(counts[tx.id * 3 + 1]!);
      tx.acks = exactList(counts[tx.id * 3 + 2]!);
    }
    counts.fill(0);
    for (let k = 0; k < this.addedCount; k++) {
      const i = this.added[k]!;
      const r = this.role[i] ?? 0;
      if (r === 0) continue;
      const tx = txs[this.txOf[i]!]!;
      const at = tx.id * 3 + r - 1;
      const list = r === REQUEST ? tx.requests : r === RESPONSE ? tx.responses : tx.acks;
      list[counts[at]!] = i;
      counts[at] = counts[at]! + 1;
    }
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

const NULL_INT = -1;
const RFC2543 = 1;
const IN_DIALOG = 2;
/** Integers per transaction in `TransactionTable.ints`. */
const INTS = 7;
const [CANCELLED_BY, CANCELS, FINAL_INDEX, FINAL_STATUS, FIRST_PROVISIONAL, FIRST_INDEX, LAST_INDEX] = [0, 1, 2, 3, 4, 5, 6] as const;

/** `list` copied into `into` from `at`; returns where it ends. */
function copyInto(into: Int32Array, at: number, list: readonly number[]): number {
  for (let k = 0; k < list.length; k++) into[at++] = list[k]!;
  return at;
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

  constructor(txs: readonly Transaction[]) {
    const n = txs.length;
    this.length = n;
    this.method = new Array<string>(n);
    this.branch = new Array<string | null>(n);
    this.sentBy = new Array<string | null>(n);
    this.callId = new Array<string | null>(n);
    this.client = new Array<Endpoint | null>(n);
    this.server = new Array<Endpoint | null>(n);
    this.transport = new Array<Transport>(n);
    this.flags = new Uint8Array(n);
    this.cseq = new Float64Array(n);
    this.times = new Float64Array(n * 2);
    this.ints = new Int32Array(n * INTS);
    this.listStart = new Int32Array(n * 3 + 1);
    // Indexed loops, no per-transaction arrays: this runs once, mostly unoptimised, where `for…of`
    // allocates an iterator result per step (model.ts, buildModel).
    let total = 0;
    for (let id = 0; id < n; id++) {
      const t = txs[id]!;
      total += t.requests.length + t.responses.length + t.acks.length;
    }
    this.members = new Int32Array(total);
    let at = 0;
    for (let id = 0; id < n; id++) {
      const t = txs[id]!;
      this.method[id] = t.method;
      this.branch[id] = t.branch;
      this.sentBy[id] = t.sentBy;
      this.callId[id] = t.callId;
      this.client[id] = t.client;
      this.server[id] = t.server;
      this.transport[id] = t.transport;
      this.flags[id] = (t.rfc2543 ? RFC2543 : 0) | (t.inDialog ? IN_DIALOG : 0);
      this.cseq[id] = t.cseq ?? NaN;
      this.times[id * 2] = t.firstTimeUs;
      this.times[id * 2 + 1] = t.lastTimeUs;
      const base = id * INTS;
      this.ints[base + CANCELLED_BY] = t.cancelledBy ?? NULL_INT;
      this.ints[base + CANCELS] = t.cancels ?? NULL_INT;
      this.ints[base + FINAL_INDEX] = t.finalIndex ?? NULL_INT;
      this.ints[base + FINAL_STATUS] = t.finalStatus ?? NULL_INT;
      this.ints[base + FIRST_PROVISIONAL] = t.firstProvisionalIndex ?? NULL_INT;
      this.ints[base + FIRST_INDEX] = t.firstIndex ?? NULL_INT;
      this.ints[base + LAST_INDEX] = t.lastIndex ?? NULL_INT;
      this.listStart[id * 3] = at;
      at = copyInto(this.members, at, t.requests);
      this.listStart[id * 3 + 1] = at;
      at = copyInto(this.members, at, t.responses);
      this.listStart[id * 3 + 2] = at;
      at = copyInto(this.members, at, t.acks);
    }
    this.listStart[n * 3] = at;
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
