/**
 * Honest truncation: when the memory budget stopped the analysis of later SIP messages, no
 * finding may rest on what was not read. A finding that says something did NOT happen (no ACK,
 * no final response, a BYE never answered, a dialog never ended, a connection closed while the
 * dialog was up, media in one direction only) is dropped for a call whose end lies past the cut:
 * the missing message may simply be among those not analysed. Such calls read "not analysed to
 * the end" (outcome.ts), never "still up".
 */
import type { Finding, FindingKind } from '../report/report.ts';

const ABSENCE: ReadonlySet<FindingKind> = new Set<FindingKind>([
  'ack-missing',
  'invite-timeout',
  'bye-not-delivered',
  'dialog-not-terminated',
  'connection-closed-mid-dialog',
  'nat-binding-expired',
  'rtp-one-way',
  'media-stopped',
  'cancel-unanswered',
  'registration-failed',
]);

/** The findings that still hold, given the Call-IDs whose end lies past the cut and the cut's frame. */
export function findingsBeforeCut(findings: readonly Finding[], cutCalls: ReadonlySet<string>, cutFrame: number): Finding[] {
  return findings.filter((f) => {
    if (!ABSENCE.has(f.kind)) return true;
    if (f.callId !== null && cutCalls.has(f.callId)) return false;
    // A connection "closed" at or after the cut, or a finding without a call whose evidence
    // reaches the cut, is judged on what was not read.
    return !f.frames.some((fr) => fr >= cutFrame);
  });
}
