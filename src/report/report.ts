/**
 * The report: the one contract between the engine and everything else (see
 * docs/REPORT.md). The CLI prints it, the worker sends it to the UI, share links
 * rebuild it, tests and the benchmark read it. Contract fields are never renamed or dropped;
 * fields marked "extra" are ours.
 */
import type { Transport } from '../capture/types.ts';
import type { MergeProposal } from '../sip/hosts.ts';

export const REPORT_VERSION = 1;

export interface ReportCapture {
  format: 'pcap' | 'pcapng';
  compressed: boolean;
  linkTypes: number[];
  packets: number;
  /** Bytes of the capture file as given (compressed size when gzip). */
  bytes: number;
  firstTime: string | null;
  lastTime: string | null;
  /** extra: bytes after gzip decompression (== bytes when not compressed). */
  decompressedBytes: number;
  /** extra: µs since epoch of first/last packet. */
  firstTimeUs: number | null;
  lastTimeUs: number | null;
  /** extra: pcapng Decryption Secrets Blocks seen (kept for TLS decryption). */
  decryptionSecrets: number;
  /**
   * extra: SIP messages seen after the memory budget ran out (see `AnalyzeOptions`): counted,
   * not parsed, kept or judged. 0 when everything fitted.
   */
  messagesNotKept: number;
  /** extra: frame of the first message not kept, or null. */
  messagesNotKeptFromFrame: number | null;
}

export interface ReportMessage {
  /** extra: position in `messages` (0-based); the id every other structure refers to. */
  index: number;
  frame: number;
  /** extra: first frame of a message reassembled from several segments/fragments. */
  firstFrame: number;
  /** extra: every frame whose bytes make up this message. */
  frames: number[];
  time: string;
  /** extra: µs since epoch. */
  timeUs: number;
  src: string;
  dst: string;
  transport: Transport;
  connection: number | null;
  method?: string;
  status?: number;
  reason?: string;
  callId: string | null;
  cseq: string | null;
  retransmission: boolean;
  encapsulation: string | null;
  /** extra: the start line ("INVITE sip:bob@… SIP/2.0" / "SIP/2.0 200 OK"). */
  startLine: string;
  /** extra: true when it carries an SDP body. */
  hasSdp: boolean;
  /** extra: the message could not be fully parsed (see the malformed-sip finding). */
  malformed?: boolean;
  /** extra (model): transaction id, dialog id, retransmission-chain info. */
  transaction?: number | null;
  dialog?: number | null;
  /** extra (model): index of the first transmission when this is a retransmission. */
  retransmissionOf?: number | null;
  /** Several captures analysed together: which of `captures` this message (and its frame) is from. */
  capture?: number;
}

export interface ReportDialog {
  fromTag: string | null;
  toTag: string | null;
  state: string;
}

export interface ReportCall {
  callId: string;
  from: string | null;
  to: string | null;
  state: string;
  startFrame: number;
  endFrame: number;
  messageCount: number;
  dialogs: ReportDialog[];
  [extra: string]: unknown;
}

export interface ReportConnection {
  id: number;
  transport: 'tcp' | 'tls' | 'ws' | 'wss';
  client: string;
  server: string;
  openedFrame: number;
  closedFrame: number | null;
  closedBy: 'fin' | 'rst' | null;
  tls: { sni: string | null; version: string | null; handshake: 'complete' | 'failed' | 'partial' | 'none'; alert: string | null; offeredVersions: string[]; clientHelloFrame: number | null; serverHelloFrame: number | null; alertFrame: number | null } | null;
  messageFrames: number[];
  /** extras */
  sawSyn: boolean;
  closedBySide: 'client' | 'server' | null;
  openedTime: string;
  closedTime: string | null;
  closeEvents: Array<{ frame: number; flag: 'fin' | 'rst'; side: 'client' | 'server' }>;
  gaps: Array<{ frame: number; side: 'client' | 'server'; bytes: number }>;
  lastFrame: number;
  /** extra: TCP segments seen, and payload bytes sent by each side (what an encrypted connection carried). */
  packets?: number;
  clientBytes?: number;
  serverBytes?: number;
  /** Several captures: which one it is in (its frames are that file's). */
  capture?: number;
}

export interface ReportRtpStream {
  /** Several captures: which one it is in (its frames are that file's). */
  capture?: number;
  ssrc: number;
  src: string;
  dst: string;
  payloadType: number;
  packets: number;
  firstFrame: number;
  lastFrame: number;
  lost: number;
  callId: string | null;
  sourceChanges: Array<{ frame: number; from: string; to: string }>;
  /** extras */
  kind: 'rtp' | 'rtcp';
  bytes: number;
  firstTime: string;
  lastTime: string;
  sequenceGaps: number;
  recognisedBy: 'sdp' | 'heuristic';
  /**
   * Media quality (contract, turn 2; see media-report.ts). `codec`: SDP rtpmap name
   * ("PCMU/8000"), else the RFC 3551 static name, else null. `expected`: RFC 3550 A.3.
   * Jitter (RFC 3550 A.8, Wireshark-compatible) and max delta in ms; null where not computed.
   */
  codec?: string | null;
  expected?: number;
  jitterMeanMs?: number | null;
  jitterMaxMs?: number | null;
  maxDeltaMs?: number | null;
  /** ITU-T G.107 E-model estimate (simplified, see capture/emodel.ts); null where not computed. */
  mos?: number | null;
  /** extras: sequence accounting (RFC 3550 A.1). */
  duplicates?: number;
  outOfOrder?: number;
  seqJumps?: number;
  markers?: number;
  /** extra: other SSRCs seen on the same src → dst flow (a sender switching SSRC). */
  ssrcChanges?: number;
  /** extra: clock rate used for jitter (0: unknown). */
  clockRate?: number;
  /** extra: arrival time elapsed − RTP clock elapsed, first to last packet (ms); null without a clock rate. */
  driftMs?: number | null;
  /** extra: RFC 4733 telephone-events. */
  dtmf?: Array<{ digit: string; frame: number; time: string; durationMs: number }>;
  /** extra: the last RTCP report block about this SSRC (fraction 0–1, jitter ms, RTT ms). */
  rtcp?: { fractionLost: number; jitterMs: number | null; rttMs: number | null } | null;
  /** extra: the E-model R-factor behind `mos`. */
  rFactor?: number | null;
  /** extra: per-second series for charts. */
  perSecond?: {
    /** µs since the Unix epoch of bucket 0. */
    startUs: number;
    packets: number[];
    lost: number[];
    /** Max jitter in that second (ms). */
    jitterMs: number[];
  };
}

export type Severity = 'error' | 'warning' | 'info';

export type FindingKind =
  | 'via-private-address'
  | 'via-missing-rport'
  | 'response-to-wrong-port'
  | 'contact-private-address'
  | 'contact-missing-port'
  | 'in-dialog-request-misrouted'
  | 'ack-missing'
  | 'excessive-nat-fixup'
  | 'invite-timeout'
  | 'new-connection-mid-dialog'
  | 'tls-handshake-failed'
  | 'connection-closed-mid-dialog'
  | 'bye-not-delivered'
  | 'dialog-not-terminated'
  | 'nat-binding-expired'
  | 'sip-alg-suspected'
  | 'sdp-private-address'
  | 'rtp-one-way'
  | 'rtp-source-changed'
  | 'rtp-icmp-unreachable'
  | 'rtp-to-unlatched-address'
  | 'malformed-sip'
  | 'registration-failed'
  | 'request-loop'
  | 'auth-failed'
  | 'cancel-unanswered'
  | 'media-stopped'
  | 'lost-between-captures';

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  callId: string | null;
  frames: number[];
  title: string;
  explanation: string;
  references: string[];
  fix: string;
  /** extra: the hop the rules say the message should have taken, for the ghost arrow. */
  expected?: { messageFrame: number; from: string; to: string; reason: string } | null;
  /** extra: connection ids involved. */
  connections?: number[];
  /** Several captures: the capture whose frames `frames` are (absent: the first, or the only one). */
  capture?: number;
  /** extra (several captures): evidence in other captures too, as `{capture, frame}`. */
  alsoFrames?: Array<{ capture: number; frame: number }>;
}

export interface ReportWarning {
  frame?: number;
  offset?: number;
  message: string;
  /** Several captures: which one it is about. */
  capture?: number;
}

export interface ReportIcmp {
  frame: number;
  time: string;
  reporter: string;
  reason: string;
  type: number;
  code: number;
  original: { protocol: number; src: string; dst: string };
  /** Several captures: which one it is in. */
  capture?: number;
}

/** One of several captures analysed together (contract: `file`, `clockOffsetUs`, `offsetSpreadUs`). */
export interface ReportCaptureRef {
  file: string;
  /** How far this capture's clock runs ahead of the first capture's (µs); its times in the report are corrected by it. */
  clockOffsetUs: number;
  /** Median absolute deviation of the per-message differences behind the offset (µs); null when nothing matched. */
  offsetSpreadUs: number | null;
  /** extra: messages seen in this capture and the first that the offset was estimated from. */
  matchedForOffset: number;
  /** extras: this capture's own figures. */
  format: 'pcap' | 'pcapng';
  packets: number;
  bytes: number;
  firstTime: string | null;
  lastTime: string | null;
  messages: number;
}

/** A NAT mapping both sides of a NAT show (contract: `inside`, `outside`, `transport`, `firstFrame`, `lastFrame`). */
export interface ReportNatMapping {
  /** "ip:port" on the private (inside) side. */
  inside: string;
  /** "ip:port" it is translated to on the outside. */
  outside: string;
  transport: Transport;
  /** Frames of the outside copies (in `capture`) of the first and last message seen through it. */
  firstFrame: number;
  lastFrame: number;
  /** extra: which capture those frames are in. */
  capture: number;
  /** extra: µs (common timeline) of the first and last message seen crossing it. */
  firstTimeUs: number;
  lastTimeUs: number;
  /** extra: messages seen crossing it. */
  messages: number;
  /** extra: the longest silence it survived (µs between two messages that both crossed it). */
  longestIdleUs: number;
  /** extra: a message toward the mapping that did not cross: how long the mapping had been idle (µs), else null. */
  droppedAfterIdleUs: number | null;
  /** extra: index (in the merged message list) of that first message that did not cross. */
  droppedMessage: number | null;
  /** extra: what showed the mapping: SIP messages, or an RTP/RTCP stream seen on both sides (then `messages` counts its packets). */
  carries?: 'sip' | 'rtp' | 'rtcp';
}

/** A header that differs between two copies of one message (contract: `message`, `header`, `before`, `after`). */
export interface ReportRewrite {
  /** Index of the later copy (the one carrying `after`). */
  message: number;
  header: string;
  before: string;
  after: string;
  /** extra: index of the earlier copy (carrying `before`). */
  from: number;
  /** extra: true when no SIP hop lies between the two copies (same Vias): a NAT's ALG or the like rewrote it. */
  noSipHop: boolean;
}

/** What lining several captures up showed (contract: `matched`, `onlyIn`, `natMappings`, `rewrites`). */
export interface ReportAlignment {
  /** Pairs of message indices that are one message seen at two points (consecutive copies, in time order). */
  matched: Array<[number, number]>;
  /** Message indices seen at one point (one capture) only. */
  onlyIn: number[];
  natMappings: ReportNatMapping[];
  rewrites: ReportRewrite[];
  /** extra: of `onlyIn`, the messages another capture was placed and recording to see, and did not. */
  lost: Array<{ message: number; missingFrom: number; mapping: number | null }>;
  /** extra: every set of copies of one message (2 or more), in time order. */
  groups: number[][];
  /** extra: RTP streams (rtpStreams indices) another capture should have seen and did not. */
  lostStreams: Array<{ stream: number; missingFrom: number }>;
}

export interface Report {
  /** extra: report schema version. */
  version: number;
  /** extra: the engine that wrote it. */
  generator: string;
  capture: ReportCapture;
  messages: ReportMessage[];
  calls: ReportCall[];
  connections: ReportConnection[];
  rtpStreams: ReportRtpStream[];
  findings: Finding[];
  warnings: ReportWarning[];
  /** extra: ICMP destination-unreachable packets, tied to flows. */
  icmp: ReportIcmp[];
  /**
   * extra: the model's proposals to show several IPs as one node in the ladder (a multihomed
   * proxy, a NATed UA's private and public address), with the reasons in words.
   */
  hosts: ReportHostProposal[];
  /**
   * extra: B2BUA legs joined into one call, each group once (`calls[].legGroup` is its `id`;
   * `calls[].legs` repeats the Call-IDs only for groups of at most 16 legs).
   */
  legGroups?: ReportLegGroup[];
  /** extra: merges the evidence suggested but refused because the addresses exchange SIP with each other (two hops), with the reason. */
  hostsRefused?: Array<{ ips: string[]; reason: string }>;
  /** Several captures analysed together, in the order given (absent for one capture). */
  captures?: ReportCaptureRef[];
  /** Several captures: how they line up (absent for one capture). */
  alignment?: ReportAlignment | null;
}

export interface ReportLegGroup {
  id: number;
  /** The legs' Call-IDs, in start order. */
  callIds: string[];
  /** How they were joined: a correlation header's name, "Session-ID", or "guess". */
  joinedBy: string | null;
}

export interface ReportHostProposal {
  ips: string[];
  kind: MergeProposal['kind'];
  reasons: string[];
  /** Frames of the messages that show it. */
  frames: number[];
}

/**
 * The range of capture times the report can write as RFC 3339 / ISO 8601 with a four-digit year:
 * 0000-01-01T00:00:00.000000Z … 9999-12-31T23:59:59.999999Z, in µs since the epoch. A packet time
 * outside it (a corrupt or hostile pcapng timestamp or `if_tsoffset`) is not a time: the engine
 * warns for that record and gives it the previous packet's time (docs/REPORT.md, "Times").
 */
export const MIN_TIME_US = -62_167_219_200_000_000;
// (The last µs of 9999 is not a double: 253_402_300_799_999_000 is the last ms, rounded down to one.)
export const MAX_TIME_US = 253_402_300_799_999_000;

/** True when `timeUs` is a finite time the report can write (see MIN_TIME_US / MAX_TIME_US). */
export function isReportableTime(timeUs: number): boolean {
  return timeUs >= MIN_TIME_US && timeUs <= MAX_TIME_US;
}

/**
 * ISO 8601 with microseconds, UTC: "2024-05-01T12:00:00.123456Z". Total: never throws. Always a
 * four-digit year (never ECMAScript's expanded "+010000-…"): a time outside the reportable range
 * is clamped to its nearest end, NaN gives the epoch. The engine keeps such times out of the
 * report in the first place; this is the last line of defence.
 */
// Captures are dense in time: the "YYYY-MM-DDTHH:MM:" part is formatted once per minute.
let isoMinute = NaN;
let isoPrefix = '';
export function isoMicros(timeUs: number): string {
  if (!(timeUs >= MIN_TIME_US && timeUs <= MAX_TIME_US)) timeUs = timeUs > MAX_TIME_US ? MAX_TIME_US : timeUs < MIN_TIME_US ? MIN_TIME_US : 0;
  const ms = Math.floor(timeUs / 1000);
  const micros = Math.min(999, Math.round(timeUs - ms * 1000));
  const minute = Math.floor(ms / 60_000);
  if (minute !== isoMinute) {
    const base = new Date(minute * 60_000).toISOString(); // …:SS.mmmZ
    isoPrefix = base.slice(0, base.length - 7);
    isoMinute = minute;
  }
  const inMinute = ms - minute * 60_000;
  const sec = Math.floor(inMinute / 1000);
  const milli = inMinute - sec * 1000;
  return `${isoPrefix}${sec < 10 ? '0' : ''}${sec}.${pad3(milli)}${pad3(micros)}Z`;
}
function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}
