/**
 * The app store: a factory (not a singleton) passed down by a provider. It holds
 *   - the loaded report (immutable per load) and its call index (derived once per load),
 *   - the load status and the engine client,
 *   - the view state (`view`: selection, host layout, time mode, overlays, unfolded chains,
 *     annotations — plain data, to be serialised into share links; see view-state.ts),
 *   - the call list's filter, sort and extra header columns, the evidence highlight, the theme,
 *   - a lazily filled cache of message details (raw text, parsed SIP) and header values.
 * Components call its actions; selectors live at module scope (selectors.ts).
 */
import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import { createStore, useStore } from 'zustand';
import type { StoreApi } from 'zustand';
import type { Progress } from '../engine/analyze.ts';
import type { Report } from '../report/report.ts';
import { EngineClient, EngineError } from '../worker/client.ts';
import type { MessageDetail } from '../worker/client.ts';
import { indexCalls, defaultCallFilter, withDiagnosis, withListed } from '../view/call-rows.ts';
import type { CallFilter, CallIndex, CallSort } from '../view/call-rows.ts';
import { proposedHosts } from '../view/hosts.ts';
import type { HostProposal } from '../view/hosts.ts';
import { defaultViewState } from './view-state.ts';
import { sniffContainer } from '../capture/sniff.ts';
import type { SearchResult } from '../engine/search.ts';
import type { HostLayout, Overlays, TimeMode, ViewState } from './view-state.ts';

export type LoadStatus =
  | { kind: 'idle' }
  | { kind: 'loading'; name: string; progress: Progress | null }
  /** A large capture is being read; the calls read in its first seconds are listed meanwhile. */
  | { kind: 'reading'; name: string; progress: Progress | null; snapshotMs: number }
  /** A large capture is read and its calls are listed as read; its model is being built (outcomes, media, findings follow). */
  | { kind: 'modelling'; name: string; readMs: number }
  /** A large capture's calls are listed; its detectors are still running (findings and verdicts follow). */
  | { kind: 'diagnosing'; name: string; listedMs: number }
  /** `listedMs`: when the calls were listed before the diagnosis ended (large captures). */
  | { kind: 'loaded'; name: string; elapsedMs: number; listedMs?: number }
  | { kind: 'error'; name: string; message: string }
  | { kind: 'cancelled'; name: string };

export type Theme = 'system' | 'light' | 'dark';
/** Which pane has the keyboard: the call list or the ladder (sngrep's two screens). */
export type FocusPane = 'list' | 'ladder';
/** What the list area shows; null: the default for the report (connections when it has no calls). */
export type ListView = 'calls' | 'connections' | 'search' | null;
/** The text search (run in the worker) and the match n / N last went to. */
export interface SearchState {
  query: string;
  running: boolean;
  result: SearchResult | null;
  /** Position in result.matches of the current match, -1 before the first n. */
  pos: number;
}
const noSearch: SearchState = { query: '', running: false, result: null, pos: -1 };

export interface AppState {
  status: LoadStatus;
  report: Report | null;
  calls: CallIndex | null;
  proposals: HostProposal[];
  view: ViewState;
  filter: CallFilter;
  sort: CallSort;
  /** Extra call-list columns: SIP header names the user added. */
  headerColumns: string[];
  /** Header values of messages fetched so far: message index → lower-case name → value. */
  headerValues: ReadonlyMap<number, Record<string, string>>;
  /**
   * Explanations of the report's findings fetched so far (finding index → text): findings reach
   * the page without them (worker/protocol.ts `explain`). For `report` only: another report, none.
   */
  explanations: { report: Report | null; texts: ReadonlyMap<number, string> };
  /** Frames selected as a finding's evidence (highlighted in the ladder). */
  evidence: { finding: number; frames: number[] } | null;
  /** Whether the detail pane is open on the selected message. */
  detailOpen: boolean;
  pane: FocusPane;
  theme: Theme;
  /**
   * The call list's keyboard cursor (sngrep's highlighted line) and the calls marked with Space
   * or Ctrl-click. With nothing marked the ladder follows the cursor; with marks it shows them.
   */
  cursorCall: string | null;
  marked: string[];
  listView: ListView;
  search: SearchState;
  /** A file that could not be opened while another capture stays open (that one is kept). */
  notice: { name: string; message: string } | null;
  dismissNotice(): void;

  /** `opts.keyLog`: TLS key log text (SSLKEYLOGFILE format) to decrypt SIP over TLS. */
  /** `more`: further captures of the same problem (other capture points), lined up with `file`. */
  openFile(file: Blob, name: string, opts?: { keyLog?: string; more?: Array<{ file: Blob; name: string }> }): Promise<void>;
  /** Open a capture served from this page's origin (the `?url=` parameter). */
  openUrl(url: string): Promise<void>;
  cancel(): void;
  client(): EngineClient;
  /** Message detail from the worker, cached per load. */
  detail(index: number): Promise<MessageDetail>;
  /** Fetch (once) the headers of these messages into `headerValues`. */
  loadHeaders(indices: number[]): void;
  /** Fetch (once) the explanations of these findings of the current report into `explanations`. */
  explain(indices: number[]): void;

  // view-state setters
  selectCalls(callIds: string[]): void;
  toggleCall(callId: string): void;
  selectMessage(index: number | null): void;
  setHosts(hosts: HostLayout): void;
  setTimeMode(mode: TimeMode): void;
  setOverlay(name: keyof Overlays, on: boolean): void;
  toggleUnfold(head: number): void;
  setAnnotation(index: number, text: string): void;
  /** A note on a finding (key from findingNoteKey); empty text removes it. */
  setFindingNote(key: string, text: string): void;
  setView(view: ViewState): void;

  setFilter(f: Partial<CallFilter>): void;
  setSort(s: CallSort): void;
  addHeaderColumn(name: string): void;
  removeHeaderColumn(name: string): void;
  showEvidence(finding: number | null): void;
  setDetailOpen(open: boolean): void;
  setPane(p: FocusPane): void;
  setTheme(t: Theme): void;
  /** Move the call list's cursor; the ladder follows it while no call is marked. */
  moveCursor(callId: string): void;
  /** Space: mark or unmark a call (sngrep's selection); the ladder shows the marked calls. */
  markCall(callId: string): void;
  setListView(v: ListView): void;
  /** Search the capture's message text (headers and bodies) in the worker; lists the matches. */
  runSearch(query: string): Promise<void>;
  /** n / N: go to the next (+1) or previous (-1) match: its call in the ladder, the message selected and its detail open. */
  stepSearch(delta: number): void;
  /** Go to the match at this position of the list. */
  goToMatch(pos: number): void;
}

const THEME_KEY = 'sipladder.theme';

function readTheme(): Theme {
  try {
    const t = globalThis.localStorage?.getItem(THEME_KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

export function createAppStore(makeClient: () => EngineClient = () => new EngineClient()): StoreApi<AppState> {
  let client: EngineClient | null = null;
  const getClient = (): EngineClient => (client ??= makeClient());
  let details = new Map<number, Promise<MessageDetail>>();
  const headerPending = new Set<number>();
  /** Explanations asked for, per report (a new report starts again). */
  const explainPending = new WeakMap<Report, Set<number>>();
  let loadSeq = 0;

  return createStore<AppState>()((set, get) => ({
    status: { kind: 'idle' },
    report: null,
    calls: null,
    proposals: [],
    view: defaultViewState(),
    filter: defaultCallFilter,
    sort: { key: 'start', dir: 'asc' },
    headerColumns: [],
    headerValues: new Map(),
    explanations: { report: null, texts: new Map() },
    evidence: null,
    detailOpen: false,
    pane: 'list',
    theme: readTheme(),
    cursorCall: null,
    marked: [],
    listView: null,
    search: noSearch,
    notice: null,
    client: getClient,

    async openFile(file, name, opts) {
      // Not a capture at all (its first bytes say so): say it, and keep the capture that is open
      // (or the one being read).
      const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
      const sniffed = sniffContainer(head);
      if (sniffed.kind === 'unknown') {
        const now = get().status;
        if (now.kind === 'loading' || now.kind === 'reading' || now.kind === 'modelling' || now.kind === 'diagnosing' || (get().report && now.kind === 'loaded')) set({ notice: { name, message: sniffed.reason } });
        else set({ status: { kind: 'error', name, message: sniffed.reason }, notice: null });
        return;
      }
      const seq = ++loadSeq;
      const firstName = name;
      if (opts?.more && opts.more.length > 0) name = [name, ...opts.more.map((m) => m.name)].join(' + ');
      set({ status: { kind: 'loading', name, progress: null } });
      try {
        /** A new capture's report: new selection and hosts; the user's time mode and overlays stay. */
        const show = (report: Report, status: LoadStatus): void => {
          details = new Map();
          headerPending.clear();
          const prev = get().view;
          const calls = indexCalls(report);
          const first = calls.rows[0];
          set({
            status,
            report,
            calls,
            proposals: proposedHosts(report as Report & { hosts?: unknown }),
            view: { ...defaultViewState(), timeMode: prev.timeMode, overlays: prev.overlays, selectedCalls: first ? [first.callId] : [] },
            headerValues: new Map(),
            evidence: null,
            detailOpen: false,
            pane: 'list',
            cursorCall: first ? first.callId : null,
            marked: [],
            listView: null,
            search: noSearch,
            notice: null,
          });
        };
        let snapshotMs: number | null = null;
        let readMs: number | null = null;
        let listedMs: number | null = null;
        const onReading = (early: { report: Report; elapsedMs: number }): void => {
          if (seq !== loadSeq) return;
          snapshotMs = early.elapsedMs;
          const progress = get().status.kind === 'loading' ? (get().status as { progress: Progress | null }).progress : null;
          show(early.report, { kind: 'reading', name, progress, snapshotMs });
        };
        const onRead = (early: { report: Report; elapsedMs: number }): void => {
          if (seq !== loadSeq) return;
          readMs = early.elapsedMs;
          const status: LoadStatus = { kind: 'modelling', name, readMs };
          if (snapshotMs === null) show(early.report, status);
          else {
            // All the calls now, in capture order: a message's position may have moved (TCP or TLS
            // messages that completed late), so the selected message and unfolded rows start over.
            details = new Map();
            headerPending.clear();
            set((s) => ({ status, report: early.report, calls: indexCalls(early.report), headerValues: new Map(), view: { ...s.view, selectedMessage: null, unfolded: [] } }));
          }
        };
        const onListed = (early: { report: Report; elapsedMs: number }): void => {
          if (seq !== loadSeq) return;
          listedMs = early.elapsedMs;
          const status: LoadStatus = { kind: 'diagnosing', name, listedMs };
          if (readMs === null) show(early.report, status);
          else {
            // The model's report of the calls listed as read: the same Call-IDs, messages and
            // order, so what the user selected, marked or opened meanwhile stays, and the rows
            // keep what the messages said (no second pass over them).
            const read = get().calls;
            const calls = (read && withListed(read, early.report)) ?? indexCalls(early.report);
            set({ status, report: early.report, calls, proposals: proposedHosts(early.report as Report & { hosts?: unknown }) });
          }
        };
        // Progress after the calls are on screen (model, diagnosis) leaves them there.
        const onProgress = (progress: Progress): void => {
          if (readMs !== null || listedMs !== null) return;
          set({ status: snapshotMs === null ? { kind: 'loading', name, progress } : { kind: 'reading', name, progress, snapshotMs } });
        };
        const result = await getClient().open(file, firstName, onProgress, { ...opts, onReading, onRead, onListed });
        if (seq !== loadSeq) return;
        const listedIndex = get().calls;
        if (snapshotMs !== null && readMs === null) {
          // A capture whose first calls were shown while it was read, then all of it at once: the
          // calls the user picked meanwhile stay picked (their messages' positions may have moved).
          const { view, cursorCall, marked, pane } = get();
          show(result.report, { kind: 'loaded', name, elapsedMs: result.elapsedMs });
          const ids = new Set(get().calls?.rows.map((r) => r.callId));
          const kept = view.selectedCalls.filter((id) => ids.has(id));
          if (kept.length > 0) set((s) => ({ view: { ...s.view, selectedCalls: kept }, cursorCall: cursorCall !== null && ids.has(cursorCall) ? cursorCall : kept.at(-1)!, marked: marked.filter((id) => ids.has(id)), pane }));
        } else if (listedMs === null || !result.diagnosisOfListed || !listedIndex) show(result.report, { kind: 'loaded', name, elapsedMs: result.elapsedMs });
        else {
          // The diagnosis of the listed calls: findings and verdicts join what the user may
          // already have selected, marked or opened (the messages and calls are the same).
          set({ status: { kind: 'loaded', name, elapsedMs: result.elapsedMs, listedMs }, report: result.report, calls: withDiagnosis(listedIndex, result.report) });
        }
      } catch (e) {
        if (e instanceof EngineError && e.code === 'cancelled') {
          // A newer open replaced this one (it has its own status, even for a file of the same
          // name), or the user cancelled: only the latter changes status, whatever step this
          // open had reached. What was on screen goes: the worker dropped the capture open
          // before (a new open replaces it) and keeps nothing of this one.
          if (seq !== loadSeq) return;
          set({ status: { kind: 'cancelled', name }, report: null, calls: null });
          return;
        }
        if (seq !== loadSeq) return;
        set({ status: { kind: 'error', name, message: e instanceof Error ? e.message : String(e) } });
      }
    },

    async openUrl(url) {
      let target: URL;
      const name = decodeURIComponent(url.split(/[?#]/)[0]!.split('/').pop() || 'capture');
      try {
        target = new URL(url, location.href);
      } catch {
        set({ status: { kind: 'error', name, message: `"${url}" is not a URL` } });
        return;
      }
      if (target.origin !== location.origin) {
        set({ status: { kind: 'error', name, message: `only captures served from ${location.origin} can be opened by URL (got ${target.origin})` } });
        return;
      }
      const before = get().status;
      const fetching: LoadStatus = { kind: 'loading', name, progress: null };
      set({ status: fetching });
      // Back to what was there, unless an analysis in progress has moved the status on meanwhile.
      const restore = (): boolean => get().status === fetching;
      try {
        const res = await fetch(target);
        if (res.status === 404) throw new Error(`not found: ${target.pathname} (the server answered 404 Not Found)`);
        if (!res.ok) throw new Error(`the server answered ${res.status} ${res.statusText} for ${target.pathname}`);
        // A single-page server answers a missing file with its own page: that is "not found" too.
        if (/^text\/html\b/i.test(res.headers.get('content-type') ?? '')) throw new Error(`not found: ${target.pathname} (the server answered with a web page, not a file)`);
        const blob = await res.blob();
        // openFile decides (its own loading status, or a refusal that keeps what was open).
        if (restore()) set({ status: before });
        await get().openFile(blob, name);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (!restore()) set({ notice: { name, message } });
        else if (get().report && before.kind === 'loaded') set({ status: before, notice: { name, message } });
        else set({ status: { kind: 'error', name, message } });
      }
    },

    cancel() {
      getClient().cancel();
    },

    detail(index) {
      let p = details.get(index);
      if (!p) {
        p = getClient().detail(index);
        details.set(index, p);
        p.catch(() => details.delete(index));
      }
      return p;
    },

    explain(indices) {
      const report = get().report;
      if (!report) return;
      let pending = explainPending.get(report);
      if (!pending) explainPending.set(report, (pending = new Set()));
      const have = get().explanations;
      const todo = indices.filter((i) => report.findings[i] !== undefined && report.findings[i]!.explanation === '' && !pending.has(i) && !(have.report === report && have.texts.has(i)));
      if (todo.length === 0) return;
      for (const i of todo) pending.add(i);
      getClient()
        .explain(todo)
        .then(
          (texts) => {
            // Another report since: these words are not its findings'.
            if (get().report !== report) return;
            const now = get().explanations;
            const next = new Map(now.report === report ? now.texts : []);
            todo.forEach((i, k) => {
              const text = texts[k];
              // No words for it (the worker holds another capture): not kept, asked again when shown.
              if (text) next.set(i, text);
              else pending.delete(i);
            });
            set({ explanations: { report, texts: next } });
          },
          () => {
            // Asked again when the panel next shows them.
            for (const i of todo) pending.delete(i);
          },
        );
    },

    loadHeaders(indices) {
      // While reading, a message's position may still move: the columns fill once it is read.
      if (get().status.kind === 'reading') return;
      const todo = indices.filter((i) => i >= 0 && !headerPending.has(i) && !get().headerValues.has(i));
      if (todo.length === 0) return;
      for (const i of todo) headerPending.add(i);
      // The capture they are for: its early reports and the final one are the same capture.
      const loadedFor = loadSeq;
      void Promise.all(
        todo.map((i) =>
          get()
            .detail(i)
            .then((d) => {
              const h: Record<string, string> = {};
              for (const x of d.sip?.headers ?? []) {
                const k = x.name.toLowerCase();
                h[k] = k in h ? `${h[k]}, ${x.value}` : x.value;
              }
              return [i, h] as const;
            })
            .catch(() => [i, {} as Record<string, string>] as const),
        ),
      ).then((pairs) => {
        if (loadSeq !== loadedFor) return;
        const next = new Map(get().headerValues);
        for (const [i, h] of pairs) next.set(i, h);
        set({ headerValues: next });
      });
    },

    selectCalls(callIds) {
      // One call: the cursor's (nothing marked); several (a Shift-click range): they are the marks.
      set((s) => ({ view: { ...s.view, selectedCalls: callIds, selectedMessage: null, unfolded: [] }, evidence: null, cursorCall: callIds.at(-1) ?? s.cursorCall, marked: callIds.length > 1 ? callIds : [] }));
    },
    toggleCall(callId) {
      set((s) => {
        // Ctrl-click: the calls shown so far become marks, and this one is added or removed.
        const base = s.marked.length > 0 ? s.marked : s.view.selectedCalls;
        const marked = base.includes(callId) ? base.filter((c) => c !== callId) : [...base, callId];
        return { view: { ...s.view, selectedCalls: marked.length > 0 ? marked : [callId] }, marked, cursorCall: callId };
      });
    },
    selectMessage(index) {
      set((s) => ({ view: { ...s.view, selectedMessage: index } }));
    },
    setHosts(hosts) {
      set((s) => ({ view: { ...s.view, hosts } }));
    },
    setTimeMode(timeMode) {
      set((s) => ({ view: { ...s.view, timeMode } }));
    },
    setOverlay(name, on) {
      set((s) => ({ view: { ...s.view, overlays: { ...s.view.overlays, [name]: on } } }));
    },
    toggleUnfold(head) {
      set((s) => {
        const u = s.view.unfolded;
        return { view: { ...s.view, unfolded: u.includes(head) ? u.filter((x) => x !== head) : [...u, head] } };
      });
    },
    setAnnotation(index, text) {
      set((s) => {
        const annotations = { ...s.view.annotations };
        if (text.trim()) annotations[index] = text;
        else delete annotations[index];
        return { view: { ...s.view, annotations } };
      });
    },
    setFindingNote(key, text) {
      set((s) => {
        const findingNotes = { ...s.view.findingNotes };
        if (text.trim()) findingNotes[key] = text;
        else delete findingNotes[key];
        return { view: { ...s.view, findingNotes } };
      });
    },
    setView(view) {
      set({ view });
    },

    setFilter(f) {
      set((s) => ({ filter: { ...s.filter, ...f, quick: { ...s.filter.quick, ...f.quick } } }));
    },
    setSort(sort) {
      set({ sort });
    },
    addHeaderColumn(name) {
      const n = name.trim();
      if (!n || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(n)) return; // an RFC 3261 token
      set((s) => (s.headerColumns.some((h) => h.toLowerCase() === n.toLowerCase()) ? s : { headerColumns: [...s.headerColumns, n] }));
    },
    removeHeaderColumn(name) {
      set((s) => ({ headerColumns: s.headerColumns.filter((h) => h !== name), sort: s.sort.key === `header:${name}` ? { key: 'start', dir: 'asc' } : s.sort }));
    },
    showEvidence(finding) {
      const r = get().report;
      const f = finding === null ? undefined : r?.findings[finding];
      if (finding === null || !f || !r) {
        set({ evidence: null });
        return;
      }
      // Bring the finding's call into the ladder and select its first evidence message.
      const frames = new Set(f.frames);
      const cap = f.capture ?? 0; // several captures: frames are the finding's own capture's
      const first = r.messages.find((m) => (m.capture ?? 0) === cap && (frames.has(m.frame) || m.frames.some((x) => frames.has(x))));
      set((s) => {
        let selectedCalls = s.view.selectedCalls;
        let marks = {};
        if (f.callId && !selectedCalls.includes(f.callId)) {
          selectedCalls = [f.callId];
          marks = { marked: [], cursorCall: f.callId };
        }
        return {
          ...marks,
          evidence: { finding, frames: f.frames },
          view: { ...s.view, selectedCalls, selectedMessage: first ? first.index : s.view.selectedMessage },
          pane: 'ladder',
        };
      });
    },
    setDetailOpen(detailOpen) {
      set({ detailOpen });
    },
    setPane(pane) {
      set({ pane });
    },
    moveCursor(callId) {
      set((s) => {
        if (s.marked.length > 0) return { cursorCall: callId };
        return { cursorCall: callId, view: { ...s.view, selectedCalls: [callId], selectedMessage: null, unfolded: [] }, evidence: null };
      });
    },
    markCall(callId) {
      set((s) => {
        const marked = s.marked.includes(callId) ? s.marked.filter((c) => c !== callId) : [...s.marked, callId];
        const selectedCalls = marked.length > 0 ? marked : [callId];
        return { cursorCall: callId, marked, view: { ...s.view, selectedCalls, selectedMessage: null, unfolded: [] }, evidence: null };
      });
    },
    dismissNotice() {
      set({ notice: null });
    },
    setListView(listView) {
      set({ listView });
    },
    async runSearch(query) {
      if (!get().report) return;
      // The capture it is for: its early reports and the final one are the same capture.
      const loadedFor = loadSeq;
      if (query.trim() === '') {
        set((s) => ({ search: noSearch, listView: s.listView === 'search' ? null : s.listView }));
        return;
      }
      set((s) => ({ search: { ...s.search, query, running: true } }));
      try {
        const result = await getClient().search(query);
        if (loadSeq !== loadedFor || get().search.query !== query) return;
        set({ search: { query, running: false, result, pos: -1 }, listView: 'search' });
      } catch (e) {
        if (loadSeq !== loadedFor) return;
        const message = e instanceof Error ? e.message : String(e);
        set({ search: { query, running: false, result: { query, matches: [], messages: 0, occurrences: 0, truncated: false, error: message, unreadable: 0 }, pos: -1 } });
      }
    },
    stepSearch(delta) {
      const { result, pos } = get().search;
      const n = result?.matches.length ?? 0;
      if (n === 0) return;
      get().goToMatch(pos < 0 ? (delta > 0 ? 0 : n - 1) : (((pos + delta) % n) + n) % n);
    },
    goToMatch(pos) {
      const s = get();
      const match = s.search.result?.matches[pos];
      const m = match ? s.report?.messages[match.index] : undefined;
      if (!match || !m) return;
      set((st) => {
        const callId = m.callId;
        const change = callId !== null && !st.view.selectedCalls.includes(callId);
        const head = m.retransmission ? (m.retransmissionOf ?? null) : null;
        const unfolded = change ? [] : st.view.unfolded;
        return {
          search: { ...st.search, pos },
          view: {
            ...st.view,
            selectedCalls: change ? [callId] : st.view.selectedCalls,
            selectedMessage: match.index,
            unfolded: head !== null && !unfolded.includes(head) ? [...unfolded, head] : unfolded,
          },
          ...(change ? { cursorCall: callId, marked: [], evidence: null } : {}),
          detailOpen: true,
          pane: 'ladder' as const,
        };
      });
    },
    setTheme(theme) {
      try {
        if (theme === 'system') globalThis.localStorage?.removeItem(THEME_KEY);
        else globalThis.localStorage?.setItem(THEME_KEY, theme);
      } catch {
        /* private mode: the choice lasts for this page only */
      }
      set({ theme });
    },
  }));
}

const StoreContext = createContext<StoreApi<AppState> | null>(null);

export function StoreProvider({ store, children }: { store: StoreApi<AppState>; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/** The store itself, for event handlers that read `getState()` without re-rendering. */
export function useAppStoreApi(): StoreApi<AppState> {
  const store = useContext(StoreContext);
  if (!store) throw new Error('[sipladder:E001] useAppStore used outside <StoreProvider>');
  return store;
}

/** Subscribe to a slice; pass a module-scope selector (see selectors.ts). */
export function useAppStore<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStoreApi(), selector);
}
