/**
 * The page: open a capture (drop anywhere, pick a file, or `?url=` on the same origin), watch
 * progress with Cancel, then read it — the call list on top, the ladder below with the message
 * detail / findings panel beside it. Global keys: `/` focuses the filter; Esc walks back
 * (detail → ladder → call list). Theme: follows the system unless the user picks one.
 */
import { pickFiles } from './open/pick-files.ts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useAppStore, useAppStoreApi } from '../state/store.tsx';
import type { Theme } from '../state/store.tsx';
import { selectDetailOpen, selectPane, selectReport, selectStatus, selectTheme } from '../state/selectors.ts';
import { CaptureSummary } from './CaptureSummary.tsx';
import { ListArea } from './connections/ConnectionsView.tsx';
import { Ladder } from './ladder/Ladder.tsx';
import { MessageDetailPane } from './details/MessageDetail.tsx';
import { SidePanelFrame } from './ladder/SidePanelFrame.tsx';
import { FindingsPanel } from './overlays/FindingsPanel.tsx';
import { MediaPanel } from './media/MediaPanel.tsx';
import { formatBytes } from '../view/format.ts';
import { useKeyboardPlumbing } from './keyboard.ts';
import { SearchBox } from './search/Search.tsx';
import { ShareButton } from './share/ShareDialog.tsx';
import { SharedLink } from './share/SharedLink.tsx';
import { TrainingBar, TrainingLibrary, TrainingLink, TrainingStartList, useTrainingRoute } from './training/index.ts';

const THEMES: Array<[Theme, string]> = [
  ['system', 'Theme: system'],
  ['light', 'Theme: light'],
  ['dark', 'Theme: dark'],
];

function SidePanel() {
  const api = useAppStoreApi();
  const detailOpen = useAppStore(selectDetailOpen);
  const [media, setMedia] = useState(false);
  const tab = media ? 'media' : detailOpen ? 'message' : 'findings';
  // A large capture listed as read: its RTP streams are matched to calls by the model, still being built.
  const modelling = useAppStore((s) => s.status.kind === 'modelling' || s.status.kind === 'reading');
  return (
    <aside className="side-panel" aria-label="Details">
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === 'message'} onClick={() => (setMedia(false), api.getState().setDetailOpen(true))}>
          Message
        </button>
        <button type="button" role="tab" aria-selected={tab === 'findings'} onClick={() => (setMedia(false), api.getState().setDetailOpen(false))}>
          Findings
        </button>
        <button type="button" role="tab" aria-selected={tab === 'media'} onClick={() => setMedia(true)}>
          Media
        </button>
      </div>
      <div className="tab-body" role="tabpanel">
        {tab === 'media' ? (
          modelling ? (
            <p className="muted" data-testid="media-pending">
              Building the model: each call's RTP streams follow in a moment.
            </p>
          ) : (
            <MediaPanel />
          )
        ) : detailOpen ? (
          <MessageDetailPane />
        ) : (
          <FindingsPanel />
        )}
      </div>
    </aside>
  );
}

/** A file that was refused while another capture stays open. */
function NoticeLine() {
  const notice = useAppStore((s) => s.notice);
  const api = useAppStoreApi();
  if (!notice) return null;
  return (
    <p role="alert" className="error-line notice-line">
      {notice.name}: {notice.message}. {api.getState().report ? 'The capture that was open stays open.' : ''}
      <button type="button" className="link" onClick={() => api.getState().dismissNotice()} aria-label="Dismiss">
        ×
      </button>
    </p>
  );
}

export function App() {
  const api = useAppStoreApi();
  const status = useAppStore(selectStatus);
  const report = useAppStore(selectReport);
  const theme = useAppStore(selectTheme);
  const pane = useAppStore(selectPane);
  const openFile = useAppStore((s) => s.openFile);
  const cancel = useAppStore((s) => s.cancel);
  const inputRef = useRef<HTMLInputElement>(null);
  const filterRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const trainingRoute = useTrainingRoute();
  useKeyboardPlumbing(api);

  const onFiles = useCallback(
    (files: FileList | null) => {
      if (!files || files.length === 0) return;
      // A capture may come with its TLS key log (dropped or picked together), and with captures
      // taken at other points (both sides of a NAT): those are lined up with the first.
      void pickFiles([...files]).then(({ capture, more, keyLog }) => {
        if (!capture) return;
        const opts = { ...(keyLog ? { keyLog } : {}), ...(more.length > 0 ? { more: more.map((f) => ({ file: f as Blob, name: f.name })) } : {}) };
        void openFile(capture, capture.name, Object.keys(opts).length > 0 ? opts : undefined);
      });
    },
    [openFile],
  );

  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    // Drop anywhere on the page.
    let depth = 0;
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
    };
    const enter = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      depth++;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      setDragging(false);
      onFiles(e.dataTransfer?.files ?? null);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [onFiles]);

  // Global keys: "/" focuses the filter; Esc in the list leaves the filter alone.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing = t?.closest('input, textarea, select, [contenteditable]');
      if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        filterRef.current?.focus();
        filterRef.current?.select();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // Esc from the ladder: give the keyboard back to the call list's current row.
  const prevPane = useRef(pane);
  useEffect(() => {
    if (prevPane.current === 'ladder' && pane === 'list') {
      const id = api.getState().view.selectedCalls.at(-1);
      const row = id ? document.querySelector<HTMLElement>(`.call-table tr[data-callid="${CSS.escape(id)}"]`) : null;
      (row ?? document.querySelector<HTMLElement>('.call-table tbody tr.data'))?.focus();
    }
    prevPane.current = pane;
  }, [pane, api]);

  const progress = status.kind === 'loading' || status.kind === 'reading' ? status.progress : null;
  const fraction = progress && progress.totalBytes > 0 ? progress.bytesRead / progress.totalBytes : 0;
  const loaded = report !== null && status.kind !== 'loading' && status.kind !== 'error';

  return (
    <div className={`app${dragging ? ' dragging' : ''}${loaded ? ' has-report' : ''}`}>
      <header className="topbar">
        <h1>sipladder</h1>
        <button type="button" onClick={() => inputRef.current?.click()}>
          Open capture…
        </button>
        <TrainingLink />
        <input
          ref={inputRef}
          type="file"
          aria-label="Capture file"
          data-testid="file-input"
          accept=".pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap,.txt,.log,.keylog"
          multiple
          hidden
          onChange={(e) => {
            onFiles(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
        {loaded && status.kind === 'loaded' && <CaptureSummary report={report} name={status.name} elapsedMs={status.elapsedMs} listedMs={status.listedMs} />}
        {loaded && status.kind === 'loaded' && <ShareButton />}
        {loaded && <SearchBox />}
        <span className="privacy" title="Nothing is uploaded: the capture is read in this browser.">{loaded ? 'Read locally' : 'Nothing is uploaded: the capture is read in this browser.'}</span>
        <select className="theme" aria-label="Theme" value={theme} onChange={(e) => api.getState().setTheme(e.currentTarget.value as Theme)}>
          {THEMES.map(([t, label]) => (
            <option key={t} value={t}>
              {label}
            </option>
          ))}
        </select>
      </header>
      <SharedLink />
      <TrainingBar />

      {(status.kind === 'loading' || status.kind === 'reading') && (
        <section className="loading" aria-live="polite" aria-label="Reading">
          <div>
            Reading <strong>{status.name}</strong>
            {progress ? ` — ${progress.stage}, ${formatBytes(progress.bytesRead)} of ${formatBytes(progress.totalBytes)}, ${progress.packets.toLocaleString('en-US')} packets, ${progress.messages.toLocaleString('en-US')} SIP messages` : ''}
          </div>
          <progress aria-label="Reading progress" max={1} value={fraction} />
          <button type="button" onClick={cancel}>
            Cancel
          </button>
          {status.kind === 'reading' && (
            <div className="muted" data-testid="reading-line">
              Below: the {report?.calls.length.toLocaleString('en-US') ?? 0} calls read in the first {(status.snapshotMs / 1000).toFixed(1)} s; all of them once the capture is read.
            </div>
          )}
        </section>
      )}
      {status.kind === 'error' && (
        <p role="alert" className="error-line">
          {status.name}: {status.message}
        </p>
      )}
      {status.kind === 'cancelled' && <p className="status-line">Reading {status.name} was cancelled.</p>}
      {status.kind === 'modelling' && (
        <p className="status-line" role="status" data-testid="modelling-line">
          Read <strong>{status.name}</strong>: {report?.calls.length.toLocaleString('en-US') ?? 0} calls listed as read after {(status.readMs / 1000).toFixed(1)} s; building the model (transactions, dialogs, outcomes, media), then the diagnosis.
        </p>
      )}
      {status.kind === 'diagnosing' && (
        <p className="status-line" role="status" data-testid="diagnosing-line">
          Diagnosing <strong>{status.name}</strong>: {report?.calls.length.toLocaleString('en-US') ?? 0} calls listed after {(status.listedMs / 1000).toFixed(1)} s; findings and verdicts follow.
        </p>
      )}
      <NoticeLine />

      {trainingRoute.page === 'library' ? (
        <TrainingLibrary />
      ) : loaded ? (
        <main className={`viewer${report.calls.length === 0 ? ' no-calls' : ''}`}>
          <div className="list-area">
            <ListArea filterRef={filterRef} />
          </div>
          <SidePanelFrame ladder={<Ladder />} panel={<SidePanel />} />
        </main>
      ) : (
        status.kind !== 'loading' && (
          <section className="dropzone" aria-label="Drop a capture">
            <p>Drop a pcap or pcapng file anywhere on this page (gzip-compressed is fine), or use “Open capture…”. SIP over TLS? Drop the capture together with its TLS key log (SSLKEYLOGFILE) to read the SIP inside.</p>
            <p className="muted">Keys: / filter · ↑↓ or j k move · Space mark a call (list), fold (ladder) · Enter open · Esc back · ←→ previous/next call · f find in text · n N next/previous match</p>
            <TrainingStartList />
          </section>
        )
      )}
    </div>
  );
}
