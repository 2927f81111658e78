/**
 * Honest truncation: the memory budget is the last guard of the analysis, and when it cuts, no
 * finding may rest on messages that were not analysed. A finding that says something never
 * happened (no BYE answer, no ACK, no final response, the dialog never ended, the connection
 * closed while the dialog was still up) cannot be drawn for a call that was still open where the
 * analysis stopped: the missing message may be among those past the cut. Such calls are "not
 * analysed to the end" (see src/sip/outcome.ts) and these findings are withdrawn, with a count.
 */

import type { Finding, ReportCall } from '../engine/report.ts';

/** Kinds that rest on something not being seen. */
export const ABSENCE_KINDS: ReadonlySet<string> = new Set([
  'ack-missing',
  'invite-timeout',
  'bye-not-delivered',
  'dialog-not-terminated',
  'connection-closed-mid-dialog',
  'nat-binding-expired',
  'registration-failed',
  'cancel-unanswered',
  'media-stopped',
  'rtp-one-way',
  'tls-handshake-failed',
]);

/** Calls that were still open where the analysis stopped. */
function openAtCut(c: ReportCall): boolean {
  return c.teardown === 'not-analysed' || c.outcome === 'in-progress';
}

/**
 * The findings to keep when the analysis was cut at `cutFrame` (all of them when it was not), and
 * how many were withdrawn. Findings without a callId are withdrawn when their evidence reaches the
 * cut (a connection's fate after the cut was not matched with SIP).
 */
export function withdrawUnanalysed(findings: Finding[], calls: readonly ReportCall[], cutFrame: number | null): { kept: Finding[]; withdrawn: number } {
  if (cutFrame === null) return { kept: findings, withdrawn: 0 };
  const open = new Set(calls.filter(openAtCut).map((c) => c.callId));
  const kept = findings.filter((f) => {
    if (!ABSENCE_KINDS.has(f.kind)) return true;
    if (f.callId !== null) return !open.has(f.callId);
    return !f.frames.some((fr) => fr >= cutFrame);
  });
  return { kept, withdrawn: findings.length - kept.length };
}
