/**
 * The Web Worker: a thin shell around the engine. It reads the posted File as a stream, posts
 * progress, keeps the report and the message text for lazy detail requests, and
 * answers export requests by re-reading the file. A new `open` cancels the previous one.
 */
import { analyzeBlob, CancelledError, memoryBudgetFor, NotACaptureError } from '../engine/analyze.ts';
import { analyzeMany } from '../engine/analyze-many.ts';
import type { Analysis, Progress } from '../engine/analyze.ts';
import { extractFrames } from '../engine/extract.ts';
import { tlsKeysFor } from '../engine/tls-export.ts';
import { mediaForFrames } from '../engine/call-export.ts';
import { DSB_TLS_KEY_LOG } from '../capture/keylog.ts';
import type { ReadAt } from '../capture/reread.ts';
import { Captured } from '../sip/captured.ts';
import { buildBundle } from '../share/bundle.ts';
import { searchMessages } from '../engine/search.ts';
import { scanBlob } from '../share/scan.ts';
import { decodeStream } from '../media/extract.ts';
import { chunkBytes, readChunks } from '../capture/source.ts';
import { plainSip } from '../sip/message.ts';
import { parsedAgain } from '../engine/kept.ts';
import { columnBuffers, columnsOf, markColumns, toColumns } from '../report/message-table.ts';
import { packAll, packedBuffers, Strings } from '../report/packed.ts';
import { PackedExplanations } from './explanations.ts';
import type { Finding, Report } from '../report/report.ts';
import { isWorkerRequest } from './protocol.ts';
import type { PackedReport, WorkerEvent, WorkerRequest } from './protocol.ts';

const scope = self as unknown as {
  postMessage(msg: WorkerEvent, transfer?: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
  addEventListener(type: 'error' | 'unhandledrejection', fn: (e: Event) => void): void;
};

/**
 * The dropped file read again by offset: a message's text that lies whole in one of its packet
 * records is not kept but read from the file when asked (capture/reread.ts). FileReaderSync is a
 * worker's: a read is synchronous, as a detector's or the detail view's question is.
 */
function readAtOf(file: Blob): ReadAt | undefined {
  if (typeof FileReaderSync === 'undefined') return undefined;
  const reader = new FileReaderSync();
  return (offset, length) => new Uint8Array(reader.readAsArrayBuffer(file.slice(offset, offset + length)));
}

let current: { requestId: number; abort: AbortController } | null = null;
/**
 * What later requests need of the analysis: the report, and the messages' text for detail, search
 * and share (not their parse: the engine let it go before the detectors ran, engine/kept.ts); the file, re-read for exports and audio; and the
 * TLS key log it was read with (given, or carried in the pcapng). The SIP model is not kept:
 * nothing asks for it once the report is written.
 */
let loaded: {
  analysis: Pick<Analysis, 'report' | 'messages'>;
  file: Blob;
  keyLog: string;
  captures: number;
  /** The findings' explanations once packed (`settleAfterResult`); until then they are the findings' own. */
  explanations?: PackedExplanations;
} | null = null;

/**
 * The open whose calls the page already has (an early report: `reading`, `read`, `listed`) while
 * its analysis runs, and the page's requests held until it ends: they are answered from that
 * capture once `loaded` is set, or with an error if a new open replaces it.
 */
let earlyOpen: number | null = null;
const held: WorkerRequest[] = [];

/** What needs one capture's bytes (exports, share links, audio) says so when several are open. */
function oneCaptureOnly(requestId: number, what: string): boolean {
  if (!loaded || loaded.captures < 2) return false;
  post({ kind: 'error', requestId, code: 'internal', message: `${what} works on one capture at a time: ${loaded.captures} captures are open together; open the capture you need on its own` });
  return true;
}

function post(ev: WorkerEvent, transfer?: Transferable[]): void {
  scope.postMessage(ev, transfer);
}

/**
 * The report crosses to the page without its message objects: they go as columns whose buffers
 * are moved, not cloned (report/message-table.ts). Its calls and findings go packed
 * (report/packed.ts): each distinct string once, the rest in moved buffers. The worker's own
 * report keeps all of them. Its findings cross without their explanations, each a few hundred
 * words of its own (one finding per call on a signalling capture: ~30 MB of the page's heap on the
 * 200 MB bench file): the findings panel asks for those it shows (`explain`).
 */
function postResult(requestId: number, report: Report, name: string, started: number, strings: Strings, listed = false): void {
  const elapsedMs = performance.now() - started;
  if (listed) {
    // The page has the rest since `listed`: only what the diagnosis wrote crosses again.
    const findings = packAll(unexplained(report.findings), strings);
    const verdicts = packAll(report.calls.map((c) => c.verdict), strings);
    post({ kind: 'diagnosed', requestId, findings, verdicts, warnings: report.warnings, elapsedMs }, [...packedBuffers(findings), ...packedBuffers(verdicts)]);
    return;
  }
  const messages = toColumns(report.messages);
  const packed = packReport(report.calls, unexplained(report.findings), strings);
  post({ kind: 'result', requestId, report: bare(report), packed, messages, name, elapsedMs }, [...columnBuffers(messages), ...reportBuffers(packed)]);
}

/**
 * The calls, then the findings, packed with the open's string table: the page unpacks them in
 * this order (worker/client.ts), and `diagnosed` its findings, then its verdicts.
 */
function packReport(calls: Report['calls'], findings: Report['findings'], strings: Strings): PackedReport {
  return { calls: packAll(calls, strings), findings: packAll(findings, strings) };
}

/** The report as it crosses beside its columns and packed parts: no messages, calls or findings of its own. */
function bare(report: Report): Report {
  return { ...report, messages: [], calls: [], findings: [] };
}

function reportBuffers(p: PackedReport): ArrayBuffer[] {
  return [...packedBuffers(p.calls), ...packedBuffers(p.findings)];
}

/** The findings as they cross to the page: `explanation` empty (asked for with `explain`). */
function unexplained(findings: readonly Finding[]): Finding[] {
  return findings.map((f) => (f.explanation === '' ? f : { ...f, explanation: '' }));
}

/**
 * A large capture's calls before its analysis ends: those read so far (`reading`, engine
 * AnalyzeOptions.onReading), all of them before the model (`read`, onRead), and before the
 * diagnosis (`listed`, onListed); `diagnosed` follows.
 */
function postEarly(kind: 'reading' | 'read' | 'listed', requestId: number, report: Report, name: string, started: number, strings: Strings): void {
  const packed = packReport(report.calls, report.findings, strings);
  if (kind === 'listed') {
    // The page has these messages since `read`: only the columns the model marked cross again.
    const marks = markColumns(columnsOf(report.messages) ?? toColumns(report.messages));
    post({ kind, requestId, report: bare(report), packed, marks, name, elapsedMs: performance.now() - started }, [marks.transaction.buffer, marks.dialog.buffer, marks.retransmissionOf.buffer, marks.flags.buffer, ...reportBuffers(packed)]);
    return;
  }
  // An early report's columns are its own (the engine copies them for it) and nothing reads them
  // after this post: they move to the page as they are. Copied again here, the 200 MB bench
  // capture's ~45 MB of them were garbage just as the model began, where the worker peaks.
  const messages = columnsOf(report.messages) ?? toColumns(report.messages);
  post({ kind, requestId, report: bare(report), packed, messages, name, elapsedMs: performance.now() - started }, [...columnBuffers(messages), ...reportBuffers(packed)]);
}

/**
 * The heap limit the memory budget is sized by: the worker's own where Chromium's
 * `performance.memory` has one, else the page's, which the client sends (a worker gets the same
 * limit as its page).
 */
function heapLimit(fromPage: number | undefined): number | undefined {
  const own = (performance as unknown as { memory?: { jsHeapSizeLimit?: number } }).memory?.jsHeapSizeLimit;
  return typeof own === 'number' && own > 0 ? own : fromPage;
}

/**
 * A nudge to collect garbage, where much of the heap has just become garbage: as the model is
 * built (the reading's temporaries) and before the detectors run (the model's, hundreds of MB
 * on a signalling capture). The CLI runs a full collection there (cli/main.ts
 * `collectGarbage`); a worker cannot. But V8 collects when the memory held by ArrayBuffers grows
 * far past what it was at the last collection: a large buffer, made and dropped at once (never
 * written, so its pages are never touched), asks for it. Without it V8, with the heap limit far
 * away, grows the heap for what comes next instead. On the bench's 200 MB signalling capture the
 * renderer's peak RSS went from 2,533–2,596 MB to 2,248–2,285 MB over five alternating runs of
 * each build, the diagnosis no later; over all ~22 runs of nudged builds this session, about one
 * in four still peaked at 2.56–2.70 GB (V8 does not always follow the hint), none of the unnudged
 * ones below 2.45 GB. 96 MB buffers were not enough in Chromium, though they are in Node; nudging
 * twice more inside the model build did not lower the peak further. Measured in Chromium and Node
 * only. A runtime that refuses the buffer gets no nudge, after the collections V8 runs before it
 * gives up an allocation (memory is tight then: a collection is what it needs); where it is
 * granted, an OS that counts committed memory (Windows) counts it until that collection.
 *
 * V8 sets that limit at each full collection from what ArrayBuffers held then, the nudge's own
 * buffer included: a second nudge of the same size, with no collection of V8's own in between,
 * asks for nothing (the one after the result did nothing at 512 MB). So each nudge of an analysis
 * is twice the one before (512 MB, 1 GB, 2 GB at most). Tried and left out: nudges inside
 * the model build and once the parses are let go as well (the engine's `collectGarbage`): the
 * renderer's peak on the 200 MB capture went from ~1.42 to ~1.34 GB, but the diagnosis came ~5 s
 * later (V8 then collected much more often).
 */
function nudgeCollection(): void {
  try {
    void new ArrayBuffer(nudgeBytes);
    nudgeBytes = Math.min(nudgeBytes * 2, NUDGE_MAX_BYTES);
  } catch {
    // Refused (address space or memory tight): no nudge.
  }
}
const NUDGE_BYTES = 512 * 1024 * 1024;
/**
 * The largest nudge: one capture's three nudges (512 MB, 1 GB, 2 GB) all ask; several captures
 * opened together nudge per capture, and past this their later nudges may ask for nothing rather
 * than have an OS that counts committed memory (Windows) count 4 GB and more.
 */
const NUDGE_MAX_BYTES = 2 * 1024 * 1024 * 1024;
let nudgeBytes = NUDGE_BYTES;
/** How long after posting a result the worker packs and nudges (the page's first questions come first). */
const NUDGE_AFTER_RESULT_MS = 1000;
/** From how many SIP messages the worker nudges a collection (as the CLI's collection). */
const NUDGE_FROM_MESSAGES = 20_000;

/**
 * Once a capture's result is posted and `loaded`, and the page's first questions answered: for a
 * large capture, the nudge; then its findings' explanations packed (worker/explanations.ts; the
 * findings keep `explanation: ""`); each skipped if another capture is loaded by then.
 *
 * The nudge comes first. Packing makes and drops a few buffers per block of explanations (~75 MB
 * of ArrayBuffers on the bench's 200 MB capture), and the worker's heap still held the
 * diagnosis's garbage until the nudge that came after it: the renderer's RSS rose ~130 MB past
 * where the diagnosis had left it, its peak (1,342 against 1,211 MB in one run). Packed after the
 * collection, the buffers come on top of a heap that holds what the capture keeps.
 */
function settleAfterResult(): void {
  const mine = loaded;
  if (!mine) return;
  const findings = mine.analysis.report.findings;
  const messages = mine.analysis.report.messages.length;
  const pack = findings.length >= PACK_FROM_FINDINGS;
  const nudge = messages >= NUDGE_FROM_MESSAGES;
  if (!pack && !nudge) return;
  setTimeout(() => {
    if (loaded !== mine) return;
    if (nudge) nudgeCollection();
    if (!pack) return;
    // A task later, once the collection the nudge asked for has run.
    setTimeout(() => {
      if (loaded !== mine) return;
      mine.explanations = new PackedExplanations(findings.map((f) => f.explanation));
      for (const f of findings) f.explanation = '';
    }, nudge ? PACK_AFTER_NUDGE_MS : 0);
  }, NUDGE_AFTER_RESULT_MS);
}
/** How long after the nudge the explanations are packed (V8 collects within a few hundred ms of the hint). */
const PACK_AFTER_NUDGE_MS = 1000;
/**
 * From how many findings their explanations are packed: below it they are a few hundred KB.
 * On the 200 MB bench capture (68,582 findings) they were ~40 MB of the worker's heap.
 */
const PACK_FROM_FINDINGS = 1_000;

async function open(req: Extract<WorkerRequest, { kind: 'open' }>): Promise<void> {
  current?.abort.abort();
  // What the page asked about the capture this open replaces is not answered from the new one.
  earlyOpen = null;
  for (const r of held.splice(0)) post({ kind: 'error', requestId: r.requestId, code: 'internal', message: 'the capture it was asked about was replaced by another' });
  const abort = new AbortController();
  current = { requestId: req.requestId, abort };
  loaded = null;
  nudgeBytes = NUDGE_BYTES;
  const started = performance.now();
  let lastPost = 0;
  try {
    let stage = '';
    const onProgress = (progress: Progress): void => {
      if (progress.stage !== stage) {
        stage = progress.stage;
        if ((stage === 'model' || stage === 'diagnosis') && progress.messages >= NUDGE_FROM_MESSAGES) nudgeCollection();
      }
      const now = performance.now();
      if (progress.stage === 'decoding' && now - lastPost < 50) return;
      lastPost = now;
      post({ kind: 'progress', requestId: req.requestId, progress });
    };
    const budget = memoryBudgetFor(heapLimit(req.heapLimit));
    if (req.more && req.more.length > 0) {
      // Several captures of one problem: each read in turn, then lined up (engine/analyze-many.ts).
      const inputs = [{ name: req.name, data: req.file }, ...req.more.map((m) => ({ name: m.name, data: m.file }))];
      const total = inputs.reduce((s, i) => s + i.data.size, 0);
      let before = 0;
      const multi = await analyzeMany(inputs, {
        signal: abort.signal,
        memoryBudgetBytes: budget,
        ...(req.keyLog !== undefined ? { keyLog: req.keyLog } : {}),
        onProgress: (p) => {
          before = inputs.slice(0, p.capture).reduce((s, i) => s + i.data.size, 0);
          onProgress({ ...p, bytesRead: before + p.bytesRead, totalBytes: total });
        },
      });
      if (abort.signal.aborted) throw new CancelledError();
      postResult(req.requestId, multi.report, inputs.map((i) => i.name).join(' + '), started, new Strings());
      loaded = { analysis: { report: multi.report, messages: multi.messages }, file: req.file, keyLog: req.keyLog ?? '', captures: inputs.length };
      settleAfterResult();
      return;
    }
    let listed = false;
    /** The strings this open's events have sent the page (report/packed.ts), for the ones after. */
    const strings = new Strings();
    const readAt = readAtOf(req.file);
    const analysis = await analyzeBlob(req.file, {
      signal: abort.signal,
      ...(readAt ? { readAt } : {}),
      memoryBudgetBytes: budget,
      ...(req.keyLog !== undefined ? { keyLog: req.keyLog } : {}),
      onProgress,
      // The page shows the calls while the analysis goes on; what it asks meanwhile is held
      // (earlyOpen) until this analysis ends. An aborted open's late callbacks do nothing.
      onReading: (report) => {
        if (abort.signal.aborted) return;
        earlyOpen = req.requestId;
        postEarly('reading', req.requestId, report, req.name, started, strings);
      },
      onRead: (report) => {
        if (abort.signal.aborted) return;
        earlyOpen = req.requestId;
        postEarly('read', req.requestId, report, req.name, started, strings);
      },
      onListed: (report) => {
        if (abort.signal.aborted) return;
        listed = true;
        earlyOpen = req.requestId;
        postEarly('listed', req.requestId, report, req.name, started, strings);
      },
    });
    if (abort.signal.aborted) throw new CancelledError();
    const carried = analysis.secrets.filter((x) => x.type === DSB_TLS_KEY_LOG).map((x) => new TextDecoder().decode(x.data));
    postResult(req.requestId, analysis.report, req.name, started, strings, listed);
    loaded = { analysis: { report: analysis.report, messages: analysis.messages }, file: req.file, keyLog: [req.keyLog ?? '', ...carried].join('\n'), captures: 1 };
    // What the model and the detectors left behind, hundreds of MB on a signalling capture, would
    // stay in the worker's heap for as long as the page is open (the 200 MB bench capture: the
    // renderer settled at ~1,270 MB without this, ~825 MB with it). Nudged once the result is
    // posted and the page's first questions (the shown findings' explanations) are answered: the
    // collection takes ~2 s, and before the result it delayed the diagnosis on the page by that.
    settleAfterResult();
  } catch (e) {
    if (e instanceof CancelledError || abort.signal.aborted) post({ kind: 'error', requestId: req.requestId, code: 'cancelled', message: 'Cancelled.' });
    else if (e instanceof NotACaptureError) post({ kind: 'error', requestId: req.requestId, code: 'not-a-capture', message: e.message });
    else post({ kind: 'error', requestId: req.requestId, code: 'internal', message: e instanceof Error ? e.message : String(e) });
  } finally {
    if (current?.requestId === req.requestId) current = null;
    if (earlyOpen === req.requestId) {
      earlyOpen = null;
      for (const r of held.splice(0)) handle(r);
    }
  }
}

scope.addEventListener('message', (e: MessageEvent) => {
  const req: unknown = e.data;
  if (!isWorkerRequest(req)) {
    const id = typeof (req as { requestId?: unknown })?.requestId === 'number' ? (req as { requestId: number }).requestId : -1;
    post({ kind: 'error', requestId: id, code: 'internal', message: `unknown request ${JSON.stringify((req as { kind?: unknown })?.kind)}` });
    return;
  }
  // The page has the calls of a capture still being analysed: what it asks about them is
  // answered once that analysis has ended.
  if (earlyOpen !== null && req.kind !== 'open' && req.kind !== 'cancel') {
    held.push(req);
    return;
  }
  handle(req);
});

function handle(req: WorkerRequest): void {
  switch (req.kind) {
    case 'open':
      void open(req);
      break;
    case 'cancel':
      if (current && (current.requestId === req.requestId || req.requestId < 0)) current.abort.abort();
      break;
    case 'explain': {
      if (!loaded) {
        post({ kind: 'error', requestId: req.requestId, code: 'internal', message: 'no capture loaded' });
        break;
      }
      const findings = loaded.analysis.report.findings;
      const packed = loaded.explanations;
      post({ kind: 'explain', requestId: req.requestId, texts: req.indices.map((i) => (packed ? packed.at(i) : (findings[i]?.explanation ?? ''))) });
      break;
    }
    case 'detail': {
      const m = loaded?.analysis.messages[req.index];
      if (!m) post({ kind: 'error', requestId: req.requestId, code: 'internal', message: `no message ${req.index}` });
      else {
        const raw = m.raw;
        const sip = parsedAgain(m);
        // Its text was left in the file, and the file no longer gives it (changed, moved, deleted).
        const unreadable = raw === '' && m instanceof Captured && !m.textKept
          ? 'The capture file could not be read again: it was changed, moved or deleted since it was opened. Open it again to see this message.'
          : undefined;
        post({ kind: 'detail', requestId: req.requestId, index: req.index, raw, sip: sip && plainSip(sip), parseError: m.parseError, ...(unreadable ? { unreadable } : {}) });
      }
      break;
    }
    case 'search': {
      if (!loaded) {
        post({ kind: 'error', requestId: req.requestId, code: 'internal', message: 'no capture loaded' });
        break;
      }
      // Several captures: their messages' own indices are per capture; search by merged position.
      const msgs = loaded.captures > 1 ? loaded.analysis.messages.map((m, index) => ({ ...m, raw: m.raw, index })) : loaded.analysis.messages;
      post({ kind: 'search', requestId: req.requestId, result: searchMessages(msgs, req.query, req.limit) });
      break;
    }
    case 'export': {
      if (!loaded) {
        post({ kind: 'error', requestId: req.requestId, code: 'internal', message: 'no capture loaded' });
        break;
      }
      if (oneCaptureOnly(req.requestId, 'Export as pcap')) break;
      const frames = new Set(req.frames);
      // A pcapng keeps SIP over TLS readable: the whole connections and their keys go with it.
      const tls = req.format === 'pcapng' ? tlsKeysFor(loaded.analysis.report, frames, loaded.keyLog) : undefined;
      // The calls' RTP/RTCP go with them unless asked otherwise (recognised while re-reading).
      const media = req.media === false ? null : mediaForFrames(loaded.analysis.report, frames);
      void extractFrames(loaded.file, frames, req.format, req.comments, tls, media)
        .then((bytes) => post({ kind: 'export', requestId: req.requestId, bytes, format: req.format }, [bytes.buffer as ArrayBuffer]))
        .catch((err: unknown) => post({ kind: 'error', requestId: req.requestId, code: 'internal', message: err instanceof Error ? err.message : String(err) }));
      break;
    }
    case 'audio': {
      if (!loaded) {
        post({ kind: 'error', requestId: req.requestId, code: 'internal', message: 'no capture loaded' });
        break;
      }
      if (oneCaptureOnly(req.requestId, 'Listening')) break;
      void decodeStream(chunkBytes(readChunks(loaded.file, 4 << 20)), req.stream)
        .then((a) => post({ kind: 'audio', requestId: req.requestId, ...a }, [a.pcm.buffer as ArrayBuffer]))
        .catch((err: unknown) => post({ kind: 'error', requestId: req.requestId, code: 'internal', message: err instanceof Error ? err.message : String(err) }));
      break;
    }
    case 'share': {
      if (!loaded) {
        post({ kind: 'error', requestId: req.requestId, code: 'internal', message: 'no capture loaded' });
        break;
      }
      if (oneCaptureOnly(req.requestId, 'A share link')) break;
      const { analysis, file } = loaded;
      void buildBundle({ report: analysis.report, messages: analysis.messages, scan: scanBlob(file) }, req.view, req.options)
        .then((bundle) => post({ kind: 'share', requestId: req.requestId, bundle }, [bundle.capture.buffer as ArrayBuffer]))
        .catch((err: unknown) => post({ kind: 'error', requestId: req.requestId, code: 'internal', message: err instanceof Error ? err.message : String(err) }));
      break;
    }
  }
}

scope.addEventListener('unhandledrejection', (e: Event) => {
  const reason = (e as PromiseRejectionEvent).reason as unknown;
  post({ kind: 'error', requestId: current?.requestId ?? -1, code: 'internal', message: reason instanceof Error ? reason.message : String(reason) });
});
