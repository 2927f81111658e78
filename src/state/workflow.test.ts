/**
 * The call list's sngrep workflow in the store, on a real capture (sngrep's aaa.pcap): the cursor
 * moves and the ladder follows it while nothing is marked; Space marks, the marked calls are what
 * the ladder shows and the cursor moves on its own; a click (selectCalls) starts over; and the
 * text search's n / N walk (matches from the engine's search over the same capture's text).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import type { Analysis } from '../engine/analyze.ts';
import { searchMessages } from '../engine/search.ts';
import { indexCalls } from '../view/call-rows.ts';
import { selectCursorCall } from './selectors.ts';
import { createAppStore } from './store.tsx';

let analysis: Analysis;
beforeAll(async () => {
  analysis = await analyzeBytes(new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../../test/captures/public/sngrep/aaa.pcap'))));
});

function loaded() {
  const store = createAppStore(() => {
    throw new Error('no worker in this test');
  });
  const calls = indexCalls(analysis.report);
  store.setState({ report: analysis.report, calls, status: { kind: 'loaded', name: 'aaa.pcap', elapsedMs: 1 } });
  store.getState().selectCalls([calls.rows[0]!.callId]);
  return { store, ids: calls.rows.map((r) => r.callId) };
}

describe('cursor and marks', () => {
  it('the ladder follows the cursor until a call is marked, then shows the marked calls', () => {
    const { store, ids } = loaded();
    const s = () => store.getState();
    s().moveCursor(ids[1]!);
    expect(s().view.selectedCalls).toEqual([ids[1]]);
    expect(selectCursorCall(s())).toBe(ids[1]);
    s().markCall(ids[1]!);
    s().moveCursor(ids[2]!);
    s().moveCursor(ids[3]!);
    // The cursor moved; the ladder still shows the marked call.
    expect(selectCursorCall(s())).toBe(ids[3]);
    expect(s().view.selectedCalls).toEqual([ids[1]]);
    s().markCall(ids[3]!);
    expect(s().marked).toEqual([ids[1], ids[3]]);
    expect(s().view.selectedCalls).toEqual([ids[1], ids[3]]);
    // Unmark both: the ladder is the cursor's call again.
    s().markCall(ids[1]!);
    s().markCall(ids[3]!);
    expect(s().marked).toEqual([]);
    expect(s().view.selectedCalls).toEqual([ids[3]]);
  });

  it('Ctrl-click keeps what is shown and adds a call; a plain click starts over; a range becomes the marks', () => {
    const { store, ids } = loaded();
    const s = () => store.getState();
    s().toggleCall(ids[2]!);
    expect(s().marked).toEqual([ids[0], ids[2]]);
    s().selectCalls([ids[4]!]);
    expect(s().marked).toEqual([]);
    expect(selectCursorCall(s())).toBe(ids[4]);
    s().selectCalls(ids.slice(1, 4));
    expect(s().marked).toEqual(ids.slice(1, 4));
    s().moveCursor(ids[5]!);
    expect(s().view.selectedCalls).toEqual(ids.slice(1, 4));
  });
});

describe('n / N through the search matches', () => {
  it('goes to each match: its call, the message selected, the detail open; wraps both ways', () => {
    const { store } = loaded();
    const result = searchMessages(
      analysis.messages.map((m) => ({ index: m.index, raw: m.raw })),
      'nonce has changed',
    );
    expect(result.matches.length).toBe(5);
    store.setState({ search: { query: 'nonce has changed', running: false, result, pos: -1 } });
    const s = () => store.getState();
    const at = (i: number) => analysis.report.messages[result.matches[i]!.index]!;
    s().stepSearch(1);
    expect(s().search.pos).toBe(0);
    expect(s().view.selectedMessage).toBe(at(0).index);
    expect(s().view.selectedCalls).toEqual([at(0).callId]);
    expect(s()).toMatchObject({ detailOpen: true, pane: 'ladder' });
    s().stepSearch(-1);
    expect(s().search.pos).toBe(4);
    expect(s().view.selectedCalls).toEqual([at(4).callId]);
    expect(selectCursorCall(s())).toBe(at(4).callId);
    s().stepSearch(1);
    expect(s().search.pos).toBe(0);
    // From a marked pair that holds the match's call, the pair stays.
    s().selectCalls([at(0).callId!, at(4).callId!]);
    s().goToMatch(4);
    expect(s().view.selectedCalls).toEqual([at(0).callId, at(4).callId]);
    expect(s().view.selectedMessage).toBe(at(4).index);
  });
});
