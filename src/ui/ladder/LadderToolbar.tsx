/**
 * The ladder's toolbar: time mode, overlay switches, zoom, fold/unfold all, and the exports
 * (SVG, PNG, pcap/pcapng of the selected calls' frames, plain text for a ticket, Mermaid).
 */
import { useState } from 'react';
import type { RefObject } from 'react';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import { selectEvidence, selectOverlays, selectReport, selectSelectedCalls, selectSelectedMessage, selectTimeMode, selectUnfolded } from '../../state/selectors.ts';
import { TIME_MODES } from '../../state/view-state.ts';
import type { Overlays, TimeMode } from '../../state/view-state.ts';
import type { Report } from '../../report/report.ts';
import { callExport } from '../../engine/call-export.ts';
import { downloadBlob, fileStem, ladderSvgString, svgToPng } from '../export/svg-export.tsx';
import { mermaidLadder, textLadder } from '../export/text-ladder.ts';
import type { LadderLayout } from './layout.ts';
import { moveFocus } from '../focus.ts';
import type { PanZoom } from './pan-zoom.ts';
import type { RowRenderState } from './LadderLayers.tsx';
import { HEADER_HEIGHT } from './LadderLayers.tsx';

const OVERLAY_LABELS: Array<[keyof Overlays, string, string]> = [
  ['findings', 'Findings', 'Badges on arrows for findings; evidence highlight'],
  ['ghosts', 'Ghost arrows', 'Dashed arrows where a message should have gone'],
  ['connections', 'Connections', 'TCP/TLS connection lanes beside the ladder'],
  ['rtp', 'RTP', 'RTP streams as bands between hosts'],
];

/** Every frame of the selected calls worth handing to Wireshark: each SIP message's frames, the
 * opening, TLS handshake and closing frames of the connections that carried them, and the first
 * and last frame of their media (the worker adds every RTP/RTCP packet of those calls); one
 * comment per finding. See engine/call-export.ts. */
export function framesForCalls(report: Report, callIds: readonly string[]): { frames: number[]; comments: Record<number, string> } {
  const { frames, comments } = callExport(report, callIds);
  return { frames, comments };
}

export function LadderToolbar({ layout, panZoom }: { layout: LadderLayout | null; panZoom: RefObject<PanZoom | null> }) {
  const api = useAppStoreApi();
  const timeMode = useAppStore(selectTimeMode);
  const overlays = useAppStore(selectOverlays);
  const report = useAppStore(selectReport);
  const callIds = useAppStore(selectSelectedCalls);
  const unfolded = useAppStore(selectUnfolded);
  const selected = useAppStore(selectSelectedMessage);
  const evidence = useAppStore(selectEvidence);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const heads = layout ? layout.rows.flatMap((r) => (r.kind === 'message' && r.folded.length > 0 ? [r.index] : [])) : [];
  const stem = fileStem(callIds.length === 1 ? callIds[0]! : `${callIds.length}-calls`);
  const title = callIds.length === 1 ? `Call-ID ${callIds[0]}` : `${callIds.length} calls: ${callIds.join(', ')}`;

  const renderState = (): RowRenderState => ({
    selected,
    hoveredTransaction: null,
    evidenceFrames: evidence && overlays.findings ? new Set(evidence.frames) : new Set(),
    findings: report?.findings ?? [],
    laneColor: new Map(layout?.lanes.map((l) => [l.id, l.color]) ?? []),
    showConnections: overlays.connections,
    captureNames: report?.captures?.map((c) => c.file) ?? [],
  });

  const run = async (what: string, fn: () => Promise<void> | void) => {
    setBusy(what);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(null);
    }
  };

  const exportSvg = () => run('SVG export', () => {
    if (!layout) return;
    downloadBlob(new Blob([ladderSvgString(layout, renderState(), title)], { type: 'image/svg+xml' }), `${stem}.svg`);
  });
  const exportPng = () => run('PNG export', async () => {
    if (!layout) return;
    const svg = ladderSvgString(layout, renderState(), title);
    const png = await svgToPng(svg, layout.width, layout.height + HEADER_HEIGHT + 38);
    downloadBlob(png, `${stem}.png`);
  });
  const exportPcap = (format: 'pcap' | 'pcapng') => run(`${format} export`, async () => {
    if (!report) return;
    const { frames, comments } = framesForCalls(report, callIds);
    const s = api.getState();
    // The user's notes become packet comments too (pcapng only).
    for (const [idx, note] of Object.entries(s.view.annotations)) {
      const m = report.messages[Number(idx)];
      if (m && frames.includes(m.frame)) comments[m.frame] = comments[m.frame] ? `${comments[m.frame]}\n${note}` : note;
    }
    for (const [key, note] of Object.entries(s.view.findingNotes)) {
      const at = key.lastIndexOf('@');
      const frame = Number(key.slice(at + 1));
      const text = `${key.slice(0, at)}: ${note}`;
      if (frames.includes(frame)) comments[frame] = comments[frame] ? `${comments[frame]}\n${text}` : text;
    }
    const bytes = await s.client().exportFrames(frames, format, format === 'pcapng' ? comments : undefined);
    downloadBlob(new Blob([bytes as BlobPart], { type: 'application/vnd.tcpdump.pcap' }), `${stem}.${format}`);
  });
  const exportText = (kind: 'text' | 'mermaid') => run(`${kind} export`, () => {
    if (!layout || !report) return;
    const body = kind === 'text' ? textLadder(layout, { findings: report.findings, callIds }) : mermaidLadder(layout, { findings: report.findings, callIds });
    downloadBlob(new Blob([body], { type: 'text/plain;charset=utf-8' }), `${stem}.${kind === 'text' ? 'txt' : 'mmd'}`);
  });
  const copyText = () => run('copy', async () => {
    if (!layout || !report) return;
    await navigator.clipboard.writeText(textLadder(layout, { findings: report.findings, callIds }));
  });

  return (
    <div className="ladder-toolbar" role="toolbar" aria-label="Ladder tools">
      <label>
        Time{' '}
        <select value={timeMode} onChange={(e) => api.getState().setTimeMode(e.currentTarget.value as TimeMode)} aria-label="Time column">
          {TIME_MODES.map((m) => (
            <option key={m.mode} value={m.mode}>
              {m.label}
            </option>
          ))}
        </select>
      </label>
      <span className="overlay-switches" role="group" aria-label="Overlays">
        {OVERLAY_LABELS.map(([k, label, hint]) => (
          <label key={k} title={hint}>
            <input type="checkbox" checked={overlays[k]} onChange={(e) => api.getState().setOverlay(k, e.currentTarget.checked)} /> {label}
          </label>
        ))}
      </span>
      <span className="zoom" role="group" aria-label="Zoom">
        <button type="button" aria-label="Zoom out" onClick={() => panZoom.current?.zoomBy(0.8)}>
          −
        </button>
        <button type="button" aria-label="Zoom in" onClick={() => panZoom.current?.zoomBy(1.25)}>
          +
        </button>
        <button type="button" title="Zoom to fit the width" onClick={() => panZoom.current?.fitWidth(11 / 12)}>
          Fit
        </button>
        <button type="button" title="Zoom 100%, back to the top" onClick={() => panZoom.current?.setTransform({ x: 0, y: 0, k: 1 })}>
          1:1
        </button>
      </span>
      {(heads.length > 0 || unfolded.length > 0) && (
        <button
          type="button"
          onClick={() => {
            const s = api.getState();
            if (unfolded.length > 0) s.setView({ ...s.view, unfolded: [] });
            else s.setView({ ...s.view, unfolded: heads });
          }}
        >
          {unfolded.length > 0 ? 'Fold retransmissions' : 'Unfold retransmissions'}
        </button>
      )}
      <details
        className="export-menu"
        onKeyDown={(e) => {
          const details = e.currentTarget;
          if (!details.open) return;
          if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            details.open = false;
            details.querySelector('summary')?.focus();
            return;
          }
          const menu = details.querySelector<HTMLElement>('[role="menu"]');
          if (menu && moveFocus(menu, e.key)) {
            e.preventDefault();
            e.stopPropagation();
          }
        }}
      >
        <summary>Export{busy ? ` (${busy}…)` : ''}</summary>
        {/* A used item closes the menu (its progress shows on the summary) and gives focus back. */}
        <div role="menu" aria-label="Export" onClick={(e) => e.target instanceof Element && e.target.closest('[role="menuitem"]') && closeMenu(e.currentTarget)}>
          <button type="button" role="menuitem" disabled={!layout} onClick={exportSvg}>
            Ladder as SVG
          </button>
          <button type="button" role="menuitem" disabled={!layout} onClick={exportPng}>
            Ladder as PNG
          </button>
          <button type="button" role="menuitem" disabled={callIds.length === 0} onClick={() => exportPcap('pcap')}>
            Selected calls as pcap
          </button>
          <button type="button" role="menuitem" disabled={callIds.length === 0} onClick={() => exportPcap('pcapng')}>
            Selected calls as pcapng (findings as comments)
          </button>
          <button type="button" role="menuitem" disabled={!layout} onClick={() => exportText('text')}>
            Text ladder (for a ticket)
          </button>
          <button type="button" role="menuitem" disabled={!layout} onClick={copyText}>
            Copy text ladder
          </button>
          <button type="button" role="menuitem" disabled={!layout} onClick={() => exportText('mermaid')}>
            Mermaid sequence diagram
          </button>
        </div>
      </details>
      {error && (
        <span role="alert" className="error-inline">
          {error}
        </span>
      )}
    </div>
  );
}

/** Close the <details> menu around `el` and give focus back to its summary. */
function closeMenu(el: Element): void {
  const details = el.closest('details');
  if (!details) return;
  details.open = false;
  details.querySelector('summary')?.focus();
}
