/**
 * The first page: open a capture (drop anywhere, or pick), watch progress with a cancel button,
 * then see what was read. The viewer (call list, ladder) grows from here.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useAppStore } from '../state/store.tsx';
import { CaptureSummary } from './CaptureSummary.tsx';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / (1 << 30)).toFixed(2)} GiB`;
}

export function App() {
  const status = useAppStore((s) => s.status);
  const report = useAppStore((s) => s.report);
  const openFile = useAppStore((s) => s.openFile);
  const cancel = useAppStore((s) => s.cancel);
  const inputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const onFiles = useCallback(
    (files: FileList | null) => {
      const f = files?.[0];
      if (f) void openFile(f, f.name);
    },
    [openFile],
  );

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

  const progress = status.kind === 'loading' ? status.progress : null;
  const fraction = progress && progress.totalBytes > 0 ? progress.bytesRead / progress.totalBytes : 0;

  return (
    <div className={`app${dragging ? ' dragging' : ''}`}>
      <header className="topbar">
        <h1>sipladder</h1>
        <button type="button" onClick={() => inputRef.current?.click()}>
          Open capture…
        </button>
        <input
          ref={inputRef}
          type="file"
          aria-label="Capture file"
          data-testid="file-input"
          accept=".pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap"
          hidden
          onChange={(e) => {
            onFiles(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
        <span className="privacy">Nothing is uploaded: the capture is read in this browser.</span>
      </header>

      {status.kind === 'loading' && (
        <section className="loading" aria-live="polite">
          <div>
            Reading <strong>{status.name}</strong>
            {progress ? ` — ${progress.stage}, ${formatBytes(progress.bytesRead)} of ${formatBytes(progress.totalBytes)}, ${progress.packets.toLocaleString()} packets, ${progress.messages.toLocaleString()} SIP messages` : ''}
          </div>
          <progress aria-label="Reading progress" max={1} value={fraction} />
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        </section>
      )}
      {status.kind === 'error' && (
        <p role="alert" className="error-line">
          {status.name}: {status.message}
        </p>
      )}
      {status.kind === 'cancelled' && <p className="status-line">Reading {status.name} was cancelled.</p>}

      {report && status.kind === 'loaded' ? (
        <CaptureSummary report={report} name={status.name} elapsedMs={status.elapsedMs} />
      ) : (
        status.kind !== 'loading' && (
          <section className="dropzone" aria-label="Drop a capture">
            <p>Drop a pcap or pcapng file anywhere on this page (gzip-compressed is fine), or use “Open capture…”.</p>
          </section>
        )
      )}
    </div>
  );
}
