/**
 * The detector registry: one entry per finding kind. `runDetectors` runs them all over one
 * analysed capture; a detector that throws is a bug, reported as a warning rather than losing the
 * rest of the analysis.
 */
import type { Finding } from '../report/report.ts';
import type { Detector, DetectorContext } from './detector.ts';
import { releaseFlow } from './lib/flow.ts';
import { releaseConnIndex } from './lib/connections.ts';
import { releaseCallMedia } from './lib/media.ts';
import { detectAckMissing } from './detectors/ack-missing.ts';
import { detectByeNotDelivered } from './detectors/bye-not-delivered.ts';
import { detectConnectionClosedMidDialog } from './detectors/connection-closed-mid-dialog.ts';
import { detectContactMissingPort } from './detectors/contact-missing-port.ts';
import { detectContactPrivateAddress } from './detectors/contact-private-address.ts';
import { detectDialogNotTerminated } from './detectors/dialog-not-terminated.ts';
import { detectExcessiveNatFixup } from './detectors/excessive-nat-fixup.ts';
import { detectInDialogRequestMisrouted } from './detectors/in-dialog-request-misrouted.ts';
import { detectInviteTimeout } from './detectors/invite-timeout.ts';
import { detectMalformedSip } from './detectors/malformed-sip.ts';
import { detectNewConnectionMidDialog } from './detectors/new-connection-mid-dialog.ts';
import { detectResponseToWrongPort } from './detectors/response-to-wrong-port.ts';
import { detectTlsHandshakeFailed } from './detectors/tls-handshake-failed.ts';
import { detectViaMissingRport } from './detectors/via-missing-rport.ts';
import { detectViaPrivateAddress } from './detectors/via-private-address.ts';
import { detectNatBindingExpired } from './detectors/nat-binding-expired.ts';
import { detectSipAlgSuspected } from './detectors/sip-alg-suspected.ts';
import { detectSdpPrivateAddress } from './detectors/sdp-private-address.ts';
import { detectRtpOneWay } from './detectors/rtp-one-way.ts';
import { detectRtpSourceChanged } from './detectors/rtp-source-changed.ts';
import { detectRtpIcmpUnreachable } from './detectors/rtp-icmp-unreachable.ts';
import { detectRtpToUnlatchedAddress } from './detectors/rtp-to-unlatched-address.ts';
import { detectRegistrationFailed } from './detectors/registration-failed.ts';
import { detectAuthFailed } from './detectors/auth-failed.ts';
import { detectCancelUnanswered } from './detectors/cancel-unanswered.ts';
import { detectRequestLoop } from './detectors/request-loop.ts';
import { detectMediaStopped } from './detectors/media-stopped.ts';

export const detectors: readonly Detector[] = [
  detectViaPrivateAddress,
  detectViaMissingRport,
  detectResponseToWrongPort,
  detectContactPrivateAddress,
  detectContactMissingPort,
  detectInDialogRequestMisrouted,
  detectAckMissing,
  detectExcessiveNatFixup,
  detectInviteTimeout,
  detectNewConnectionMidDialog,
  detectTlsHandshakeFailed,
  detectConnectionClosedMidDialog,
  detectByeNotDelivered,
  detectDialogNotTerminated,
  detectNatBindingExpired,
  detectSipAlgSuspected,
  detectSdpPrivateAddress,
  detectRtpOneWay,
  detectRtpSourceChanged,
  detectRtpIcmpUnreachable,
  detectRtpToUnlatchedAddress,
  detectMalformedSip,
  detectRegistrationFailed,
  detectAuthFailed,
  detectCancelUnanswered,
  detectRequestLoop,
  detectMediaStopped,
];

export function runDetectors(ctx: DetectorContext, list: readonly Detector[] = detectors): { findings: Finding[]; errors: string[] } {
  const findings: Finding[] = [];
  const errors: string[] = [];
  try {
    for (const d of list) {
      try {
        // One by one: spread as arguments, tens of thousands of findings overflow the stack.
        for (const f of d.detect(ctx)) findings.push(f);
      } catch (e) {
        errors.push(`detector ${d.kind} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } finally {
    // The indexes the detectors share are theirs alone: freed before the report is written.
    releaseFlow(ctx.messages);
    releaseConnIndex(ctx.connections);
    releaseCallMedia(ctx.model);
  }
  const severityRank = { error: 0, warning: 1, info: 2 } as const;
  findings.sort((a, b) => (a.frames[0] ?? 0) - (b.frames[0] ?? 0) || severityRank[a.severity] - severityRank[b.severity]);
  return { findings, errors };
}
