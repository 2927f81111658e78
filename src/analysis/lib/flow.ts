/**
 * The detectors' shared view of the signalling, built once per analysis from the captured
 * messages (cached by the messages array): every parsed message with its transaction key
 * (Call-ID + top-Via branch + CSeq method, RFC 3261 §17.1.3/§17.2.3), its leg (src → dst) and
 * whether it is a retransmission of an earlier copy on the same leg (§17.1.1.2, §17.2.1) or just
 * the same packet captured twice; dialogs (Call-ID + the two tags, §12) with their 2xx, ACKs,
 * BYEs and the addresses of the two user agents; and the next-hop rules used to judge where a
 * message should have gone: responses to the request's source (RFC 3581 §4, RFC 3261 §18.2.2),
 * requests to the first Route or else the Request-URI (RFC 3261 §8.1.2, §12.2.1.1, §16.12).
 *
 * Everything a detector looks up is indexed here (by call, transaction, dialog, IP pair,
 * destination IP), so that detectors stay linear in the number of messages.
 *
 * This is deliberately independent of the SIP model's internals so that each judgement here is
 * made from what is on the wire at the capture point, copy by copy: a capture taken on one host
 * sees only some hops, and the same message may be seen on both sides of a NAT or a proxy.
 */
import type { Endpoint, Transport } from '../../capture/types.ts';
import { endpointKey } from '../../capture/types.ts';
import { appended, EMPTY, fitAppended, groupLists, numberByKey } from '../../lib/lists.ts';
import { classifyAddress, defaultPort, isIpLiteral, isPrivateLike, maybeSpecial, normalizeHost } from './addr.ts';
import type { CapturedMessage, NameAddr, SdpSummary, SipMessage, SipUri, Via } from '../../sip/types.ts';
import { parsedAgain } from '../../sip/parser.ts';
import { headerNamesOf } from '../../sip/message.ts';

/** Two captures of the same packet closer than this are one packet seen twice, not a retransmission. */
export const DUPLICATE_US = 100_000;

export interface Msg {
  readonly m: CapturedMessage;
  readonly index: number;
  readonly frame: number;
  readonly t: number;
  src: string;
  dst: string;
  readonly srcEp: Endpoint;
  readonly dstEp: Endpoint;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly transport: Transport;
  readonly callId: string;
  /**
   * The message parsed: the parse it had, or, once the engine let the parses go before the
   * detectors ran, the same parse again from its text (a few µs; the last few are kept). For what
   * a detector reads rarely (a reason phrase, a header by name); what it compares on every
   * message is in the fields below.
   */
  readonly sip: SipMessage;
  isReq: boolean;
  /** Request method, or the CSeq method of a response. */
  method: string;
  /** 0 for requests. */
  status: number;
  cseq: number;
  topVia: Via | null;
  readonly branch: string;
  readonly viaCount: number;
  fromTag: string | null;
  toTag: string | null;
  /** The Request-URI (requests; null when unreadable or a response). */
  readonly requestUri: SipUri | null;
  /** Route and Record-Route values, Contact values (lists the parser shares between messages). */
  readonly route: readonly NameAddr[];
  readonly recordRoute: readonly NameAddr[];
  readonly contact: readonly NameAddr[];
  /** What the detectors read of its SDP body (null: none): its addresses, not the whole summary. */
  readonly sdp: SdpAddresses | null;
  /** Tolerated oddities of the parse (sip/types.ts `notes`; one shared empty list for most). */
  readonly notes: readonly string[];
  /** A response's reason phrase (one string per distinct phrase), '' for a request. */
  readonly reason: string;
  /** It carries an Authorization or Proxy-Authorization header (RFC 3261 §22.2, §22.3). */
  readonly hasCredentials: boolean;
  /** Every message of this transaction (top-Via branch + CSeq method within the Call-ID; all legs), capture order. */
  tx: Msg[];
  /** Earliest earlier copy of this same message on the same leg (retransmission or duplicate). */
  firstCopy: Msg | null;
  /** A real retransmission (same message, same leg, later by more than DUPLICATE_US). */
  retransmission: boolean;
  /** The same packet captured twice (same leg, within DUPLICATE_US). */
  duplicate: boolean;
}

/**
 * A flow message: what the detectors compare on every message, beside the captured message it
 * reads the rest from (getters, not copies: a signalling capture has hundreds of thousands). The
 * values are the parse's own (shared between messages by the parser), so the parse itself can go
 * once the flow is built: `sip` parses the message again when a detector asks for the rest.
 */
/** FlowMsg.#bits: four flags, then the status (three digits), then the Via count. */
const IS_REQ = 1;
const RETRANSMISSION = 2;
const DUPLICATE = 4;
const HAS_CREDENTIALS = 8;
const STATUS_SHIFT = 4;
const STATUS_MASK = 0x3ff;
const VIA_SHIFT = 14;
/** The largest Via count the bits hold (18 bits); a message with more keeps its count in `FlowLists`. */
const VIA_MAX = 0x3ffff;
/**
 * Route, Record-Route and notes, for the few messages that have any (one object instead of three
 * fields each), and the Via count of a message with more than VIA_MAX Vias.
 */
interface FlowLists {
  route: readonly NameAddr[];
  recordRoute: readonly NameAddr[];
  notes: readonly string[];
  viaCount?: number;
}
const NO_NAME_ADDRS: readonly NameAddr[] = Object.freeze([]);
const NO_NOTES: readonly string[] = Object.freeze([]);

/**
 * The addresses of an SDP body the detectors compare (RFC 4566 §5.2 o=, §5.7 c=). The flow keeps
 * these rather than the parser's summary: once the parses go, a summary (origin, media lines,
 * their lists) was ~230 bytes per SDP body kept through the detectors for three strings (~9 MB on
 * the bench's sip-dense file, 40,000 bodies).
 */
export interface SdpAddresses {
  /** Where its first stream goes: the first m= line's address (its own c=, else the session's). */
  readonly media: string | null;
  /** The session-level c=, else the first m= line's that has one. */
  readonly session: string | null;
  /** The o= line's address. */
  readonly origin: string | null;
}

/** One SdpAddresses per summary (the parser shares a summary between messages with the same body). */
const sdpAddressesOf = new WeakMap<SdpSummary, SdpAddresses>();
function sdpAddresses(s: SdpSummary | null): SdpAddresses | null {
  if (s === null) return null;
  let a = sdpAddressesOf.get(s);
  if (a === undefined) {
    a = Object.freeze({ media: s.media[0]?.connection ?? s.connection, session: s.connection ?? s.media.find((m) => m.connection)?.connection ?? null, origin: s.origin?.address ?? null });
    sdpAddressesOf.set(s, a);
  }
  return a;
}

class FlowMsg implements Msg {
  firstCopy: Msg | null = null;
  dialog: Dialog | null = null;
  readonly callId: string;
  readonly contact: readonly NameAddr[];
  readonly sdp: SdpAddresses | null;
  /** A request's Request-URI (an object, or null), a response's reason phrase (a string): one field for the two. */
  readonly #word: SipUri | string | null;
  /**
   * Flags (request, retransmission, duplicate, credentials), the status and the Via count, in one
   * 32-bit integer: seven fields of 8 bytes were ~1 MB per 20,000 messages.
   */
  #bits: number;
  #lists: FlowLists | null;
  constructor(
    readonly m: CapturedMessage,
    sip: SipMessage,
    public src: string,
    public dst: string,
    isReq: boolean,
    public method: string,
    status: number,
    public cseq: number,
    public topVia: Via | null,
    public fromTag: string | null,
    public toTag: string | null,
    public tx: Msg[],
  ) {
    this.callId = sip.callId!;
    this.#word = sip.kind === 'request' ? sip.requestUri : sip.reason;
    this.contact = sip.contact;
    this.sdp = sdpAddresses(sip.sdp);
    const names = headerNamesOf(sip);
    const credentials = names.includes('Authorization') || names.includes('Proxy-Authorization');
    const vias = sip.via.length;
    this.#bits = (isReq ? IS_REQ : 0) | (credentials ? HAS_CREDENTIALS : 0) | ((status & STATUS_MASK) << STATUS_SHIFT) | (Math.min(vias, VIA_MAX) << VIA_SHIFT);
    this.#lists =
      sip.route.length > 0 || sip.recordRoute.length > 0 || sip.notes.length > 0 || vias >= VIA_MAX
        ? { route: sip.route, recordRoute: sip.recordRoute, notes: sip.notes, ...(vias >= VIA_MAX ? { viaCount: vias } : {}) }
        : null;
  }
  get isReq(): boolean {
    return (this.#bits & IS_REQ) !== 0;
  }
  /**
   * What is derived from other fields rather than kept (8 bytes a field a message): the
   * addresses from the captured message's endpoints, the transaction's branch from the top Via.
   */
  get srcIp(): string {
    return normalizeHost(this.m.src.ip);
  }
  get dstIp(): string {
    return normalizeHost(this.m.dst.ip);
  }
  get branch(): string {
    return flowBranch(this.topVia, this.cseq, this.fromTag);
  }
  get requestUri(): SipUri | null {
    const w = this.#word;
    return typeof w === 'string' ? null : w;
  }
  get reason(): string {
    const w = this.#word;
    return typeof w === 'string' ? w : '';
  }
  get status(): number {
    return (this.#bits >>> STATUS_SHIFT) & STATUS_MASK;
  }
  get viaCount(): number {
    return this.#lists?.viaCount ?? this.#bits >>> VIA_SHIFT;
  }
  get hasCredentials(): boolean {
    return (this.#bits & HAS_CREDENTIALS) !== 0;
  }
  get retransmission(): boolean {
    return (this.#bits & RETRANSMISSION) !== 0;
  }
  set retransmission(v: boolean) {
    this.#bits = v ? this.#bits | RETRANSMISSION : this.#bits & ~RETRANSMISSION;
  }
  get duplicate(): boolean {
    return (this.#bits & DUPLICATE) !== 0;
  }
  set duplicate(v: boolean) {
    this.#bits = v ? this.#bits | DUPLICATE : this.#bits & ~DUPLICATE;
  }
  get route(): readonly NameAddr[] {
    return this.#lists?.route ?? NO_NAME_ADDRS;
  }
  get recordRoute(): readonly NameAddr[] {
    return this.#lists?.recordRoute ?? NO_NAME_ADDRS;
  }
  get notes(): readonly string[] {
    return this.#lists?.notes ?? NO_NOTES;
  }
  get sip(): SipMessage {
    return this.m.sip ?? parsedOnDemand(this);
  }
  get index(): number {
    return this.m.index;
  }
  get frame(): number {
    return this.m.frame;
  }
  get t(): number {
    return this.m.timeUs;
  }
  get srcEp(): Endpoint {
    return this.m.src;
  }
  get dstEp(): Endpoint {
    return this.m.dst;
  }
  get transport(): Transport {
    return this.m.transport;
  }
}

/** A message's transaction branch: its top Via's, or one made of its CSeq number and From tag when it has none. */
function flowBranch(topVia: Via | null, cseq: number, fromTag: string | null): string {
  return topVia?.branch ?? `nobranch:${cseq}:${fromTag ?? ''}`;
}

/** Messages parsed again on demand, the latest few kept (a detector asks about one message a few times in a row). */
const reparsed = new Map<CapturedMessage, SipMessage>();
const REPARSED_KEPT = 64;

function parsedOnDemand(x: FlowMsg): SipMessage {
  const m = x.m;
  let p = reparsed.get(m);
  if (p === undefined) {
    // A flow message was made from a parse, and the parser is deterministic: it parses again —
    // unless its text, left in the file, can no longer be read (the file changed under the
    // analysis; the engine warns): then what the flow holds of it, without the rest.
    p = parsedAgain(m) ?? fromFlow(x);
    if (reparsed.size >= REPARSED_KEPT) reparsed.delete(reparsed.keys().next().value!);
    reparsed.set(m, p);
  }
  return p;
}

/** The message as far as its flow fields say: no text, no other headers, only the top Via. */
function fromFlow(x: FlowMsg): SipMessage {
  const base = {
    headers: [],
    via: x.topVia ? [x.topVia] : [],
    from: null,
    to: null,
    contact: x.contact,
    contactStar: false,
    recordRoute: x.recordRoute,
    route: x.route,
    callId: x.callId,
    cseq: { seq: x.cseq, method: x.method },
    contentLength: null,
    contentType: null,
    body: '',
    // Only its addresses are known here (SdpAddresses).
    sdp: x.sdp === null ? null : { origin: x.sdp.origin === null ? null : { username: '', sessionId: '', sessionVersion: 0, address: x.sdp.origin }, connection: x.sdp.session, media: [] },
    notes: x.notes,
    raw: '',
    headerLength: 0,
  };
  return x.isReq
    ? { ...base, kind: 'request', method: x.method, requestUri: x.requestUri, requestUriRaw: x.requestUri?.raw ?? '' }
    : { ...base, kind: 'response', status: x.status, reason: x.reason };
}

export interface Dialog {
  key: string;
  callId: string;
  callerTag: string;
  calleeTag: string;
  /** Copies of the initial INVITE (all legs). */
  invites: Msg[];
  /** Copies of the 2xx to the initial INVITE (all legs, retransmissions included). */
  oks: Msg[];
  /** ACKs for the 2xx (CSeq number of the INVITE). */
  acks: Msg[];
  /** Every message carrying both tags (in-dialog requests and their responses), capture order. */
  messages: Msg[];
  byes: Msg[];
  byeFinals: Msg[];
  establishedT: number;
  /** First ACK (or other in-dialog request from the caller), or null. */
  confirmedT: number | null;
  /** First BYE seen, or null. */
  byeT: number | null;
  /** First final response to a BYE, or null. */
  endT: number | null;
  /**
   * First final response to a BYE that proves it reached the peer: anything but 408 (a 408 is a
   * proxy or the UAC giving up — the BYE was not delivered, RFC 3261 §16.7, §17.1.2.2), or null.
   */
  byeDeliveredT: number | null;
  /** The caller's UA as seen: source of the INVITE copy with fewest Vias. */
  callerUa: string;
  /** The callee's UA as seen: source of the 2xx copy with most Vias. */
  calleeUa: string;
  callerUaEp: Endpoint;
  calleeUaEp: Endpoint;
}

export interface Flow {
  messages: readonly CapturedMessage[];
  msgs: Msg[];
  /** Parsed message by message index. */
  byIndex: Array<Msg | undefined>;
  calls: Map<string, Msg[]>;
  /** The same lists, in the same order (first appearance), for a loop over the calls that makes no entry per call. */
  callLists: Msg[][];
  /** Every transaction's messages (all legs), each list in capture order. */
  txs: Msg[][];
  dialogs: Dialog[];
  /** The dialog of a message (read from the message: no map of one entry per message). */
  dialogOf: { get(x: Msg): Dialog | undefined };
  /** Dialogs per Call-ID. */
  dialogsByCall: Map<string, Dialog[]>;
  /** Lazily built indexes: use the accessor functions below. */
  lazy: {
    traffic?: PairTraffic;
    requestsToIp?: Map<string, Msg[]>;
    requestsToEndpoint?: Map<string, Msg[]>;
    directions?: Set<string>;
    sources?: Set<string>;
    nat?: Map<string, Set<string>>;
    nattedSources?: Set<string>;
  };
}

export interface PairTraffic {
  /** Every SIP payload (parsed or not, keep-alives included) by unordered IP:port pair, capture order. */
  byPair: Map<string, CapturedMessage[]>;
  /** Position of each message (by index) in its pair's list. */
  pos: Int32Array;
}

const cache = new WeakMap<readonly CapturedMessage[], Flow>();

/**
 * Forget the index built for these messages. The detectors share it while they run; kept after
 * that, it lived as long as the messages (all of an open capture in the worker) for nothing.
 */
export function releaseFlow(messages: readonly CapturedMessage[]): void {
  cache.delete(messages);
  reparsed.clear();
}

export function getFlow(messages: readonly CapturedMessage[]): Flow {
  let f = cache.get(messages);
  if (!f) {
    f = buildFlow(messages, false);
    cache.set(messages, f);
  }
  return f;
}

/**
 * Builds the flow the detectors will share, letting go of each message's parse (`sip: null`) once
 * its flow message holds what the detectors compare: the parses are garbage as the index grows,
 * rather than all alive until it is done (on sip-dense the smallest Node heap that analyses the
 * file whole went from 330–340 to 315–320 MiB). Messages the flow leaves out (unparsed, no
 * Call-ID or CSeq) keep theirs. For the engine, which owns the messages.
 */
export function indexFlowReleasingParses(messages: CapturedMessage[]): void {
  if (!cache.has(messages)) cache.set(messages, buildFlow(messages, true));
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function tagOf(na: NameAddr | null): string | null {
  const t = na?.params['tag'];
  return t === undefined || t === null || t === '' ? null : t;
}

function upper(s: string): string {
  // Methods are nearly always written upper-case already: avoid a new string then.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return s.toUpperCase();
  }
  return s;
}

/** Same message on the same leg: same direction, kind, method, and for responses status and To-tag. */
function sameCopy(a: Msg, b: Msg): boolean {
  return a.src === b.src && a.dst === b.dst && a.isReq === b.isReq && a.method === b.method && (a.isReq || (a.status === b.status && a.toTag === b.toTag));
}

/**
 * The transactions of one call. Most calls have a handful, found by a linear scan without
 * building any key; a call with many (a long-lived Call-ID reused for refreshes) switches to a
 * Map keyed by branch and method. A transaction is its id in buildFlow's tables, which hold its
 * branch and CSeq method (`TxKeys`): an object per transaction and a 17-slot list per call lived
 * through the build, to be thrown away after it (~10 MB on sip-udp-100MB).
 */
interface CallTx {
  /** Position among the calls (first appearance order). */
  call: number;
  /** Its transactions' ids (lib/lists.ts `appended`). */
  txs: number[];
  map: Map<string, number> | null;
}
/** Each transaction's branch and CSeq method, by transaction id. */
interface TxKeys {
  branch: string[];
  method: string[];
}
const TX_SCAN = 8;

function findTx(e: CallTx, keys: TxKeys, branch: string, method: string): number | undefined {
  if (e.map) return e.map.get(`${branch}|${method}`);
  const txs = e.txs;
  for (let k = 0; k < txs.length; k++) {
    const tx = txs[k]!;
    if (keys.branch[tx] === branch && keys.method[tx] === method) return tx;
  }
  return undefined;
}

function addTx(e: CallTx, keys: TxKeys, branch: string, method: string, tx: number): void {
  keys.branch.push(branch);
  keys.method.push(method);
  if (e.map) {
    e.map.set(`${branch}|${method}`, tx);
    return;
  }
  e.txs = appended(e.txs, tx);
  if (e.txs.length > TX_SCAN) {
    e.map = new Map();
    for (const t of e.txs) e.map.set(`${keys.branch[t]!}|${keys.method[t]!}`, t);
  }
}

/** How far back in a transaction to look for an earlier copy (transactions are short; this bounds odd ones). */
const COPY_LOOKBACK = 64;

/** A message's transaction list until buildFlow gives it the real one. */
const NO_TX: Msg[] = [];

/**
 * The flow in two passes. The first makes the flow messages and numbers their calls and
 * transactions, linking each message to the one before it in its transaction (for the copy
 * lookback); the second gives every transaction and call its list at its exact length. Grown by
 * push through the whole pass and cut to length at the end instead, the lists (one per
 * transaction and per call, a capture's transactions spanning its whole length) left ~90 bytes
 * per message of discarded copies that outlived the young generation.
 */
function buildFlow(messages: readonly CapturedMessage[], releaseParses: boolean): Flow {
  const n = messages.length;
  const msgs: Msg[] = new Array<Msg>(n);
  const byIndex: Array<Msg | undefined> = new Array<Msg | undefined>(n);
  const calls = new Map<string, Msg[]>();
  const callIds: string[] = [];
  const txByCall = new Map<string, CallTx>();
  const txKeys: TxKeys = { branch: [], method: [] };
  // Per flow message: its transaction, its call, the message before it in its transaction.
  const txOf = new Int32Array(n);
  const callOf = new Int32Array(n);
  const prevInTx = new Int32Array(n);
  // Per transaction and per call: how many messages, and (transactions) the last one so far.
  const txSize = new Int32Array(n);
  const txLast = new Int32Array(n);
  const callSize = new Int32Array(n);
  let count = 0;
  let txCount = 0;

  for (let mAt = 0; mAt < messages.length; mAt++) {
    const m = messages[mAt]!;
    const sip = m.sip;
    if (!sip || !sip.callId || !sip.cseq) continue;
    const isReq = sip.kind === 'request';
    const cseqMethod = upper(sip.cseq.method);
    const method = isReq ? upper(sip.method) : cseqMethod;
    const topVia = sip.via[0] ?? null;
    const fromTag = tagOf(sip.from);
    const toTag = tagOf(sip.to);
    const branch = flowBranch(topVia, sip.cseq.seq, fromTag);
    // ACK to a non-2xx shares the INVITE's branch; its own key keeps it apart from the INVITE.
    let entry = txByCall.get(sip.callId);
    if (!entry) {
      entry = { call: callIds.length, txs: EMPTY, map: null };
      txByCall.set(sip.callId, entry);
      callIds.push(sip.callId);
      calls.set(sip.callId, NO_TX);
    }
    let tx = findTx(entry, txKeys, branch, cseqMethod);
    if (tx === undefined) {
      tx = txCount++;
      addTx(entry, txKeys, branch, cseqMethod, tx);
    }
    const msg = new FlowMsg(
      m,
      sip,
      endpointKey(m.src),
      endpointKey(m.dst),
      isReq,
      method,
      isReq ? 0 : sip.status,
      sip.cseq.seq,
      topVia,
      fromTag,
      toTag,
      NO_TX,
    );
    // The latest earlier copy on the same leg.
    const k = count++;
    const before = txSize[tx]! > 0 ? txLast[tx]! : -1;
    for (let j = before, seen = 0; j >= 0 && seen < COPY_LOOKBACK; j = prevInTx[j]!, seen++) {
      const prev = msgs[j]!;
      if (!sameCopy(prev, msg)) continue;
      msg.firstCopy = prev.firstCopy ?? prev;
      // Compare with the latest copy: a duplicate is within DUPLICATE_US of the one before.
      if (msg.t - prev.t < DUPLICATE_US) msg.duplicate = true;
      else msg.retransmission = true;
      break;
    }
    prevInTx[k] = before;
    txLast[tx] = k;
    txSize[tx] = txSize[tx]! + 1;
    txOf[k] = tx;
    callOf[k] = entry.call;
    callSize[entry.call] = callSize[entry.call]! + 1;
    msgs[k] = msg;
    byIndex[m.index] = msg;
    if (releaseParses) m.sip = null;
  }
  msgs.length = count;

  // Every transaction's and call's list at its exact length, in capture order.
  const txs: Msg[][] = new Array<Msg[]>(txCount);
  for (let t = 0; t < txCount; t++) txs[t] = new Array<Msg>(txSize[t]!);
  const callLists: Msg[][] = new Array<Msg[]>(callIds.length);
  for (let c = 0; c < callIds.length; c++) callLists[c] = new Array<Msg>(callSize[c]!);
  const txFill = txLast.fill(0, 0, txCount);
  const callFill = callSize.fill(0, 0, callIds.length);
  for (let k = 0; k < count; k++) {
    const x = msgs[k]!;
    const t = txOf[k]!;
    const c = callOf[k]!;
    const list = txs[t]!;
    list[txFill[t]!] = x;
    txFill[t] = txFill[t]! + 1;
    x.tx = list;
    callLists[c]![callFill[c]!] = x;
    callFill[c] = callFill[c]! + 1;
  }
  // Set again in the first-appearance order the Map already has.
  for (let c = 0; c < callIds.length; c++) calls.set(callIds[c]!, callLists[c]!);

  const { dialogs, dialogOf } = buildDialogs(calls);
  const dialogsByCall = new Map<string, Dialog[]>();
  for (let dAt = 0; dAt < dialogs.length; dAt++) {
    const d = dialogs[dAt]!;
    let l = dialogsByCall.get(d.callId);
    if (!l) dialogsByCall.set(d.callId, (l = []));
    l.push(d);
  }
  return { messages, msgs, byIndex, calls, callLists, txs, dialogs, dialogOf, dialogsByCall, lazy: {} };
}

/** SIP traffic (parsed or not, keep-alives included) per unordered IP:port pair, for idle gaps. */
export function pairTraffic(flow: Flow): PairTraffic {
  if (flow.lazy.traffic) return flow.lazy.traffic;
  // Two passes (lib/lists.ts `numberByKey`): each message's pair numbered and counted, then each
  // pair's list made at its length and filled.
  const messages = flow.messages;
  const n = messages.length;
  const grouped = numberByKey(n, (mAt) => pairKey(endpointKey(messages[mAt]!.src), endpointKey(messages[mAt]!.dst)));
  const keys = grouped.keys;
  const pos = new Int32Array(n);
  const lists = groupLists(
    grouped,
    (mAt) => messages[mAt]!,
    (mAt, at) => {
      pos[messages[mAt]!.index] = at;
    },
  );
  const byPair = new Map<string, CapturedMessage[]>();
  for (let p = 0; p < keys.length; p++) byPair.set(keys[p]!, lists[p]!);
  return (flow.lazy.traffic = { byPair, pos });
}

/** Requests per destination IP (capture order). */
export function requestsToIp(flow: Flow, ip: string): Msg[] {
  return (flow.lazy.requestsToIp ??= requestsBy(flow, (x) => x.dstIp)).get(ip) ?? [];
}

/** Requests per destination "ip:port" (`Msg.dst`), in capture order. */
export function requestsToEndpoint(flow: Flow, dst: string): Msg[] {
  return (flow.lazy.requestsToEndpoint ??= requestsBy(flow, (x) => x.dst)).get(dst) ?? [];
}

function requestsBy(flow: Flow, keyOf: (x: Msg) => string): Map<string, Msg[]> {
  const idx = new Map<string, Msg[]>();
  for (const x of flow.msgs) {
    if (!x.isReq) continue;
    const k = keyOf(x);
    const r = idx.get(k);
    if (r) r.push(x);
    else idx.set(k, [x]);
  }
  return idx;
}

/** The dialog of a tag pair (either order) among a call's few dialogs. */
function findDialog(ds: Dialog[], a: string, b: string): Dialog | undefined {
  for (const d of ds) if ((d.callerTag === a && d.calleeTag === b) || (d.callerTag === b && d.calleeTag === a)) return d;
  return undefined;
}

/** Dialog key within one call: the two tags, in sorted order. */
function dialogKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * A call's INVITE requests, read once when its first 2xx to an INVITE needs them (a call may hold
 * thousands of re-INVITEs answered 2xx; each scanned the call): the initial ones (no To tag) by
 * "CSeq From-tag", in call order, and the CSeq numbers of those with a To tag.
 */
interface CallInvites {
  initial: Map<string, Msg[]>;
  inDialogCseqs: Set<Msg['cseq']>;
}

function callInvites(list: readonly Msg[]): CallInvites {
  const initial = new Map<string, Msg[]>();
  const inDialogCseqs = new Set<Msg['cseq']>();
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!;
    if (!x.isReq || x.method !== 'INVITE') continue;
    if (x.toTag) inDialogCseqs.add(x.cseq);
    else if (x.fromTag) {
      const k = `${x.cseq} ${x.fromTag}`;
      const l = initial.get(k);
      if (l) l.push(x);
      else initial.set(k, [x]);
    }
  }
  return { initial, inDialogCseqs };
}

/** Flow.dialogOf: each flow message carries its dialog. */
const DIALOG_OF = { get: (x: Msg): Dialog | undefined => (x as FlowMsg).dialog ?? undefined };

function buildDialogs(calls: Map<string, Msg[]>): { dialogs: Dialog[]; dialogOf: Flow['dialogOf'] } {
  const dialogs: Dialog[] = [];
  const dialogOf = { set: (x: Msg, d: Dialog): void => void ((x as FlowMsg).dialog = d) };
  for (const [callId, list] of calls) {
    // Dialog-creating 2xx first: most calls have none or one, so nothing is allocated before.
    let created: Dialog[] | null = null;
    let invitesOf: CallInvites | null = null;
    // The dialogs made so far by tag pair, once there are more than a scan's worth (a 2xx from each of many forks).
    let createdByKey: Map<string, Dialog> | null = null;
    for (let rAt = 0; rAt < list.length; rAt++) {
      const r = list[rAt]!;
      if (r.isReq || r.method !== 'INVITE' || r.status < 200 || r.status >= 300 || !r.fromTag || !r.toTag) continue;
      if (created && (createdByKey ? createdByKey.has(dialogKey(r.fromTag, r.toTag)) : findDialog(created, r.fromTag, r.toTag))) continue;
      // The initial INVITE: same CSeq, no To-tag, same From-tag.
      invitesOf ??= callInvites(list);
      // A copy at its length: callInvites' lists are grown by push, and go with the call's lookup.
      const initial = invitesOf.initial.get(`${r.cseq} ${r.fromTag}`);
      const invites = initial === undefined ? EMPTY : initial.slice();
      if (invites.length === 0 && invitesOf.inDialogCseqs.has(r.cseq)) {
        continue; // a 2xx to a re-INVITE of a dialog whose start was not captured: treated below
      }
      const d: Dialog = {
        key: `${callId}|${dialogKey(r.fromTag, r.toTag)}`,
        callId,
        callerTag: r.fromTag,
        calleeTag: r.toTag,
        invites,
        oks: EMPTY,
        acks: EMPTY,
        messages: EMPTY,
        byes: EMPTY,
        byeFinals: EMPTY,
        establishedT: r.t,
        confirmedT: null,
        byeT: null,
        endT: null,
        byeDeliveredT: null,
        callerUa: '',
        calleeUa: '',
        callerUaEp: r.dstEp,
        calleeUaEp: r.srcEp,
      };
      (created ??= []).push(d);
      dialogs.push(d);
      if (createdByKey) createdByKey.set(dialogKey(d.callerTag, d.calleeTag), d);
      else if (created.length > TX_SCAN) createdByKey = new Map(created.map((x) => [dialogKey(x.callerTag, x.calleeTag), x]));
    }
    if (!created) continue;
    // One pass over the call: each message with both tags belongs to the dialog of its tag pair.
    for (let xAt = 0; xAt < list.length; xAt++) {
      const x = list[xAt]!;
      if (x.fromTag === null || x.toTag === null) continue;
      const d = createdByKey ? createdByKey.get(dialogKey(x.fromTag, x.toTag)) : findDialog(created, x.fromTag, x.toTag);
      if (!d) continue;
      d.messages = appended(d.messages, x);
      dialogOf.set(x, d);
      const inviteCseq = d.invites[0]?.cseq ?? null;
      const isInitial = inviteCseq === null ? true : x.cseq === inviteCseq;
      if (!x.isReq && x.method === 'INVITE' && x.status >= 200 && x.status < 300 && isInitial && x.fromTag === d.callerTag) d.oks = appended(d.oks, x);
      if (x.isReq && x.method === 'ACK' && isInitial) d.acks = appended(d.acks, x);
      if (x.isReq && x.fromTag === d.callerTag && x.method !== 'INVITE' && d.confirmedT === null) d.confirmedT = x.t;
      if (x.isReq && x.method === 'BYE') {
        d.byes = appended(d.byes, x);
        if (d.byeT === null) d.byeT = x.t;
      }
      if (!x.isReq && x.method === 'BYE' && x.status >= 200) {
        d.byeFinals = appended(d.byeFinals, x);
        if (d.endT === null) d.endT = x.t;
        if (d.byeDeliveredT === null && x.status !== 408) d.byeDeliveredT = x.t;
      }
    }
    for (let dAt = 0; dAt < created.length; dAt++) {
      const d = created[dAt]!;
      for (let iAt = 0; iAt < d.invites.length; iAt++) {
        const i = d.invites[iAt]!;
        dialogOf.set(i, d);
      }
      let minVia = Infinity;
      let callerUa: Msg | null = null;
      for (let iAt = 0; iAt < d.invites.length; iAt++) {
        const i = d.invites[iAt]!;
        if (i.viaCount < minVia) {
          minVia = i.viaCount;
          callerUa = i;
        }
      }
      let maxVia = -1;
      let calleeUa: Msg | null = null;
      for (let oAt = 0; oAt < d.oks.length; oAt++) {
        const o = d.oks[oAt]!;
        if (o.viaCount > maxVia) {
          maxVia = o.viaCount;
          calleeUa = o;
        }
      }
      if (callerUa) d.callerUaEp = callerUa.srcEp;
      else if (d.oks[0]) d.callerUaEp = d.oks.reduce((a, b) => (b.viaCount < a.viaCount ? b : a)).dstEp;
      if (calleeUa) d.calleeUaEp = calleeUa.srcEp;
      d.callerUa = endpointKey(d.callerUaEp);
      d.calleeUa = endpointKey(d.calleeUaEp);
      const firstOk = d.oks[0];
      if (firstOk) d.establishedT = firstOk.t;
      // At their length (lib/lists.ts): six lists per dialog, one dialog per call. Built by
      // `appended`, a short list is exact already (pushed into and then fitted, each left a
      // 17-slot copy that outlived the young generation: ~37 MB on sip-udp-100MB); the
      // initial INVITE's copies are a copy at their length.
      d.oks = fitAppended(d.oks);
      d.acks = fitAppended(d.acks);
      d.messages = fitAppended(d.messages);
      d.byes = fitAppended(d.byes);
      d.byeFinals = fitAppended(d.byeFinals);
    }
  }
  return { dialogs, dialogOf: DIALOG_OF };
}

/**
 * Every IP that sent or received a message of the dialog (initial INVITE included), in the order
 * first seen: the INVITE copies, then the dialog's messages. Made when asked (one detector asks,
 * for the dialogs over TCP/TLS), not kept per dialog.
 */
export function dialogIps(d: Dialog): string[] {
  const ips = new Set<string>();
  for (const i of d.invites) ips.add(i.srcIp).add(i.dstIp);
  for (const x of d.messages) ips.add(x.srcIp).add(x.dstIp);
  return [...ips];
}

// ---------------------------------------------------------------------------------------------
// Transactions

/** Copies of the request of `resp`'s transaction that were received by the response's sender. */
export function requestsAnswered(_flow: Flow, resp: Msg): Msg[] {
  const reqs = resp.tx.filter((r) => r.isReq && r.method === resp.method && r.t <= resp.t);
  const exact = reqs.filter((r) => r.dst === resp.src);
  if (exact.length > 0) return exact;
  return reqs.filter((r) => r.dstIp === resp.srcIp);
}

/** Responses (any copy) sent back to the sender of `req` by the node it was sent to. */
export function responsesTo(_flow: Flow, req: Msg): Msg[] {
  return req.tx.filter((r) => isResponseTo(r, req));
}

/** `responsesTo`'s test for one message of the request's transaction. */
export function isResponseTo(r: Msg, req: Msg): boolean {
  return !r.isReq && r.method === req.method && r.t >= req.t && (r.src === req.dst || r.dstIp === req.srcIp || r.dst === req.src);
}

/** Responses of the transaction seen anywhere in the capture (any leg). */
export function anyResponses(_flow: Flow, req: Msg): Msg[] {
  return req.tx.filter((r) => !r.isReq && r.method === req.method);
}

/** All copies of a request on the leg of `req` (first copy and retransmissions, duplicates excluded). */
export function legCopies(_flow: Flow, req: Msg): Msg[] {
  const first = req.firstCopy ?? req;
  return req.tx.filter((x) => (x === first || x.firstCopy === first) && !x.duplicate);
}

// ---------------------------------------------------------------------------------------------
// Addresses and next hops

/** Transport named by a URI (transport= parameter, sips: → tls), or null when unsaid. */
export function uriTransport(u: SipUri): string | null {
  const t = u.params['transport'];
  if (typeof t === 'string' && t !== '') return t.toLowerCase();
  if (u.scheme === 'sips') return 'tls';
  return null;
}

/** The endpoint a URI designates when its host is an IP literal (default port by transport), else null. */
export function uriEndpoint(u: SipUri, fallbackTransport: string): Endpoint | null {
  if (!isIpLiteral(u.host)) return null;
  const t = uriTransport(u) ?? fallbackTransport;
  return { ip: normalizeHost(u.host), port: u.port ?? defaultPort(u.scheme === 'sips' ? 'sips' : t) };
}

export function sameEp(a: Endpoint | null | undefined, b: Endpoint | null | undefined): boolean {
  if (!a || !b) return false;
  return a.port === b.port && normalizeHost(a.ip) === normalizeHost(b.ip);
}

/** True when the Via/Contact host is a private-like IP literal while the packet came from a public address. */
export function privateBehindPublic(host: string, srcIp: string): boolean {
  return isPrivateLike(host) && isIpLiteral(host) && !isPrivateLike(srcIp);
}

/**
 * True when an address written in a header cannot be reached by whoever receives the packet from
 * `srcIp`: a private-like address behind a public source (NAT), or a loopback address written by
 * a host that is not itself on loopback.
 */
export function unreachableFrom(host: string, srcIp: string): boolean {
  if (!maybeSpecial(host) || !isIpLiteral(host)) return false;
  if (classifyAddress(host) === 'loopback') return classifyAddress(srcIp) !== 'loopback';
  return privateBehindPublic(host, srcIp);
}

/** The loose-routing next hop of a request as sent: first Route (that is not the sender), else the Request-URI. */
export function requestNextHop(x: Msg): { ep: Endpoint; why: string } | null {
  if (!x.isReq) return null;
  for (const r of x.route) {
    const u = r.uri;
    if (!u) continue;
    const e = uriEndpoint(u, x.transport);
    if (!e) return null; // a host name: cannot judge without DNS
    if (normalizeHost(e.ip) === x.srcIp) continue; // the sender's own Route entry (double record-route)
    const strict = !('lr' in u.params);
    if (strict) return null; // strict routing (RFC 2543) is out of scope for this judgement
    return { ep: e, why: `the first Route header <${u.raw}>` };
  }
  const ru = x.requestUri;
  if (!ru) return null;
  const e = uriEndpoint(ru, x.transport);
  if (!e) return null;
  return { ep: e, why: `the Request-URI ${ru.raw}` };
}

/** The Contact URI of a message, if exactly readable. */
export function contactUri(x: Msg): SipUri | null {
  return x.contact[0]?.uri ?? null;
}

/**
 * Public addresses under which a private Contact/Via address was seen (the NAT's mapping): for a
 * private host, every packet source that carried that host in its Via sent-by or Contact.
 */
export function natMappings(flow: Flow): Map<string, Set<string>> {
  if (flow.lazy.nat) return flow.lazy.nat;
  const out = new Map<string, Set<string>>();
  const add = (h: string, x: Msg): void => {
    if (!privateBehindPublic(h, x.srcIp)) return;
    const k = normalizeHost(h);
    let s = out.get(k);
    if (!s) out.set(k, (s = new Set()));
    s.add(x.src);
  };
  for (const x of flow.msgs) {
    if (x.isReq && x.topVia) add(x.topVia.host, x);
    const c = contactUri(x);
    if (c) add(c.host, x);
  }
  flow.lazy.nat = out;
  return out;
}

/** Every public source address:port that stood for a private Via/Contact host (the NATed user agents as seen). */
export function nattedSources(flow: Flow): Set<string> {
  if (flow.lazy.nattedSources) return flow.lazy.nattedSources;
  const s = new Set<string>();
  for (const v of natMappings(flow).values()) for (const e of v) s.add(e);
  flow.lazy.nattedSources = s;
  return s;
}

function directionIndex(flow: Flow): { directions: Set<string>; sources: Set<string> } {
  if (!flow.lazy.directions || !flow.lazy.sources) {
    const directions = new Set<string>();
    const sources = new Set<string>();
    let lastSrc = '';
    let lastDst = '';
    for (const x of flow.msgs) {
      if (x.srcIp === lastSrc && x.dstIp === lastDst) continue;
      lastSrc = x.srcIp;
      lastDst = x.dstIp;
      directions.add(`${x.srcIp}>${x.dstIp}`);
      sources.add(x.srcIp);
    }
    flow.lazy.directions = directions;
    flow.lazy.sources = sources;
  }
  return { directions: flow.lazy.directions, sources: flow.lazy.sources };
}

/** True when messages were captured in both directions between two IPs (the capture is not one-sided there). */
export function sawBothDirections(flow: Flow, aIp: string, bIp: string): boolean {
  const { directions } = directionIndex(flow);
  return directions.has(`${aIp}>${bIp}`) && directions.has(`${bIp}>${aIp}`);
}

/** True when anything at all was captured coming from `ip` (SIP). */
export function sawFrom(flow: Flow, ip: string): boolean {
  return directionIndex(flow).sources.has(ip);
}

export function isDialogCreating2xx(x: Msg): boolean {
  return !x.isReq && x.method === 'INVITE' && x.status >= 200 && x.status < 300;
}
