/**
 * Main-thread client of the engine worker. Promises per request, progress by callback; a new
 * `open` cancels the previous one and stale replies (older requestIds) are dropped.
 */
import type { Progress } from '../engine/analyze.ts';
import type { Finding, Report, ReportCall } from '../report/report.ts';
import type { SipMessage } from '../sip/types.ts';
import type { Bundle, BundleOptions, ViewInput } from '../share/bundle.ts';
import type { SearchResult } from '../engine/search.ts';
import type { StreamSelector } from '../media/extract.ts';
import { messageList, withMarks } from '../report/message-table.ts';
import { Strings, unpackAll } from '../report/packed.ts';
import type { MessageColumns } from '../report/message-table.ts';
import { isWorkerEvent } from './protocol.ts';
import type { PackedReport, WorkerEvent, WorkerRequest } from './protocol.ts';

/**
 * A report that crossed with its calls and findings packed (worker/protocol.ts `PackedReport`),
 * whole again: the calls first, then the findings, as the worker packed them with the open's
 * string table (`strings`, this side's copy).
 */
function unpacked(report: Report, packed: PackedReport, strings: Strings): Report {
  const calls = unpackAll<ReportCall>(packed.calls, strings);
  return { ...report, calls, findings: unpackAll<Finding>(packed.findings, strings) };
}

export class EngineError extends Error {
  constructor(readonly code: 'not-a-capture' | 'cancelled' | 'internal', message: string) {
    super(message);
  }
}

export interface OpenResult {
  report: Report;
  name: string;
  elapsedMs: number;
  /** The report completes one listed before its diagnosis (`opts.onListed`): only its findings, verdicts and warnings are new. */
  diagnosisOfListed?: boolean;
}

export interface MessageDetail {
  index: number;
  raw: string;
  sip: SipMessage | null;
  parseError: string | null;
  /** The text could not be read again from the file (worker/protocol.ts): why, in words. */
  unreadable?: string;
}

interface Pending {
  resolve: (ev: WorkerEvent) => void;
  reject: (err: EngineError) => void;
  onProgress?: (p: Progress) => void;
  onListed?: (ev: Extract<WorkerEvent, { kind: 'listed' | 'read' | 'reading' }>) => void;
}

export interface WorkerLike {
  postMessage(msg: WorkerRequest): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
  addEventListener(type: 'error', fn: (e: ErrorEvent) => void): void;
  terminate(): void;
}

export function createEngineWorker(): WorkerLike {
  return new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'sipladder-engine' });
}

export class EngineClient {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private openId: number | null = null;
  private worker: WorkerLike;

  constructor(worker: WorkerLike = createEngineWorker()) {
    this.worker = worker;
    worker.addEventListener('message', (e: MessageEvent) => this.onEvent(e.data));
    worker.addEventListener('error', (e: ErrorEvent) => {
      for (const [id, p] of this.pending) {
        p.reject(new EngineError('internal', e.message || 'the analysis worker failed'));
        this.pending.delete(id);
      }
    });
  }

  private onEvent(data: unknown): void {
    if (!isWorkerEvent(data)) return;
    const p = this.pending.get(data.requestId);
    if (!p) return; // stale reply of a cancelled or replaced request
    if (data.kind === 'progress') {
      p.onProgress?.(data.progress);
      return;
    }
    if (data.kind === 'listed' || data.kind === 'read' || data.kind === 'reading') {
      p.onListed?.(data);
      return;
    }
    this.pending.delete(data.requestId);
    if (data.kind === 'error') p.reject(new EngineError(data.code, data.message));
    else p.resolve(data);
  }

  private request<T extends WorkerEvent>(build: (id: number) => WorkerRequest, onProgress?: (p: Progress) => void, onListed?: Pending['onListed']): { id: number; promise: Promise<T> } {
    const id = this.nextId++;
    const promise = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (ev: WorkerEvent) => void, reject, onProgress, onListed });
    });
    this.worker.postMessage(build(id));
    return { id, promise };
  }

  /**
   * Analyse a file; replaces (and cancels) any analysis in progress. For a large capture,
   * `opts.onReading` gets the calls read so far while reading (AnalyzeOptions.onReading),
   * `opts.onRead` the calls as read, before the model (engine AnalyzeOptions.onRead), then
   * `opts.onListed` the report before its diagnosis (no findings, no verdicts yet); the promise
   * resolves with the whole report, whose messages are the listed one's.
   */
  async open(
    file: Blob,
    name: string,
    onProgress?: (p: Progress) => void,
    opts?: { keyLog?: string; more?: Array<{ file: Blob; name: string }>; onReading?: (early: OpenResult) => void; onRead?: (early: OpenResult) => void; onListed?: (early: OpenResult) => void },
  ): Promise<OpenResult> {
    this.cancel();
    const keyLog = opts?.keyLog;
    const more = opts?.more;
    const heapLimit = (performance as unknown as { memory?: { jsHeapSizeLimit?: number } }).memory?.jsHeapSizeLimit;
    /** The strings this open's events have brought (report/packed.ts): the later events' refer to them. */
    const strings = new Strings();
    /** The report of a `listed` event, which `diagnosed` then completes. */
    const listed: { current: OpenResult | null } = { current: null };
    /** The message columns of the `read` event, which `listed` marks. */
    let readColumns: MessageColumns | null = null;
    const { id, promise } = this.request<Extract<WorkerEvent, { kind: 'result' | 'diagnosed' }>>(
      (requestId) => ({
        kind: 'open',
        requestId,
        file,
        name,
        ...(keyLog !== undefined ? { keyLog } : {}),
        ...(more && more.length > 0 ? { more } : {}),
        ...(typeof heapLimit === 'number' && heapLimit > 0 ? { heapLimit } : {}),
      }),
      onProgress,
      (ev) => {
        const report = unpacked(ev.report, ev.packed, strings);
        if (ev.kind === 'reading' || ev.kind === 'read') {
          if (ev.kind === 'read') readColumns = ev.messages;
          (ev.kind === 'reading' ? opts?.onReading : opts?.onRead)?.({ report: { ...report, messages: messageList(ev.messages) }, name: ev.name, elapsedMs: ev.elapsedMs });
          return;
        }
        // `listed` brings only the model's marks for the messages `read` brought.
        // (Never without them: the engine calls onRead before onListed. If it did, the
        // diagnosis that follows would end the open with an error: see below.)
        if (readColumns === null) return;
        const early = { report: { ...report, messages: messageList(withMarks(readColumns, ev.marks)) }, name: ev.name, elapsedMs: ev.elapsedMs };
        listed.current = early;
        opts?.onListed?.(early);
      },
    );
    this.openId = id;
    try {
      const ev = await promise;
      if (ev.kind === 'result') return { report: { ...unpacked(ev.report, ev.packed, strings), messages: messageList(ev.messages) }, name: ev.name, elapsedMs: ev.elapsedMs };
      const early = listed.current;
      if (!early) throw new EngineError('internal', 'the diagnosis arrived without the calls it diagnoses');
      // The findings, then the verdicts: the worker's order.
      const findings = unpackAll<Finding>(ev.findings, strings);
      const verdicts = unpackAll<ReportCall['verdict']>(ev.verdicts, strings);
      const calls = early.report.calls.map((c, i) => (verdicts[i] ? { ...c, verdict: verdicts[i] } : c));
      return { report: { ...early.report, calls, findings, warnings: ev.warnings }, name: early.name, elapsedMs: ev.elapsedMs, diagnosisOfListed: true };
    } finally {
      if (this.openId === id) this.openId = null;
    }
  }

  /** Cancel the analysis in progress, if any. Its promise rejects with code 'cancelled'. */
  cancel(): void {
    const id = this.openId;
    if (id === null) return;
    this.worker.postMessage({ kind: 'cancel', requestId: id });
    const p = this.pending.get(id);
    this.pending.delete(id);
    this.openId = null;
    p?.reject(new EngineError('cancelled', 'Cancelled.'));
  }

  async detail(index: number): Promise<MessageDetail> {
    const ev = await this.request<Extract<WorkerEvent, { kind: 'detail' }>>((requestId) => ({ kind: 'detail', requestId, index })).promise;
    return { index: ev.index, raw: ev.raw, sip: ev.sip, parseError: ev.parseError, ...(ev.unreadable !== undefined ? { unreadable: ev.unreadable } : {}) };
  }

  /**
   * The given frames of the loaded capture, as a new pcap/pcapng (notes become packet comments),
   * with the RTP/RTCP of the calls among them unless `media: false`.
   */
  async exportFrames(frames: number[], format: 'pcap' | 'pcapng', comments?: Record<number, string>, options: { media?: boolean } = {}): Promise<Uint8Array> {
    const ev = await this.request<Extract<WorkerEvent, { kind: 'export' }>>((requestId) => ({ kind: 'export', requestId, frames, format, comments, media: options.media })).promise;
    return ev.bytes;
  }

  /** A share bundle of the loaded capture: the selected calls' packets (anonymised if asked) and the view. */
  async share(view: ViewInput, options: Omit<BundleOptions, 'key'>): Promise<Bundle> {
    const ev = await this.request<Extract<WorkerEvent, { kind: 'share' }>>((requestId) => ({ kind: 'share', requestId, view, options })).promise;
    return ev.bundle;
  }

  /** The explanations of these findings of the loaded capture (they cross without them), in the same order. */
  async explain(indices: number[]): Promise<string[]> {
    const { promise } = this.request<Extract<WorkerEvent, { kind: 'explain' }>>((requestId) => ({ kind: 'explain', requestId, indices }));
    return (await promise).texts;
  }

  /** Search the loaded capture's message text in the worker (only the matches come back). */
  async search(query: string, limit?: number): Promise<SearchResult> {
    const ev = await this.request<Extract<WorkerEvent, { kind: 'search' }>>((requestId) => ({ kind: 'search', requestId, query, ...(limit !== undefined ? { limit } : {}) })).promise;
    return ev.result;
  }

  /** One RTP stream's audio as PCM, re-read from the loaded capture. */
  async audio(stream: StreamSelector): Promise<Extract<WorkerEvent, { kind: 'audio' }>> {
    return this.request<Extract<WorkerEvent, { kind: 'audio' }>>((requestId) => ({ kind: 'audio', requestId, stream })).promise;
  }

  dispose(): void {
    this.cancel();
    this.worker.terminate();
  }
}
