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
import type { RetransmissionChain, Transaction, TransactionTable } from './transactions.ts';
import { TIMER_B_MS } from './transactions.ts';
import { headerValue, toTag } from './modelutil.ts';
import { headerNamesOf, headerValueAt } from './message.ts';
import { canonicalHeaderName } from './headers.ts';
import { sameHost } from './addresses.ts';

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
  /** The model's transactions, as columns (a call reads its own few as objects: `at`). */
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

function kindOf(methods: Set<string>): CallKind {
  if (methods.has('INVITE')) return 'call';
  if (methods.has('REGISTER')) return 'registration';
  if (methods.has('OPTIONS')) return 'options';
  if (methods.has('SUBSCRIBE') || methods.has('NOTIFY') || methods.has('REFER') || methods.has('PUBLISH')) return 'subscription';
  if (methods.has('MESSAGE')) return 'message';
  if (methods.has('BYE') || methods.has('ACK') || methods.has('UPDATE') || methods.has('PRACK') || methods.has('INFO')) return 'call';
  return 'other';
}

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
  private readonly parent: number[];
  /** Members per root (valid at roots only). */
  private readonly sizes: Uint32Array;
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
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
  // Each Call-ID's message indexes, in two passes: numbered and counted first, then each list
  // allocated at its exact length (it becomes the call's `messages`). Grown by push instead, every
  // list lives through the whole pass and leaves a discarded copy behind when cut to length.
  const ordinal = new Map<string, number>();
  const callIds: string[] = [];
  const sizes: number[] = [];
  const ordOf = new Int32Array(messages.length).fill(-1);
  for (let k = 0; k < messages.length; k++) {
    const id = messages[k]!.sip?.callId;
    if (!id) continue;
    let o = ordinal.get(id);
    if (o === undefined) {
      o = callIds.length;
      ordinal.set(id, o);
      callIds.push(id);
      sizes.push(0);
    }
    ordOf[k] = o;
    sizes[o]!++;
  }
  const lists = sizes.map((n) => new Array<number>(n));
  const filled = new Int32Array(lists.length);
  for (let k = 0; k < messages.length; k++) {
    const o = ordOf[k]!;
    if (o >= 0) lists[o]![filled[o]!++] = messages[k]!.index;
  }
  const dialogsByCallId = new Map<string, Dialog[]>();
  for (let dAt = 0; dAt < dialogs.length; dAt++) {
    const d = dialogs[dAt]!;
    const list = dialogsByCallId.get(d.callId);
    if (list) list.push(d);
    else dialogsByCallId.set(d.callId, [d]);
  }
  const calls: Call[] = [];
  const context = { ...input, dialogsByCallId };
  for (let o = 0; o < callIds.length; o++) calls.push(buildOne(calls.length, callIds[o]!, lists[o]!, context));
  // Dialog, chain cross-references.
  const callOf = new Map<string, number>(calls.map((c) => [c.callId, c.id]));
  for (let dAt = 0; dAt < dialogs.length; dAt++) {
    const d = dialogs[dAt]!;
    const ci = callOf.get(d.callId);
    if (ci !== undefined) calls[ci]?.dialogs.push(d.id);
  }
  for (let chAt = 0; chAt < chains.length; chAt++) {
    const ch = chains[chAt]!;
    const cid = transactions.at(ch.transaction)?.callId;
    const ci = cid ? callOf.get(cid) : undefined;
    if (ci !== undefined) calls[ci]?.chains.push(ch.id);
  }
  joinLegs(calls, messages);
  return calls;
}

function buildOne(id: number, callId: string, idx: number[], input: CallInput & { dialogsByCallId: Map<string, Dialog[]> }): Call {
  const { messages, transactions, annotations, captureEndUs } = input;
  // One pass over the call's messages for what the summary needs (this runs once per Call-ID).
  const msgs: CapturedMessage[] = [];
  const methods = new Set<string>();
  const txSet = new Set<number>();
  const transportSet = new Set<Transport>();
  const seenHosts = new Set<string>();
  let firstReq: SipMessage | null = null;
  let startFrame = Infinity;
  let endFrame = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const c = messages[i];
    if (c === undefined) continue;
    msgs.push(c);
    const sip = c.sip;
    const mm = sip === null ? undefined : sip.kind === 'request' ? sip.method : sip.cseq?.method;
    if (mm) methods.add(mm.toUpperCase());
    if (firstReq === null && sip?.kind === 'request') firstReq = sip;
    const t = annotations.transactionOf(i);
    if (t !== null) txSet.add(t);
    transportSet.add(c.transport);
    seenHosts.add(c.src.ip);
    seenHosts.add(c.dst.ip);
    if (c.frame < startFrame) startFrame = c.frame;
    if (c.frame > endFrame) endFrame = c.frame;
  }
  const first = msgs[0];
  const last = msgs[msgs.length - 1];
  if (firstReq === null) firstReq = first?.sip ?? null;
  const kind = kindOf(methods);
  const txIds = [...txSet];
  const txs: Transaction[] = [];
  for (let k = 0; k < txIds.length; k++) {
    const tx = transactions.at(txIds[k]!);
    if (tx !== undefined) txs.push(tx);
  }
  const transports: Transport[] = [...transportSet];
  const hosts = [...seenHosts];
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
    messageCount: msgs.length,
    // Its own list, at its exact length (buildCalls): kept as it is.
    messages: idx,
    transactions: txIds,
    dialogs: [],
    attempts: [],
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
    hosts,
    legs: [callId],
    legGroup: null,
    joinedBy: null,
    mediaStreams: [],
    chains: [],
  };
  const msg = (i: number | null): CapturedMessage | undefined => (i === null ? undefined : messages[i]);
  const setFinal = (i: number | null): void => {
    const m = msg(i)?.sip;
    if (m?.kind !== 'response') return;
    call.finalIndex = i;
    call.finalStatus = m.status;
    call.finalReason = m.reason;
  };
  if (kind === 'call') {
    const initial = txs.filter((t) => t.method === 'INVITE' && !t.inDialog && (t.requests.length > 0 || !responseInExistingDialog(t, input)));
    if (initial.length === 0) {
      call.startedBeforeCapture = true;
    }
    const attempts = [...new Set(initial.map((t) => t.cseq ?? -1))].sort((a, b) => a - b);
    call.attempts = attempts.filter((a) => a >= 0);
    const firstInvite = initial.flatMap((t) => t.requests).sort((a, b) => a - b)[0] ?? null;
    call.inviteIndex = firstInvite;
    const allResp = initial.flatMap((t) => t.responses).sort((a, b) => a - b);
    call.ringingIndex = allResp.find((i) => {
      const s = msg(i)?.sip;
      return s?.kind === 'response' && s.status >= 180 && s.status < 190;
    }) ?? null;
    call.answerIndex = allResp.find((i) => {
      const s = msg(i)?.sip;
      return s?.kind === 'response' && s.status >= 200 && s.status < 300;
    }) ?? null;
    const lastAttempt = attempts[attempts.length - 1];
    const attemptTxs = initial.filter((t) => (t.cseq ?? -1) === lastAttempt).sort((a, b) => a.firstTimeUs - b.firstTimeUs);
    const cancels = attemptTxs.map((t) => t.cancelledBy).filter((t): t is number => t !== null);
    call.cancelIndex = cancels.map((t) => transactions.requestsOf(t)[0]).filter((i): i is number => i !== undefined).sort((a, b) => a - b)[0] ?? null;
    const attemptAnswer = attemptTxs.flatMap((t) => t.responses).find((i) => {
      const s = msg(i)?.sip;
      return s?.kind === 'response' && s.status >= 200 && s.status < 300;
    });
    const callDialogs = (input.dialogsByCallId.get(callId) ?? []).filter((d) => d.method === 'INVITE');
    const byeDialog = callDialogs.filter((d) => d.byeIndex !== null).sort((a, b) => (a.byeIndex ?? 0) - (b.byeIndex ?? 0))[0];
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
    if (attemptAnswer !== undefined || (call.startedBeforeCapture && attemptTxs.length === 0 && !(methods.has('CANCEL') && call.byeIndex === null))) {
      if (attemptAnswer !== undefined) setFinal(attemptAnswer);
      call.state = call.byeIndex !== null ? 'completed' : 'answered';
    } else {
      // Final of the hop nearest the caller (earliest transaction with a final), else any.
      const withFinal = attemptTxs.filter((t) => t.finalIndex !== null);
      const decisive = withFinal[0];
      if (decisive) {
        setFinal(decisive.finalIndex);
        const st = decisive.finalStatus ?? 0;
        if (st === 487 || (call.cancelIndex !== null && st >= 400 && st !== 408)) call.state = 'cancelled';
        else if (st === 486 || st === 600) call.state = 'busy';
        else if (st === 408) {
          call.state = 'timed-out';
          call.timeout = '408 Request Timeout';
        } else if (st >= 300 && st < 400) call.state = 'redirected';
        else call.state = 'rejected';
      } else {
        const started = attemptTxs[0]?.firstTimeUs ?? call.startTimeUs;
        const anyResponse = attemptTxs.some((t) => t.responses.length > 0);
        // In-dialog ACK/BYE prove a 2xx that the capture missed (one direction only captured).
        // (An ACK after a CANCEL more likely acknowledges an uncaptured 487.)
        const inDialog = callDialogs.flatMap((d) => d.requests).map((i) => msg(i)?.sip).map((m) => (m?.kind === 'request' ? m.method.toUpperCase() : ''));
        const answeredUnseen = inDialog.includes('BYE') || (inDialog.includes('ACK') && call.cancelIndex === null && !methods.has('CANCEL'));
        if (answeredUnseen) {
          call.state = call.byeIndex !== null ? 'completed' : 'answered';
          call.answerNotCaptured = true;
        } else if (call.cancelIndex !== null || (attemptTxs.length === 0 && methods.has('CANCEL'))) call.state = 'cancelled';
        else if (!anyResponse && captureEndUs - started >= TIMER_B_MS * 1000) {
          call.state = 'timed-out';
          call.timeout = 'Timer B: no response to the INVITE within 64·T1 = 32 s (RFC 3261 §17.1.1.2)';
        } else call.state = 'in-progress';
      }
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
  const main = txs.filter((t) => t.method !== 'ACK' && t.method !== 'CANCEL').sort((a, b) => a.firstTimeUs - b.firstTimeUs);
  const lastTx = main[main.length - 1];
  if (!lastTx) {
    call.state = 'other';
    return call;
  }
  // Of the transactions of the last request (one per hop), the one nearest the sender with a final.
  const lastSeq = lastTx.cseq;
  const sameReq = main.filter((t) => t.cseq === lastSeq && t.method === lastTx.method);
  const decisive = sameReq.find((t) => t.finalIndex !== null);
  if (decisive) {
    setFinal(decisive.finalIndex);
    const st = decisive.finalStatus ?? 0;
    if (st === 408) {
      call.state = 'timed-out';
      call.timeout = '408 Request Timeout';
    } else if (kind === 'registration') {
      if (st >= 200 && st < 300) call.state = isDeregistration(msg(decisive.requests[0] ?? null)?.sip) ? 'unregistered' : 'registered';
      else if (st === 401 || st === 407) call.state = 'auth-challenged';
      else call.state = 'failed';
    } else if (st >= 200 && st < 300) {
      const terminated = kind === 'subscription' && (input.dialogsByCallId.get(callId) ?? []).some((d) => d.terminationReason === 'subscription-terminated');
      call.state = terminated ? 'terminated' : 'ok';
    } else call.state = 'failed';
  } else {
    const started = lastTx.firstTimeUs;
    if (captureEndUs - started >= TIMER_B_MS * 1000) {
      call.state = 'timed-out';
      call.timeout = 'Timer F: no final response within 64·T1 = 32 s (RFC 3261 §17.1.2.2)';
    } else call.state = 'in-progress';
  }
  return call;
}

/** A response-only INVITE transaction whose response belongs to a dialog set up earlier (a re-INVITE). */
function responseInExistingDialog(t: Transaction, input: CallInput): boolean {
  const r = t.responses[0];
  if (r === undefined) return false;
  const d = input.dialogOf[r];
  if (d === null || d === undefined) return false;
  const dialog = input.dialogs[d];
  return dialog !== undefined && !dialog.initialTransactions.includes(t.id) && dialog.firstIndex < r;
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
  const byCallId = new Map<string, number>(calls.map((c) => [c.callId, c.id]));
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
  const buckets = new Map<string, Array<{ call: Call; t: number }>>();
  for (let cAt = 0; cAt < calls.length; cAt++) {
    const c = calls[cAt]!;
    if (c.kind !== 'call' || c.inviteIndex === null || c.fromUser === null || c.toUser === null) continue;
    const key = `${suffix(c.fromUser)}\u0000${suffix(c.toUser)}`;
    const list = buckets.get(key) ?? [];
    list.push({ call: c, t: messages[c.inviteIndex]?.timeUs ?? 0 });
    buckets.set(key, list);
  }
  for (const invites of buckets.values()) {
    if (invites.length < 2) continue;
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
  const groups = new Map<number, Call[]>();
  for (let cAt = 0; cAt < calls.length; cAt++) {
    const c = calls[cAt]!;
    const r = uf.find(c.id);
    const g = groups.get(r) ?? [];
    g.push(c);
    groups.set(r, g);
  }
  let gid = 0;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
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
