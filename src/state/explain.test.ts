/**
 * Findings reach the page without their explanations (worker/protocol.ts `explain`): the store
 * asks the worker for those the findings panel shows, once per report, and keeps them for that
 * report only. The report is the engine's own on a real capture; the client stands in for the
 * worker and answers from the full report, as the worker does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import type { Report } from '../report/report.ts';
import type { EngineClient, OpenResult } from '../worker/client.ts';
import { createAppStore } from './store.tsx';

const file = new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../../public/samples/03-408-behind-nat/capture.pcap')));

/**
 * A store over a client that stands in for the worker: `open` gives the report as the worker
 * posts it (every explanation left out), `explain` answers from the full report, or with `answer`
 * when given. `asked` lists the indices of each explain request.
 */
async function setUp(answer?: (i: number, call: number, full: Report) => string) {
  const { report: full } = await analyzeBytes(file);
  const posted = (): Report => ({ ...structuredClone({ ...full, messages: [] }), messages: full.messages, findings: full.findings.map((f) => ({ ...f, explanation: '' })) });
  const asked: number[][] = [];
  const client = {
    open: async (_f: Blob, name: string): Promise<OpenResult> => ({ report: posted(), name, elapsedMs: 1 }),
    explain: async (indices: number[]) => {
      asked.push(indices);
      return indices.map((i) => (answer ? answer(i, asked.length, full) : (full.findings[i]?.explanation ?? '')));
    },
    cancel: () => {},
  } as unknown as EngineClient;
  return { full, asked, store: createAppStore(() => client) };
}

describe('explanations asked for when shown', () => {
  it('asks once per finding, keeps the words for the report they are for, and starts again with another report', async () => {
    const { full, asked, store } = await setUp();
    expect(full.findings.length).toBeGreaterThan(1);
    await store.getState().openFile(new Blob([file]), 'capture.pcap');
    const first = store.getState().report!;
    expect(first.findings.every((f) => f.explanation === '')).toBe(true);

    store.getState().explain([0, 1]);
    store.getState().explain([1, 0]); // already asked: nothing new
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toEqual([[0, 1]]);
    const got = store.getState().explanations;
    expect(got.report).toBe(first);
    expect(got.texts.get(0)).toBe(full.findings[0]!.explanation);
    expect(got.texts.get(1)).toBe(full.findings[1]!.explanation);
    expect(got.texts.get(0)!.length).toBeGreaterThan(40);
    store.getState().explain([0, 1, 999]); // known, known, and no such finding
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toEqual([[0, 1]]);

    // Another report (the same capture opened again): its findings are asked for again.
    await store.getState().openFile(new Blob([file]), 'capture.pcap');
    expect(store.getState().report).not.toBe(first);
    store.getState().explain([0]);
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toEqual([[0, 1], [0]]);
    expect(store.getState().explanations.report).toBe(store.getState().report);
  });

  it('does not keep an empty answer (the worker held another capture): the finding is asked for again', async () => {
    // The first answer is empty, as from a worker holding another capture.
    const { full, asked, store } = await setUp((i, call, report) => (call === 1 ? '' : (report.findings[i]?.explanation ?? '')));
    await store.getState().openFile(new Blob([file]), 'capture.pcap');
    store.getState().explain([0]);
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().explanations.texts.has(0)).toBe(false);
    store.getState().explain([0]);
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toEqual([[0], [0]]);
    expect(store.getState().explanations.texts.get(0)).toBe(full.findings[0]!.explanation);
  });
});
