/**
 * The worker protocol: types only, shared by the worker and the main-thread client. Every request
 * carries a requestId that its replies echo; an unknown `kind` is an error on both sides.
 */
import type { Progress } from '../engine/analyze.ts';
import type { Report, ReportWarning } from '../report/report.ts';
import type { MarkColumns, MessageColumns } from '../report/message-table.ts';
import type { Packed } from '../report/packed.ts';
import type { SipMessage } from '../sip/types.ts';
import type { Bundle, BundleOptions, ViewInput } from '../share/bundle.ts';
import type { SearchResult } from '../engine/search.ts';
import type { AudioCodec, MediaWarning, StreamSelector } from '../media/extract.ts';

export type WorkerRequest =
  /**
   * `keyLog`: optional TLS key log text (SSLKEYLOGFILE format) to decrypt SIP over TLS.
   * `heapLimit`: the page's JS heap limit in bytes where the browser tells it (Chromium's
   * `performance.memory`, which workers do not have); the worker sizes its memory budget by it.
   * `more`: further captures of the same problem taken at other points, lined up with the first
   * (engine/analyze-many.ts); the report then carries `captures` and `alignment`.
   */
  | { kind: 'open'; requestId: number; file: Blob; name: string; keyLog?: string; heapLimit?: number; more?: Array<{ file: Blob; name: string }> }
  | { kind: 'cancel'; requestId: number }
  | { kind: 'detail'; requestId: number; index: number }
  /** `media` (default true): add the RTP/RTCP packets of the calls whose messages are among `frames`. */
  | { kind: 'export'; requestId: number; frames: number[]; format: 'pcap' | 'pcapng'; comments?: Record<number, string>; media?: boolean }
  /** Build a share bundle (the selected calls' packets + view state) from the loaded capture. */
  | { kind: 'share'; requestId: number; view: ViewInput; options: Omit<BundleOptions, 'key'> }
  /** Search the loaded capture's message text (headers and bodies); the text stays in the worker. */
  | { kind: 'search'; requestId: number; query: string; limit?: number }
  /** One RTP stream's audio, re-read from the loaded file (src/media/extract.ts). */
  | { kind: 'audio'; requestId: number; stream: StreamSelector }
  /** The explanations of these findings (by index in the report's `findings`), which cross without them. */
  | { kind: 'explain'; requestId: number; indices: number[] };

/**
 * A report's calls and findings as they cross (report/packed.ts): the event's `report` has them
 * empty, and the page unpacks them into it.
 */
export interface PackedReport {
  calls: Packed;
  findings: Packed;
}

export type WorkerEvent =
  | { kind: 'progress'; requestId: number; progress: Progress }
  /**
   * The report with `messages: []`, and its messages as columns whose buffers are transferred
   * (report/message-table.ts), its calls and findings packed (`packed`, the same for every event
   * that carries a report); the worker keeps the analysis and answers detail, search, export,
   * share and audio requests from it.
   */
  | { kind: 'result'; requestId: number; report: Report; packed: PackedReport; messages: MessageColumns; name: string; elapsedMs: number }
  /**
   * A large capture's report before its diagnosis (engine AnalyzeOptions.onListed): no findings
   * and no verdicts yet. Its messages are those of the `read` event before it, in the same order:
   * only the columns the model's marks changed cross (transferred), the page puts them into the
   * columns it has (report/message-table.ts `withMarks`). `diagnosed` follows instead of `result`,
   * with only what the diagnosis wrote.
   */
  | { kind: 'listed'; requestId: number; report: Report; packed: PackedReport; marks: MarkColumns; name: string; elapsedMs: number }
  /**
   * Earlier still (engine AnalyzeOptions.onRead): the calls as read, before the model — no
   * outcomes, RTP streams, hosts or findings yet. `listed` follows with the whole report but its findings.
   */
  | { kind: 'read'; requestId: number; report: Report; packed: PackedReport; messages: MessageColumns; name: string; elapsedMs: number }
  /** While reading (engine AnalyzeOptions.onReading): the calls read so far, once; `read` follows. */
  | { kind: 'reading'; requestId: number; report: Report; packed: PackedReport; messages: MessageColumns; name: string; elapsedMs: number }
  /**
   * The diagnosis of a `listed` report: its findings (packed: Finding), each call's verdict
   * (packed: ReportCall['verdict'], report.calls order), and its warnings now complete. Findings
   * cross here and in `result` with `explanation: ''`: their long words stay in the worker until
   * the page asks (`explain`).
   */
  | { kind: 'diagnosed'; requestId: number; findings: Packed; verdicts: Packed; warnings: ReportWarning[]; elapsedMs: number }
  | { kind: 'error'; requestId: number; code: 'not-a-capture' | 'cancelled' | 'internal'; message: string }
  | {
      kind: 'detail';
      requestId: number;
      index: number;
      raw: string;
      sip: SipMessage | null;
      parseError: string | null;
      /** Set when the message's text, read again from the file, could not be (the file changed, moved or went away): in words. */
      unreadable?: string;
    }
  | { kind: 'export'; requestId: number; bytes: Uint8Array; format: 'pcap' | 'pcapng' }
  | { kind: 'share'; requestId: number; bundle: Bundle }
  | { kind: 'search'; requestId: number; result: SearchResult }
  /** The explanations asked for, in the order of the request's indices ('' for an index the report does not have). */
  | { kind: 'explain'; requestId: number; texts: string[] }
  /** Mono 16-bit PCM (transferred); empty with a warning when the codec is not decoded. */
  | { kind: 'audio'; requestId: number; codec: AudioCodec; sampleRate: number; pcm: Int16Array; startUs: number | null; packets: number; placed: number; warnings: MediaWarning[] };

const requestKinds = new Set(['open', 'cancel', 'detail', 'export', 'share', 'search', 'audio', 'explain']);
const eventKinds = new Set(['progress', 'reading', 'read', 'listed', 'diagnosed', 'result', 'error', 'detail', 'export', 'share', 'search', 'audio', 'explain']);

export function isWorkerRequest(x: unknown): x is WorkerRequest {
  return typeof x === 'object' && x !== null && requestKinds.has((x as { kind?: unknown }).kind as string) && typeof (x as { requestId?: unknown }).requestId === 'number';
}

export function isWorkerEvent(x: unknown): x is WorkerEvent {
  return typeof x === 'object' && x !== null && eventKinds.has((x as { kind?: unknown }).kind as string) && typeof (x as { requestId?: unknown }).requestId === 'number';
}
