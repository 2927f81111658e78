/**
 * `sipladder analyze FILE [--json]`: the same engine as the browser's worker, under Node.
 * Exit 0 when the file was read (findings or not); exit 2 with one line on stderr when the input
 * is not a capture (wrong magic, empty, unreadable); never a stack trace for bad input.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { analyzeChunks, memoryBudgetFor, NotACaptureError } from '../engine/analyze.ts';
import type { Analysis, AnalyzeOptions, InputChunk } from '../engine/analyze.ts';
import type { ReadAt } from '../capture/reread.ts';
import { mergeAnalyses } from '../engine/analyze-many.ts';
import type { Report, ReportMessage } from '../report/report.ts';
import { columnsOf, messageJson } from '../report/message-table.ts';
import { writeJson } from './json-stream.ts';
import type { ItemJson } from './json-stream.ts';

/**
 * A full garbage collection, at four points where much of the heap has just become garbage but
 * V8, with Node's heap limit far away, would grow the heap for what comes next rather than
 * collect it first, so that the process's peak memory is reached there:
 * - inside the model build, once the transaction and dialog pass is done (the engine calls it:
 *   AnalyzeOptions.collectGarbage): on sip-dense the peak RSS went from 621–629 to 594–601 MB
 *   (five alternating runs each), for ~0.1 s;
 * - before the detectors run (the reading's and the model's temporaries, hundreds of MB on a
 *   signalling capture; the detectors then build their own index): on the bench's sip-udp-200MB
 *   file the peak RSS drops from 2.64 to 2.15 GB, on sip-dense from 0.88 to 0.74 GB, for about
 *   0.2–0.8 s of collection, within the machine's noise on the whole run;
 * - once the detectors' index is built and the messages' parses are let go (the engine calls it):
 *   on the 200 MB file the peak RSS was 1,489–1,491 MB without it, 1,418–1,423 MB with it (two
 *   alternating runs each; 1,456 MB before the parses were let go), the time within the noise;
 *   on sip-dense, whose peak comes earlier, it costs ~0.24 s for nothing;
 * - between the analysis and the printing of its report (what was left of the model and the
 *   detectors' index are garbage by then): on sip-dense the peak RSS dropped from 1.12 to 0.91 GB when it came.
 * (The same way Jest's leak detector reaches `gc` without --expose-gc.)
 */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // Not available in this runtime: printing just peaks higher.
  }
}

/** From how many SIP messages the CLI collects garbage before the detectors run. */
const COLLECT_BEFORE_DETECTORS_FROM = 20_000;

const USAGE = `usage: sipladder analyze <capture-file> [<capture-file> …] [--json] [--pretty] [--keylog FILE]
  Reads a pcap or pcapng capture (optionally gzip-compressed) and prints its SIP analysis.
  Several files (taken at different points, e.g. both sides of a NAT) are lined up on one
  timeline: clock offsets, the same messages matched, NAT mappings and rewrites (report.alignment).
  --json          print the JSON report (see REPORT.md)
  --pretty        indent the JSON
  --keylog FILE   TLS key log (SSLKEYLOGFILE format) to decrypt SIP over TLS`;

/** A capture file read again by offset: which file it was, and its descriptor while open. */
interface Held {
  path: string;
  dev: number;
  ino: number;
  size: number;
  fd: number | null;
}

/**
 * At most this many captures stay open for reading again (least recently read closed first):
 * `analyze` of a thousand files kept a thousand descriptors, past the usual limit of 256 or 1,024.
 */
const OPEN_MAX = 32;
/** The open ones, least recently read first. */
const held = new Set<Held>();

/** Closes a file once the analysis reading it again is garbage. */
const openFiles = new FinalizationRegistry<Held>((h) => {
  held.delete(h);
  if (h.fd === null) return;
  try {
    closeSync(h.fd);
  } catch {
    // Already closed.
  }
});

function descriptor(h: Held): number {
  if (h.fd !== null) {
    held.delete(h);
    held.add(h);
    return h.fd;
  }
  const fd = openSync(h.path, 'r');
  const st = fstatSync(fd);
  // Opened again by its name: still the same file, not cut shorter (a capture still being
  // written grows, which is fine; one rotated into its place is another file).
  if (st.dev !== h.dev || st.ino !== h.ino || st.size < h.size) {
    closeSync(fd);
    throw new Error(`${h.path} is no longer the file that was analysed (replaced or cut short)`);
  }
  h.fd = fd;
  keepOpen(h);
  return fd;
}

/** h is the most recently read; the least recently read one closes past OPEN_MAX. */
function keepOpen(h: Held): void {
  held.add(h);
  if (held.size <= OPEN_MAX) return;
  const oldest = held.values().next().value!;
  held.delete(oldest);
  if (oldest.fd !== null) closeSync(oldest.fd);
  oldest.fd = null;
}

/**
 * The file read again by offset (AnalyzeOptions.readAt: messages' text). Its identity (device,
 * inode) and size are taken now; it stays open while read (a capture renamed meanwhile is still
 * the one read), and is opened again by name, and checked, once the OPEN_MAX most recently read
 * captures have pushed it out.
 */
export function fileReadAt(path: string): ReadAt {
  const fd = openSync(path, 'r');
  const st = fstatSync(fd);
  const h: Held = { path, dev: st.dev, ino: st.ino, size: st.size, fd };
  keepOpen(h);
  const readAt: ReadAt = (offset, length) => {
    const fd = descriptor(h);
    const buf = new Uint8Array(length);
    let n = 0;
    while (n < length) {
      const got = readSync(fd, buf, n, length - n, offset + n);
      if (got === 0) break;
      n += got;
    }
    return n === length ? buf : buf.subarray(0, n);
  };
  openFiles.register(readAt, h);
  return readAt;
}

/**
 * Read a file in slices without holding all of it. The reads are synchronous: from the page cache
 * a 2 MiB read takes well under a millisecond, and an await per slice through the thread pool
 * left the decoder idle for a sixth of the time.
 */
export async function* fileChunks(path: string, chunkSize = 2 << 20): AsyncGenerator<InputChunk> {
  const fd = openSync(path, 'r');
  // Two buffers take turns: the engine is done with a chunk (the container reader copies only a
  // partial record's tail; a gzip input is copied before decompression) by the time it asks for
  // the next one but one. No 2 MiB allocation per slice, so no garbage and no zero-filling.
  const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
  try {
    let pos = 0;
    for (let turn = 0; ; turn ^= 1) {
      const buf = buffers[turn]!;
      const n = readSync(fd, buf, 0, chunkSize, pos);
      if (n === 0) return;
      pos += n;
      yield { bytes: n === chunkSize ? buf : buf.subarray(0, n), end: pos };
    }
  } finally {
    closeSync(fd);
  }
}

export async function analyzeFile(path: string, options: Pick<AnalyzeOptions, 'keyLog' | 'onProgress' | 'memoryBudgetBytes'> = {}): Promise<Report> {
  return (await analyzeFileFull(path, options)).report;
}

/** The whole analysis of one file (report and messages), as the CLI runs it: the bench measures what it keeps alive. */
export async function analyzeFileFull(path: string, options: Pick<AnalyzeOptions, 'keyLog' | 'onProgress' | 'memoryBudgetBytes'> = {}): Promise<Analysis> {
  const info = await stat(path);
  if (!info.isFile()) throw new NotACaptureError(`${path} is not a regular file`);
  const onProgress = options.onProgress;
  let collected = false;
  return analyzeChunks(fileChunks(path), info.size, {
    memoryBudgetBytes: memoryBudgetFor(getHeapStatistics().heap_size_limit),
    readAt: fileReadAt(path),
    ...options,
    collectGarbage,
    onProgress: (p) => {
      // Before the detectors: the pass's and the model's garbage goes first (see collectGarbage),
      // for a capture where it is worth a full collection (below, it is a few tens of MB).
      if (p.stage === 'diagnosis' && !collected && p.messages >= COLLECT_BEFORE_DETECTORS_FROM) {
        collected = true;
        collectGarbage();
      }
      onProgress?.(p);
    },
  });
}

/** Several files taken at different points, lined up (engine/analyze-many.ts); each file gets its share of the budget. */
export async function analyzeFiles(paths: readonly string[], options: Pick<AnalyzeOptions, 'keyLog'> = {}): Promise<Report> {
  const budget = Math.floor(memoryBudgetFor(getHeapStatistics().heap_size_limit) / paths.length);
  const parts: Analysis[] = [];
  for (const p of paths) {
    try {
      parts.push(await analyzeFileFull(p, { ...options, memoryBudgetBytes: budget }));
    } catch (e) {
      throw Object.assign(e as Error, { path: p });
    }
  }
  return mergeAnalyses(paths, parts).report;
}

/**
 * The report's messages write themselves from their columns (`messageJson`: the same text, each
 * distinct string escaped once, no object per message); any other array is written as usual.
 */
const messagesJson: ItemJson = (array) => {
  const c = columnsOf(array as readonly ReportMessage[]);
  return c === null || c.count !== array.length ? null : (i) => messageJson(c, i);
};

/** Writes to stdout; resolves once the text is handed to the OS (so a slow pipe holds us back). */
function writeStdout(text: string | Uint8Array): Promise<void> {
  return new Promise<void>((resolve) => {
    process.stdout.write(text, () => resolve());
  });
}

function summary(r: Report): string {
  const lines: string[] = [];
  const c = r.capture;
  lines.push(`${c.format}${c.compressed ? ' (gzip)' : ''}, ${c.packets} packets, ${c.bytes} bytes, ${c.firstTime ?? '-'} … ${c.lastTime ?? '-'}`);
  lines.push(`${r.messages.length} SIP messages, ${r.calls.length} calls, ${r.connections.length} connections, ${r.rtpStreams.length} RTP/RTCP streams`);
  if (r.captures && r.alignment) {
    for (const [i, cap] of r.captures.entries()) {
      lines.push(`  capture ${i + 1}: ${cap.file}, ${cap.messages} SIP messages, clock ${i === 0 ? 'reference' : `${(cap.clockOffsetUs / 1000).toFixed(3)} ms ahead (spread ${cap.offsetSpreadUs === null ? 'n/a' : `${(cap.offsetSpreadUs / 1000).toFixed(3)} ms`}, from ${cap.matchedForOffset} messages)`}`);
    }
    const a = r.alignment;
    lines.push(`  aligned: ${a.matched.length} pairs matched, ${a.onlyIn.length} messages seen at one point only (${a.lost.length} of them lost between the points), ${a.rewrites.length} header rewrites`);
    for (const m of a.natMappings) lines.push(`  NAT ${m.transport.toUpperCase()} ${m.inside} ↔ ${m.outside} (${m.messages} messages)`);
  }
  for (const call of r.calls) {
    lines.push(`  ${call.state.padEnd(12)} ${call.callId}  ${call.from ?? ''} → ${call.to ?? ''}  (${call.messageCount} msgs, frames ${call.startFrame}–${call.endFrame})`);
  }
  if (r.findings.length) lines.push(`${r.findings.length} findings:`);
  for (const f of r.findings) lines.push(`  [${f.severity}] ${f.kind}: ${f.title} (frames ${f.frames.join(', ')})`);
  if (r.warnings.length) lines.push(`${r.warnings.length} warnings:`);
  for (const w of r.warnings.slice(0, 20)) lines.push(`  ${w.frame !== undefined ? `frame ${w.frame}: ` : ''}${w.message}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'audio') return (await import('./audio.ts')).audioMain(args);
  // --keylog FILE / --keylog=FILE takes a value; every other flag is a switch.
  let keyLogPath: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--keylog') keyLogPath = args[++i] ?? '';
    else if (a.startsWith('--keylog=')) keyLogPath = a.slice('--keylog='.length);
    else rest.push(a);
  }
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const files = rest.filter((a) => !a.startsWith('--'));
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (command !== 'analyze' || files.length === 0 || keyLogPath === '') {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  let keyLog: string | undefined;
  if (keyLogPath !== null) {
    try {
      keyLog = await readFile(keyLogPath, 'utf8');
    } catch (e) {
      process.stderr.write(`sipladder: ${keyLogPath}: key log could not be read: ${(e as NodeJS.ErrnoException)?.code ?? String(e)}\n`);
      return 2;
    }
  }
  let path = files[0]!;
  try {
    const opts = keyLog !== undefined ? { keyLog } : {};
    const report = files.length === 1 ? await analyzeFile(path, opts) : await analyzeFiles(files, opts);
    collectGarbage();
    // The JSON is streamed as it is written (never one giant string), waiting for the pipe.
    if (flags.has('--json')) await writeJson(report, writeStdout, flags.has('--pretty') ? 2 : undefined, messagesJson);
    else await writeStdout(summary(report));
    await writeStdout('\n');
    return 0;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { path?: string };
    if (typeof err?.path === 'string') path = err.path;
    let line: string;
    if (e instanceof NotACaptureError) line = `${path}: not a capture: ${e.message}`;
    else if (err?.code === 'ENOENT') line = `${path}: no such file`;
    else if (err?.code === 'EACCES') line = `${path}: permission denied`;
    else if (err?.code === 'EISDIR') line = `${path}: is a directory`;
    else line = `${path}: could not be analysed: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`sipladder: ${line}\n`);
    return 2;
  }
}
