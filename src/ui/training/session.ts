/**
 * Training session state beside the app store: which lab sample is open (loading, ready with
 * the report it produced, or failed), and the actions that drive the viewer for training —
 * opening a sample (fetch its capture from public/samples and hand it to the store's `openFile`,
 * exactly as a dropped file), showing a walkthrough step (select the step's calls and message,
 * unfold the chains, highlight the step's frames as evidence, open the message detail) and
 * hiding/revealing the diagnosis overlays around a quiz.
 *
 * One session store per app store (a WeakMap), so tests that build several app stores do not
 * share training state.
 */
import { createStore } from 'zustand';
import type { StoreApi } from 'zustand';
import type { AppState } from '../../state/store.tsx';
import type { Overlays } from '../../state/view-state.ts';
import type { Report } from '../../report/report.ts';
import type { SampleEntry } from './library.ts';
import type { StepTarget } from './walkthrough.ts';
import { keyLogSamples } from 'virtual:sample-manifests';

export interface SampleLoad {
  id: string;
  phase: 'loading' | 'ready' | 'error';
  /** The report the sample's capture produced (to notice when another capture replaces it). */
  report: Report | null;
  error: string | null;
}

export interface TrainingState {
  sample: SampleLoad | null;
}

const sessions = new WeakMap<StoreApi<AppState>, StoreApi<TrainingState>>();

export function trainingStoreFor(app: StoreApi<AppState>): StoreApi<TrainingState> {
  let t = sessions.get(app);
  if (!t) sessions.set(app, (t = createStore<TrainingState>()(() => ({ sample: null }))));
  return t;
}

let loadToken = 0;

/** The file name a sample is opened under (shown in the capture summary). */
export const sampleFileName = (s: SampleEntry) => `${s.id}.pcap`;

/** True when the app currently shows this sample's capture (or is loading it for training). */
export function sampleIsCurrent(t: TrainingState, app: AppState, id: string): boolean {
  const s = t.sample;
  if (!s || s.id !== id) return false;
  return s.phase === 'loading' || (s.phase === 'ready' && s.report === app.report) || s.phase === 'error';
}

/** The key log that ships with a TLS sample (public/samples/<id>/keylog.txt), fetched on demand. */
export async function sampleKeyLog(id: string, get: (url: string) => Promise<Response> = fetch): Promise<string | null> {
  if (!keyLogSamples.includes(id)) return null;
  const res = await get(`${import.meta.env.BASE_URL}samples/${encodeURIComponent(id)}/keylog.txt`);
  if (!res.ok) throw new Error(`the sample's key log could not be fetched (${res.status} ${res.statusText})`);
  return await res.text();
}

export async function openSample(app: StoreApi<AppState>, training: StoreApi<TrainingState>, s: SampleEntry): Promise<void> {
  const token = ++loadToken;
  training.setState({ sample: { id: s.id, phase: 'loading', report: null, error: null } });
  const fail = (message: string) => {
    if (token === loadToken) training.setState({ sample: { id: s.id, phase: 'error', report: null, error: message } });
  };
  try {
    const res = await fetch(s.captureUrl);
    if (!res.ok) return fail(`the server answered ${res.status} ${res.statusText} for ${s.captureUrl}`);
    const blob = await res.blob();
    if (token !== loadToken) return;
    const name = sampleFileName(s);
    // TLS samples ship their key log (keylog.txt) so the SIP inside can be read.
    const keyLog = await sampleKeyLog(s.id);
    if (token !== loadToken) return;
    await app.getState().openFile(blob, name, keyLog ? { keyLog } : undefined);
    if (token !== loadToken) return;
    const st = app.getState();
    if (st.status.kind === 'loaded' && st.status.name === name && st.report) training.setState({ sample: { id: s.id, phase: 'ready', report: st.report, error: null } });
    else fail(st.status.kind === 'error' ? st.status.message : st.status.kind === 'cancelled' ? 'reading the capture was cancelled' : 'the capture was not opened');
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
}

/** Forget the sample (another capture replaced it, or training was left). */
export function forgetSample(training: StoreApi<TrainingState>): void {
  loadToken++;
  training.setState({ sample: null });
}

/**
 * Show a step in the ladder: its calls, its first message selected (the detail pane open on it
 * when it is a SIP message), every frame of the step highlighted as evidence, its chains
 * unfolded; the findings overlay is switched on so the highlight shows.
 */
export function showStep(app: StoreApi<AppState>, frames: readonly number[], target: StepTarget): void {
  app.setState((s) => ({
    view: {
      ...s.view,
      selectedCalls: target.callIds.length ? target.callIds : s.view.selectedCalls,
      selectedMessage: target.messages[0] ?? null,
      unfolded: target.unfold,
      overlays: frames.length ? { ...s.view.overlays, findings: true } : s.view.overlays,
    },
    evidence: frames.length ? { finding: -1, frames: [...frames] } : null,
    detailOpen: target.messages.length > 0,
    pane: 'ladder',
  }));
}

/** The overlays that give a quiz's answer away. */
const QUIZ_HIDDEN: ReadonlyArray<keyof Overlays> = ['findings', 'ghosts'];

/** Hide the diagnosis overlays; returns the flags to restore. */
export function hideDiagnosis(app: StoreApi<AppState>): Overlays {
  const saved = app.getState().view.overlays;
  app.setState((s) => ({
    view: { ...s.view, overlays: { ...s.view.overlays, ...Object.fromEntries(QUIZ_HIDDEN.map((k) => [k, false])) } },
    evidence: null,
    detailOpen: true,
  }));
  return saved;
}

export function revealDiagnosis(app: StoreApi<AppState>): void {
  app.setState((s) => ({ view: { ...s.view, overlays: { ...s.view.overlays, ...Object.fromEntries(QUIZ_HIDDEN.map((k) => [k, true])) } } }));
}

export function restoreOverlays(app: StoreApi<AppState>, saved: Overlays): void {
  app.setState((s) => ({ view: { ...s.view, overlays: { ...s.view.overlays, ...Object.fromEntries(QUIZ_HIDDEN.map((k) => [k, saved[k]])) } } }));
}
