/**
 * The fuzzer's child process: takes inputs from the parent over IPC, one at a time, runs the
 * engine exactly as the CLI and the worker do (`analyzeBytes`, messages' text read again from the
 * input by offset; share links through
 * `decodeShareFragment` first), checks the report's contract, streams it through the CLI's JSON
 * writer, and answers with the outcome. The parent enforces the time limit (it kills a child
 * that hangs) and the heap limit (`--max-old-space-size`: a blow-up kills the child).
 */
import { writeJson } from '../../src/cli/json-stream.ts';
import { analyzeBytes, NotACaptureError } from '../../src/engine/analyze.ts';
import { checkReport } from '../../src/engine/contract.ts';
import type { Report } from '../../src/report/report.ts';
import { decodeShareFragment } from '../../src/share/fragment.ts';

export interface Job {
  id: number;
  kind: 'capture' | 'share';
  bytes?: Uint8Array;
  text?: string;
}

export type Outcome = 'report' | 'not-a-capture' | 'share-refused' | 'escape' | 'contract' | 'blowup' | 'hang';

export interface Result {
  id: number;
  outcome: Outcome;
  detail: string;
  stack: string;
  ms: number;
  /** Heap + array buffers still held with the report, over the child's baseline, MB. */
  retainedMB: number;
}

/** Memory an input may leave held with its report (inputs are at most a few MB). */
const RETAINED_LIMIT_MB = Number(process.env['FUZZ_RETAINED_MB'] ?? 256);

function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function check(report: Report): Promise<string[]> {
  const problems = checkReport(report);
  let bytes = 0;
  await writeJson(report, (b) => {
    bytes += b.length;
  });
  if (bytes === 0) problems.push('the JSON writer wrote nothing');
  return problems;
}

async function run(job: Job): Promise<Omit<Result, 'id' | 'ms' | 'retainedMB'> & { report?: Report }> {
  let bytes = job.bytes ?? new Uint8Array(0);
  if (job.kind === 'share') {
    const d = await decodeShareFragment(job.text ?? '');
    if (!d.ok) {
      if (d.error.includes('\n') || d.error.length === 0) return { outcome: 'escape', detail: `share link refused without one clear line: ${JSON.stringify(d.error)}`, stack: '' };
      return { outcome: 'share-refused', detail: d.error, stack: '' };
    }
    if (!d.value.capture || d.value.capture.bytes.length === 0) return { outcome: 'share-refused', detail: d.value.capture?.problem ?? 'no capture', stack: '' };
    bytes = d.value.capture.bytes;
  }
  try {
    // Read again by offset from the input, as the CLI reads its file and the worker its File.
    const input = bytes;
    const { report, messages } = await analyzeBytes(input, { readAt: (offset, length) => input.slice(offset, offset + length) });
    const problems = await check(report);
    // Every message's text comes back, kept or read again from the input.
    const lost = messages.filter((m) => m.raw.length === 0).length;
    if (lost > 0) problems.push(`${lost} message${lost === 1 ? '' : 's'} without their text`);
    if (problems.length > 0) return { outcome: 'contract', detail: problems.join('\n'), stack: '', report };
    return { outcome: 'report', detail: '', stack: '', report };
  } catch (e) {
    if (e instanceof NotACaptureError) {
      if (e.message.includes('\n') || e.message.length === 0 || e.message.length > 500) return { outcome: 'escape', detail: `not-a-capture without one clear line: ${JSON.stringify(e.message.slice(0, 200))}`, stack: e.stack ?? '' };
      return { outcome: 'not-a-capture', detail: e.message, stack: '' };
    }
    return { outcome: 'escape', detail: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stack: e instanceof Error ? (e.stack ?? '') : '' };
  }
}

process.on('message', (job: Job) => {
  const base = used();
  const t0 = performance.now();
  void run(job).then((r) => {
    const ms = performance.now() - t0;
    const retainedMB = (used() - base) / 1e6;
    let { outcome, detail } = r;
    if ((outcome === 'report' || outcome === 'not-a-capture') && retainedMB > RETAINED_LIMIT_MB) {
      outcome = 'blowup';
      detail = `${retainedMB.toFixed(0)} MB held for a ${((job.bytes?.length ?? job.text?.length ?? 0) / 1e6).toFixed(2)} MB input`;
    }
    delete r.report;
    const res: Result = { id: job.id, outcome, detail, stack: r.stack, ms, retainedMB };
    process.send?.(res);
  });
});
process.send?.({ ready: true });
