/**
 * One copy of each repeated string of a report that crossed from the worker to the page.
 *
 * In the worker a report's calls and findings share their strings: every finding of a call holds
 * the call's Call-ID, every finding of a kind the same fix and references, every call the same
 * few words for its state, kind, outcome and teardown, the same host addresses and transports.
 * A structured clone (postMessage) writes each of them out again and the page reads back a new
 * string per field: on the bench's 241,000-message, 34,437-call capture that was ~25 MB of the
 * page's ~94 MB report (measured in Node: the report as the page receives it, before and after
 * this pass). This pass, run once per report as it arrives, points every such field at the first
 * copy of its value; the rest become garbage. Only fields whose values repeat are visited (a
 * finding's title and explanation, unique to it, are left alone), so it costs a few map lookups
 * per call and finding.
 */
import type { Finding, ReportCall } from './report.ts';

/** Longer strings are left as they are: they are rarely repeated, and hashing them costs. */
const MAX_SHARED = 512;

export class StringPool {
  private readonly pool = new Map<string, string>();

  /** The pool's copy of `s` (the first one seen), or `s` itself, now the pool's. */
  share<T>(s: T): T {
    if (typeof s !== 'string' || s.length > MAX_SHARED) return s;
    const had = this.pool.get(s);
    if (had !== undefined) return had as T;
    this.pool.set(s, s);
    return s;
  }

  /** The same array with its string elements shared (in place). */
  shareAll<T>(list: T[]): T[] {
    for (let i = 0; i < list.length; i++) list[i] = this.share(list[i]!);
    return list;
  }
}

/** Call fields (REPORT.md `calls[]`) whose values repeat from call to call. */
const CALL_WORDS = ['state', 'kind', 'outcome', 'teardown', 'finalReason', 'endedBy', 'legGroup', 'joinedBy'] as const;
/** Call fields that are lists of repeated values. */
const CALL_LISTS = ['legs', 'transports', 'hosts'] as const;
/** Dialog fields (`calls[].dialogs[]`) whose values repeat. */
const DIALOG_WORDS = ['state', 'terminationReason'] as const;

/**
 * Shares the repeated strings of these calls and findings, in place, and returns them. The
 * objects are the same ones, their fields the same values: only which copy of a string each
 * field points to changes.
 */
export function shareReportStrings(calls: readonly ReportCall[], findings: readonly Finding[], pool = new StringPool()): void {
  for (const c of calls) {
    // The Call-ID first: the call's legs and its findings then point to the call's own copy.
    c.callId = pool.share(c.callId);
    for (const k of CALL_WORDS) {
      const v = c[k];
      if (typeof v === 'string') c[k] = pool.share(v);
    }
    for (const k of CALL_LISTS) {
      const v = c[k];
      if (Array.isArray(v)) pool.shareAll(v);
    }
    for (const d of c.dialogs) {
      for (const k of DIALOG_WORDS) {
        const v = (d as unknown as Record<string, unknown>)[k];
        if (typeof v === 'string') (d as unknown as Record<string, unknown>)[k] = pool.share(v);
      }
    }
  }
  for (const f of findings) {
    f.kind = pool.share(f.kind);
    f.severity = pool.share(f.severity);
    if (f.callId !== null) f.callId = pool.share(f.callId);
    if (typeof f.fix === 'string') f.fix = pool.share(f.fix);
    pool.shareAll(f.references);
  }
}
