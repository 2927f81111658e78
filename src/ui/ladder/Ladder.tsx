/**
 * The interactive ladder: toolbar (time mode, overlays, zoom, exports), the sticky host header
 * (rename, merge, split, reorder by dragging), and the body — an SVG whose content group carries
 * the d3-zoom transform (pan-zoom.ts) and draws only the rows in view plus overscan, so a call of
 * thousands of messages stays light. Keyboard (sngrep-like): ↑/↓ or j/k move through messages,
 * Enter opens the detail, Esc closes it or goes back to the call list, ←/→ switch calls, Space
 * folds/unfolds a retransmission chain, +/- zoom, 0 resets.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import {
  selectDetailOpen,
  selectEvidence,
  selectHosts,
  selectLadderMessages,
  selectOverlays,
  selectPane,
  selectProposals,
  selectReport,
  selectSelectedCalls,
  selectSelectedMessage,
  selectTimeMode,
  selectUnfolded,
  selectVisibleCalls,
} from '../../state/selectors.ts';
import { layoutLadder, visibleRows } from './layout.ts';
import type { LadderLayout, MessageRow } from './layout.ts';
import { createPanZoom } from './pan-zoom.ts';
import type { PanZoom, Transform } from './pan-zoom.ts';
import { BodyLayers, GutterFrames, GutterTexts, measureLabel } from './LadderLayers.tsx';
import type { RowRenderState } from './LadderLayers.tsx';
import { HostHeader } from './HostHeader.tsx';
import { LadderToolbar } from './LadderToolbar.tsx';
import { LadderScrollbars } from './LadderScrollbars.tsx';
import { MediaChart } from '../media/MediaChart.tsx';

const emptyFrames: ReadonlySet<number> = new Set();

/** The ladder layout for the current store state (memoised on its inputs). */
export function useLadderLayout(availableWidth?: number): LadderLayout | null {
  const report = useAppStore(selectReport);
  const messages = useAppStore(selectLadderMessages);
  const callIds = useAppStore(selectSelectedCalls);
  const hosts = useAppStore(selectHosts);
  const proposals = useAppStore(selectProposals);
  const unfolded = useAppStore(selectUnfolded);
  const timeMode = useAppStore(selectTimeMode);
  const overlays = useAppStore(selectOverlays);
  const selectedForTime = useAppStore((s) => (s.view.timeMode === 'selected' ? s.view.selectedMessage : null));
  return useMemo(() => {
    if (!report || messages.length === 0) return null;
    return layoutLadder({
      messages,
      callIds,
      hosts,
      proposals,
      unfolded,
      timeMode,
      selectedMessage: selectedForTime,
      findings: report.findings,
      connections: report.connections,
      rtpStreams: report.rtpStreams,
      overlays,
      measure: measureLabel,
      availableWidth,
      ...(report.alignment ? { copies: report.alignment.groups, lost: report.alignment.lost } : {}),
    });
  }, [report, messages, callIds, hosts, proposals, unfolded, timeMode, selectedForTime, overlays, availableWidth]);
}

export function Ladder() {
  const api = useAppStoreApi();
  const report = useAppStore(selectReport);
  const [size, setSize] = useState({ w: 800, h: 400 });
  // Columns share the viewport's width (in 20 px steps, so a resize does not relayout per pixel).
  const layout = useLadderLayout(Math.floor((size.w - 14) / 20) * 20);
  const selected = useAppStore(selectSelectedMessage);
  const overlays = useAppStore(selectOverlays);
  const evidence = useAppStore(selectEvidence);
  const pane = useAppStore(selectPane);
  const detailOpen = useAppStore(selectDetailOpen);
  const callIds = useAppStore(selectSelectedCalls);

  const bodyRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const pz = useRef<PanZoom | null>(null);
  const [t, setT] = useState<Transform>({ x: 0, y: 0, k: 1 });
  const [hoverTx, setHoverTx] = useState<number | null>(null);
  const focusAfterRender = useRef(false);
  const sectionRef = useRef<HTMLElement>(null);

  // Header and lifelines move as one. The header clips its boxes (overflow hidden), yet the
  // browser still scrolls it when focus lands on a box outside it (Tab through the "⋯" buttons,
  // a menu opening at the right edge): that scroll is turned into a pan of the whole ladder and
  // the header is put back at 0, so names never sit over the wrong lifelines.
  useEffect(() => {
    const sec = sectionRef.current;
    if (!sec) return;
    const onScroll = (e: Event): void => {
      const el = e.target as HTMLElement;
      if (!el.classList?.contains('host-header')) return;
      const dx = el.scrollLeft;
      const dy = el.scrollTop;
      if (dx === 0 && dy === 0) return;
      el.scrollLeft = 0;
      el.scrollTop = 0;
      if (dx !== 0) pz.current?.panBy(-dx, 0);
    };
    sec.addEventListener('scroll', onScroll, true);
    return () => sec.removeEventListener('scroll', onScroll, true);
  }, []);
  // The header cannot scroll (overflow: clip); focus landing on an off-screen host's box pans the
  // whole ladder to it instead.
  const onHeaderFocus = useCallback(
    (e: React.FocusEvent) => {
      const box = (e.target as Element).closest?.('[data-host]');
      if (!box || !layout || !pz.current) return;
      // Only a box that is not fully in view: a pan on a mouse press over a visible box would move
      // its button from under the pointer before the click lands (the "⋯" menu would not open).
      const r = box.getBoundingClientRect();
      const v = bodyRef.current?.getBoundingClientRect();
      if (v && r.left >= v.left + layout.metrics.timeWidth * pz.current.getTransform().k && r.right <= v.right) return;
      const col = layout.columns.find((c) => c.id === box.getAttribute('data-host'));
      if (!col) return;
      const half = layout.metrics.colWidth / 2;
      pz.current.revealX(col.x - half, col.x + half, 18, layout.metrics.timeWidth * pz.current.getTransform().k);
    },
    [layout],
  );

  // d3-zoom, created once on the body element; the layout's size is pushed on change.
  useEffect(() => {
    const el = bodyRef.current;
    if (!el) return;
    const p = createPanZoom(el, { contentWidth: 1, contentHeight: 1, onTransform: setT });
    pz.current = p;
    const ro = new ResizeObserver(() => {
      setSize({ w: el.clientWidth, h: el.clientHeight });
      p.update({});
    });
    ro.observe(el);
    setSize({ w: el.clientWidth, h: el.clientHeight });
    return () => {
      ro.disconnect();
      p.destroy();
      pz.current = null;
    };
  }, []);
  useEffect(() => {
    if (layout) pz.current?.update({ contentWidth: layout.width, contentHeight: layout.height });
  }, [layout]);
  // A new selection of calls starts at the top.
  const callKey = callIds.join('\n');
  useEffect(() => {
    pz.current?.setTransform({ x: 0, y: 0, k: pz.current.getTransform().k });
  }, [callKey]);


  // Keep the selected message in view (and focused when the keyboard moved it).
  useLayoutEffect(() => {
    if (!layout || selected === null) return;
    const ri = layout.rowOfMessage.get(selected);
    if (ri === undefined) return;
    const row = layout.rows[ri]!;
    pz.current?.revealY(row.y, row.y + row.height);
    if (row.kind === 'message') {
      const xs = [layout.columns[row.from]!.x, layout.columns[row.to]!.x];
      if (row.ghost) xs.push(layout.columns[row.ghost.from]!.x, layout.columns[row.ghost.to]!.x);
      pz.current?.revealX(Math.min(...xs) - layout.metrics.colWidth / 2, Math.max(...xs) + layout.metrics.colWidth / 2, 18, layout.metrics.timeWidth * pz.current.getTransform().k);
    }
  }, [layout, selected]);
  useEffect(() => {
    if (!focusAfterRender.current || selected === null || !layout) return;
    const ri = layout.rowOfMessage.get(selected);
    const el = bodyRef.current?.querySelector<SVGGElement>(`g.arrow[data-row="${ri}"]`);
    if (el && document.activeElement !== el) {
      el.focus({ preventScroll: true });
      focusAfterRender.current = false;
    }
  });

  const messageRows = useMemo(() => (layout ? layout.rows.map((r, i) => [r, i] as const).filter(([r]) => r.kind === 'message') : []), [layout]);

  const select = useCallback(
    (index: number | null, focus: boolean) => {
      focusAfterRender.current = focus;
      api.getState().selectMessage(index);
    },
    [api],
  );

  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      if (!layout) return;
      const target = e.target as HTMLElement;
      // Keys on a control (a host's menu button, the menus, a field) are the control's: Enter and
      // Space must press a button, not open the message detail.
      if (target.closest('input, textarea, select, button, summary, a[href], .host-menu')) return;
      const s = api.getState();
      const cur = s.view.selectedMessage;
      const curRow = cur === null ? -1 : messageRows.findIndex(([r]) => r.kind === 'message' && (r.index === cur || r.folded.includes(cur) || r.crossings.some((c) => c.index === cur)));
      const go = (pos: number) => {
        const hit = messageRows[Math.max(0, Math.min(messageRows.length - 1, pos))];
        if (hit && hit[0].kind === 'message') select(hit[0].index, true);
      };
      switch (e.key) {
        case 'ArrowDown':
        case 'j':
          go(curRow + 1);
          break;
        case 'ArrowUp':
        case 'k':
          go(curRow < 0 ? 0 : curRow - 1);
          break;
        case 'Home':
          go(0);
          break;
        case 'End':
          go(messageRows.length - 1);
          break;
        case 'PageDown':
        case 'PageUp': {
          const perPage = Math.max(1, Math.floor(size.h / (layout.metrics.rowHeight * t.k)) - 1);
          go(curRow + (e.key === 'PageDown' ? perPage : -perPage));
          break;
        }
        case 'Enter':
          if (cur === null) go(0);
          s.setDetailOpen(true);
          break;
        case 'Escape':
          if (s.detailOpen) s.setDetailOpen(false);
          else if (s.evidence) s.showEvidence(null);
          else {
            s.setPane('list');
          }
          break;
        case ' ': {
          const row = curRow >= 0 ? (messageRows[curRow]![0] as MessageRow) : null;
          if (row?.hasChain) s.toggleUnfold(row.isRetransmission ? (row.message.retransmissionOf ?? row.index) : row.index);
          break;
        }
        case 'ArrowLeft':
        case 'ArrowRight': {
          const list = selectVisibleCalls(s);
          const curCall = s.view.selectedCalls[0];
          const i = list.findIndex((r) => r.callId === curCall);
          const next = list[i + (e.key === 'ArrowRight' ? 1 : -1)];
          if (next) {
            s.selectCalls([next.callId]);
            focusAfterRender.current = true;
          }
          break;
        }
        case '+':
        case '=':
          pz.current?.zoomBy(1.25);
          break;
        case '-':
          pz.current?.zoomBy(0.8);
          break;
        case '0':
          pz.current?.setTransform({ x: 0, y: t.y, k: 1 });
          break;
        default:
          return;
      }
      e.preventDefault();
      e.stopPropagation();
    },
    [api, layout, messageRows, select, size.h, t.k, t.y],
  );

  // After switching calls with ←/→, select the first message of the new ladder.
  useEffect(() => {
    if (focusAfterRender.current && selected === null && messageRows[0]) {
      const r = messageRows[0][0];
      if (r.kind === 'message') api.getState().selectMessage(r.index);
    }
  }, [messageRows, selected, api]);

  const onClick = useCallback(
    (e: React.MouseEvent) => {
      const el = e.target as Element;
      const unfold = el.closest('[data-unfold]');
      if (unfold) {
        api.getState().toggleUnfold(Number(unfold.getAttribute('data-unfold')));
      }
      const g = el.closest('g.arrow');
      if (g) {
        const index = Number(g.getAttribute('data-index'));
        const s = api.getState();
        s.setPane('ladder');
        s.selectMessage(index);
        s.setDetailOpen(true);
        if (!unfold) {
          const row = layout?.rows[Number(g.getAttribute('data-row'))];
          if (row?.kind === 'message' && row.isRetransmission && e.detail === 2) s.toggleUnfold(row.message.retransmissionOf ?? row.index);
        }
      }
    },
    [api, layout],
  );

  const onMouseOver = useCallback(
    (e: React.MouseEvent) => {
      const g = (e.target as Element).closest('g.arrow');
      if (!g || !layout) {
        setHoverTx(null);
        return;
      }
      const row = layout.rows[Number(g.getAttribute('data-row'))];
      setHoverTx(row?.kind === 'message' ? (row.message.transaction ?? null) : null);
    },
    [layout],
  );

  const state: RowRenderState = useMemo(
    () => ({
      selected,
      hoveredTransaction: hoverTx,
      evidenceFrames: evidence && overlays.findings ? new Set(evidence.frames) : emptyFrames,
      findings: report?.findings ?? [],
      laneColor: new Map(layout?.lanes.map((l) => [l.id, l.color]) ?? []),
      showConnections: overlays.connections,
      captureNames: report?.captures?.map((c) => c.file) ?? [],
    }),
    [selected, hoverTx, evidence, overlays, report, layout],
  );

  if (!report) return null;
  const top = -t.y / t.k;
  const bottom = (size.h - t.y) / t.k;
  const [from, to] = layout ? visibleRows(layout.rows, top, bottom, 10) : [0, 0];
  const gutterW = layout?.metrics.timeWidth ?? 120;

  return (
    <section ref={sectionRef} onFocusCapture={onHeaderFocus} className={`ladder${pane === 'ladder' ? ' active' : ''}${detailOpen ? ' with-detail' : ''}`} aria-label="Ladder" onKeyDown={onKeyDown} onFocus={() => api.getState().pane !== 'ladder' && api.getState().setPane('ladder')}>
      <LadderToolbar layout={layout} panZoom={pz} />
      {layout ? <HostHeader layout={layout} transform={t} /> : <div className="host-header empty" />}
      <div className="ladder-body" ref={bodyRef} data-testid="ladder-body">
        {!layout && <p className="ladder-empty">{callIds.length === 0 ? 'Select a call in the list to draw its ladder.' : 'The selected call has no SIP messages.'}</p>}
        <svg
          ref={svgRef}
          className="ladder-svg"
          width={size.w}
          height={size.h}
          role="group"
          aria-label={layout ? `Ladder of ${callIds.length === 1 ? 'call ' + callIds[0] : callIds.length + ' calls'}: ${layout.rows.length} rows, ${layout.columns.length} hosts` : 'Empty ladder'}
          onClick={onClick}
          onMouseOver={onMouseOver}
          onMouseLeave={() => setHoverTx(null)}
        >
          {layout && (
            <>
              <g className="content" transform={`translate(${t.x},${t.y}) scale(${t.k})`}>
                <BodyLayers layout={layout} from={from} to={to} y0={Math.max(0, top)} y1={Math.min(layout.height + 40, bottom)} state={state} interactive />
                {overlays.rtp && <MediaChart layout={layout} streams={report.rtpStreams} callIds={callIds} />}
              </g>
              <g className="gutter" transform={`translate(0,${t.y}) scale(${t.k})`}>
                <rect className="gutter-bg" x={0} y={top} width={gutterW} height={bottom - top} />
                <GutterTexts layout={layout} from={from} to={to} selected={selected} />
                <GutterFrames layout={layout} from={from} to={to} />
              </g>
            </>
          )}
        </svg>
        {layout && <LadderScrollbars width={layout.width} height={layout.height} view={size} transform={t} panZoom={pz} />}
      </div>
    </section>
  );
}
