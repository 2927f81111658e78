/**
 * What happened to a call, in the two separate answers an engineer asks for (RFC 3261):
 *
 * - **outcome** of the set-up, read from the last initial-INVITE attempt (a 401/407 challenge is
 *   followed by a new attempt, §22.2, so "403 after a 407" is "rejected 403"): answered (2xx),
 *   busy (486/600), rejected (any other 3xx–6xx, with the code that ended it), cancelled (CANCEL
 *   and 487, §9), timed-out (408, §21.4.9), no-response (nothing at all for 64·T1, Timer B
 *   §17.1.1.2), in-progress (no final yet where the analysis ends).
 * - **teardown** of an answered call, separately: normal (a BYE answered 2xx, §15.1.2, ended by the
 *   caller or callee), failed (the BYE got a non-2xx final — 408/477/481/5xx — or none within
 *   Timer F, §17.1.2.2: the BYE was not delivered), still-up (no BYE before the capture ended),
 *   not-analysed (the memory budget cut the analysis before the call could be seen to the end, so
 *   nothing is claimed about it), null (never answered: nothing to tear down).
 *
 * REGISTER, OPTIONS and SUBSCRIBE/NOTIFY exchanges are their own kinds (registration, keepalive,
 * subscription), never calls; their outcome says whether the request was accepted.
 */

import type { Call } from './calls.ts';
import type { Dialog } from './dialogs.ts';
import type { CapturedMessage } from './types.ts';
import type { Transaction } from './transactions.ts';
import { TIMER_B_MS } from './transactions.ts';
import { fromTag } from './modelutil.ts';

export type ReportCallKind = 'call' | 'registration' | 'keepalive' | 'subscription' | 'other';
export type CallOutcome = 'answered' | 'busy' | 'rejected' | 'cancelled' | 'timed-out' | 'no-response' | 'in-progress';
export type CallTeardown = 'normal' | 'failed' | 'still-up' | 'not-analysed';

export interface OutcomeSummary {
  kind: ReportCallKind;
  /** null for a Call-ID with no request to judge (only responses, or only in-dialog leftovers). */
  outcome: CallOutcome | null;
  /** The status code that decided the outcome (200, 486, 403, 487, 408…), or null. */
  outcomeCode: number | null;
  teardown: CallTeardown | null;
  /** Who sent the BYE that ended (or tried to end) the call. */
  endedBy: 'caller' | 'callee' | null;
  /** The outcome and teardown in a few words, for a list cell ("answered · ended by callee"). */
  summary: string;
}

export interface OutcomeContext {
  /** µs of the last packet of the capture. */
  captureEndUs: number;
  /**
   * Frame of the first SIP message the memory budget left unanalysed, or null when everything was
   * analysed. Anything still open at that point may have finished in the part not analysed.
   */
  cutFrame: number | null;
  messages: readonly CapturedMessage[];
  transactions: readonly Transaction[];
  dialogs: readonly Dialog[];
}

/** One BYE request (all hops of it: same From tag and CSeq) and whether it was delivered. */
interface ByeAttempt {
  side: 'caller' | 'callee' | null;
  firstIndex: number;
  firstTimeUs: number;
  /** A 2xx on any hop. */
  delivered: boolean;
  /** The first non-2xx final (408, 477, 481, 5xx…), when no hop got a 2xx. */
  failedStatus: number | null;
}

function byeAttempts(call: Call, ctx: OutcomeContext): ByeAttempt[] {
  const callerTags = new Set<string>();
  const calleeTags = new Set<string>();
  for (const d of call.dialogs) {
    const dialog = ctx.dialogs[d];
    if (dialog?.method !== 'INVITE') continue;
    callerTags.add(dialog.callerTag);
    calleeTags.add(dialog.calleeTag);
  }
  const byKey = new Map<string, ByeAttempt>();
  for (const t of call.transactions) {
    const tx = ctx.transactions[t];
    if (tx?.method.toUpperCase() !== 'BYE') continue;
    const first = tx.requests[0] ?? tx.firstIndex;
    const m = ctx.messages[first]?.sip;
    const tag = m ? fromTag(m) : null;
    const key = `${tag ?? ''}\u0000${tx.cseq ?? ''}`;
    let a = byKey.get(key);
    if (!a) {
      const side = tag === null ? null : callerTags.has(tag) ? 'caller' : calleeTags.has(tag) ? 'callee' : null;
      a = { side, firstIndex: tx.firstIndex, firstTimeUs: tx.firstTimeUs, delivered: false, failedStatus: null };
      byKey.set(key, a);
    }
    if (tx.firstIndex < a.firstIndex) {
      a.firstIndex = tx.firstIndex;
      a.firstTimeUs = tx.firstTimeUs;
    }
    const st = tx.finalStatus;
    if (st !== null && st >= 200 && st < 300) a.delivered = true;
    else if (st !== null && st >= 300 && a.failedStatus === null) a.failedStatus = st;
  }
  return [...byKey.values()].sort((x, y) => x.firstIndex - y.firstIndex);
}

const KIND: Record<Call['kind'], ReportCallKind> = {
  call: 'call',
  registration: 'registration',
  options: 'keepalive',
  subscription: 'subscription',
  message: 'other',
  other: 'other',
};

export function reportKind(call: Call): ReportCallKind {
  return KIND[call.kind];
}

/** Outcome of the set-up (or of the request, for the other kinds) from the model's call state. */
function setupOutcome(call: Call): { outcome: CallOutcome | null; code: number | null } {
  const code = call.finalStatus;
  switch (call.state) {
    case 'answered':
    case 'completed':
    case 'registered':
    case 'unregistered':
    case 'ok':
    case 'terminated':
      return { outcome: 'answered', code };
    case 'busy':
      return { outcome: 'busy', code };
    case 'rejected':
    case 'redirected':
    case 'failed':
    case 'auth-challenged':
      if (code === 486 || code === 600) return { outcome: 'busy', code };
      return { outcome: 'rejected', code };
    case 'cancelled':
      return { outcome: 'cancelled', code };
    case 'timed-out':
      // A 408 is a response; a timer running out with nothing at all is "no response".
      return code === 408 ? { outcome: 'timed-out', code } : { outcome: 'no-response', code: null };
    case 'in-progress':
      return { outcome: 'in-progress', code: null };
    default:
      return { outcome: null, code };
  }
}

export function callOutcome(call: Call, ctx: OutcomeContext): OutcomeSummary {
  const kind = reportKind(call);
  let { outcome, code } = setupOutcome(call);
  const cut = ctx.cutFrame !== null;
  // Past the cut the final response may exist: a timer-based verdict is not a fact there.
  if (cut && (outcome === 'no-response' || outcome === 'in-progress')) {
    outcome = 'in-progress';
    code = null;
  }
  let teardown: CallTeardown | null = null;
  let endedBy: 'caller' | 'callee' | null = null;
  let detail = '';
  if (kind === 'call' && outcome === 'answered') {
    const byes = byeAttempts(call, ctx);
    const first = byes[0];
    if (first === undefined) teardown = cut ? 'not-analysed' : 'still-up';
    else {
      endedBy = first.side ?? call.endedBy;
      const who = first.side === null ? 'BYE' : `${first.side}'s BYE`;
      const timerF = ctx.captureEndUs - first.firstTimeUs >= TIMER_B_MS * 1000;
      if (first.delivered) teardown = 'normal';
      else if (first.failedStatus !== null) {
        teardown = 'failed';
        detail = `${who} answered ${first.failedStatus}`;
      } else if (cut) teardown = 'not-analysed';
      else if (timerF || byes.length > 1) {
        // Unanswered for 64·T1, or the other side had to send its own BYE: not delivered.
        teardown = 'failed';
        detail = `${who} not answered`;
      } else teardown = 'still-up';
      if (teardown === 'failed') {
        const later = byes.slice(1).find((b) => b.delivered);
        if (later) detail += `; ${later.side ?? 'a later'}${later.side ? "'s" : ''} BYE ended it`;
      }
    }
  } else if (kind === 'call' && outcome === 'in-progress' && cut) {
    teardown = 'not-analysed';
  }
  return { kind, outcome, outcomeCode: code, teardown, endedBy, summary: summarise(outcome, code, teardown, endedBy, detail) };
}

function summarise(outcome: CallOutcome | null, code: number | null, teardown: CallTeardown | null, endedBy: string | null, detail: string): string {
  const head = outcome === null ? 'unknown' : outcome === 'rejected' || outcome === 'busy' || outcome === 'timed-out' ? (code !== null ? `${outcome} ${code}` : outcome) : outcome;
  switch (teardown) {
    case 'normal':
      return `${head} · ended by ${endedBy ?? 'unknown side'}`;
    case 'failed':
      return `${head} · teardown failed (${detail})`;
    case 'still-up':
      return `${head} · still up at capture end`;
    case 'not-analysed':
      return `${head} · not analysed to the end`;
    default:
      return head;
  }
}
