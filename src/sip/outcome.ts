/**
 * A call's outcome and its teardown, in the words an engineer uses (REPORT.md `calls[]`: `kind`,
 * `outcome`, `outcomeCode`, `teardown`, `endedBy`), read from the call model (calls.ts) and its
 * transactions.
 *
 * - kind: "call" (INVITE), "registration" (REGISTER), "keepalive" (OPTIONS), "subscription"
 *   (SUBSCRIBE/NOTIFY/REFER/PUBLISH), "other" (MESSAGE and the rest).
 * - outcome, decided by the last attempt (a 401/407 challenge answered with a new request is not
 *   the outcome, RFC 3261 §22.2): "answered" (2xx), "busy" (486/600), "rejected" with the code
 *   that ended it (3xx-6xx, so 403 after a 407 is "rejected 403"), "cancelled" (CANCEL/487),
 *   "timed-out" (408, or responses began but no final came within 64·T1), "no-response" (not one
 *   response within 64·T1 = 32 s: Timer B/F, §17.1.1.2/§17.1.2.2), "in-progress".
 * - teardown, for answered calls only, judged on the first BYE (a challenged one is sent again):
 *   "normal" (answered 2xx, or sent and not yet answered when the capture ended within 32 s of
 *   it), "failed" (answered with a failure — 408, 477, 481, 5xx … — or never answered, whether the
 *   capture ran 32 s past it or the other side's own BYE ended the call later: the first side was
 *   not heard), "still-up"
 *   (no BYE before the capture ended), "not-analysed" (the capture's later SIP messages were past
 *   the memory budget, so how the call ended was not read); `endedBy` "caller"/"callee".
 */
import type { Call, CallKind } from './calls.ts';
import type { TransactionTable } from './transactions.ts';
import { RESPONSES, TIMER_B_MS } from './transactions.ts';

export type ReportCallKind = 'call' | 'registration' | 'keepalive' | 'subscription' | 'other';
export type Outcome = 'answered' | 'busy' | 'rejected' | 'cancelled' | 'timed-out' | 'no-response' | 'in-progress';
/** A BYE copy this much later than the first is a retransmission (T1 = 500 ms), not a copy on another hop. */
const BYE_RESENT_US = 400_000;
/** No answer this long after the BYE: it did not get through (answers take milliseconds). */
const BYE_UNANSWERED_US = 4_000_000;

export type Teardown = 'normal' | 'failed' | 'still-up' | 'not-analysed';

export interface CallOutcome {
  kind: ReportCallKind;
  outcome: Outcome;
  /** The status that decided the outcome (200, 486, 403 …), or null. */
  outcomeCode: number | null;
  teardown: Teardown | null;
  /** For a failed teardown: the BYE's failure status, or null when it got no answer. */
  teardownCode: number | null;
  endedBy: 'caller' | 'callee' | null;
  /** True when the call's end lies past the memory budget's cut (see the module comment). */
  cut: boolean;
}

const KIND: Record<CallKind, ReportCallKind> = {
  call: 'call',
  registration: 'registration',
  options: 'keepalive',
  subscription: 'subscription',
  message: 'other',
  other: 'other',
};

/**
 * `cutUs`: time of the first SIP message that was counted but not analysed (memory budget), or
 * null when every message was analysed.
 */
export function callOutcome(call: Call, transactions: TransactionTable, captureEndUs: number, cutUs: number | null): CallOutcome {
  const kind = KIND[call.kind];
  const code = call.finalStatus;
  let outcome: Outcome;
  switch (call.state) {
    case 'answered':
    case 'completed':
    case 'registered':
    case 'unregistered':
    case 'ok':
    case 'terminated':
      outcome = 'answered';
      break;
    case 'busy':
      outcome = 'busy';
      break;
    case 'rejected':
    case 'redirected':
    case 'failed':
    case 'auth-challenged':
      outcome = 'rejected';
      break;
    case 'cancelled':
      outcome = 'cancelled';
      break;
    case 'timed-out':
      // 408 or a provisional answer then silence: timed out; not one response: no response.
      outcome = code === 408 || anyResponse(call, transactions) ? 'timed-out' : 'no-response';
      break;
    default:
      outcome = 'in-progress';
  }
  // A call whose last analysed message is close to the cut may have gone on past it.
  const cut = cutUs !== null && (outcome === 'in-progress' || call.endTimeUs >= cutUs - TIMER_B_MS * 1000);
  let teardown: Teardown | null = null;
  let teardownCode: number | null = null;
  if (kind === 'call' && outcome === 'answered') {
    // The call's BYE transactions but the challenged ones (answered 401/407, the BYE is sent
    // again); the first (by first time, then as listed) decides: if it was not delivered, the
    // call's teardown failed even when the other side's BYE ended the call later.
    const status = (t: number) => transactions.finalStatusOf(t) ?? 0;
    const ok = (t: number) => status(t) >= 200 && status(t) < 300;
    let first = -1;
    let anyOk = false;
    for (const t of call.transactions) {
      if (!isBye(transactions, t)) continue;
      if (first < 0 || transactions.firstTimeOf(t) < transactions.firstTimeOf(first)) first = t;
      if (ok(t)) anyOk = true;
    }
    const firstUs = first < 0 ? 0 : transactions.firstTimeOf(first);
    const okLater = () => call.transactions.some((t) => t !== first && isBye(transactions, t) && ok(t) && transactions.firstTimeOf(t) > firstUs + 1_000_000);
    if (first < 0) teardown = cut ? 'not-analysed' : 'still-up';
    else if (ok(first)) teardown = 'normal';
    else if (status(first) >= 300) {
      teardown = 'failed';
      teardownCode = transactions.finalStatusOf(first);
    } else if (okLater()) teardown = 'failed';
    else if (anyOk) teardown = 'normal';
    else if (captureEndUs - firstUs >= TIMER_B_MS * 1000) teardown = 'failed';
    // Retransmitted and still unanswered seconds later (a BYE is answered in milliseconds): it is
    // not getting through, even if the capture ends before the sender gives up (Timer F, 32 s).
    else if (!cut && transactions.lastTimeOf(first) - firstUs >= BYE_RESENT_US && captureEndUs - firstUs >= BYE_UNANSWERED_US) teardown = 'failed';
    else teardown = cut ? 'not-analysed' : 'normal';
  } else if (kind === 'call' && outcome === 'in-progress' && cut) {
    teardown = 'not-analysed';
  }
  return { kind, outcome, outcomeCode: outcome === 'in-progress' || outcome === 'no-response' ? null : code, teardown, teardownCode, endedBy: call.endedBy, cut };
}

function anyResponse(call: Call, transactions: TransactionTable): boolean {
  for (const t of call.transactions) {
    if (t < 0 || t >= transactions.length) continue;
    const method = transactions.methodOf(t);
    if (method !== 'ACK' && method !== 'BYE' && transactions.countOf(t, RESPONSES) > 0) return true;
  }
  return false;
}

/** A BYE transaction of the table that was not challenged (401/407). */
function isBye(transactions: TransactionTable, t: number): boolean {
  if (t < 0 || t >= transactions.length || transactions.methodOf(t) !== 'BYE') return false;
  const st = transactions.finalStatusOf(t);
  return st !== 401 && st !== 407;
}
