/**
 * The SIP model the ladder and the detectors stand on, built in one pass over the messages in
 * capture order: transactions and retransmission chains (RFC 3261 §17), dialogs with each side's
 * remote target and route set (§12), calls per Call-ID with B2BUA legs joined, the routing check of
 * every message (§18.2.2 / RFC 3581 for responses, §12.2.1.1 / §16.12 for in-dialog requests),
 * host columns with merge proposals, and RTP streams tied to calls (RFC 3264). Plain data,
 * JSON-serialisable, but for two tables whose JSON lists one entry per message: the messages'
 * annotations (integer columns) and their routing checks (made when asked).
 */

import type { ConnectionInfo, IcmpUnreachable, RtpStreamStats } from '../capture/types.ts';
import type { ReportCall } from '../report/report.ts';
import { appended, fitAppended } from '../lib/lists.ts';
import type { CapturedMessage } from './types.ts';
import { buildCalls } from './calls.ts';
import type { Call } from './calls.ts';
import { DialogBuilder } from './dialogs.ts';
import type { Dialog } from './dialogs.ts';
import { buildHosts } from './hosts.ts';
import type { HostsModel, MergeProposal } from './hosts.ts';
import { collectSdp, linkMedia } from './media.ts';
import type { MediaModel } from './media.ts';
import { inDialogHop, initialRequestHop, responseHop, routingFields, sameAsInviteHop } from './routing.ts';
import type { DialogRouteState, HopCheck, RoutingFields } from './routing.ts';
import { TransactionBuilder } from './transactions.ts';
import type { RetransmissionChain, TransactionTable } from './transactions.ts';
import { normalizeHost, sameEndpoint } from './addresses.ts';
import { callOutcome } from './outcome.ts';
import { parsedAgain } from './parser.ts';

export interface ModelInput {
  messages: CapturedMessage[];
  connections: ConnectionInfo[];
  rtpStreams: RtpStreamStats[];
  icmp: IcmpUnreachable[];
  /** Time of the last packet of the capture (µs); defaults to the latest time seen in the input. */
  captureEndUs?: number;
  /** Called once the transaction and dialog pass is done, its working tables garbage (the CLI collects there). */
  afterPass?: () => void;
}

export interface MessageAnnotation {
  transaction: number | null;
  dialog: number | null;
  retransmission: boolean;
  retransmissionOf: number | null;
  /** Index into `calls`, or null for an unparsed message. */
  call: number | null;
  /** Retransmission chain id when the message is in one. */
  chain: number | null;
  /** ACK acknowledging a non-2xx final (part of the INVITE transaction). */
  ackForNon2xx: boolean;
}

export interface SipModel {
  version: 1;
  captureEndUs: number;
  messageCount: number;
  /** Frame number of each message (by index): the frame where it completes. */
  frames: number[];
  /** Per message index (`at(i)`), as integer columns. */
  annotations: AnnotationTable;
  /** The transactions as columns (TransactionTable): `at(id)` for one as an object, `toArray()` for all. */
  transactions: TransactionTable;
  chains: RetransmissionChain[];
  dialogs: Dialog[];
  calls: Call[];
  hosts: HostsModel;
  media: MediaModel;
  /** Per message index: where the rules say it should have gone, and where it went (null when unparsed), checked when asked. */
  hops: HopTable;
  /** Facts about the model a reader should know, in words. */
  notes: string[];
}

function captureEnd(input: ModelInput): number {
  if (input.captureEndUs !== undefined) return input.captureEndUs;
  let t = 0;
  for (const m of input.messages) t = Math.max(t, m.timeUs);
  for (const s of input.rtpStreams) t = Math.max(t, s.lastTimeUs);
  for (const c of input.connections) t = Math.max(t, c.lastTimeUs);
  for (const i of input.icmp) t = Math.max(t, i.timeUs);
  return t;
}

/** The copy of a request in a transaction that the given endpoint sent (or received), nearest before `before`. */
function copyOn(requests: Int32Array | null, messages: readonly CapturedMessage[], match: (c: CapturedMessage) => boolean, before: number): CapturedMessage | null {
  if (!requests) return null;
  let best: CapturedMessage | null = null;
  for (const i of requests) {
    const c = messages[i];
    if (!c || i > before) continue;
    if (match(c)) best = c;
  }
  if (best) return best;
  const first = requests[0];
  return first === undefined ? null : (messages[first] ?? null);
}

const NONE = -1;
const id = (v: number): number | null => (v === NONE ? null : v);
const RETRANSMISSION = 1;
const ACK_FOR_NON2XX = 2;

/**
 * What the model says about each message, as columns (one integer per message and field; −1 for
 * none) rather than an object per message: a signalling capture has hundreds of thousands.
 * `at(i)` gives message i's annotation as an object, made when asked.
 */
export class AnnotationTable {
  readonly transaction: Int32Array;
  readonly dialog: Int32Array;
  readonly retransmissionOf: Int32Array;
  readonly call: Int32Array;
  readonly chain: Int32Array;
  /** Bit 0: a retransmission; bit 1: an ACK for a non-2xx final. */
  readonly flags: Uint8Array;

  constructor(readonly length: number) {
    this.transaction = new Int32Array(length).fill(NONE);
    this.dialog = new Int32Array(length).fill(NONE);
    this.retransmissionOf = new Int32Array(length).fill(NONE);
    this.call = new Int32Array(length).fill(NONE);
    this.chain = new Int32Array(length).fill(NONE);
    this.flags = new Uint8Array(length);
  }

  at(i: number): MessageAnnotation | undefined {
    if (!(i >= 0 && i < this.length)) return undefined;
    return {
      transaction: id(this.transaction[i]!),
      dialog: id(this.dialog[i]!),
      retransmission: (this.flags[i]! & RETRANSMISSION) !== 0,
      retransmissionOf: id(this.retransmissionOf[i]!),
      call: id(this.call[i]!),
      chain: id(this.chain[i]!),
      ackForNon2xx: (this.flags[i]! & ACK_FOR_NON2XX) !== 0,
    };
  }

  /** Message i's transaction id, or null. */
  transactionOf(i: number): number | null {
    const t = this.transaction[i];
    return t === undefined || t === NONE ? null : t;
  }

  isAckForNon2xx(i: number): boolean {
    return ((this.flags[i] ?? 0) & ACK_FOR_NON2XX) !== 0;
  }

  toArray(): MessageAnnotation[] {
    const out: MessageAnnotation[] = new Array<MessageAnnotation>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i)!;
    return out;
  }

  toJSON(): MessageAnnotation[] {
    return this.toArray();
  }
}

/**
 * The model's lists at their exact length. They grow by `appended` (lib/lists.ts), at their
 * length while short; a longer one kept room as it grew by push and is copied once, when the model
 * is complete (nothing changes them after). A group's shared `legs` list is left shared.
 */
function fitDialogLists(dialogs: Dialog[]): void {
  for (const d of dialogs) {
    fitFields(d, DIALOG_LISTS);
    fitFields(d.caller, SIDE_LISTS);
    fitFields(d.callee, SIDE_LISTS);
  }
}

function fitCallLists(calls: Call[]): void {
  for (const c of calls) fitFields(c, CALL_LISTS);
}
// A transaction's lists are one integer table (transactions.ts TransactionTable).
const DIALOG_LISTS = ['messages', 'requests', 'initialTransactions', 'targetChanges'] as const satisfies ReadonlyArray<keyof Dialog>;
const SIDE_LISTS = ['remoteTargetSources', 'connections'] as const satisfies ReadonlyArray<keyof Dialog['caller']>;
// A call's `messages` is built at its exact length (calls.ts buildCalls). Of its other lists, the
// report's call keeps these (reportCalls); the rest go with the model once the report is written.
const CALL_LISTS = ['transports', 'hosts', 'mediaStreams'] as const satisfies ReadonlyArray<keyof Call>;

function fitFields<T extends object>(o: T, keys: ReadonlyArray<keyof T>): void {
  const r = o as Record<keyof T, unknown>;
  for (const k of keys) {
    const v = r[k];
    if (Array.isArray(v)) r[k] = fitAppended(v);
  }
}

/**
 * The routing check of each message, made when something asks for it (`at`), not for every
 * message of the capture: a check is a dozen fields and a sentence of rule text, and the detectors
 * ask for the in-dialog requests only (a third of a signalling capture's messages). Nothing is
 * kept: asking twice checks twice, with the same answer. It holds what the checks read — the
 * transactions, the dialogs' routing snapshots, the host merge proposals — which the model keeps
 * anyway.
 */
/**
 * What the routing rules read of a message, from its parse: its own, or the same parse again from
 * its text once the engine let the parses go before the detectors ran (engine/analyze.ts, `judge`).
 */
function fieldsOf(c: CapturedMessage): RoutingFields | null {
  const m = c.sip ?? parsedAgain(c);
  return m ? routingFields(m) : null;
}

export class HopTable {
  constructor(
    private readonly messages: readonly CapturedMessage[],
    private readonly annotations: AnnotationTable,
    private readonly transactions: TransactionTable,
    /** The sender's routing state per in-dialog request, by message index (DialogBuilder). */
    private readonly routeState: ReadonlyArray<DialogRouteState | undefined>,
    /** The hosts' merge proposals (only they are read: not the hosts, ~4 MB of sip-dense's 20,000 kept through the detectors). */
    private readonly proposals: readonly MergeProposal[],
    private readonly nodeOf: ReadonlyMap<string, number>,
  ) {}

  get length(): number {
    return this.messages.length;
  }

  /** Every message's check, as the model's JSON has them. */
  toJSON(): Array<HopCheck | null> {
    return this.messages.map((_, i) => this.at(i));
  }

  /**
   * Message `index`'s check, or null when it is not a parsed message of this model. `fields`: what
   * the rules read of the message, when the caller holds them (the detectors' flow): else they are
   * read from its parse, parsed again if the engine let it go.
   */
  at(index: number, fields?: RoutingFields): HopCheck | null {
    const c = this.messages[index];
    if (!c) return null;
    const h = this.check(c, fields ?? fieldsOf(c));
    if (!h) return null;
    if (h.matches === false && h.expected) {
      const a = this.nodeOf.get(normalizeHost(h.expected.ip));
      const b = this.nodeOf.get(normalizeHost(h.actual.ip));
      if (a !== undefined && a === b) {
        h.matches = true;
        h.matchedBy = 'same-node';
        h.rule += ` It went to ${h.actual.ip}, another address of the same node (${this.proposals[a]?.reasons[0] ?? 'host merge proposal'}).`;
      }
    }
    if (h.matches === true && h.matchedBy === null) h.matchedBy = 'rule';
    return h;
  }

  private check(c: CapturedMessage, f: RoutingFields | null): HopCheck | null {
    if (!f) return null;
    const messages = this.messages;
    const t = this.annotations.transactionOf(c.index);
    const requests = t === null ? null : this.transactions.requestsOf(t);
    if (!f.isReq) {
      const req = copyOn(requests, messages, (r) => sameEndpoint(r.dst, c.src), c.index);
      return responseHop(c, f, req ?? null, req ? (fieldsOf(req)?.topVia ?? null) : null);
    }
    if (f.method === 'ACK' && this.annotations.isAckForNon2xx(c.index)) {
      return sameAsInviteHop(c, f, copyOn(requests, messages, (r) => sameEndpoint(r.src, c.src), c.index), 'ack-non2xx');
    }
    if (f.method === 'CANCEL') {
      const inv = t === null ? null : this.transactions.cancelsOf(t);
      const invRequests = inv === null ? null : this.transactions.requestsOf(inv);
      return sameAsInviteHop(c, f, copyOn(invRequests, messages, (r) => sameEndpoint(r.src, c.src), c.index), 'cancel');
    }
    if (f.toTag !== null) return inDialogHop(c, f, this.routeState[c.index] ?? null);
    return initialRequestHop(c, f);
  }
}

export function buildModel(input: ModelInput): SipModel {
  const messages = input.messages;
  const captureEndUs = captureEnd(input);
  const tb = new TransactionBuilder(messages.length);
  const db = new DialogBuilder(tb, messages.length);
  // Each message's transaction marks go into the integer columns as they are made: the
  // annotation objects die young instead of living (and being copied) through the whole build.
  const annotations = new AnnotationTable(messages.length);
  // Indexed loops over the messages here and below: a function that runs once spends its loop in
  // unoptimised code, where `for…of` allocates an iterator result per step (~40 bytes; ~250 MB
  // of garbage across the analysis of sip-dense, the largest single source) and runs ~3× slower.
  for (let k = 0; k < messages.length; k++) {
    const c = messages[k]!;
    const a = tb.add(c);
    const i = c.index;
    if (i >= 0 && i < annotations.length) {
      if (a.transaction !== null) annotations.transaction[i] = a.transaction;
      if (a.retransmissionOf !== null) annotations.retransmissionOf[i] = a.retransmissionOf;
      annotations.flags[i] = (a.retransmission ? RETRANSMISSION : 0) | (a.ackForNon2xx === true ? ACK_FOR_NON2XX : 0);
    }
    db.add(c, a.transaction, a.ackForNon2xx === true);
  }
  // The transactions' table, with their lists, first: the dialogs' finish reads it.
  const chains = tb.finish();
  db.finish(captureEndUs, annotations);
  // What the rest of the analysis reads of the transactions: the builder wrote them as columns.
  const transactions = tb.table();
  // The dialogs' lists are complete: at their length before that collection too.
  fitDialogLists(db.dialogs);
  input.afterPass?.();
  for (let k = 0; k < messages.length; k++) {
    const i = messages[k]!.index;
    if (!(i >= 0 && i < annotations.length)) continue;
    const d = db.dialogOf[i];
    if (d !== undefined && d !== null) annotations.dialog[i] = d;
  }
  for (const ch of chains) for (const i of ch.members) if (i >= 0 && i < annotations.length) annotations.chain[i] = ch.id;

  // Another address of the same node (per the host merge proposals) counts as reaching it.
  const hosts = buildHosts(messages);
  const nodeOf = new Map<string, number>();
  for (const p of hosts.proposals) for (const ip of p.ips) nodeOf.set(ip, p.id);

  const calls = buildCalls({
    messages,
    transactions,
    annotations,
    dialogs: db.dialogs,
    dialogOf: db.dialogOf,
    chains,
    captureEndUs,
  });
  const callIndex = new Map<string, number>(calls.map((c) => [c.callId, c.id]));

  const media = linkMedia(input.rtpStreams, collectSdp(messages));
  media.streamCallIds.forEach((cid, i) => {
    const ci = cid === null ? undefined : callIndex.get(cid);
    const call = ci === undefined ? undefined : calls[ci];
    if (call !== undefined) call.mediaStreams = appended(call.mediaStreams, i);
  });

  for (let k = 0; k < messages.length; k++) {
    const c = messages[k]!;
    const cid = c.sip?.callId;
    const ci = cid ? callIndex.get(cid) : undefined;
    if (ci !== undefined && c.index >= 0 && c.index < annotations.length) annotations.call[c.index] = ci;
  }

  fitCallLists(calls);
  const hops = new HopTable(messages, annotations, transactions, db.routeState, hosts.proposals, nodeOf);

  const notes = [
    'SIP retransmissions are counted per hop: the same request (same transaction, source, destination, CSeq) or the same response (same status and To tag) sent again. Forwarding by a proxy is a new transaction, not a retransmission.',
    'TCP-level retransmissions are removed by the capture layer and never counted here. Over TCP/TLS, SIP itself retransmits only a 2xx to INVITE (RFC 3261 §13.3.1.4); any other chain on a reliable transport is flagged unusualOverReliable.',
  ];
  const unusual = chains.filter((c) => c.unusualOverReliable);
  if (unusual.length > 0) notes.push(`${unusual.length} retransmission chain(s) on a reliable transport other than a 2xx to INVITE: something repeated them although TCP/TLS needs no SIP retransmission.`);

  return {
    version: 1,
    captureEndUs,
    messageCount: messages.length,
    frames: messages.map((c) => c.frame),
    annotations,
    transactions,
    chains,
    dialogs: db.dialogs,
    calls,
    hosts,
    media,
    hops,
    notes,
  };
}

/** The report's `calls` (contract fields first, then extras), one per Call-ID in order of first appearance. */
/**
 * The report's calls. `cutUs`: time of the first SIP message past the memory budget (null when
 * all were analysed), so that calls going on past it read "not analysed to the end".
 */
export function reportCalls(model: SipModel, cutUs: number | null = null): ReportCall[] {
  return model.calls.map((c) => {
    const o = callOutcome(c, model.transactions, model.captureEndUs, cutUs);
    const dialogs = c.dialogs
      .map((id) => model.dialogs[id])
      .filter((d): d is Dialog => d !== undefined)
      .map((d) => ({ fromTag: d.callerTag, toTag: d.calleeTag, state: d.state, id: d.id, terminationReason: d.terminationReason }));
    return {
      callId: c.callId,
      from: c.from,
      to: c.to,
      state: c.state,
      startFrame: c.startFrame,
      endFrame: c.endFrame,
      messageCount: c.messageCount,
      dialogs,
      kind: o.kind,
      outcome: o.outcome,
      outcomeCode: o.outcomeCode,
      teardown: o.teardown,
      teardownCode: o.teardownCode,
      notAnalysedToEnd: o.cut,
      verdict: null,
      finalStatus: c.finalStatus,
      finalReason: c.finalReason,
      endedBy: c.endedBy,
      byeFrame: frameOf(model, c.byeIndex),
      cancelFrame: frameOf(model, c.cancelIndex),
      timeout: c.timeout,
      pddMs: c.pddMs,
      setupMs: c.setupMs,
      durationMs: c.durationMs,
      durationOpen: c.durationOpen,
      startedBeforeCapture: c.startedBeforeCapture,
      answerNotCaptured: c.answerNotCaptured,
      // The group's Call-IDs inline for a real B2BUA group; a huge group (thousands of calls
      // joined by one correlation header) is listed once, in the report's `legGroups`.
      legs: c.legs.length <= MAX_LEGS_INLINE ? c.legs : null,
      legGroup: c.legGroup,
      joinedBy: c.joinedBy,
      transports: c.transports,
      hosts: c.hosts,
      mediaStreams: c.mediaStreams,
      retransmissionChains: c.chains.length,
    };
  });
}

/** Groups with at most this many legs are also listed in each call's `legs`. */
export const MAX_LEGS_INLINE = 16;

/** The report's `legGroups`: each group of joined legs once, by `legGroup` id. */
export function reportLegGroups(model: SipModel): Array<{ id: number; callIds: string[]; joinedBy: string | null }> {
  const out: Array<{ id: number; callIds: string[]; joinedBy: string | null }> = [];
  for (const c of model.calls) {
    if (c.legGroup === null || out[c.legGroup] !== undefined) continue;
    out[c.legGroup] = { id: c.legGroup, callIds: c.legs, joinedBy: c.joinedBy };
  }
  return out.filter((g) => g !== undefined);
}

function frameOf(model: SipModel, index: number | null): number | null {
  if (index === null) return null;
  return model.frames[index] ?? null;
}
