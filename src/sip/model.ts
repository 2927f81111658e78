/**
 * The SIP model the ladder and the detectors stand on, built in one pass over the messages in
 * capture order: transactions and retransmission chains (RFC 3261 §17), dialogs with each side's
 * remote target and route set (§12), calls per Call-ID with B2BUA legs joined, the routing check of
 * every message (§18.2.2 / RFC 3581 for responses, §12.2.1.1 / §16.12 for in-dialog requests),
 * host columns with merge proposals, and RTP streams tied to calls (RFC 3264). Plain data,
 * JSON-serialisable: it crosses the worker boundary as is.
 */

import type { ConnectionInfo, IcmpUnreachable, RtpStreamStats } from '../capture/types.ts';
import type { ReportCall } from '../report/report.ts';
import type { CapturedMessage } from './types.ts';
import { buildCalls } from './calls.ts';
import type { Call } from './calls.ts';
import { DialogBuilder } from './dialogs.ts';
import type { Dialog } from './dialogs.ts';
import { buildHosts } from './hosts.ts';
import type { HostsModel } from './hosts.ts';
import { collectSdp, linkMedia } from './media.ts';
import type { MediaModel } from './media.ts';
import { inDialogHop, initialRequestHop, responseHop, sameAsInviteHop } from './routing.ts';
import type { HopCheck } from './routing.ts';
import { TransactionBuilder } from './transactions.ts';
import type { RetransmissionChain, Transaction, TransactionAnnotation } from './transactions.ts';
import { normalizeHost, sameEndpoint } from './addresses.ts';
import { toTag } from './modelutil.ts';
import { callOutcome } from './outcome.ts';

export interface ModelInput {
  messages: CapturedMessage[];
  connections: ConnectionInfo[];
  rtpStreams: RtpStreamStats[];
  icmp: IcmpUnreachable[];
  /** Time of the last packet of the capture (µs); defaults to the latest time seen in the input. */
  captureEndUs?: number;
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
  /** Per message index. */
  annotations: MessageAnnotation[];
  transactions: Transaction[];
  chains: RetransmissionChain[];
  dialogs: Dialog[];
  calls: Call[];
  hosts: HostsModel;
  media: MediaModel;
  /** Per message index: where the rules say it should have gone, and where it went (null when unparsed). */
  hops: (HopCheck | null)[];
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
function copyOn(tx: Transaction | undefined, messages: CapturedMessage[], match: (c: CapturedMessage) => boolean, before: number): CapturedMessage | null {
  if (!tx) return null;
  let best: CapturedMessage | null = null;
  for (const i of tx.requests) {
    const c = messages[i];
    if (!c || i > before) continue;
    if (match(c)) best = c;
  }
  if (best) return best;
  const first = tx.requests[0];
  return first === undefined ? null : (messages[first] ?? null);
}

export function buildModel(input: ModelInput): SipModel {
  const messages = input.messages;
  const captureEndUs = captureEnd(input);
  const tb = new TransactionBuilder();
  const db = new DialogBuilder(tb.transactions);
  const anns: TransactionAnnotation[] = [];
  for (const c of messages) {
    const a = tb.add(c);
    anns[c.index] = a;
    db.add(c, a.transaction, a.ackForNon2xx === true);
  }
  db.finish(captureEndUs, anns);
  const chains = tb.chains();
  const chainOf = new Map<number, number>();
  for (const ch of chains) for (const i of ch.members) chainOf.set(i, ch.id);

  // Routing checks, per message.
  const hops: (HopCheck | null)[] = messages.map((c) => {
    const m = c.sip;
    if (!m) return null;
    const a = anns[c.index];
    const tx = a?.transaction === null || a?.transaction === undefined ? undefined : tb.transactions[a.transaction];
    if (m.kind === 'response') {
      const req = copyOn(tx, messages, (r) => sameEndpoint(r.dst, c.src), c.index);
      return responseHop(c, req && req.index < c.index ? req : (req ?? null));
    }
    const method = m.method.toUpperCase();
    if (method === 'ACK' && a?.ackForNon2xx) {
      return sameAsInviteHop(c, copyOn(tx, messages, (r) => sameEndpoint(r.src, c.src), c.index), 'ack-non2xx');
    }
    if (method === 'CANCEL') {
      const inv = tx?.cancels === null || tx?.cancels === undefined ? undefined : tb.transactions[tx.cancels];
      return sameAsInviteHop(c, copyOn(inv, messages, (r) => sameEndpoint(r.src, c.src), c.index), 'cancel');
    }
    if (toTag(m) !== null) return inDialogHop(c, db.routeState.get(c.index) ?? null);
    return initialRequestHop(c);
  });

  // Another address of the same node (per the host merge proposals) counts as reaching it.
  const hosts = buildHosts(messages);
  const nodeOf = new Map<string, number>();
  for (const p of hosts.proposals) for (const ip of p.ips) nodeOf.set(ip, p.id);
  for (const h of hops) {
    if (!h) continue;
    if (h.matches === false && h.expected) {
      const a = nodeOf.get(normalizeHost(h.expected.ip));
      const b = nodeOf.get(normalizeHost(h.actual.ip));
      if (a !== undefined && a === b) {
        h.matches = true;
        h.matchedBy = 'same-node';
        h.rule += ` It went to ${h.actual.ip}, another address of the same node (${hosts.proposals[a]?.reasons[0] ?? 'host merge proposal'}).`;
      }
    }
    if (h.matches === true && h.matchedBy === null) h.matchedBy = 'rule';
  }

  const calls = buildCalls({
    messages,
    transactions: tb.transactions,
    annotations: anns,
    dialogs: db.dialogs,
    dialogOf: db.dialogOf,
    chains,
    captureEndUs,
  });
  const callIndex = new Map<string, number>(calls.map((c) => [c.callId, c.id]));

  const media = linkMedia(input.rtpStreams, collectSdp(messages));
  media.streamCallIds.forEach((cid, i) => {
    const ci = cid === null ? undefined : callIndex.get(cid);
    if (ci !== undefined) calls[ci]?.mediaStreams.push(i);
  });

  const annotations: MessageAnnotation[] = messages.map((c) => {
    const a = anns[c.index];
    const cid = c.sip?.callId;
    return {
      transaction: a?.transaction ?? null,
      dialog: db.dialogOf[c.index] ?? null,
      retransmission: a?.retransmission ?? false,
      retransmissionOf: a?.retransmissionOf ?? null,
      call: cid ? (callIndex.get(cid) ?? null) : null,
      chain: chainOf.get(c.index) ?? null,
      ackForNon2xx: a?.ackForNon2xx ?? false,
    };
  });

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
    transactions: tb.transactions,
    chains,
    dialogs: db.dialogs,
    calls,
    hosts,
    media,
    hops,
    notes,
  };
}

/** Per message index: what the engine merges into each ReportMessage. */
export function messageAnnotations(model: SipModel): Array<{ transaction: number | null; dialog: number | null; retransmission: boolean; retransmissionOf: number | null }> {
  return model.annotations.map((a) => ({
    transaction: a.transaction,
    dialog: a.dialog,
    retransmission: a.retransmission,
    retransmissionOf: a.retransmissionOf,
  }));
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
