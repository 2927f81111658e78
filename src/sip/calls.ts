/**
 * Calls: everything under one Call-ID (RFC 3261 §8.1.1.4), with what happened to it, and the legs
 * of one call through a B2BUA/SBC joined together.
 *
 * An INVITE Call-ID's state is read from its last initial-INVITE attempt (a 401/407 challenge is
 * followed by a new attempt with a higher CSeq, §22.2): "answered" (a 2xx, still up at capture
 * end), "completed" (ended by BYE, §15), "busy" (486/600), "rejected" (another 4xx-6xx), "redirected"
 * (3xx), "cancelled" (CANCEL, §9, and 487), "timed-out" (408, or no response at all for 64·T1 =
 * 32 s: Timer B, §17.1.1.2), "in-progress" (no final yet when the capture ends). A 2xx that crossed
 * a CANCEL wins (§9.2: the CANCEL has no effect on a transaction that already has a final).
 * Other Call-IDs: REGISTER → "registered"/"unregistered" (Expires 0, §10.2.2)/"auth-challenged"/
 * "failed"/"timed-out"/"in-progress"; OPTIONS, MESSAGE, SUBSCRIBE… → "ok"/"failed"/"timed-out"/
 * "in-progress" (a subscription ended by NOTIFY Subscription-State: terminated → "terminated").
 *
 * Legs are joined by correlation headers a B2BUA copies from one leg to the other (X-Call-ID,
 * X-CID, X-Orig-Call-ID naming the other leg's Call-ID; Session-ID per RFC 7989), else by a guess:
 * initial INVITEs within 2 s across different Call-IDs with the same calling and called numbers.
 */

import type { Transport } from '../capture/types.ts';
import type { CapturedMessage, SipMessage } from './types.ts';
import type { Dialog } from './dialogs.ts';
import type { RetransmissionChain, TransactionTable } from './transactions.ts';
import { REQUESTS, RESPONSES, TIMER_B_MS } from './transactions.ts';
import { headerValue, toTag } from './modelutil.ts';
import { headerNamesOf, headerValueAt } from './message.ts';
import { canonicalHeaderName } from './headers.ts';
import { sameHost } from './addresses.ts';
import { appended, EMPTY, fewAdd, fewList, groupLists, numberByKey } from '../lib/lists.ts';
import type { Few } from '../lib/lists.ts';

export type CallKind = 'call' | 'registration' | 'options' | 'subscription' | 'message' | 'other';

export interface Call {
  id: number;
  callId: string;
  kind: CallKind;
  state: string;
  /** The deciding final response (status, reason, message index), when there is one. */
  finalStatus: number | null;
  finalReason: string | null;
  finalIndex: number | null;
  from: string | null;
  to: string | null;
  fromUser: string | null;
  toUser: string | null;
  startIndex: number;
  endIndex: number;
  startFrame: number;
  endFrame: number;
  startTimeUs: number;
  endTimeUs: number;
  messageCount: number;
  messages: number[];
  transactions: number[];
  dialogs: number[];
  /** Initial INVITE attempts (CSeq numbers), e.g. [1, 2] after an auth challenge. */
  attempts: number[];
  /** First initial INVITE, first 18x, first 2xx, ACK of the 2xx, first BYE (message indexes). */
  inviteIndex: number | null;
  ringingIndex: number | null;
  answerIndex: number | null;
  ackIndex: number | null;
  byeIndex: number | null;
  /** Final status of the BYE (null when it got none). */
  byeStatus: number | null;
  endedBy: 'caller' | 'callee' | null;
  cancelIndex: number | null;
  /** INVITE → first 18x, INVITE → 2xx, ACK (or 2xx) → BYE or capture end; ms. */
  pddMs: number | null;
  setupMs: number | null;
  durationMs: number | null;
  /** True when the duration runs to the capture end (no BYE). */
  durationOpen: boolean;
  /** What ran out: "Timer B (no response for 32 s)", "408", … */
  timeout: string | null;
  /** The set-up was not captured (first message is mid-dialog). */
  startedBeforeCapture: boolean;
  /** The call was answered but the 2xx is not in the capture (in-dialog ACK/BYE prove it). */
  answerNotCaptured: boolean;
  transports: Transport[];
  /** IP addresses that sent or received its messages, in order of appearance. */
  hosts: string[];
  /** Every Call-ID of the legs joined with this one (including itself), in start order. */
  legs: string[];
  legGroup: number | null;
  /** How the legs were joined: the header name, "guess", or null. */
  joinedBy: string | null;
  /** Indexes into the model's RTP streams (filled by the media pass). */
  mediaStreams: number[];
  /** Retransmission chains in this call. */
  chains: number[];
}

export interface CallInput {
  messages: CapturedMessage[];
  /** The model's transactions, as columns (a call reads its own with the field readers). */
  transactions: TransactionTable;
  /** Each message's transaction (the model's annotation table). */
  annotations: { transactionOf(i: number): number | null };
  dialogs: Dialog[];
  dialogOf: (number | null)[];
  chains: RetransmissionChain[];
  captureEndUs: number;
}

const CORRELATION_HEADERS = ['X-Call-ID', 'X-CID', 'X-Orig-Call-ID', 'X-Original-Call-ID'];
/** Parsed headers carry canonical names: canonical name → the name the join reason gives. */
const CORRELATION_BY_CANONICAL = new Map(CORRELATION_HEADERS.map((h) => [canonicalHeaderName(h), h]));
const SESSION_ID = canonicalHeaderName('Session-ID');

function userOf(m: SipMessage | null | undefined, which: 'from' | 'to'): string | null {
  const na = m?.[which];
  return na?.uri?.user ?? null;
}

/** Digits of a telephone-number-like user part ("+1 (555) 010-0199" → "15550100199"), else null. */
export function numberOf(user: string | null): string | null {
  if (!user) return null;
  const u = user.replace(/;.*$/, '').replace(/[\s().-]/g, '').replace(/^\+/, '');
  return /^\d{3,}$/.test(u) ? u : null;
}

/** Same number allowing a prefix (country code, trunk prefix): one ends with the other, ≥ 6 digits. */
export function sameNumber(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  const na = numberOf(a);
  const nb = numberOf(b);
  if (na !== null && nb !== null) {
    if (na === nb) return true;
    const [s, l] = na.length <= nb.length ? [na, nb] : [nb, na];
    return s.length >= 6 && l.endsWith(s);
  }
  return a.toLowerCase() === b.toLowerCase();
}

class UnionFind {
  private readonly parent: Int32Array;
  /** Members per root (valid at roots only). */
  private readonly sizes: Uint32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
    this.sizes = new Uint32Array(n).fill(1);
  }
  size(i: number): number {
    return this.sizes[this.find(i)] ?? 1;
  }
  find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r] ?? r;
    let x = i;
    while (this.parent[x] !== r) {
      const next = this.parent[x] ?? r;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }
  union(a: number, b: number): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    const root = Math.min(ra, rb);
    this.parent[Math.max(ra, rb)] = root;
    this.sizes[root] = (this.sizes[ra] ?? 1) + (this.sizes[rb] ?? 1);
    return true;
  }
}

export function buildCalls(input: CallInput): Call[] {
  const { messages, transactions, dialogs, chains } = input;
  // Each Call-ID's message indexes, in two passes (lib/lists.ts `numberByKey`): numbered and
  // counted first, then each list allocated at its exact length (it becomes the call's `messages`).
  const grouped = numberByKey(messages.length, (k) => messages[k]!.sip?.callId);
  const callIds = grouped.keys;
  const lists = groupLists(grouped, (k) => messages[k]!.index);
  const dialogsByCallId = new Map<string, Dialog[]>();
  for (let dAt = 0; dAt < dialogs.length; dAt++) {
    const d = dialogs[dAt]!;
    const list = dialogsByCallId.get(d.callId);
    if (list) list.push(d);
    else dialogsByCallId.set(d.callId, [d]);
  }
  const calls: Call[] = [];
  const context: BuildContext = { ...input, dialogsByCallId, txMark: new Int32Array(transactions.length) };
  for (let o = 0; o < callIds.length; o++) calls.push(buildOne(calls.length, callIds[o]!, lists[o]!, context));
  // Dialog, chain cross-references.
  const callOf = new Map<string, number>(calls.map((c) => [c.callId, c.id]));
  for (let dAt = 0; dAt < dialogs.length; dAt++) {
    const d = dialogs[dAt]!;
    const ci = callOf.get(d.callId);
    const call = ci === undefined ? undefined : calls[ci];
    if (call !== undefined) call.dialogs = appended(call.dialogs, d.id);
  }
  for (let chAt = 0; chAt < chains.length; chAt++) {
    const ch = chains[chAt]!;
    const cid = transactions.callIdOf(ch.transaction);
    const ci = cid ? callOf.get(cid) : undefined;
    const call = ci === undefined ? undefined : calls[ci];
    if (call !== undefined) call.chains = appended(call.chains, ch.id);
  }
  joinLegs(calls, messages);
  return calls;
}

/** Methods seen in a Call-ID, as bits (kindOf). */
const M_INVITE = 1;
const M_REGISTER = 2;
const M_OPTIONS = 4;
const M_SUBSCRIPTION = 8;
const M_MESSAGE = 16;
const M_IN_CALL = 32;
const M_CANCEL = 64;
const METHOD_BITS = new Map<string, number>([
  ['INVITE', M_INVITE],
  ['REGISTER', M_REGISTER],
  ['OPTIONS', M_OPTIONS],
  ['SUBSCRIBE', M_SUBSCRIPTION],
  ['NOTIFY', M_SUBSCRIPTION],
  ['REFER', M_SUBSCRIPTION],
  ['PUBLISH', M_SUBSCRIPTION],
  ['MESSAGE', M_MESSAGE],
  ['BYE', M_IN_CALL],
  ['ACK', M_IN_CALL],
  ['UPDATE', M_IN_CALL],
  ['PRACK', M_IN_CALL],
  ['INFO', M_IN_CALL],
  ['CANCEL', M_CANCEL],
]);
/** A method's bit, its case ignored as the call's kind has always been read (0: none of these). */
function methodBit(method: string): number {
  return METHOD_BITS.get(method) ?? METHOD_BITS.get(method.toUpperCase()) ?? 0;
}

function kindOf(methods: number): CallKind {
  if (methods & M_INVITE) return 'call';
  if (methods & M_REGISTER) return 'registration';
  if (methods & M_OPTIONS) return 'options';
  if (methods & M_SUBSCRIPTION) return 'subscription';
  if (methods & M_MESSAGE) return 'message';
  if (methods & M_IN_CALL) return 'call';
  return 'other';
}

interface BuildContext extends CallInput {
  dialogsByCallId: Map<string, Dialog[]>;
  /** Per transaction: 1 + the ordinal of the last call that listed it (a call's transactions without a Set). */
  txMark: Int32Array;
}

/**
 * One Call-ID's call. It reads its transactions from the table's columns and keeps what it
 * decides: on the bench's sip-dense file, made of transaction objects, sets and sorted copies,
 * the calls' summaries allocated ~170 MB (of the model's ~600 MB) that was garbage at once.
 */
function buildOne(id: number, callId: string, idx: number[], input: BuildContext): Call {
  const { messages, transactions: T, annotations, captureEndUs, txMark } = input;
  // One pass over the call's messages for what the summary needs (this runs once per Call-ID).
  let methods = 0;
  // Lists of exact length as they grow (lib/lists.ts `appended`): they live through the build.
  let txIds: number[] = EMPTY;
  let transports: Transport[] = EMPTY;
  // Its hosts in order of appearance, each once (two to four, nearly always).
  let hosts: Few<string> = [];
  let firstReq: SipMessage | null = null;
  let first: CapturedMessage | undefined;
  let last: CapturedMessage | undefined;
  let count = 0;
  let startFrame = Infinity;
  let endFrame = 0;
  const mark = id + 1;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const c = messages[i];
    if (c === undefined) continue;
    first ??= c;
    last = c;
    count++;
    const sip = c.sip;
    const mm = sip === null ? undefined : sip.kind === 'request' ? sip.method : sip.cseq?.method;
    if (mm) methods |= methodBit(mm);
    if (firstReq === null && sip?.kind === 'request') firstReq = sip;
    const t = annotations.transactionOf(i);
    if (t !== null && txMark[t] !== mark) {
      txMark[t] = mark;
      txIds = appended(txIds, t);
    }
    if (!transports.includes(c.transport)) transports = appended(transports, c.transport);
    hosts = fewAdd(fewAdd(hosts, c.src.ip), c.dst.ip);
    if (c.frame < startFrame) startFrame = c.frame;
    if (c.frame > endFrame) endFrame = c.frame;
  }
  if (firstReq === null) firstReq = first?.sip ?? null;
  const kind = kindOf(methods);
  const call: Call = {
    id,
    callId,
    kind,
    state: 'other',
    finalStatus: null,
    finalReason: null,
    finalIndex: null,
    from: firstReq?.from?.uri?.raw ?? firstReq?.from?.raw ?? null,
    to: firstReq?.to?.uri?.raw ?? firstReq?.to?.raw ?? null,
    fromUser: userOf(firstReq, 'from'),
    toUser: userOf(firstReq, 'to'),
    startIndex: first?.index ?? 0,
    endIndex: last?.index ?? 0,
    startFrame,
    endFrame,
    startTimeUs: first?.timeUs ?? 0,
    endTimeUs: last?.timeUs ?? 0,
    messageCount: count,
    // Its own list, at its exact length (buildCalls): kept as it is.
    messages: idx,
    transactions: txIds,
    dialogs: EMPTY,
    attempts: EMPTY,
    inviteIndex: null,
    ringingIndex: null,
    answerIndex: null,
    ackIndex: null,
    byeIndex: null,
    byeStatus: null,
    endedBy: null,
    cancelIndex: null,
    pddMs: null,
    setupMs: null,
    durationMs: null,
    durationOpen: false,
    timeout: null,
    startedBeforeCapture: false,
    answerNotCaptured: false,
    transports,
    hosts: fewList(hosts),
    legs: [callId],
    legGroup: null,
    joinedBy: null,
    mediaStreams: EMPTY,
    chains: EMPTY,
  };
  const msg = (i: number | null): CapturedMessage | undefined => (i === null ? undefined : messages[i]);
  const statusOf = (i: number): number => {
    const s = messages[i]?.sip;
    return s?.kind === 'response' ? s.status : 0;
  };
  const setFinal = (i: number | null): void => {
    const m = msg(i)?.sip;
    if (m?.kind !== 'response') return;
    call.finalIndex = i;
    call.finalStatus = m.status;
    call.finalReason = m.reason;
  };
  const byFirstTime = (a: number, b: number): number => T.firstTimeOf(a) - T.firstTimeOf(b);
  if (kind === 'call') {
    // The initial INVITE transactions; their attempts (CSeq numbers; -1: none); the first INVITE
    // and the first 18x and 2xx to any of them.
    const initial: number[] = [];
    let firstInvite: number | null = null;
    let ringing: number | null = null;
    let answer: number | null = null;
    for (let k = 0; k < txIds.length; k++) {
      const t = txIds[k]!;
      if (T.methodOf(t) !== 'INVITE' || T.inDialogOf(t) || (T.countOf(t, REQUESTS) === 0 && responseInExistingDialog(t, input))) continue;
      initial.push(t);
      for (let r = 0, n = T.countOf(t, REQUESTS); r < n; r++) {
        const i = T.memberOf(t, REQUESTS, r);
        if (firstInvite === null || i < firstInvite) firstInvite = i;
      }
      for (let r = 0, n = T.countOf(t, RESPONSES); r < n; r++) {
        const i = T.memberOf(t, RESPONSES, r);
        const st = statusOf(i);
        if (st >= 180 && st < 190 && (ringing === null || i < ringing)) ringing = i;
        else if (st >= 200 && st < 300 && (answer === null || i < answer)) answer = i;
      }
    }
    if (initial.length === 0) call.startedBeforeCapture = true;
    let lastAttempt: number | undefined;
    let attempts: number[] = EMPTY;
    for (let k = 0; k < initial.length; k++) {
      const a = T.cseqOf(initial[k]!) ?? -1;
      if (a >= 0) attempts = appended(attempts, a);
      if (lastAttempt === undefined || a > lastAttempt) lastAttempt = a;
    }
    if (attempts.length > 1) {
      // Ascending, each once (one transaction per hop of an attempt).
      attempts.sort((a, b) => a - b);
      let n = 1;
      for (let k = 1; k < attempts.length; k++) if (attempts[k] !== attempts[n - 1]) attempts[n++] = attempts[k]!;
      attempts.length = n;
    }
    call.attempts = attempts;
    call.inviteIndex = firstInvite;
    call.ringingIndex = ringing;
    call.answerIndex = answer;
    // The last attempt's transactions (one per hop), first seen first.
    const attemptTxs = initial.length === 1 ? initial : initial.filter((t) => (T.cseqOf(t) ?? -1) === lastAttempt).sort(byFirstTime);
    let attemptAnswer: number | undefined;
    let decisive: number | undefined;
    let anyResponse = false;
    for (let k = 0; k < attemptTxs.length; k++) {
      const t = attemptTxs[k]!;
      const by = T.cancelledByOf(t);
      if (by !== null && T.countOf(by, REQUESTS) > 0) {
        const i = T.memberOf(by, REQUESTS, 0);
        if (call.cancelIndex === null || i < call.cancelIndex) call.cancelIndex = i;
      }
      const n = T.countOf(t, RESPONSES);
      if (n > 0) anyResponse = true;
      for (let r = 0; r < n && attemptAnswer === undefined; r++) {
        const i = T.memberOf(t, RESPONSES, r);
        const st = statusOf(i);
        if (st >= 200 && st < 300) attemptAnswer = i;
      }
      if (decisive === undefined && T.finalIndexOf(t) !== null) decisive = t;
    }
    // The INVITE dialogs' first BYE; the methods of their in-dialog requests.
    let byeDialog: Dialog | undefined;
    let inDialogBye = false;
    let inDialogAck = false;
    for (const d of input.dialogsByCallId.get(callId) ?? []) {
      if (d.method !== 'INVITE') continue;
      if (d.byeIndex !== null && (byeDialog === undefined || d.byeIndex < byeDialog.byeIndex!)) byeDialog = d;
      for (const i of d.requests) {
        const m = msg(i)?.sip;
        if (m?.kind !== 'request') continue;
        if (m.method.length !== 3) continue;
        const up = m.method === 'BYE' || m.method === 'ACK' ? m.method : m.method.toUpperCase();
        if (up === 'BYE') inDialogBye = true;
        else if (up === 'ACK') inDialogAck = true;
      }
    }
    if (byeDialog) {
      call.byeIndex = byeDialog.byeIndex;
      call.byeStatus = byeDialog.byeStatus;
      call.endedBy = byeDialog.terminatedBy;
    }
    if (call.answerIndex !== null) {
      const answerTime = msg(call.answerIndex)?.timeUs ?? 0;
      call.ackIndex = idx.find((i) => {
        const c = messages[i];
        return c !== undefined && c.timeUs >= answerTime && c.sip?.kind === 'request' && c.sip.method.toUpperCase() === 'ACK' && toTag(c.sip) !== null;
      }) ?? null;
    }
    const cancelSeen = (methods & M_CANCEL) !== 0;
    if (attemptAnswer !== undefined || (call.startedBeforeCapture && attemptTxs.length === 0 && !(cancelSeen && call.byeIndex === null))) {
      if (attemptAnswer !== undefined) setFinal(attemptAnswer);
      call.state = call.byeIndex !== null ? 'completed' : 'answered';
    } else if (decisive !== undefined) {
      // Final of the hop nearest the caller (earliest transaction with a final).
      setFinal(T.finalIndexOf(decisive));
      const st = T.finalStatusOf(decisive) ?? 0;
      if (st === 487 || (call.cancelIndex !== null && st >= 400 && st !== 408)) call.state = 'cancelled';
      else if (st === 486 || st === 600) call.state = 'busy';
      else if (st === 408) {
        call.state = 'timed-out';
        call.timeout = '408 Request Timeout';
      } else if (st >= 300 && st < 400) call.state = 'redirected';
      else call.state = 'rejected';
    } else {
      const started = attemptTxs.length > 0 ? T.firstTimeOf(attemptTxs[0]!) : call.startTimeUs;
      // In-dialog ACK/BYE prove a 2xx that the capture missed (one direction only captured).
      // (An ACK after a CANCEL more likely acknowledges an uncaptured 487.)
      const answeredUnseen = inDialogBye || (inDialogAck && call.cancelIndex === null && !cancelSeen);
      if (answeredUnseen) {
        call.state = call.byeIndex !== null ? 'completed' : 'answered';
        call.answerNotCaptured = true;
      } else if (call.cancelIndex !== null || (attemptTxs.length === 0 && cancelSeen)) call.state = 'cancelled';
      else if (!anyResponse && captureEndUs - started >= TIMER_B_MS * 1000) {
        call.state = 'timed-out';
        call.timeout = 'Timer B: no response to the INVITE within 64·T1 = 32 s (RFC 3261 §17.1.1.2)';
      } else call.state = 'in-progress';
    }
    const t0 = msg(call.inviteIndex)?.timeUs;
    if (t0 !== undefined) {
      const tr = msg(call.ringingIndex)?.timeUs;
      const ta = msg(call.answerIndex)?.timeUs;
      if (tr !== undefined) call.pddMs = (tr - t0) / 1000;
      if (ta !== undefined) call.setupMs = (ta - t0) / 1000;
    }
    if (call.state === 'answered' || call.state === 'completed') {
      const from = msg(call.ackIndex)?.timeUs ?? msg(call.answerIndex)?.timeUs ?? (call.startedBeforeCapture ? call.startTimeUs : undefined);
      const to = msg(call.byeIndex)?.timeUs;
      if (from !== undefined) {
        call.durationOpen = to === undefined;
        call.durationMs = ((to ?? captureEndUs) - from) / 1000;
      }
    }
    return call;
  }
  // Non-INVITE Call-IDs: the last transaction (by first time) decides.
  const main = txIds.filter((t) => T.methodOf(t) !== 'ACK' && T.methodOf(t) !== 'CANCEL').sort(byFirstTime);
  const lastTx = main[main.length - 1];
  if (lastTx === undefined) {
    call.state = 'other';
    return call;
  }
  // Of the transactions of the last request (one per hop), the one nearest the sender with a final.
  const lastSeq = T.cseqOf(lastTx);
  const lastMethod = T.methodOf(lastTx);
  const decisive = main.find((t) => T.cseqOf(t) === lastSeq && T.methodOf(t) === lastMethod && T.finalIndexOf(t) !== null);
  if (decisive !== undefined) {
    setFinal(T.finalIndexOf(decisive));
    const st = T.finalStatusOf(decisive) ?? 0;
    if (st === 408) {
      call.state = 'timed-out';
      call.timeout = '408 Request Timeout';
    } else if (kind === 'registration') {
      if (st >= 200 && st < 300) call.state = isDeregistration(T.countOf(decisive, REQUESTS) > 0 ? msg(T.memberOf(decisive, REQUESTS, 0))?.sip : undefined) ? 'unregistered' : 'registered';
      else if (st === 401 || st === 407) call.state = 'auth-challenged';
      else call.state = 'failed';
    } else if (st >= 200 && st < 300) {
      const terminated = kind === 'subscription' && (input.dialogsByCallId.get(callId) ?? []).some((d) => d.terminationReason === 'subscription-terminated');
      call.state = terminated ? 'terminated' : 'ok';
    } else call.state = 'failed';
  } else {
    const started = T.firstTimeOf(lastTx);
    if (captureEndUs - started >= TIMER_B_MS * 1000) {
      call.state = 'timed-out';
      call.timeout = 'Timer F: no final response within 64·T1 = 32 s (RFC 3261 §17.1.2.2)';
    } else call.state = 'in-progress';
  }
  return call;
}

/** A response-only INVITE transaction whose response belongs to a dialog set up earlier (a re-INVITE). */
function responseInExistingDialog(t: number, input: CallInput): boolean {
  if (input.transactions.countOf(t, RESPONSES) === 0) return false;
  const r = input.transactions.memberOf(t, RESPONSES, 0);
  const d = input.dialogOf[r];
  if (d === null || d === undefined) return false;
  const dialog = input.dialogs[d];
  return dialog !== undefined && !dialog.initialTransactions.includes(t) && dialog.firstIndex < r;
}

/** REGISTER removing bindings: Expires: 0, every Contact with expires=0, or Contact: * (RFC 3261 §10.2.2). */
function isDeregistration(m: SipMessage | null | undefined): boolean {
  if (!m) return false;
  if (m.contactStar) return true;
  const exp = headerValue(m, 'Expires');
  const contacts = m.contact;
  if (contacts.length === 0) return false;
  return contacts.every((c) => {
    const e = c.params['expires'];
    if (e !== undefined && e !== null) return Number(e) === 0;
    return exp !== null && Number(exp.trim()) === 0;
  });
}

function stripId(v: string): string {
  return v.trim().replace(/^<|>$/g, '').replace(/^"|"$/g, '').trim();
}

/** The guess joins INVITEs this close in time… */
const GUESS_WINDOW_US = 2_000_000;
/** …when at most this many share the numbers within the window (else it is a load test)… */
const GUESS_MAX_CANDIDATES = 8;
/** …into groups of at most this many legs (a B2BUA chain has two or three). */
const GUESS_MAX_LEGS = 4;

/**
 * Joins the legs of one call through a B2BUA: correlation headers first, then the 2 s guess.
 * Every call of a group holds the same `legs` array (one shared reference, not a copy per call)
 * and the group's id in `legGroup`; the report lists each group once (`legGroups`).
 */
function joinLegs(calls: Call[], messages: CapturedMessage[]): void {
  const uf = new UnionFind(calls.length);
  const reason = new Map<number, string>();
  // Each call by Call-ID, made when the first correlation header asks (most captures have none).
  let byCallId: Map<string, number> | null = null;
  const sessionIds = new Map<string, number[]>();
  for (let callAt = 0; callAt < calls.length; callAt++) {
    const call = calls[callAt]!;
    for (let iAt = 0; iAt < call.messages.length; iAt++) {
      const i = call.messages[iAt]!;
      const m = messages[i]?.sip;
      if (!m) continue;
      // One pass over the headers (most messages carry none of these).
      const names = headerNamesOf(m);
      for (let k = 0; k < names.length; k++) {
        const name = names[k]!;
        const correlation = CORRELATION_BY_CANONICAL.get(name);
        if (correlation !== undefined) {
          if (byCallId === null) {
            byCallId = new Map<string, number>();
            for (let cAt = 0; cAt < calls.length; cAt++) byCallId.set(calls[cAt]!.callId, calls[cAt]!.id);
          }
          const other = byCallId.get(stripId(headerValueAt(m, k)));
          if (other !== undefined && other !== call.id && uf.union(call.id, other)) {
            reason.set(call.id, correlation);
            reason.set(other, correlation);
          }
          continue;
        }
        if (name !== SESSION_ID) continue;
        const v = headerValueAt(m, k);
        // RFC 7989: local-uuid;remote=remote-uuid; the all-zero uuid means "not yet known".
        const [local, ...params] = v.split(';');
        const ids = [local ?? '', ...params.filter((p) => /^\s*remote\s*=/i.test(p)).map((p) => p.split('=')[1] ?? '')]
          .map((s) => s.trim().toLowerCase())
          .filter((s) => /^[0-9a-f]{32}$/.test(s) && !/^0+$/.test(s));
        for (let sidAt = 0; sidAt < ids.length; sidAt++) {
          const sid = ids[sidAt]!;
          const list = sessionIds.get(sid) ?? [];
          if (list[list.length - 1] !== call.id) list.push(call.id); // a call's messages come together
          sessionIds.set(sid, list);
        }
      }
    }
  }
  for (const list of sessionIds.values()) {
    for (let k = 1; k < list.length; k++) {
      const a = list[0] as number;
      const b = list[k] as number;
      if (uf.union(a, b)) {
        if (!reason.has(a)) reason.set(a, 'Session-ID');
        if (!reason.has(b)) reason.set(b, 'Session-ID');
      }
    }
  }
  // Guess: initial INVITEs within 2 s, different Call-IDs, same From and To numbers. Bucketed by
  // the last 6 digits (or the user as written) of both numbers so that only candidates are compared.
  const suffix = (u: string | null): string => {
    const n = numberOf(u);
    return n !== null ? n.slice(-6) : (u ?? '').toLowerCase();
  };
  // A bucket holds its first call's position in `calls` alone, and a list once a second one comes:
  // nearly every bucket of a capture has one call (a list each was ~3 MB of sip-dense's garbage).
  const buckets = new Map<string, number | Array<{ call: Call; t: number }>>();
  const entry = (c: Call): { call: Call; t: number } => ({ call: c, t: messages[c.inviteIndex ?? 0]?.timeUs ?? 0 });
  for (let cAt = 0; cAt < calls.length; cAt++) {
    const c = calls[cAt]!;
    if (c.kind !== 'call' || c.inviteIndex === null || c.fromUser === null || c.toUser === null) continue;
    const key = `${suffix(c.fromUser)}\u0000${suffix(c.toUser)}`;
    const had = buckets.get(key);
    if (had === undefined) buckets.set(key, cAt);
    else if (typeof had === 'number') buckets.set(key, [entry(calls[had]!), entry(c)]);
    else had.push(entry(c));
  }
  for (const invites of buckets.values()) {
    if (typeof invites === 'number') continue;
    invites.sort((a, b) => a.t - b.t);
    // More than GUESS_MAX_CANDIDATES INVITEs with the same numbers within 2 s is a load test or a
    // storm, not the legs of one call: no guess there. That also bounds the pairs compared.
    const crowded = (i: number): boolean => {
      const t = invites[i]!.t;
      const ahead = invites[i + GUESS_MAX_CANDIDATES];
      const behind = invites[i - GUESS_MAX_CANDIDATES];
      return (ahead !== undefined && ahead.t - t <= GUESS_WINDOW_US) || (behind !== undefined && t - behind.t <= GUESS_WINDOW_US);
    };
    for (let i = 0; i < invites.length; i++) {
      const a = invites[i];
      if (!a || crowded(i)) continue;
      for (let j = i + 1; j < invites.length && j <= i + GUESS_MAX_CANDIDATES; j++) {
        const b = invites[j];
        if (!b || b.t - a.t > GUESS_WINDOW_US) break;
        if (crowded(j)) continue;
        if (reason.has(a.call.id) && reason.has(b.call.id)) continue;
        if (uf.size(a.call.id) + uf.size(b.call.id) > GUESS_MAX_LEGS) continue;
        if (uf.find(a.call.id) === uf.find(b.call.id)) continue;
        if (!sameNumber(a.call.fromUser, b.call.fromUser) || !sameNumber(a.call.toUser, b.call.toUser)) continue;
        // Two legs, not one INVITE seen twice on one hop: the INVITEs must not travel the same path.
        const ia = messages[a.call.inviteIndex ?? 0];
        const ib = messages[b.call.inviteIndex ?? 0];
        if (ia && ib && sameHost(ia.src.ip, ib.src.ip) && sameHost(ia.dst.ip, ib.dst.ip) && ia.src.port === ib.src.port && ia.dst.port === ib.dst.port) continue;
        uf.union(a.call.id, b.call.id);
        if (!reason.has(a.call.id)) reason.set(a.call.id, 'guess');
        if (!reason.has(b.call.id)) reason.set(b.call.id, 'guess');
      }
    }
  }
  // The groups of two legs or more, in order of their first call (a list for every call, nearly
  // all alone, was ~3 MB of garbage on sip-dense).
  const groups = new Map<number, Call[]>();
  for (let cAt = 0; cAt < calls.length; cAt++) {
    const c = calls[cAt]!;
    const r = uf.find(c.id);
    if (uf.size(r) < 2) continue;
    const g = groups.get(r);
    if (g === undefined) groups.set(r, [c]);
    else g.push(c);
  }
  let gid = 0;
  for (const g of groups.values()) {
    g.sort((a, b) => a.startTimeUs - b.startTimeUs);
    const legs = g.map((c) => c.callId);
    const by = g.some((c) => reason.get(c.id) !== 'guess' && reason.has(c.id)) ? (g.map((c) => reason.get(c.id)).find((r) => r && r !== 'guess') ?? 'guess') : 'guess';
    for (let cAt = 0; cAt < g.length; cAt++) {
      const c = g[cAt]!;
      c.legs = legs;
      c.legGroup = gid;
      c.joinedBy = by;
    }
    gid++;
  }
}
