/**
 * Turns the view state of a share link back into the app's view (message indices of the capture
 * as re-analysed here), dropping — and naming — whatever no longer points anywhere: a call that
 * the surviving part of a cut link does not hold, a note on a frame that did not arrive.
 */
import type { SharedView } from './view.ts';
import type { ViewInput } from './bundle.ts';

export interface AppliedView {
  view: Required<ViewInput> & { hosts: ViewInput['hosts'] & { detached: string[] } };
  /** What could not be placed, in plain words. */
  dropped: string[];
}

export function applySharedView(shared: SharedView, report: { messages: ReadonlyArray<{ index: number; frame: number; frames: number[] }>; calls: ReadonlyArray<{ callId: string }> }): AppliedView {
  const dropped: string[] = [];
  const byFrame = new Map<number, number>();
  for (const m of report.messages) for (const f of m.frames) if (!byFrame.has(f)) byFrame.set(f, m.index);
  for (const m of report.messages) byFrame.set(m.frame, m.index);
  const callIds = new Set(report.calls.map((c) => c.callId));
  const selectedCalls = shared.calls.filter((c) => callIds.has(c));
  if (selectedCalls.length < shared.calls.length) dropped.push(`${shared.calls.length - selectedCalls.length} of ${shared.calls.length} shared calls are not in what arrived`);
  let selectedMessage: number | null = null;
  if (shared.message !== null) {
    selectedMessage = byFrame.get(shared.message) ?? null;
    if (selectedMessage === null) dropped.push(`the selected message (frame ${shared.message}) did not arrive`);
  }
  const annotations: Record<number, string> = {};
  const findingNotes: Record<string, string> = {};
  let lostNotes = 0;
  for (const n of shared.notes) {
    if (n.frame !== undefined) {
      const idx = byFrame.get(n.frame);
      if (idx === undefined) lostNotes++;
      else annotations[idx] = annotations[idx] ? `${annotations[idx]}\n${n.text}` : n.text;
    } else if (n.finding) findingNotes[n.finding] = n.text;
  }
  if (lostNotes) dropped.push(`${lostNotes} notes are on frames that did not arrive`);
  const unfolded = shared.unfolded.map((f) => byFrame.get(f)).filter((i): i is number => i !== undefined);
  return {
    view: {
      selectedCalls: selectedCalls.length ? selectedCalls : report.calls.slice(0, 1).map((c) => c.callId),
      selectedMessage,
      hosts: { ...shared.hosts },
      timeMode: shared.timeMode,
      overlays: { ...shared.overlays },
      unfolded,
      annotations,
      findingNotes,
    },
    dropped,
  };
}
