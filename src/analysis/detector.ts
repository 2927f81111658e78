/**
 * The detector interface. A detector is a pure function from the analysed capture (messages,
 * the SIP model, connections, media) to findings; it never touches the view. Every finding kind
 * of the contract (docs/REPORT.md) has one detector file; `registry.ts` lists them.
 */
import type { ConnectionInfo, IcmpUnreachable, RtpStreamStats } from '../capture/types.ts';
import type { Finding, FindingKind, Severity } from '../report/report.ts';
import type { SipModel } from '../sip/model.ts';
import type { CapturedMessage } from '../sip/types.ts';

/**
 * What the detectors read of the SIP model: each message's routing check and the media tied to
 * calls. Only these: the engine lets the rest of the model (its dialogs and calls, written into
 * the report by then) go before the detectors run, where the analysis peaks.
 */
export type DetectorModel = Pick<SipModel, 'hops' | 'media'>;

export interface DetectorContext {
  messages: readonly CapturedMessage[];
  model: DetectorModel;
  connections: readonly ConnectionInfo[];
  rtpStreams: readonly RtpStreamStats[];
  icmp: readonly IcmpUnreachable[];
  /** Time of the last packet in the capture (µs), for "still up at capture end" judgements. */
  captureEndUs: number;
}

export interface Detector {
  kind: FindingKind;
  /** What it looks for, one line (shown in the UI's legend). */
  title: string;
  /** The worst severity it can report. */
  severity: Severity;
  detect(ctx: DetectorContext): Finding[];
}
