/**
 * A large capture on screen before its analysis ends (engine onReading / onRead / onListed): the
 * store shows each early report with its status, and what the user picked meanwhile (a call,
 * marks) stays picked when the next one arrives. The reports are the engine's own, on a real
 * capture (sngrep's aaa.pcap), handed over by a client that stands in for the worker.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeChunks } from '../engine/analyze.ts';
import type { InputChunk } from '../engine/analyze.ts';
import type { Report } from '../report/report.ts';
import { EngineError } from '../worker/client.ts';
import type { EngineClient, OpenResult } from '../worker/client.ts';
import { createAppStore } from './store.tsx';
import type { AppState } from './store.tsx';

const file = new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../../test/captures/public/sngrep/aaa.pcap')));

/** The engine's reports of one analysis, in the order the worker would post them. */
async function reports(withListing: boolean): Promise<Array<[string, Report]>> {
  async function* chunks(): AsyncGenerator<InputChunk> {
    for (let at = 0; at < file.length; at += 4096) yield { bytes: file.subarray(at, Math.min(at + 4096, file.length)), end: Math.min(at + 4096, file.length) };
  }
  const out: Array<[string, Report]> = [];
  // Copies, as the page gets them (the engine completes its objects afterwards).
  const copy = (r: Report): Report => ({ ...structuredClone({ ...r, messages: [] }), messages: [...r.messages] });
  const a = await analyzeChunks(chunks(), file.length, {
    readingSnapshotAt: { ms: 0, messages: 30 },
    onReading: (r) => out.push(['reading', copy(r)]),
    ...(withListing ? { listedFrom: 1, onRead: (r: Report) => out.push(['read', copy(r)]), onListed: (r: Report) => out.push(['listed', copy(r)]) } : {}),
  });
  out.push(['final', copy(a.report)]);
  return out;
}

/**
 * A client whose `open` hands the early reports over one by one: `step()` delivers the next
 * (the last resolves the open), so the test acts on the page between two of them.
 */
function steppingClient(list: Array<[string, Report]>): { client: EngineClient; step: () => Promise<void> } {
  let next: (() => void)[] = [];
  const client = {
    open: (_f: Blob, name: string, _p: unknown, opts: { onReading?: (r: OpenResult) => void; onRead?: (r: OpenResult) => void; onListed?: (r: OpenResult) => void }) =>
      new Promise<OpenResult>((resolve) => {
        next = list.map(([kind, report], i) => () => {
          const r: OpenResult = { report, name, elapsedMs: i };
          if (kind === 'reading') opts.onReading?.(r);
          else if (kind === 'read') opts.onRead?.(r);
          else if (kind === 'listed') opts.onListed?.(r);
          else resolve({ ...r, diagnosisOfListed: list.some(([k]) => k === 'listed') });
        });
      }),
    cancel: () => {},
  } as unknown as EngineClient;
  return {
    client,
    step: async () => {
      next.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

async function opened(list: Array<[string, Report]>) {
  const { client, step } = steppingClient(list);
  const store = createAppStore(() => client);
  const done = store.getState().openFile(new Blob([file as BlobPart]), 'aaa.pcap');
  await new Promise((r) => setTimeout(r, 10));
  return { s: (): AppState => store.getState(), step, done };
}

describe('a capture on screen before its analysis ends', () => {
  it('first calls while reading, then the whole capture at once: the call picked meanwhile stays picked', async () => {
    const list = await reports(false);
    expect(list.map(([k]) => k)).toEqual(['reading', 'final']);
    const { s, step, done } = await opened(list);
    await step();
    expect(s().status.kind).toBe('reading');
    const early = s().calls!.rows.map((r) => r.callId);
    expect(early.length).toBeGreaterThan(1);
    s().selectCalls([early[1]!]);
    await step();
    await done;
    expect(s().status.kind).toBe('loaded');
    expect(s().calls!.rows.length).toBeGreaterThanOrEqual(early.length);
    expect(s().view.selectedCalls).toEqual([early[1]]);
    expect(s().cursorCall).toBe(early[1]);
  });

  it('reading → read → listed → diagnosed: each status in turn, marks and selection kept, findings only at the end', async () => {
    const list = await reports(true);
    expect(list.map(([k]) => k)).toEqual(['reading', 'read', 'listed', 'final']);
    const { s, step, done } = await opened(list);
    await step();
    expect(s().status.kind).toBe('reading');
    const ids = s().calls!.rows.map((r) => r.callId);
    s().markCall(ids[0]!);
    await step();
    expect(s().status.kind).toBe('modelling');
    const all = s().calls!.rows.map((r) => r.callId);
    expect(all.length).toBeGreaterThan(ids.length);
    s().markCall(all.at(-1)!);
    expect(s().report!.findings).toEqual([]);
    await step();
    expect(s().status.kind).toBe('diagnosing');
    expect(s().calls!.rows.some((r) => r.stateLabel !== r.state)).toBe(true);
    await step();
    await done;
    expect(s().status).toMatchObject({ kind: 'loaded', listedMs: 2 });
    expect(s().marked).toEqual([ids[0], all.at(-1)]);
    expect(s().report!.findings.length).toBe(list.at(-1)![1].findings.length);
  });
});

describe('a capture opened again while it is read', () => {
  it('the second open keeps its own status: the first one, replaced, does not mark it cancelled (same file name)', async () => {
    const list = await reports(false);
    let rejectFirst: ((e: Error) => void) | null = null;
    const opens: Array<(r: OpenResult) => void> = [];
    const client = {
      open: (_f: Blob, name: string, _p: unknown, opts: { onReading?: (r: OpenResult) => void }) =>
        new Promise<OpenResult>((resolve, reject) => {
          // A new open cancels the one in progress, as EngineClient does.
          rejectFirst?.(new EngineError('cancelled', 'Cancelled.'));
          rejectFirst = reject;
          opens.push(resolve);
          opts.onReading?.({ report: list[0]![1], name, elapsedMs: 1 });
        }),
      cancel: () => {},
    } as unknown as EngineClient;
    const store = createAppStore(() => client);
    const first = store.getState().openFile(new Blob([file as BlobPart]), 'aaa.pcap');
    await new Promise((r) => setTimeout(r, 10));
    expect(store.getState().status.kind).toBe('reading');
    const second = store.getState().openFile(new Blob([file as BlobPart]), 'aaa.pcap');
    await first;
    await new Promise((r) => setTimeout(r, 10));
    expect(store.getState().status.kind).toBe('reading');
    expect(store.getState().report).not.toBeNull();
    opens[1]!({ report: list[1]![1], name: 'aaa.pcap', elapsedMs: 2 });
    await second;
    expect(store.getState().status.kind).toBe('loaded');
  });
});

describe('Cancel at any step', () => {
  it('cancelled once the calls were listed as read: the status says so and the calls go (the worker kept nothing of them)', async () => {
    const list = await reports(true);
    let rejectOpen: ((e: Error) => void) | null = null;
    const client = {
      open: (_f: Blob, name: string, _p: unknown, opts: { onRead?: (r: OpenResult) => void }) =>
        new Promise<OpenResult>((_resolve, reject) => {
          rejectOpen = reject;
          opts.onRead?.({ report: list[1]![1], name, elapsedMs: 1 });
        }),
      cancel: () => rejectOpen?.(new EngineError('cancelled', 'Cancelled.')),
    } as unknown as EngineClient;
    const store = createAppStore(() => client);
    const opening = store.getState().openFile(new Blob([file as BlobPart]), 'aaa.pcap');
    await new Promise((r) => setTimeout(r, 10));
    expect(store.getState().status.kind).toBe('modelling');
    expect(store.getState().calls!.rows.length).toBeGreaterThan(0);
    store.getState().cancel();
    await opening;
    expect(store.getState().status).toEqual({ kind: 'cancelled', name: 'aaa.pcap' });
    expect(store.getState().report).toBeNull();
    expect(store.getState().calls).toBeNull();
  });
});

describe('requests made while the analysis runs', () => {
  it('a search started while diagnosing is shown when its answer comes after the diagnosis (same capture, new report object)', async () => {
    const list = await reports(true);
    let finish: ((r: OpenResult) => void) | null = null;
    let answer: ((r: unknown) => void) | null = null;
    const client = {
      open: (_f: Blob, name: string, _p: unknown, opts: { onListed?: (r: OpenResult) => void }) =>
        new Promise<OpenResult>((resolve) => {
          finish = resolve;
          opts.onListed?.({ report: list[2]![1], name, elapsedMs: 1 });
        }),
      // The worker holds it until the analysis ends.
      search: () => new Promise((resolve) => (answer = resolve)),
      cancel: () => {},
    } as unknown as EngineClient;
    const store = createAppStore(() => client);
    const opening = store.getState().openFile(new Blob([file as BlobPart]), 'aaa.pcap');
    await new Promise((r) => setTimeout(r, 10));
    expect(store.getState().status.kind).toBe('diagnosing');
    const searching = store.getState().runSearch('INVITE');
    expect(store.getState().search.running).toBe(true);
    finish!({ report: list[3]![1], name: 'aaa.pcap', elapsedMs: 2, diagnosisOfListed: true });
    await opening;
    expect(store.getState().status.kind).toBe('loaded');
    answer!({ query: 'INVITE', matches: [{ index: 0, line: 0, text: 'INVITE sip:x SIP/2.0' }], messages: 1, occurrences: 1, truncated: false });
    await searching;
    expect(store.getState().search.running).toBe(false);
    expect(store.getState().search.result?.matches.length).toBe(1);
  });
});
