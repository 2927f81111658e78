/**
 * The call list's data: one row per call (Call-ID), derived once per report, then filtered and
 * sorted on every keystroke. Built for 100,000 calls: one pass over the messages to index them
 * by Call-ID, a prebuilt lower-case haystack per call for the free-text filter, and plain `<`
 * comparisons in the sort (no localeCompare). Pure functions, no DOM.
 *
 * Filter syntax (one box, space-separated terms, all must match):
 *   bare words     match anywhere (Call-ID, From/To numbers and URIs, IPs and ports, methods,
 *                  status codes, state, transport)
 *   method:BYE  status:404  ip:10.0.0.1  from:alice  to:1002  callid:abc  state:failed
 *                  (state: matches the model's state and the State column's outcome/teardown words)
 *   kind:ack-missing  (a finding kind, or the call's kind: kind:registration)   -word  (must NOT match)
 * A bare all-capitals word (INVITE) or a 3-digit number (486) also matches a method or status
 * exactly, so "486" finds the busy calls without matching every number containing 486.
 */
import type { Finding, FindingKind, Report, ReportCall, Severity } from '../report/report.ts';
import { columnsOf, rowFieldsInto } from '../report/message-table.ts';
import type { RowFields } from '../report/message-table.ts';
import { endpointIp, shortUri } from './format.ts';
import { EMPTY, fit } from '../lib/lists.ts';

export interface CallRow {
  /** Position in report.calls. */
  index: number;
  callId: string;
  from: string;
  to: string;
  state: string;
  /** The dialog's first request (INVITE, REGISTER, OPTIONS, SUBSCRIBE …), as sngrep's Method column; '' when none was captured. */
  method: string;
  /** Where the first request came from and went to ("ip:port"), as sngrep's Source/Destination. */
  src: string;
  dst: string;
  /** The call's kind from the report ("call", "registration", "keepalive", "subscription", "other"), or null. */
  kind: string | null;
  /** What the State column shows: the outcome and teardown words when the report has them, else `state`. */
  stateLabel: string;
  startUs: number;
  durationUs: number;
  messages: number;
  /** Error + warning findings (info ones are counted in `infos`). */
  findings: number;
  infos: number;
  worst: Severity | null;
  kinds: FindingKind[];
  transports: string;
  /** Derived flags for the quick filters. */
  failed: boolean;
  answered: boolean;
  hasInvite: boolean;
  /** Final status of the first INVITE transaction, if any. */
  finalStatus: number | null;
  /** Index of the first INVITE (else the first message): whose headers extra columns show. */
  firstMessage: number;
  methods: string[];
  statuses: number[];
  /** Every endpoint ("ip:port") the call's messages came from or went to, in order of appearance. */
  eps: string[];
  /** The call's From and To URIs as the report has them (the same strings), for the free-text filter. */
  fromUri: string | null;
  toUri: string | null;
  /**
   * The free-text filter's lower-case haystack, made the first time a filter asks (`haystackOf`):
   * a capture whose list is never filtered by text never makes one (~230 bytes a call).
   */
  haystack: string | null;
  /**
   * What the call's messages alone say, before its report fields and diagnosis are applied: how
   * many there are, whether they show a failed INVITE, an answered one, and the final status.
   * Kept so that the model's report of the same calls is applied without a pass over every
   * message again (`withListed`).
   */
  msgCount: number;
  msgFailed: boolean;
  msgAnswered: boolean;
  msgFinalStatus: number | null;
}

export interface CallIndex {
  rows: CallRow[];
  /** Message indices of each call, in capture order, by Call-ID. */
  messagesByCall: MessagesByCall;
  /** Findings that belong to no call (capture-wide). */
  captureFindings: number[];
  findingsByCall: Map<string, number[]>;
}

const FAILED_STATE = /fail|reject|cancel|timeout|timed|error|busy|abandon|unanswered|declin|unauth/i;

/**
 * Each Call-ID's message indices, in capture order: all of them in one list, grouped, and where
 * each group starts. Built from the messages' Call-ID column by the column's string ids (no
 * hashing per message, no list per call: on the 200 MB bench capture, 480,074 messages and 68,582
 * calls, a Map of lists was ~10 MB of the page's heap and a hashed lookup per message).
 */
export class MessagesByCall {
  private constructor(
    /** The groups' Call-IDs, in order of first appearance. */
    readonly callIds: readonly string[],
    /** Group of each Call-ID (made when first asked for by a Call-ID: `group`). */
    private byId: Map<string, number> | null,
    /** Group g's messages: list[start[g] … start[g + 1]). */
    private readonly start: Int32Array,
    private readonly list: Int32Array,
  ) {}

  static of(msgs: Pick<Report, 'messages'>['messages']): MessagesByCall {
    const cols = columnsOf(msgs);
    const n = msgs.length;
    // Each message's group, groups numbered in order of first appearance.
    const groupOf = new Int32Array(n);
    const callIds: string[] = [];
    if (cols) {
      const groupOfString = new Int32Array(cols.strings.length).fill(-1);
      for (let i = 0; i < n; i++) {
        const sid = cols.callId[i]!;
        if (sid < 0) {
          groupOf[i] = -1;
          continue;
        }
        let g = groupOfString[sid]!;
        if (g < 0) {
          g = groupOfString[sid] = callIds.length;
          callIds.push(cols.strings[sid]!);
        }
        groupOf[i] = g;
      }
    } else {
      const ids = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const callId = msgs[i]!.callId;
        if (callId === null) {
          groupOf[i] = -1;
          continue;
        }
        let g = ids.get(callId);
        if (g === undefined) {
          ids.set(callId, (g = callIds.length));
          callIds.push(callId);
        }
        groupOf[i] = g;
      }
    }
    const start = new Int32Array(callIds.length + 1);
    for (let i = 0; i < n; i++) if (groupOf[i]! >= 0) start[groupOf[i]! + 1]!++;
    for (let g = 0; g < callIds.length; g++) start[g + 1]! += start[g]!;
    const list = new Int32Array(start[callIds.length]!);
    const filled = start.slice(0, callIds.length);
    for (let i = 0; i < n; i++) if (groupOf[i]! >= 0) list[filled[groupOf[i]!]!++] = i;
    return new MessagesByCall(callIds, null, start, list);
  }

  /**
   * The group of this Call-ID, or −1. `hint`: the group it probably is (a report's calls come in
   * the order their first messages do), checked by comparing the one Call-ID before any lookup.
   */
  group(callId: string, hint = -1): number {
    if (hint >= 0 && hint < this.callIds.length && this.callIds[hint] === callId) return hint;
    if (this.byId === null) {
      this.byId = new Map();
      for (let g = 0; g < this.callIds.length; g++) this.byId.set(this.callIds[g]!, g);
    }
    return this.byId.get(callId) ?? -1;
  }

  /** How many messages group g has (0 for −1). */
  count(g: number): number {
    return g < 0 ? 0 : this.start[g + 1]! - this.start[g]!;
  }

  /** The index of group g's message k. */
  at(g: number, k: number): number {
    return this.list[this.start[g]! + k]!;
  }

  /** The message indices of this Call-ID, in capture order (a new list), or undefined. */
  get(callId: string): number[] | undefined {
    const g = this.group(callId);
    return g < 0 ? undefined : Array.from(this.list.subarray(this.start[g]!, this.start[g + 1]!));
  }
}

/** Index the report for the call list (run once per report). */
export function indexCalls(report: Pick<Report, 'calls' | 'messages' | 'findings'>): CallIndex {
  const msgs = report.messages;
  const messagesByCall = MessagesByCall.of(msgs);
  const cols = columnsOf(msgs);
  const { findingsByCall, captureFindings } = findingsIndex(report.findings);
  // Messages sent as columns are read into one object, message after message (callRow keeps
  // none of them): not an object per message of the capture.
  const scratch: RowFields = { index: 0, timeUs: 0, src: '', dst: '', transport: 'udp', cseq: null };
  let g = -1;
  const field = cols ? (k: number): RowFields => rowFieldsInto(cols, messagesByCall.at(g, k), scratch) : (k: number): RowFields => msgs[messagesByCall.at(g, k)]!;
  const rows: CallRow[] = report.calls.map((c, index) => {
    g = messagesByCall.group(c.callId, index);
    const row = callRow(index, c.callId, c.from, c.to, c.state, messagesByCall.count(g), field, c.messageCount);
    applyDiagnosis(row, c);
    addFindings(row, findingsByCall.get(c.callId), report.findings);
    return row;
  });
  return { rows, messagesByCall, captureFindings, findingsByCall };
}

/**
 * The index of the model's report of the calls read before it (engine `onRead`, then
 * `onListed`): the same Call-IDs in the same order, over the same messages, so the rows'
 * message-derived fields are kept and only what the report says of each call (From, To, state,
 * kind, outcome, message count, findings) is applied again. The same rows as `indexCalls(report)`
 * without the pass over every message: on the 200 MB bench capture (480,074 messages, 68,582
 * calls) that pass and its rows froze the page for ~0.7 s when the calls were listed. Null when
 * the calls are not the same ones in the same order (then index the report whole).
 */
export function withListed(read: CallIndex, report: Pick<Report, 'calls' | 'findings'>): CallIndex | null {
  const calls = report.calls;
  const before = read.rows;
  if (calls.length !== before.length) return null;
  for (let i = 0; i < calls.length; i++) if (calls[i]!.callId !== before[i]!.callId || before[i]!.index !== i) return null;
  const { findingsByCall, captureFindings } = findingsIndex(report.findings);
  const rows = new Array<CallRow>(calls.length);
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    const r = before[i]!;
    const row: CallRow = {
      ...r,
      from: shortUri(c.from),
      to: shortUri(c.to),
      state: c.state,
      kind: null,
      stateLabel: c.state,
      messages: c.messageCount || r.msgCount,
      findings: 0,
      infos: 0,
      worst: null,
      kinds: EMPTY,
      failed: FAILED_STATE.test(c.state) || r.msgFailed,
      answered: r.msgAnswered,
      finalStatus: r.msgFinalStatus,
      fromUri: c.from,
      toUri: c.to,
      haystack: null,
    };
    applyDiagnosis(row, c);
    addFindings(row, findingsByCall.get(c.callId), report.findings);
    rows[i] = row;
  }
  return { rows, messagesByCall: read.messagesByCall, captureFindings, findingsByCall };
}

/**
 * The index of a report whose calls were listed before its diagnosis (engine `onListed`), with
 * the diagnosis's findings and verdicts: the rows' message-derived fields are kept, the finding
 * counts, kinds and State words made again. The same rows as `indexCalls(report)`, without the
 * pass over every message (on a 480,000-message capture that pass is most of a second).
 */
export function withDiagnosis(listed: CallIndex, report: Pick<Report, 'calls' | 'findings'>): CallIndex {
  const { findingsByCall, captureFindings } = findingsIndex(report.findings);
  const rows = listed.rows.map((r) => {
    const c = report.calls[r.index]!;
    const row: CallRow = { ...r, haystack: null, findings: 0, infos: 0, worst: null, kinds: EMPTY };
    addFindings(row, findingsByCall.get(c.callId), report.findings);
    return row;
  });
  return { rows, messagesByCall: listed.messagesByCall, captureFindings, findingsByCall };
}

function findingsIndex(findings: readonly Finding[]): Pick<CallIndex, 'findingsByCall' | 'captureFindings'> {
  const findingsByCall = new Map<string, number[]>();
  const captureFindings: number[] = [];
  findings.forEach((f, i) => {
    if (f.callId === null) {
      captureFindings.push(i);
      return;
    }
    let l = findingsByCall.get(f.callId);
    if (!l) findingsByCall.set(f.callId, (l = []));
    l.push(i);
  });
  return { findingsByCall, captureFindings };
}

/** The row's finding counts, worst severity and kinds. */
function addFindings(row: CallRow, indices: readonly number[] | undefined, findings: readonly Finding[]): void {
  if (!indices) return;
  for (const i of indices) {
    const f = findings[i]!;
    if (f.severity === 'info') row.infos++;
    else row.findings++;
    // A row without findings has the one frozen empty list (lib/lists.ts), not its own.
    if (row.kinds === EMPTY) row.kinds = [];
    addTo(row.kinds, f.kind);
    if (row.worst === null || rank[f.severity] > rank[row.worst]) row.worst = f.severity;
  }
}

/**
 * What the free-text filter searches in a row, lower case: the Call-ID, From and To URIs, state,
 * transports, endpoints, methods and statuses, then the call's kind, its State words and its
 * finding kinds. Made once per row, when a filter first asks.
 */
export function haystackOf(row: CallRow): string {
  if (row.haystack !== null) return row.haystack;
  let h = `${row.callId} ${row.fromUri ?? ''} ${row.toUri ?? ''} ${row.state} ${row.transports} ${row.eps.join(' ')} ${row.methods.join(' ')} ${row.statuses.join(' ')}`;
  if (row.kind !== null) h += ` ${row.kind}`;
  // The State words when the report has them (else the label is the state, already in).
  if (row.stateLabel !== row.state) h += ` ${row.stateLabel}`;
  h = h.toLowerCase();
  if (row.kinds.length) h += ` ${row.kinds.join(' ')}`;
  return (row.haystack = h);
}

/** The State cell's tooltip: the outcome with its code, the teardown, who ended the call and the verdict, or the model's state. */
export function stateTitleOf(row: CallRow, call: ReportCall | undefined): string {
  return (call && stateWords(call)?.title) ?? row.state;
}

const FAILED_OUTCOMES: ReadonlySet<string> = new Set(['busy', 'rejected', 'cancelled', 'timed-out', 'no-response']);
const KNOWN_OUTCOMES: ReadonlySet<string> = new Set([...FAILED_OUTCOMES, 'answered', 'in-progress']);
/** The State column's words for a teardown (REPORT.md `calls[].teardown`); none for "not-analysed" or null. */
const TEARDOWN_WORDS: Readonly<Record<string, string>> = { normal: 'ended', failed: 'teardown failed', 'still-up': 'still up' };

export interface StateWords {
  /** Short words for the cell: "answered · ended", "busy", "answered · teardown failed". */
  label: string;
  /** The long form for the tooltip. */
  title: string;
  /** The status that decided the outcome (a 403 after a 407 challenge is 403), or null. */
  code: number | null;
  failed: boolean;
  answered: boolean;
}

/**
 * The State column from the diagnosis fields of a call (REPORT.md: `outcome`, `outcomeCode`,
 * `teardown`, `endedBy`, `verdict`), or null when the report has no known outcome for it (older
 * reports: the column keeps the model's `state`).
 */
export function stateWords(c: ReportCall): StateWords | null {
  const cell = stateCell(c);
  if (cell === null) return null;
  const outcome = c.outcome as string;
  const teardown = typeof c.teardown === 'string' ? c.teardown : null;
  const endedBy = typeof c.endedBy === 'string' && c.endedBy ? c.endedBy : null;
  const verdict = c.verdict && typeof c.verdict === 'object' && typeof (c.verdict as { text?: unknown }).text === 'string' ? (c.verdict as { text: string }).text : null;
  const word = outcome.replace('-', ' ');
  let title = `Outcome: ${word}${cell.code !== null ? ` (${cell.code})` : ''}.`;
  if (teardown) title += ` Teardown: ${teardown.replace('-', ' ')}${endedBy ? `, ended by ${endedBy}` : ''}.`;
  else if (endedBy) title += ` Ended by ${endedBy}.`;
  if (verdict) title += ` ${verdict}`;
  return { ...cell, title };
}

/**
 * The State cell without its tooltip (what every row needs; the tooltip is made when a row is
 * drawn, `stateTitleOf`), its label one shared string per outcome and teardown.
 */
function stateCell(c: ReportCall): Omit<StateWords, 'title'> | null {
  const outcome = c.outcome;
  if (typeof outcome !== 'string' || !KNOWN_OUTCOMES.has(outcome)) return null;
  const teardown = typeof c.teardown === 'string' ? c.teardown : null;
  return {
    label: stateLabel(outcome, teardown),
    code: typeof c.outcomeCode === 'number' ? c.outcomeCode : null,
    failed: FAILED_OUTCOMES.has(outcome) || teardown === 'failed',
    answered: outcome === 'answered',
  };
}

/** "answered · ended": one string per outcome and teardown (a few per capture), not one per row. */
const stateLabels = new Map<string, Map<string, string>>();
function stateLabel(outcome: string, teardown: string | null): string {
  let byTeardown = stateLabels.get(outcome);
  if (byTeardown === undefined) stateLabels.set(outcome, (byTeardown = new Map()));
  const key = teardown ?? '';
  let label = byTeardown.get(key);
  if (label === undefined) {
    const word = outcome.replace('-', ' ');
    const td = teardown ? TEARDOWN_WORDS[teardown] : undefined;
    label = td ? `${word} · ${td}` : word;
    // Bounded: the teardowns are a handful of words (REPORT.md), but a report is data.
    if (byTeardown.size < 64) byTeardown.set(key, label);
  }
  return label;
}

/** Fill the row's kind and State words from the call's diagnosis fields, when the report has them. */
function applyDiagnosis(row: CallRow, c: ReportCall): void {
  if (typeof c.kind === 'string') row.kind = c.kind;
  const w = stateCell(c);
  if (!w) return;
  row.stateLabel = w.label;
  row.finalStatus = w.code;
  row.failed = w.failed;
  row.answered = w.answered;
}

const rank: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/**
 * The rows' method and status lists, one frozen copy per distinct list: a signalling capture's
 * calls have a handful of them. Bounded: past SHARED_LISTS distinct lists it starts over.
 */
const methodLists = new Map<string, string[]>();
const statusLists = new Map<string, number[]>();
const SHARED_LISTS = 4096;

function sharedList<T extends string | number>(lists: Map<string, T[]>, list: T[]): T[] {
  if (list.length === 0) return EMPTY;
  const key = list.join(' ');
  let shared = lists.get(key);
  if (shared === undefined) {
    if (lists.size >= SHARED_LISTS) lists.clear();
    shared = Object.freeze(list.slice()) as T[];
    lists.set(key, shared);
  }
  return shared;
}

/** Push when absent: the lists here hold a handful of items, where an array beats a Set. */
function addTo<T>(list: T[], x: T): void {
  if (!list.includes(x)) list.push(x);
}

/**
 * A call's row from its `count` messages, message k read with `field(k)`, which may give the same
 * object each time (it is read at once, never kept).
 */
function callRow(index: number, callId: string, from: string | null, to: string | null, state: string, count: number, field: (k: number) => RowFields, messageCount: number): CallRow {
  const methods: string[] = [];
  const statuses: number[] = [];
  const eps: string[] = [];
  const transports: string[] = [];
  let inviteCseq: string | null = null;
  let finalStatus: number | null = null;
  // A challenge (401/407) answered by a new INVITE is not a failure; the call's last final is.
  let lastFinal: number | null = null;
  let answered = false;
  let firstMessage = -1;
  // The first request's method and endpoints (else the first message's): the Method, Source and
  // Destination columns.
  let method = '';
  let src = '';
  let dst = '';
  let startUs = 0;
  let endUs = 0;
  for (let k = 0; k < count; k++) {
    const m = field(k);
    if (k === 0) {
      firstMessage = m.index;
      src = m.src;
      dst = m.dst;
      startUs = m.timeUs;
    }
    if (k === count - 1) endUs = m.timeUs;
    if (m.method) {
      addTo(methods, m.method);
      if (method === '') {
        method = m.method;
        src = m.src;
        dst = m.dst;
      }
    }
    if (m.status !== undefined) addTo(statuses, m.status);
    addTo(eps, m.src);
    addTo(eps, m.dst);
    addTo(transports, m.transport);
    if (m.method === 'INVITE' && inviteCseq === null) {
      inviteCseq = m.cseq;
      firstMessage = m.index;
    }
    if (m.status !== undefined && m.status >= 200 && m.cseq !== null && m.cseq.endsWith(' INVITE')) {
      if (m.status < 300) answered = true;
      if (m.cseq === inviteCseq && finalStatus === null) finalStatus = m.status;
      lastFinal = m.status;
    }
  }
  const hasInvite = methods.includes('INVITE');
  const msgFailed = hasInvite && !answered && lastFinal !== null && lastFinal >= 300;
  const failed = FAILED_STATE.test(state) || msgFailed;
  const fromS = shortUri(from);
  const toS = shortUri(to);
  const tr = transports.length === 1 ? transports[0]! : transports.sort().join('/');
  return {
    index,
    callId,
    from: fromS,
    to: toS,
    state,
    method,
    src,
    dst,
    kind: null,
    stateLabel: state,
    startUs,
    durationUs: endUs - startUs,
    messages: messageCount || count,
    findings: 0,
    infos: 0,
    worst: null,
    kinds: EMPTY,
    transports: tr,
    failed,
    answered,
    hasInvite,
    finalStatus: finalStatus ?? lastFinal,
    firstMessage,
    // The method and status lists repeat from call to call ("INVITE ACK BYE", "100 180 200"):
    // one shared copy of each; the endpoints at their length (lib/lists.ts).
    methods: sharedList(methodLists, methods),
    statuses: sharedList(statusLists, statuses),
    eps: fit(eps),
    fromUri: from,
    toUri: to,
    haystack: null,
    msgCount: count,
    msgFailed,
    msgAnswered: answered,
    msgFinalStatus: finalStatus ?? lastFinal,
  };
}

export interface QuickFilters {
  failed: boolean;
  withFindings: boolean;
  unanswered: boolean;
  long: boolean;
}

export interface CallFilter {
  text: string;
  quick: QuickFilters;
  /** "long" threshold, seconds. */
  longSeconds: number;
  /** Only calls with a finding of this kind ('' = any). */
  kind: FindingKind | '';
}

export const defaultCallFilter: CallFilter = {
  text: '',
  quick: { failed: false, withFindings: false, unanswered: false, long: false },
  longSeconds: 300,
  kind: '',
};

type Term = { neg: boolean; test: (r: CallRow) => boolean };

function parseTerms(text: string): Term[] {
  const out: Term[] = [];
  for (let raw of text.trim().split(/\s+/)) {
    if (!raw) continue;
    let neg = false;
    if (raw.startsWith('-') && raw.length > 1 && !/^-\d/.test(raw)) {
      neg = true;
      raw = raw.slice(1);
    }
    const colon = raw.indexOf(':');
    const field = colon > 0 ? raw.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? raw.slice(colon + 1) : raw;
    const v = value.toLowerCase();
    let test: (r: CallRow) => boolean;
    switch (field) {
      case 'method':
        test = (r) => r.methods.some((m) => m.toLowerCase() === v);
        break;
      case 'status':
      case 'code':
        test = (r) => r.statuses.some((s) => String(s) === v || (v.endsWith('xx') && String(s)[0] === v[0]));
        break;
      case 'ip':
      case 'host':
        test = (r) => r.eps.some((ep) => endpointIp(ep).toLowerCase().includes(v));
        break;
      case 'from':
        test = (r) => r.from.toLowerCase().includes(v);
        break;
      case 'to':
        test = (r) => r.to.toLowerCase().includes(v);
        break;
      case 'callid':
      case 'call-id':
      case 'cid':
        test = (r) => r.callId.toLowerCase().includes(v);
        break;
      case 'state':
        test = (r) => r.state.toLowerCase().includes(v) || r.stateLabel.toLowerCase().includes(v);
        break;
      case 'kind':
        // A finding kind (ack-missing), or the call's own kind (registration, keepalive…).
        test = (r) => r.kinds.some((k) => k.includes(v)) || (r.kind !== null && r.kind.toLowerCase() === v);
        break;
      default: {
        const all = raw; // bare word (may itself contain ':' as in an IPv6 address or ip:port)
        const lower = all.toLowerCase();
        if (/^\d{3}$/.test(all)) {
          const n = Number(all);
          test = (r) => r.statuses.includes(n) || r.from.includes(all) || r.to.includes(all) || r.callId.includes(all);
        } else if (/^[A-Z]{3,}$/.test(all)) {
          test = (r) => r.methods.includes(all) || haystackOf(r).includes(lower);
        } else {
          test = (r) => haystackOf(r).includes(lower);
        }
      }
    }
    out.push({ neg, test });
  }
  return out;
}

/** The rows that pass the filter (order kept). */
export function filterCalls(rows: readonly CallRow[], f: CallFilter): CallRow[] {
  const terms = parseTerms(f.text);
  const longUs = f.longSeconds * 1e6;
  const q = f.quick;
  return rows.filter((r) => {
    if (q.failed && !r.failed) return false;
    if (q.withFindings && r.findings === 0) return false;
    if (q.unanswered && (!r.hasInvite || r.answered)) return false;
    if (q.long && r.durationUs < longUs) return false;
    if (f.kind && !r.kinds.includes(f.kind)) return false;
    for (const t of terms) if (t.test(r) === t.neg) return false;
    return true;
  });
}

export type SortKey = 'start' | 'method' | 'src' | 'dst' | 'from' | 'to' | 'state' | 'duration' | 'messages' | 'findings' | 'transport' | `header:${string}`;
export interface CallSort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

/** Sort (stable; ties keep capture order). `headerValue` serves `header:Name` keys. */
export function sortCalls(rows: readonly CallRow[], s: CallSort, headerValue?: (r: CallRow, name: string) => string | undefined): CallRow[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  let get: (r: CallRow) => string | number;
  switch (s.key) {
    case 'start':
      get = (r) => r.startUs;
      break;
    case 'from':
      get = (r) => r.from.toLowerCase();
      break;
    case 'to':
      get = (r) => r.to.toLowerCase();
      break;
    case 'state':
      get = (r) => r.stateLabel;
      break;
    case 'method':
      get = (r) => r.method;
      break;
    case 'src':
      get = (r) => r.src;
      break;
    case 'dst':
      get = (r) => r.dst;
      break;
    case 'duration':
      get = (r) => r.durationUs;
      break;
    case 'messages':
      get = (r) => r.messages;
      break;
    case 'findings':
      get = (r) => r.findings * 4 + (r.worst ? rank[r.worst] : 0);
      break;
    case 'transport':
      get = (r) => r.transports;
      break;
    default: {
      const name = s.key.slice('header:'.length);
      // Unknown (not fetched yet) values sort last in both directions.
      get = (r) => headerValue?.(r, name) ?? '\uffff';
    }
  }
  const keyed = rows.map((r) => ({ r, k: get(r) }));
  keyed.sort((a, b) => {
    if (a.k === b.k) return a.r.index - b.r.index;
    if (a.k === '\uffff') return 1;
    if (b.k === '\uffff') return -1;
    return (a.k < b.k ? -1 : 1) * sign;
  });
  return keyed.map((x) => x.r);
}
