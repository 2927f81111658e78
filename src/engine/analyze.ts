/**
 * The engine: capture bytes in, report out. One pass, streaming, in five named stages
 * (`analyzeIterator` calls them in this order):
 *
 *   1. readCapture      bytes ─▶ (gunzip) ─▶ container reader (pcap/pcapng) ─▶ NetworkDecoder (link,
 *                       IP, fragments, tunnels) ─▶ TransportDecoder (UDP, TCP reassembly, TLS metadata,
 *                       WebSocket, HEP, SCTP, RTP, ICMP) ─▶ CapturePass.onApp: one CapturedMessage per
 *                       SIP message (parsed; SDP announces media ports back), within the memory budget;
 *                       1.5 s in, a large capture's calls read so far go to `options.onReading`
 *   2. addDecryptedTls  SIP over TLS decrypted with the key log(s), then `messages` in capture order,
 *                       written as the report's message columns (readReport: a large capture's
 *                       calls as read go to `options.onRead`, before the model)
 *   3. model            SIP model (transactions, dialogs, calls, hosts, media) and each call's
 *                       outcome, on what was analysed (a budget cut is said in one warning)
 *   4. writeReport      the report (docs/REPORT.md), its findings still empty: a large capture's
 *                       call list goes to `options.onListed` here, before the detectors run
 *   5. judge            the detectors' index of the messages, then the parses let go (a detector
 *                       wanting more has a message parsed again), detectors ─▶ findings judged on
 *                       what was analysed, one verdict per call, written into the report
 *
 * TLS: protected records are kept during the pass; afterwards, with a key log (pcapng Decryption
 * Secrets Blocks and/or `options.keyLog`), they are decrypted (capture/tls-decrypt.ts) and their
 * SIP joins the messages in capture order before the model is built.
 *
 * No DOM and no Node built-ins here: the Web Worker and the CLI run exactly this code. Memory
 * stays flat as the file grows because packets are not kept: RTP is counted, SIP text is kept, or
 * for a message that lies whole in one record of an uncompressed file (`options.readAt`), read
 * again from the file when asked (capture/reread.ts).
 */
import { openContainer, sniffContainer } from '../capture/sniff.ts';
import { gunzipChunks } from '../capture/source.ts';
import { concatBytes } from '../capture/bytes.ts';
import { NetworkDecoder } from '../capture/network.ts';
import { TransportDecoder } from '../capture/transport.ts';
import type { AppPayload, CaptureWarning, ConnectionInfo, ContainerReader, IcmpUnreachable, RtpStreamStats } from '../capture/types.ts';
import { endpointKey } from '../capture/types.ts';
import { DSB_TLS_KEY_LOG, KeyLog } from '../capture/keylog.ts';
import { Reread } from '../capture/reread.ts';
import type { ReadAt } from '../capture/reread.ts';
import type { PacketRecord } from '../capture/types.ts';
import { Captured, startLineOf, startLineOfBytes } from '../sip/captured.ts';
import { intern } from '../sip/intern.ts';
import { decryptTlsSessions, decryptedPayloads } from '../capture/tls-decrypt.ts';
import type { TlsSession } from '../capture/tls.ts';
import { createSipFramer } from '../sip/framing.ts';
import { looksLikeSipStart } from '../sip/detect.ts';
import { forgetRecentValues, latin1, parseSip } from '../sip/parser.ts';
import type { ParsedRequest, ParsedResponse } from '../sip/message.ts';
import type { CapturedMessage, CSeq } from '../sip/types.ts';
import { buildModel, reportCalls, reportLegGroups } from '../sip/model.ts';
import { forgetSentByKeys } from '../sip/modelutil.ts';
import { forgetAddressStrings } from '../capture/ip.ts';
import type { SipModel } from '../sip/model.ts';
import { runDetectors } from '../analysis/registry.ts';
import { indexFlowReleasingParses } from '../analysis/lib/flow.ts';
import { dropParse, parsedAgain } from './kept.ts';
import type { DetectorModel } from '../analysis/detector.ts';
import { findingsBeforeCut } from '../analysis/truncation.ts';
import { verdicts } from '../analysis/verdict.ts';
import type { Finding, Report, ReportCall, ReportConnection, ReportMessage, ReportRtpStream, ReportWarning } from '../report/report.ts';
import { isoMicros, isReportableTime, REPORT_VERSION } from '../report/report.ts';
import { annotate, ColumnsBuilder, copyColumns, messageList } from '../report/message-table.ts';
import type { MessageColumns } from '../report/message-table.ts';
import { rtpQualityFields } from './media-report.ts';
import { streamCodecs } from '../sip/media.ts';

export type Stage = 'reading' | 'decoding' | 'model' | 'diagnosis' | 'done';

export interface Progress {
  stage: Stage;
  /** Bytes of the input consumed so far (compressed bytes for gzip input). */
  bytesRead: number;
  totalBytes: number;
  packets: number;
  messages: number;
}

export interface AnalyzeOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /**
   * A TLS key log (NSS key log format: SSLKEYLOGFILE text) to decrypt SIP over TLS, in
   * addition to any key log a pcapng carries in Decryption Secrets Blocks.
   */
  keyLog?: string;
  /**
   * Heap the analysis may use for SIP messages and what is built on them, in bytes (estimated
   * per message). Once it is spent, further SIP messages are counted, not parsed or kept, and a
   * warning says from which frame: a signalling-heavy capture too big for memory gives a report of
   * its first part instead of an out-of-memory crash. Default 1.5 GB; the CLI derives it from
   * Node's heap limit, the worker from the browser's.
   */
  memoryBudgetBytes?: number;
  /**
   * The report before the detectors run (stage 4), for a capture of at least
   * LISTED_EARLY_MESSAGES SIP messages: every field written except `findings` (empty) and the
   * calls' `verdict` (null), and the warnings about detectors and dropped warnings, which come
   * with the final report. The page lists the calls from it while the diagnosis runs (on the
   * bench's 140,000-message file the detectors and verdicts are ~2 of its ~7 s). Called at most
   * once; the same object is then completed, so take what you need (the worker posts a copy).
   */
  onListed?: (report: Report) => void;
  /**
   * Earlier still, once the capture is read and before the model is built (stage 2), for the
   * same large captures: a provisional report of the calls as read — one per Call-ID with its
   * first request's From and To, its frames and message count, state '' — the messages (without
   * their transaction, dialog and retransmission marks), the connections and the capture summary;
   * no RTP streams, hosts, findings or verdicts yet. On the 200 MB bench capture the model takes
   * about as long as the reading, so the calls are on screen in about half the time. The report
   * is the caller's: its message columns are a copy of the engine's, which the engine uses on
   * (the worker moves them to the page).
   */
  onRead?: (report: Report) => void;
  /**
   * Earliest: once, READING_SNAPSHOT_MS into the reading of a capture that has by then at least
   * READING_SNAPSHOT_MESSAGES SIP messages, the calls read so far, as `onRead` gives them (no
   * connections yet; message positions may still change when TCP or TLS messages complete late),
   * for the page to show the start of the capture while the rest is read — as sngrep lists
   * calls as it reads them.
   */
  onReading?: (report: Report) => void;
  /** When `onReading` is called (default READING_SNAPSHOT_MS and READING_SNAPSHOT_MESSAGES). */
  readingSnapshotAt?: { ms: number; messages: number };
  /** From how many SIP messages `onRead` and `onListed` are called (default LISTED_EARLY_MESSAGES). */
  listedFrom?: number;
  /**
   * A full garbage collection, where the runtime offers one (the CLI: Node's `gc`). The engine
   * calls it inside the model build, for a capture of at least LISTED_EARLY_MESSAGES SIP
   * messages, once the transaction and dialog pass's working tables have become garbage: they
   * are older than the young generation by then, and left alone they lift the heap to its peak
   * before the detectors run (sip-dense in the CLI: peak RSS 621–629 → 594–601 MB, five
   * alternating runs each); and again once the messages' parses are let go (`keepParse`), before
   * the detectors run (the 200 MB bench capture: peak RSS 1,489–1,491 MB without it,
   * 1,418–1,423 with).
   */
  collectGarbage?: () => void;
  /**
   * Keep each message's parse (`sip`) in the analysis returned. Without it the parses go once the
   * detectors' index is built, before the detectors run, where the analysis peaks (~0.35 KB per
   * message on a signalling capture): a detector that needs more of a message than the index
   * holds has it parsed again (analysis/lib/flow.ts `Msg.sip`), and so does whoever reads an
   * analysis's messages later (`parsedAgain`; `sip` is then null, `parseError` still says which
   * never parsed). For the alignment of several captures, which compares the messages' parses.
   */
  keepParse?: boolean;
  /**
   * Random access to the input's bytes, for an uncompressed file (the file itself, as it stays
   * while the analysis is used: the CLI reads it with `readSync`, the worker the dropped File with
   * FileReaderSync). With it, a message that lies whole in one packet record of the file keeps its
   * offset rather than its text, which is read again from here when asked (capture/reread.ts): on
   * a signalling capture the text is a fifth of what the analysis holds. Ignored for gzip input.
   */
  readAt?: ReadAt;
}

/**
 * From how many SIP messages the report is handed to `onListed` before the diagnosis: below it
 * the detectors take a fraction of a second, and a second copy of the calls to the page would
 * cost more than it saves.
 */
export const LISTED_EARLY_MESSAGES = 20_000;
/** When, and from how many SIP messages read by then, `onReading` gets the calls read so far. */
export const READING_SNAPSHOT_MS = 1_500;
export const READING_SNAPSHOT_MESSAGES = 2_000;

export const DEFAULT_MEMORY_BUDGET = 1_500_000_000;

/**
 * The budget for a runtime's heap limit in bytes: 60% of what is left above a fixed reserve for
 * the runtime itself (the code, the caches, the capture layer's tables: a few tens of MB, which
 * at a small heap is most of the margin), the rest for the report, its JSON or its copy to the
 * page, and everything else; or the default when the limit is unknown.
 */
export function memoryBudgetFor(heapLimit: number | undefined): number {
  return typeof heapLimit === 'number' && Number.isFinite(heapLimit) && heapLimit > 0 ? Math.floor(Math.max(heapLimit - HEAP_RESERVE, heapLimit * 0.25) * 0.6) : DEFAULT_MEMORY_BUDGET;
}
const HEAP_RESERVE = 64 * 1024 * 1024;

/**
 * Heap per kept SIP message at the analysis's peak (the detectors running over the model), and
 * per Call-ID (a call, its dialog, its row, its entries in the detectors' indexes), measured as
 * the smallest Node heap (--max-old-space-size, MiB) that analyses a capture whole. On
 * 2026-12-04, once the builders stopped leaving grown copies behind:
 * - sip-dense, 464-byte messages, 7 per call: 140,000 messages in 400 MiB (not in 375), ~3.0 KB
 *   each; sip-udp-100MB, 357-byte messages, 7 per call, no value repeated between calls: 241,059
 *   in 650 MiB (not in 600), ~2.8 KB;
 * - one INVITE per Call-ID (a scanner's trace, ~360 bytes each): ~4.7–5.2 KB per message, the
 *   call's own share being what the bench files spread over seven messages.
 * Later that day the model was let go before the detectors run (only its routing checks and
 * media stay) and the header arena became 16-bit: sip-dense then ran in 350 MiB (not in 335),
 * sip-udp-100MB in 600 (not in 550), ~2.6 KB per message each. The estimate (1.9 KB + 2 per
 * byte per message, 2.5 KB per new Call-ID; it was 2.3 KB + 2 per byte) keeps 14–21% above
 * them; a budget sized for 256, 512 and 1,024 MiB ran sip-dense and both scanner traces (with
 * and without SDP) in 160, 400 and 800 MiB.
 * The next day the parses went before the detectors run, each as the detectors' index takes
 * what it needs of it: sip-dense then ran in 315 MiB (not in 310), sip-udp-100MB in 520 (not in
 * 500), ~2.3 KB per message each, and the estimate became 1.5 KB + 2 per byte per message (it
 * keeps 14–18% above them); a budget sized for 256, 512 and 1,024 MiB ran sip-dense,
 * sip-udp-100MB and both scanner traces in 160, 400 and 800 MiB, and sip-dense and the scanner
 * trace without SDP in 140, 350 and 700 MiB.
 * Then a message that lies whole in one record of the file stopped keeping its text (read again
 * from the file when asked: capture/reread.ts): sip-dense ran in 275 MiB (not in 270),
 * sip-udp-100MB in 460 (not in 440), ~2.0 KB per message each, and the estimate became 1.6 KB +
 * 1 per byte for such a message, 2 per byte for one that keeps its text (16–18% above them); a
 * budget sized for 256, 512 and 1,024 MiB ran the same four captures in 160, 400 and 800 MiB,
 * and sip-dense and the scanner trace in 140, 350 and 700 MiB.
 * Then the model kept its transactions as columns, the detectors' flow messages packed their
 * flags and dialog routing snapshots were shared: sip-dense ran in 245 MiB (not in 235),
 * sip-udp-100MB in 420 (not in 400), ~1.8 KB per message each, and the estimate became 1.4 KB +
 * 1 or 2 per byte (16–21% above them); a budget sized for 256, 512 and 1,024 MiB ran sip-dense,
 * sip-udp-100MB, a 100 MB scanner trace (237,889 INVITEs, each its own call) and a 105 MB trace
 * of interleaved authentications in 140, 350 and 700 MiB.
 * On 2026-12-05 a parse went from 27 fields to 17 (sip/message.ts: its lengths in the header
 * arena, its rarely unusual fields in one shared object): sip-dense ran in 235 MiB (not in 225),
 * sip-udp-100MB in 390 (not in 375; it had needed 405, not 395, the same hour), and the
 * estimate became 1.33 KB + 1 or 2 per byte (20–22% above them).
 */
const MESSAGE_HEAP_BASE = 1_330;
/** Per byte of a message whose text is kept; one whose text is read again from the file (capture/reread.ts) counts half. */
const MESSAGE_HEAP_PER_BYTE = 2;
const CALL_HEAP = 2_500;

/** What the kept SIP messages are counted for against the memory budget: each by its bytes, each new Call-ID once. */
class HeapTally {
  total = 0;
  private calls = new Set<string>();

  add(bytes: number, textKept: boolean, callId: string | null | undefined): void {
    this.total += MESSAGE_HEAP_BASE + (textKept ? MESSAGE_HEAP_PER_BYTE : MESSAGE_HEAP_PER_BYTE / 2) * bytes;
    if (callId && !this.calls.has(callId)) {
      this.calls.add(callId);
      this.total += CALL_HEAP;
    }
  }

  /** The Call-IDs seen are not needed once every message is counted (the total stays). */
  forgetCalls(): void {
    this.calls = new Set();
  }
}

/**
 * The smallest budget that keeps the first `count` of these messages (in the order the capture
 * gives them) and no more: a message is kept while what those before it are counted for is under
 * the budget. For tests that cut a capture at a chosen message.
 */
export function budgetForFirst(messages: readonly CapturedMessage[], count: number): number {
  const tally = new HeapTally();
  for (let i = 0; i < count && i < messages.length; i++) {
    const m = messages[i]!;
    const readAgain = m instanceof Captured && !m.textKept;
    tally.add(readAgain ? m.rawLength : m.raw.length, !readAgain, parsedAgain(m)?.callId);
  }
  return tally.total;
}

/** The analysis with everything the app needs beyond the report (the messages with their text, kept or read again from the file). */
export interface Analysis {
  report: Report;
  /** The SIP messages in capture order; their `sip` is null unless `keepParse` (read it with `parsedAgain`). */
  messages: CapturedMessage[];
  /** pcapng Decryption Secrets Blocks, kept for a later TLS-decryption step. */
  secrets: Array<{ type: number; data: Uint8Array }>;
}

/** The input is not a capture at all: wrong magic, empty, unreadable. */
export class NotACaptureError extends Error {
  readonly code = 'not-a-capture';
}

export class CancelledError extends Error {
  readonly code = 'cancelled';
  constructor() {
    super('analysis cancelled');
  }
}

const MAX_WARNINGS = 1000;
const GENERATOR = 'sipladder 0.1.0';

/** One input chunk and how far into the (compressed) input it reaches. */
export interface InputChunk {
  bytes: Uint8Array;
  /** Input bytes consumed once this chunk is processed. */
  end: number;
}

/** Analyse a stream of chunks of a capture file (pcap, pcapng, optionally gzip-compressed). */
export async function analyzeChunks(
  input: AsyncIterable<InputChunk>,
  totalBytes: number,
  options: AnalyzeOptions = {},
): Promise<Analysis> {
  const it = input[Symbol.asyncIterator]();
  try {
    return await analyzeIterator(it, totalBytes, options);
  } finally {
    // Release what is behind the input (an open file) whether we finished, failed or stopped early.
    await it.return?.();
  }
}

/** The pipeline, stage by stage (see the header comment). */
async function analyzeIterator(it: AsyncIterator<InputChunk>, totalBytes: number, options: AnalyzeOptions): Promise<Analysis> {
  const pass = new CapturePass(totalBytes, options);
  const read = await addDecryptedTls(pass, await readCapture(it, pass, options), options);
  if (options.signal?.aborted) throw new CancelledError();
  pass.putInCaptureOrder();
  // Every message is read and parsed: the reading's caches and tallies go (CapturePass.readDone).
  pass.readDone();
  const early = pass.messages.length >= (options.listedFrom ?? LISTED_EARLY_MESSAGES);
  const columns = messageColumns(pass.messages);
  if (options.onRead && early) options.onRead(readReport(pass, read, columns, read.connections));
  const { report, forDetectors } = modelAndReport(pass, read, columns, early, options);
  judge(pass, forDetectors, report, options.keepParse === true, early ? options.collectGarbage : undefined);
  pass.progress('done', totalBytes);
  return { report, messages: pass.messages, secrets: pass.secrets };
}

/**
 * Stages 3 and 4 (model, writeReport), and what the detectors need of them. The model itself is
 * not returned: once the report is written, only its routing checks and media are read again
 * (DetectorModel), so its dialogs and calls (~240 bytes per message on a signalling capture) are
 * garbage before the detectors run.
 */
function modelAndReport(pass: CapturePass, read: ReadCapture, columns: MessageColumns, early: boolean, options: AnalyzeOptions): { report: Report; forDetectors: ForDetectors } {
  const modelled = model(pass, read, early ? options.collectGarbage : undefined);
  const report = writeReport(pass, read, modelled, columns);
  if (options.onListed && early) options.onListed(report);
  const { model: m, calls, connections, rtpStreams, icmp } = modelled;
  return { report, forDetectors: { model: { hops: m.hops, media: m.media }, calls, connections, rtpStreams, icmp } };
}

/**
 * What the one pass accumulates: the SIP messages (one CapturedMessage per application payload,
 * within the memory budget), the warnings (capped), the pcapng secrets, and the counts the report
 * and the progress bar need.
 */
class CapturePass {
  readonly messages: CapturedMessage[] = [];
  readonly warnings: ReportWarning[] = [];
  readonly secrets: Array<{ type: number; data: Uint8Array }> = [];
  droppedWarnings = 0;
  packets = 0;
  firstTimeUs: number | null = null;
  lastTimeUs: number | null = null;
  decompressedBytes = 0;
  bytesRead = 0;
  /** Past the budget: SIP messages counted, not kept (see AnalyzeOptions.memoryBudgetBytes). */
  readonly budget: number;
  private readonly heap = new HeapTally();
  notKept = 0;
  notKeptFrom: number | null = null;
  notKeptFromUs: number | null = null;
  notKeptLast = 0;
  /** Set once the transport decoder exists: SDP announces media ports to it. */
  transport: TransportDecoder | null = null;
  /** The input read again (AnalyzeOptions.readAt), or null: then every message keeps its text. */
  reread: Reread | null;
  /** The packet record being decoded (null outside the reading, e.g. for decrypted TLS). */
  record: PacketRecord | null = null;

  constructor(
    readonly totalBytes: number,
    private readonly options: AnalyzeOptions,
  ) {
    this.budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
    this.reread = options.readAt ? new Reread(options.readAt) : null;
  }

  /** Every message is read, counted and parsed: what only the reading needed goes. */
  readDone(): void {
    this.heap.forgetCalls();
    forgetRecentValues();
    forgetAddressStrings();
  }

  /**
   * Where these bytes are in the input, when they lie whole in the data of the record being
   * decoded (a view into it: UDP, one TCP segment, a tunnel), or -1 (a copy: reassembled, HEP,
   * decrypted, unmasked; or no record, or no way to read the input again).
   */
  readonly offsetInInput = (bytes: Uint8Array): number => {
    const r = this.record;
    if (r === null || this.reread === null || r.dataOffset === undefined) return -1;
    let data: Uint8Array;
    let from: number;
    let to: number;
    if (r.buf !== undefined && r.start !== undefined && r.end !== undefined) {
      data = r.buf;
      from = r.buf.byteOffset + r.start;
      to = r.buf.byteOffset + r.end;
    } else {
      data = r.data;
      from = data.byteOffset;
      to = from + data.length;
    }
    if (bytes.buffer !== data.buffer || bytes.byteOffset < from || bytes.byteOffset + bytes.length > to) return -1;
    return r.dataOffset + (bytes.byteOffset - from);
  };


  /** The memory-budget warning, put first once the pass is done: not one of the MAX_WARNINGS. */
  budgetWarned = false;

  readonly warn = (w: CaptureWarning): void => {
    if (this.warnings.length - (this.budgetWarned ? 1 : 0) < MAX_WARNINGS) this.warnings.push({ ...w });
    else this.droppedWarnings++;
  };

  progress(stage: Stage, bytesRead = this.bytesRead): void {
    this.bytesRead = bytesRead;
    this.options.onProgress?.({ stage, bytesRead, totalBytes: this.totalBytes, packets: this.packets, messages: this.messages.length });
  }

  /** One application payload → one CapturedMessage (also for decrypted TLS after the pass). */
  readonly onApp = (p: AppPayload): void => {
    if (this.heap.total >= this.budget) {
      this.notKept++;
      if (this.notKeptFrom === null) {
        this.notKeptFrom = p.frame;
        this.notKeptFromUs = p.timeUs;
      }
      this.notKeptLast = Math.max(this.notKeptLast, p.frame);
      return;
    }
    const parsed = parseSip(p.bytes);
    // Where the input can be read again and the message lies whole in this record, its text is
    // not kept (capture/reread.ts): read again, it is these bytes one character per byte.
    const at = p.at ?? this.offsetInInput(p.bytes);
    this.heap.add(p.bytes.length, at < 0, parsed.ok ? parsed.message.callId : null);
    // One copy of the text: the parser's when it decoded byte for byte (ASCII), else one character
    // per byte (ISO-8859-1, the same in every runtime: a browser's TextDecoder('latin1') is
    // windows-1252, which turns 0x80–0x9F into other characters, and the message would not parse
    // again into the same bytes).
    const same = parsed.ok && parsed.message.raw.length === p.bytes.length && !parsed.message.raw.includes('\uFFFD');
    const raw = at >= 0 ? null : same ? parsed.message.raw : latin1(p.bytes);
    const captureNotes = p.notes || p.incomplete ? [...(p.notes ?? []), ...(p.incomplete ? [`incomplete: ${p.incomplete}`] : [])] : undefined;
    if (parsed.ok && captureNotes) parsed.message.notes = [...parsed.message.notes, ...captureNotes];
    const m = new Captured(
      this.messages.length,
      p.frame,
      p.firstFrame,
      // Absent when the message came in its one frame (CapturedMessage.frames).
      p.frames.length === 1 && p.frames[0] === p.frame ? undefined : p.frames,
      p.timeUs,
      p.src,
      p.dst,
      p.transport,
      p.connection,
      p.encapsulation,
      parsed.ok ? parsed.message : null,
      parsed.ok ? null : parsed.reason + (p.incomplete ? ` (${p.incomplete})` : ''),
      captureNotes,
      // One string per repeated start line ("SIP/2.0 200 OK" is most of them), cut from the
      // parse's text when that is the bytes one character per byte.
      intern(same ? startLineOf(parsed.message.raw) : startLineOfBytes(p.bytes)),
      raw,
      this.reread,
      at,
      p.bytes.length,
    );
    // The parse then does not keep the text either, when its text is the same.
    if (raw === null && same) (parsed.message as ParsedRequest | ParsedResponse).textFrom(m);
    this.messages.push(m);
    if (parsed.ok && parsed.message.sdp && this.transport) {
      for (const m of parsed.message.sdp.media) {
        if (m.connection && m.port > 0) this.transport.announceMedia(m.connection, m.port, 'rtp');
        this.transport.announceCodecs(m.connection, m.port, m.codecs);
      }
    }
  };

  /**
   * `messages` is in capture order: by completion frame. TCP bytes held across a lost segment,
   * and decrypted TLS, complete after later messages were emitted; a stable sort puts them back.
   */
  putInCaptureOrder(): void {
    const m = this.messages;
    if (inFrameOrder(m)) return;
    m.sort((a, b) => a.frame - b.frame); // stable: same-frame messages keep their order
    for (let i = 0; i < m.length; i++) m[i]!.index = i;
  }
}

/** What the one pass leaves besides the pass's messages: the transport decoder (for TLS decryption) and the container. */
interface Reading {
  transport: TransportDecoder;
  format: ContainerReader['format'];
  linkTypes: number[];
  compressed: boolean;
}

/**
 * What reading the capture leaves once TLS is decrypted: the container and the transport's tables.
 * The decoders themselves are dropped there (their reassembly state, the media ports SDP announced
 * — on a signalling capture a few entries per call): nothing after the reading uses them, and kept
 * they stayed alive through the model and the detectors, where the analysis peaks.
 */
interface ReadCapture {
  format: ContainerReader['format'];
  linkTypes: number[];
  compressed: boolean;
  connections: ConnectionInfo[];
  rtpStreams: RtpStreamStats[];
  icmp: IcmpUnreachable[];
}

/**
 * Stage 1, the one streaming pass: sniff (gzip?) and open the container, then every record through
 * the network decoder (link, IP, fragments, tunnels) and the transport decoder (UDP, TCP
 * reassembly, TLS, WebSocket, HEP, SCTP, RTP, ICMP), whose SIP payloads become messages.
 */
async function readCapture(it: AsyncIterator<InputChunk>, pass: CapturePass, options: AnalyzeOptions): Promise<Reading> {
  const { signal, onReading } = options;
  const snapshotAt = options.readingSnapshotAt ?? { ms: READING_SNAPSHOT_MS, messages: READING_SNAPSHOT_MESSAGES };
  const transport = new TransportDecoder({ app: pass.onApp, warning: pass.warn }, { framer: createSipFramer, isSipStart: looksLikeSipStart, locate: pass.offsetInInput });
  pass.transport = transport;
  const network = new NetworkDecoder({ ip: (ip) => transport.packet(ip), warning: pass.warn });

  // Peek the first chunk to sniff gzip; then feed everything through the container reader.
  const first = await it.next();
  if (first.done || first.value.bytes.length === 0) throw new NotACaptureError('empty file: no bytes to read');
  const head = first.value.bytes;
  const sniff = sniffContainer(head);
  if (sniff.kind === 'unknown') throw new NotACaptureError(sniff.reason);
  const compressed = sniff.kind === 'gzip';
  // Offsets in the decompressed stream are not offsets in the file: every message keeps its text.
  if (compressed) pass.reread = null;

  async function* raw(): AsyncGenerator<Uint8Array> {
    pass.bytesRead = first.value!.end;
    yield compressed ? head.slice() : head;
    for (;;) {
      if (signal?.aborted) throw new CancelledError();
      const n = await it.next();
      if (n.done) return;
      pass.bytesRead = n.value.end;
      // The decompressor may still hold a chunk when the next is read: give it its own copy,
      // because an input may reuse its buffers (the CLI's file reader does).
      yield compressed ? n.value.bytes.slice() : n.value.bytes;
    }
  }
  const stream: AsyncIterable<Uint8Array> = compressed ? gunzipChunks(raw()) : raw();

  const outOfRangeTime = (frame: number, timeUs: number): number => {
    const seconds = Number.isFinite(timeUs) ? `${(timeUs / 1e6).toExponential(3)} s from 1970` : String(timeUs);
    pass.warn({ frame, message: `frame ${frame}: its timestamp (${seconds}) is outside the years 0000–9999 a report can write; it is given the previous packet's time` });
    return pass.lastTimeUs ?? 0;
  };
  const sink = {
    packet: (rec: { frame: number; timeUs: number }) => {
      // A time no report can write (a corrupt pcapng timestamp or if_tsoffset): a warning for
      // this record, which takes the previous packet's time, instead of a lost report.
      if (!isReportableTime(rec.timeUs)) rec.timeUs = outOfRangeTime(rec.frame, rec.timeUs);
      pass.packets = rec.frame;
      if (pass.firstTimeUs === null) pass.firstTimeUs = rec.timeUs;
      pass.lastTimeUs = rec.timeUs;
      // `rec` is the full PacketRecord; NetworkDecoder reads it during this call only, and so
      // does the pass (where a message's bytes lie in the input).
      pass.record = rec as PacketRecord;
      network.packet(rec as Parameters<NetworkDecoder['packet']>[0]);
      pass.record = null;
    },
    warning: pass.warn,
    secrets: (type: number, data: Uint8Array) => pass.secrets.push({ type, data: data.slice() }),
  };

  pass.progress('reading');
  const started = performance.now();
  let snapshot = onReading === undefined;
  let reader: ContainerReader | null = null;
  // The container is sniffed on its first 64 bytes (a decompressor may hand out tiny chunks).
  let pendingHead: Uint8Array[] = [];
  let pendingBytes = 0;
  const flushHead = (): ContainerReader => {
    const bytes = pendingHead.length === 1 ? pendingHead[0]! : concatBytes(pendingHead);
    pendingHead = [];
    const opened = openContainer(bytes, sink);
    if ('error' in opened) throw new NotACaptureError(compressed ? `gzip file does not hold a capture: ${opened.error}` : opened.error);
    opened.push(bytes);
    return opened;
  };
  try {
    for await (const chunk of stream) {
      if (signal?.aborted) throw new CancelledError();
      pass.decompressedBytes += chunk.length;
      if (reader === null) {
        pendingHead.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= 64) reader = flushHead();
      } else {
        reader.push(chunk);
      }
      pass.progress('decoding');
      if (!snapshot && reader !== null && pass.messages.length >= snapshotAt.messages && performance.now() - started >= snapshotAt.ms) {
        snapshot = true;
        try {
          onReading!(readReport(pass, { format: reader.format, linkTypes: reader.linkTypes(), compressed }, messageColumns(pass.messages), [], false));
        } catch {
          // Only the early view is lost (the reading goes on): it is a view, not part of the report.
        }
      }
    }
    if (reader === null && pendingBytes > 0) reader = flushHead();
  } catch (e) {
    if (e instanceof NotACaptureError || e instanceof CancelledError) throw e;
    // A broken gzip stream or a read error: keep what was read, say what happened.
    pass.warn({ offset: pass.decompressedBytes, message: `reading stopped at byte ${pass.decompressedBytes}: ${e instanceof Error ? e.message : String(e)}` });
  }
  if (reader === null) throw new NotACaptureError(compressed ? 'gzip file is empty or corrupt' : 'empty file: no bytes to read');
  reader.end();
  network.end();
  transport.end();
  if (signal?.aborted) throw new CancelledError();
  return { transport, format: reader.format, linkTypes: reader.linkTypes(), compressed };
}

/**
 * Stage 2: SIP over TLS, decrypted with the key log(s) (pcapng secrets and/or `options.keyLog`);
 * then the transport's tables are taken and the decoders let go (ReadCapture).
 */
async function addDecryptedTls(pass: CapturePass, reading: Reading, options: AnalyzeOptions): Promise<ReadCapture> {
  const { transport, format, linkTypes, compressed } = reading;
  const added = await decryptTls(transport.tlsSessions(), pass.secrets, options.keyLog, pass.warn);
  if (options.signal?.aborted) throw new CancelledError();
  for (const p of added) pass.onApp(p);
  pass.transport = null;
  return { format, linkTypes, compressed, connections: transport.connections(), rtpStreams: transport.rtpStreams(), icmp: transport.icmp() };
}

/** What the model made of the messages: the model, each call's report entry (no verdict yet), and the transport's tables. */
interface Modelled {
  model: SipModel;
  calls: ReportCall[];
  connections: ConnectionInfo[];
  rtpStreams: RtpStreamStats[];
  icmp: IcmpUnreachable[];
}

/**
 * Stage 3: the SIP model (transactions, dialogs, calls, hosts, media) and each call's outcome,
 * on what was analysed; a budget cut is said in one warning, first.
 */
function model(pass: CapturePass, read: ReadCapture, afterPass: (() => void) | undefined): Modelled {
  pass.progress('model');
  const { connections, rtpStreams, icmp } = read;
  const messages = pass.messages;
  const model = buildModel({ messages, connections, rtpStreams, icmp, captureEndUs: pass.lastTimeUs ?? undefined, afterPass });
  const calls = reportCalls(model, pass.notKeptFromUs);
  // Only the model's build asked for them.
  forgetSentByKeys();
  if (pass.notKept > 0) {
    pass.budgetWarned = true;
    pass.warnings.unshift({
      frame: pass.notKeptFrom ?? undefined,
      message:
        `memory budget reached after ${messages.length} SIP messages (about ${Math.round(pass.budget / 1e6)} MB): ` +
        `${pass.notKept} later SIP messages (frames ${pass.notKeptFrom}–${pass.notKeptLast}) were counted but not analysed, ` +
        'so calls still open there look unfinished; split the capture (editcap -c) or filter it to the calls you need' +
        ' (the CLI takes a larger budget from node --max-old-space-size)',
    });
  }
  return { model, calls, connections, rtpStreams, icmp };
}

/** What the detectors run over besides the messages: the model's parts they read, the report's calls, the transport's tables. */
interface ForDetectors extends Omit<Modelled, 'model'> {
  model: DetectorModel;
}

/**
 * Stage 5: the detectors over the model, judged only on what was analysed, and each call's
 * verdict, written into the report (its findings, its calls' verdicts, the last warnings).
 */
function judge(pass: CapturePass, input: ForDetectors, report: Report, keepParse: boolean, collectGarbage: (() => void) | undefined): void {
  pass.progress('diagnosis');
  const { model, calls, connections, rtpStreams, icmp } = input;
  if (!keepParse) {
    // The detectors' index holds what they compare on every message: the parses can go first.
    try {
      indexFlowReleasingParses(pass.messages);
      dropParse(pass.messages);
      // Their parses are garbage now, in the old generation: collected before the detectors add theirs.
      collectGarbage?.();
    } catch {
      // A bug: each detector meets it again, and it becomes their warnings (runDetectors), on the
      // messages as they were.
      for (const m of pass.messages) m.sip = parsedAgain(m);
    }
  }
  const { findings, errors } = runDetectors({ messages: pass.messages, model, connections, rtpStreams, icmp, captureEndUs: pass.lastTimeUs ?? 0 });
  for (const e of errors) pass.warn({ message: e });
  const reread = pass.reread;
  if (reread !== null && reread.failures > 0) {
    pass.warnings.push({ message: `the capture file could not be read again for ${reread.failures} message text${reread.failures === 1 ? '' : 's'} (${reread.firstFailure ?? 'unknown reason'}): has it changed since it was opened? Those messages were judged without their text` });
  }
  if (pass.droppedWarnings > 0) pass.warnings.push({ message: `${pass.droppedWarnings} more warnings not listed` });
  report.findings = judgedOnWhatWasRead(findings, calls, pass.notKeptFrom);
}

/**
 * Stage 4: the report (docs/REPORT.md) from the pass and the model. Its `findings` are empty and
 * its calls' verdicts null until stage 5 (judge) writes them.
 */
function writeReport(pass: CapturePass, read: ReadCapture, modelled: Modelled, columns: MessageColumns): Report {
  const { messages } = pass;
  const { model, connections, rtpStreams, icmp } = modelled;
  // The model's marks into the message columns written after the pass.
  const annotations = model.annotations;
  for (let mAt = 0; mAt < messages.length; mAt++) {
    const m = messages[mAt]!;
    annotate(columns, m.index, annotations.at(m.index));
  }
  const quality = rtpQualityFields(rtpStreams, streamCodecs(rtpStreams, model.media));
  const reportRtp: ReportRtpStream[] = rtpStreams.map((s, i) => ({
    ssrc: s.ssrc,
    src: endpointKey(s.src),
    dst: endpointKey(s.dst),
    payloadType: s.payloadType,
    packets: s.packets,
    firstFrame: s.firstFrame,
    lastFrame: s.lastFrame,
    lost: s.lost,
    callId: model.media.streamCallIds[i] ?? null,
    sourceChanges: s.sourceChanges.map((c) => ({ frame: c.frame, from: endpointKey(c.from), to: endpointKey(c.to) })),
    kind: s.kind,
    bytes: s.bytes,
    firstTime: isoMicros(s.firstTimeUs),
    lastTime: isoMicros(s.lastTimeUs),
    sequenceGaps: s.sequenceGaps,
    recognisedBy: s.recognisedBy,
    ...quality[i]!,
  }));

  const frame = reportFrame(pass, read, columns, connections);
  return {
    version: REPORT_VERSION,
    generator: GENERATOR,
    capture: frame.capture,
    messages: frame.messages,
    calls: modelled.calls,
    legGroups: reportLegGroups(model),
    connections: frame.connections,
    rtpStreams: reportRtp,
    findings: [],
    warnings: frame.warnings,
    hosts: model.hosts.proposals.map((h) => ({
      ips: h.ips,
      kind: h.kind,
      reasons: h.reasons,
      frames: h.evidence.map((i) => messages[i]?.frame ?? 0).filter((f) => f > 0),
    })),
    hostsRefused: model.hosts.refused ?? [],
    icmp: icmp.map((i) => ({
      frame: i.frame,
      time: isoMicros(i.timeUs),
      reporter: i.reporter,
      reason: i.reason,
      type: i.type,
      code: i.code,
      original: { protocol: i.original.protocol, src: endpointKey(i.original.src), dst: endpointKey(i.original.dst) },
    })),
  };
}

/**
 * The report's messages as columns (report/message-table.ts), written once the pass is done:
 * each row as it is made, no object per message kept (`report.messages` builds one when read).
 * Their transaction, dialog and retransmission marks are the model's, added by `annotate`.
 */
function messageColumns(messages: readonly CapturedMessage[]): MessageColumns {
  const rows = new ColumnsBuilder(messages.length);
  // One row object, filled again for each message: the builder copies its fields into the
  // columns, so no object per message is made only to be read once (~90 MB of young garbage on
  // sip-dense's 140,000 messages, with their one-frame lists).
  const row = emptyRow();
  const oneFrame = [0];
  for (let mAt = 0; mAt < messages.length; mAt++) {
    const m = messages[mAt]!;
    rows.push(fillRow(m, row, oneFrame));
  }
  return rows.done();
}

/**
 * Stage 2's provisional report for `onRead`: the calls as read (one per Call-ID, first seen
 * first, with the first request's From and To as the model takes them), before the model.
 */
function readReport(pass: CapturePass, read: Pick<ReadCapture, 'format' | 'linkTypes' | 'compressed'>, columns: MessageColumns, connections: ConnectionInfo[], done = true): Report {
  const byCallId = new Map<string, ReportCall>();
  const firstRequest = new Set<string>();
  for (let mAt = 0; mAt < pass.messages.length; mAt++) {
    const m = pass.messages[mAt]!;
    const sip = m.sip;
    const callId = sip?.callId;
    if (!callId) continue;
    let c = byCallId.get(callId);
    if (!c) byCallId.set(callId, (c = { callId, from: null, to: null, state: '', startFrame: m.frame, endFrame: m.frame, messageCount: 0, dialogs: [], verdict: null }));
    c.messageCount++;
    if (m.frame < c.startFrame) c.startFrame = m.frame;
    if (m.frame > c.endFrame) c.endFrame = m.frame;
    if (sip.kind === 'request' && !firstRequest.has(callId)) {
      firstRequest.add(callId);
      c.from = sip.from?.uri?.raw ?? sip.from?.raw ?? null;
      c.to = sip.to?.uri?.raw ?? sip.to?.raw ?? null;
    }
  }
  const frame = reportFrame(pass, read, copyColumns(columns), connections, done);
  const calls = [...byCallId.values()];
  return { version: REPORT_VERSION, generator: GENERATOR, capture: frame.capture, messages: frame.messages, calls, legGroups: [], connections: frame.connections, rtpStreams: [], findings: [], warnings: frame.warnings.slice(), hosts: [], hostsRefused: [], icmp: [] };
}

/** What the report has once the capture is read, before the model: summary, messages, connections, warnings. */
function reportFrame(
  pass: CapturePass,
  read: Pick<ReadCapture, 'format' | 'linkTypes' | 'compressed'>,
  columns: MessageColumns,
  connections: ConnectionInfo[],
  done = true,
): Pick<Report, 'capture' | 'messages' | 'connections' | 'warnings'> {
  const { messages } = pass;
  // A warning about a record the reader could not hand out (the file ends inside it) names no
  // frame of the report: keep its offset, drop the frame number past `capture.packets`. (While
  // reading, the warnings so far, as they are.)
  const warnings = done ? pass.warnings : pass.warnings.map((w) => ({ ...w }));
  if (done) for (const w of warnings) if (w.frame !== undefined && (w.frame > pass.packets || w.frame < 1)) delete w.frame;
  const byConnection = new Map<number, number[]>();
  for (let mAt = 0; mAt < messages.length; mAt++) {
    const m = messages[mAt]!;
    if (m.connection === null) continue;
    let frames = byConnection.get(m.connection);
    if (!frames) byConnection.set(m.connection, (frames = []));
    frames.push(m.frame);
  }
  const reportConnections: ReportConnection[] = connections.map((c) => ({
    id: c.id,
    transport: c.transport,
    client: endpointKey(c.client),
    server: endpointKey(c.server),
    openedFrame: c.openedFrame,
    closedFrame: c.closedFrame,
    closedBy: c.closedBy,
    tls: c.tls
      ? {
          sni: c.tls.sni,
          version: c.tls.version,
          handshake: c.tls.handshake,
          alert: c.tls.alert,
          offeredVersions: c.tls.offeredVersions,
          clientHelloFrame: c.tls.clientHelloFrame,
          serverHelloFrame: c.tls.serverHelloFrame,
          alertFrame: c.tls.alertFrame,
        }
      : null,
    messageFrames: byConnection.get(c.id) ?? [],
    sawSyn: c.sawSyn,
    closedBySide: c.closedBySide,
    openedTime: isoMicros(c.openedTimeUs),
    closedTime: c.closedTimeUs === null ? null : isoMicros(c.closedTimeUs),
    closeEvents: c.closeEvents.map((e) => ({ frame: e.frame, flag: e.flag, side: e.side })),
    gaps: c.gaps,
    lastFrame: c.lastFrame,
    packets: c.packets ?? 0,
    clientBytes: c.clientBytes ?? 0,
    serverBytes: c.serverBytes ?? 0,
  }));
  return {
    capture: {
      format: read.format,
      compressed: read.compressed,
      linkTypes: read.linkTypes,
      packets: pass.packets,
      bytes: pass.totalBytes,
      firstTime: pass.firstTimeUs === null ? null : isoMicros(pass.firstTimeUs),
      lastTime: pass.lastTimeUs === null ? null : isoMicros(pass.lastTimeUs),
      decompressedBytes: pass.decompressedBytes,
      firstTimeUs: pass.firstTimeUs,
      lastTimeUs: pass.lastTimeUs,
      decryptionSecrets: pass.secrets.length,
      messagesNotKept: pass.notKept,
      messagesNotKeptFromFrame: pass.notKeptFrom,
    },
    messages: messageList(columns),
    connections: reportConnections,
    warnings,
  };
}

/**
 * Findings that rest only on what was analysed (analysis/truncation.ts), and each call's
 * verdict over them (analysis/verdict.ts), written into the report's calls.
 */
function judgedOnWhatWasRead(findings: Finding[], calls: ReportCall[], cutFrame: number | null): Finding[] {
  const kept = cutFrame === null ? findings : findingsBeforeCut(findings, new Set(calls.filter((c) => c.notAnalysedToEnd === true).map((c) => c.callId)), cutFrame);
  const byCall = verdicts(kept);
  for (let cAt = 0; cAt < calls.length; cAt++) {
    const c = calls[cAt]!;
    c.verdict = byCall.get(c.callId) ?? null;
  }
  return kept;
}

function inFrameOrder(messages: readonly CapturedMessage[]): boolean {
  for (let i = 1; i < messages.length; i++) if (messages[i]!.frame < messages[i - 1]!.frame) return false;
  return true;
}

/** Decrypted TLS application data framed into SIP payloads (none when nothing could be read). */
async function decryptTls(
  sessions: TlsSession[],
  secrets: ReadonlyArray<{ type: number; data: Uint8Array }>,
  keyLogText: string | undefined,
  warn: (w: CaptureWarning) => void,
): Promise<AppPayload[]> {
  if (sessions.every((s) => s.capture.records[0].length + s.capture.records[1].length === 0)) return [];
  const keyLog = new KeyLog();
  const utf8 = new TextDecoder();
  for (const s of secrets) if (s.type === DSB_TLS_KEY_LOG) keyLog.addText(utf8.decode(s.data));
  if (keyLogText) keyLog.addText(keyLogText);
  const decrypted = await decryptTlsSessions(sessions, keyLog, warn);
  return decryptedPayloads(decrypted, createSipFramer);
}

/**
 * "seq METHOD" of a CSeq: one string per parsed CSeq value (the parser shares one object between
 * the messages that repeat a CSeq: a transaction's request, its responses, every hop's copy).
 */
const cseqTexts = new WeakMap<CSeq, string>();
function cseqText(c: CSeq): string {
  let t = cseqTexts.get(c);
  if (t === undefined) cseqTexts.set(c, (t = `${c.seq} ${c.method}`));
  return t;
}

/**
 * A row of the report's columns: what ReportMessage has but `time`, which the columns derive from
 * `timeUs` when a message is read.
 */
type Row = Omit<ReportMessage, 'time'>;

/** A row for `fillRow`: every field present (optional ones undefined), so that it keeps one shape. */
function emptyRow(): Row {
  return {
    index: 0,
    frame: 0,
    firstFrame: 0,
    frames: [0],
    timeUs: 0,
    src: '',
    dst: '',
    transport: 'udp',
    connection: null,
    callId: null,
    cseq: null,
    retransmission: false,
    encapsulation: null,
    startLine: '',
    hasSdp: false,
    transaction: null,
    dialog: null,
    retransmissionOf: null,
    method: undefined,
    status: undefined,
    reason: undefined,
    malformed: undefined,
  };
}

/**
 * m as the report's message (its columns' row), written into `row` and returned: the model's
 * marks (transaction, dialog, retransmission) come later (`annotate`). A message of one frame
 * (nearly all) has its frame written into `oneFrame`, the caller's list of one.
 */
function fillRow(m: CapturedMessage, row: Row, oneFrame: number[]): Row {
  const sip = m.sip;
  row.index = m.index;
  row.frame = m.frame;
  row.firstFrame = m.firstFrame;
  const frames = m.frames;
  if (frames !== undefined) row.frames = frames;
  else {
    oneFrame[0] = m.frame;
    row.frames = oneFrame;
  }
  row.timeUs = m.timeUs;
  row.src = endpointKey(m.src);
  row.dst = endpointKey(m.dst);
  row.transport = m.transport;
  row.connection = m.connection;
  row.callId = sip?.callId ?? null;
  row.cseq = sip?.cseq ? cseqText(sip.cseq) : null;
  row.encapsulation = m.encapsulation;
  row.startLine = m.startLine ?? startLineOf(m.raw);
  row.hasSdp = sip?.sdp != null;
  row.method = sip?.kind === 'request' ? sip.method : undefined;
  row.status = sip?.kind === 'response' ? sip.status : undefined;
  row.reason = sip?.kind === 'response' ? sip.reason : undefined;
  row.malformed = sip ? undefined : true;
  return row;
}

/**
 * Analyse a Blob/File (browser worker, or Node ≥ 20 with fs.openAsBlob). Read as a stream where
 * the runtime has `Blob.stream()`: in Chromium the 1 GB RTP bench file reached the call list in
 * 4.0 s this way against 4.8–5.3 s read as 16 MiB `slice().arrayBuffer()`s (the browser hands a
 * stream's chunks over as it reads, where each slice waited for a whole copy). Else in slices.
 *
 * Where the stream lets the reader bring its own buffer (a byte stream: Chromium's and Node's),
 * two buffers of `BYOB_CHUNK` take turns, as in the CLI's `fileChunks`: the engine is done with
 * a chunk by the time it asks for the next one but one (the container reader copies a partial
 * record's tail; what outlives its record — out-of-order TCP, IP fragments, TLS records, pcapng
 * secrets — is copied). Each chunk the stream hands over otherwise is an ArrayBuffer of its own,
 * garbage as soon as it is read, that V8 frees only when it next collects: a bare worker reading
 * the bench's 200 MB capture held up to 78 MB of them, 4 MB with its own two buffers.
 */
export async function analyzeBlob(blob: Blob, options: AnalyzeOptions = {}, chunkSize?: number): Promise<Analysis> {
  async function* streamed(): AsyncGenerator<InputChunk> {
    const stream = blob.stream();
    let byob: ReadableStreamBYOBReader | null = null;
    try {
      byob = stream.getReader({ mode: 'byob' });
    } catch {
      // Not a byte stream: the stream's own chunks.
    }
    const reader = byob ?? stream.getReader();
    let end = 0;
    try {
      if (byob !== null) {
        const buffers = [new ArrayBuffer(chunkSize ?? BYOB_CHUNK), new ArrayBuffer(chunkSize ?? BYOB_CHUNK)];
        for (let turn = 0; ; turn ^= 1) {
          let buf = buffers[turn]!;
          let filled = 0;
          let done = false;
          // A read fills part of the buffer (what the source had ready) and hands it back, moved.
          while (filled < buf.byteLength) {
            if (options.signal?.aborted) throw new CancelledError();
            const r = await byob.read(new Uint8Array(buf, filled));
            if (r.value !== undefined) {
              buf = r.value.buffer as ArrayBuffer;
              filled += r.value.byteLength;
            }
            if (r.done || r.value === undefined) {
              done = true;
              break;
            }
          }
          buffers[turn] = buf;
          if (filled > 0) {
            end += filled;
            yield { bytes: new Uint8Array(buf, 0, filled), end };
          }
          if (done) return;
        }
      }
      const chunks = reader as ReadableStreamDefaultReader<Uint8Array>;
      for (;;) {
        if (options.signal?.aborted) throw new CancelledError();
        const r = await chunks.read();
        if (r.done) return;
        end += r.value.length;
        yield { bytes: r.value, end };
      }
    } finally {
      // Stopped early (cancelled, failed, not a capture): let the browser stop reading the file.
      void reader.cancel().catch(() => undefined);
    }
  }
  async function* slices(): AsyncGenerator<InputChunk> {
    const size = chunkSize ?? SLICE_CHUNK;
    for (let off = 0; off < blob.size; off += size) {
      if (options.signal?.aborted) throw new CancelledError();
      const end = Math.min(blob.size, off + size);
      const buf = await blob.slice(off, end).arrayBuffer();
      yield { bytes: new Uint8Array(buf), end };
    }
  }
  return analyzeChunks(typeof blob.stream === 'function' ? streamed() : slices(), blob.size, options);
}

/** The buffers a byte stream is read into (two take turns), and the slices of a Blob without a stream. */
const BYOB_CHUNK = 2 << 20;
const SLICE_CHUNK = 16 << 20;

/** Analyse bytes already in memory (tests, share links). */
export async function analyzeBytes(bytes: Uint8Array, options: AnalyzeOptions = {}): Promise<Analysis> {
  async function* one(): AsyncGenerator<InputChunk> {
    yield { bytes, end: bytes.length };
  }
  return analyzeChunks(one(), bytes.length, options);
}
