/**
 * The ladder area's split: the ladder on the left, the side panel (message detail / findings) on
 * the right with a splitter between them. Drag the splitter (or focus it and press ←/→) to resize
 * the panel; the "»" button collapses it to a thin strip so the ladder gets the whole width, "«"
 * brings it back. The width is remembered in localStorage. The panel no longer takes a fixed 30%:
 * by default it is 320 px (22% of a 1440 px screen), between 220 px and 60% of the area.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';

const KEY = 'sipladder.sidePanel';
const MIN = 220;
const DEFAULT = 320;

interface PanelState {
  width: number;
  collapsed: boolean;
}

function load(): PanelState {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<PanelState> | null;
    if (v && typeof v.width === 'number' && Number.isFinite(v.width)) return { width: Math.max(MIN, v.width), collapsed: v.collapsed === true };
  } catch {
    /* a damaged entry: defaults */
  }
  return { width: DEFAULT, collapsed: false };
}

export function SidePanelFrame({ ladder, panel }: { ladder: ReactNode; panel: ReactNode }) {
  const [st, setSt] = useState<PanelState>(load);
  const areaRef = useRef<HTMLDivElement>(null);
  const drag = useRef<{ startX: number; startW: number } | null>(null);
  useEffect(() => {
    try {
      localStorage.setItem(KEY, JSON.stringify(st));
    } catch {
      /* storage unavailable: not remembered */
    }
  }, [st]);
  const clampW = useCallback((w: number) => {
    const total = areaRef.current?.clientWidth ?? 1200;
    return Math.round(Math.max(MIN, Math.min(total * 0.6, w)));
  }, []);
  const cols = st.collapsed ? 'minmax(0, 1fr) 6px 0px' : `minmax(0, 1fr) 6px ${clampW(st.width)}px`;
  return (
    <div className={`ladder-area${st.collapsed ? ' panel-collapsed' : ''}`} ref={areaRef} style={{ gridTemplateColumns: cols }}>
      {ladder}
      <div
        className="panel-splitter"
        role="separator"
        aria-orientation="vertical"
        aria-label="Resize the side panel"
        aria-valuenow={st.collapsed ? 0 : clampW(st.width)}
        tabIndex={0}
        data-testid="panel-splitter"
        onPointerDown={(e) => {
          if ((e.target as Element).closest('button')) return;
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          drag.current = { startX: e.clientX, startW: st.collapsed ? 0 : clampW(st.width) };
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d) return;
          const w = d.startW - (e.clientX - d.startX);
          setSt(w < MIN / 2 ? { width: st.width, collapsed: true } : { width: clampW(w), collapsed: false });
        }}
        onPointerUp={() => {
          drag.current = null;
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
            e.preventDefault();
            e.stopPropagation();
            setSt({ width: clampW((st.collapsed ? MIN : st.width) + (e.key === 'ArrowLeft' ? 40 : -40)), collapsed: false });
          }
        }}
      >
        <button
          type="button"
          className="panel-toggle"
          aria-label={st.collapsed ? 'Show the side panel' : 'Hide the side panel'}
          title={st.collapsed ? 'Show the side panel' : 'Hide the side panel'}
          aria-expanded={!st.collapsed}
          onClick={() => setSt({ ...st, collapsed: !st.collapsed })}
        >
          {st.collapsed ? '«' : '»'}
        </button>
      </div>
      <div className="side-panel-slot" hidden={st.collapsed}>
        {panel}
      </div>
    </div>
  );
}
