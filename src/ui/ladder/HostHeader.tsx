/**
 * The sticky host header above the ladder: one box per column, following the ladder's horizontal
 * pan and zoom (it shares the transform's x and k, never its y). Drag a box sideways to reorder;
 * its menu renames, merges into another host, splits (per port, or undoes a merge) and moves.
 * Connection lanes get their captions here too (red when the lane is in trouble).
 */
import { useEffect, useRef, useState } from 'react';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import { selectHosts } from '../../state/selectors.ts';
import { compressIpv6, endpointIp, fullEndpoint, shortEndpoint } from '../format.ts';
import { defaultLabel, mergeHosts, moveHost, renameHost, splitHost } from './hosts.ts';
import type { LadderColumnLayout, LadderLayout } from './layout.ts';
import type { Transform } from './pan-zoom.ts';
import { moveFocus } from '../focus.ts';

export function HostHeader({ layout, transform }: { layout: LadderLayout; transform: Transform }) {
  const api = useAppStoreApi();
  const hosts = useAppStore(selectHosts);
  const [menu, setMenu] = useState<string | null>(null);
  const [drag, setDrag] = useState<{ id: string; startX: number; dx: number } | null>(null);
  const { x: tx, k } = transform;
  const m = layout.metrics;
  const w = Math.max(64, m.colWidth * k - 12);
  const order = layout.columns.map((c) => c.id);
  // An address-named host is shortened once, in the middle, to what its box holds (a long IPv6
  // would otherwise be cut in the middle and then again by the box's ellipsis).
  const nameChars = Math.max(8, Math.floor((w - 44) / 7.8));

  const dropIndex = (dx: number, from: number): number => Math.max(0, Math.min(order.length - 1, Math.round(from + dx / (m.colWidth * k))));

  return (
    <div className="host-header" role="list" aria-label="Hosts">
      <div className="gutter-head" style={{ width: m.timeWidth * k }}>
        Time
        <br />
        <span className="muted">frame</span>
      </div>
      {layout.columns.map((c, i) => {
        const left = tx + c.x * k - w / 2 + (drag?.id === c.id ? drag.dx : 0);
        const ip = endpointIp(c.keys[0] ?? '');
        const sub = c.keys.length > 1 ? `${c.keys.length} addresses` : c.renamed ? shortEndpoint(c.keys[0] ?? '', 24) : c.endpoints.length > 1 ? `${new Set(c.endpoints).size} ports` : `port ${c.endpoints[0]?.split(':').pop() ?? ''}`;
        const title = [c.renamed ? c.label : null, ...c.keys.map((key) => (key.includes(':') && !key.startsWith('[') && !key.includes('.') ? compressIpv6(key) : fullEndpoint(key))), c.endpoints.length ? `seen as ${[...new Set(c.endpoints)].map(fullEndpoint).join(', ')}` : '', ...(c.mergeReasons ?? []).map((r) => `Merged by the model: ${r} (undo: menu → Split merged host)`)]
          .filter(Boolean)
          .join('\n');
        return (
          <div
            key={c.id}
            role="listitem"
            className={`host-box${drag?.id === c.id ? ' dragging' : ''}`}
            style={{ left, width: w }}
            title={title}
            data-testid="host"
            data-host={c.id}
            onPointerDown={(e) => {
              if ((e.target as Element).closest('button, input, .host-menu')) return;
              e.stopPropagation();
              (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
              setDrag({ id: c.id, startX: e.clientX, dx: 0 });
            }}
            onPointerMove={(e) => {
              if (drag?.id === c.id) setDrag({ ...drag, dx: e.clientX - drag.startX });
            }}
            onPointerUp={() => {
              if (drag?.id !== c.id) return;
              const to = dropIndex(drag.dx, i);
              setDrag(null);
              if (to !== i) api.getState().setHosts(moveHost(hosts, order, c.id, to));
            }}
          >
            <span className="host-name">{c.label === defaultLabel(c.keys) ? defaultLabel(c.keys, nameChars) : c.label}</span>
            <span className="host-sub">{sub || ip}</span>
            <button type="button" className="host-menu-btn" aria-label={`Host ${c.label} menu`} aria-expanded={menu === c.id} onClick={() => setMenu(menu === c.id ? null : c.id)}>
              ⋯
            </button>
            {menu === c.id && <HostMenu col={c} index={i} layout={layout} onClose={() => setMenu(null)} />}
          </div>
        );
      })}
      {layout.lanes.map((l) => (
        <div key={l.id} className={`lane-cap lane-${l.color % 6}${l.problems.length ? ' bad' : ''}`} style={{ left: tx + l.x * k - 14 }} title={l.summary}>
          {l.conn.transport === 'tls' ? 'TLS' : 'TCP'}
          <br />#{l.id}
        </div>
      ))}
    </div>
  );
}

function HostMenu({ col, index, layout, onClose }: { col: LadderColumnLayout; index: number; layout: LadderLayout; onClose: () => void }) {
  const api = useAppStoreApi();
  const hosts = useAppStore(selectHosts);
  const [name, setName] = useState(col.renamed ? col.label : '');
  const ref = useRef<HTMLDivElement>(null);
  // Where focus goes back when the menu closes from the keyboard or by an action (the menu button).
  const opener = useRef<HTMLElement | null>(null);
  const order = layout.columns.map((c) => c.id);
  useEffect(() => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    ref.current?.querySelector('input')?.focus();
    const close = (e: PointerEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    window.addEventListener('pointerdown', close, true);
    return () => window.removeEventListener('pointerdown', close, true);
  }, [onClose]);
  const closeAndReturn = () => {
    const back = opener.current;
    onClose();
    if (back?.isConnected) back.focus();
  };
  const set = (h: typeof hosts) => {
    api.getState().setHosts(h);
    closeAndReturn();
  };
  const isPortColumn = col.keys.length === 1 && col.keys[0] !== endpointIp(col.keys[0]!);
  return (
    <div
      className="host-menu"
      ref={ref}
      role="dialog"
      aria-label={`Edit host ${col.label}`}
      onPointerDown={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          closeAndReturn();
          return;
        }
        if (ref.current && moveFocus(ref.current, e.key)) {
          e.preventDefault();
          e.stopPropagation();
        }
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          set(renameHost(hosts, col.id, name));
        }}
      >
        <label>
          Name <input value={name} placeholder={col.label} onChange={(e) => setName(e.currentTarget.value)} aria-label="Host name" />
        </label>
        <button type="submit">Rename</button>
      </form>
      {layout.columns.length > 1 && (
        <div className="menu-group">
          <span className="muted">Merge into</span>
          {layout.columns
            .filter((c) => c.id !== col.id)
            .map((c) => (
              <button key={c.id} type="button" onClick={() => set(mergeHosts(hosts, c, col))}>
                {c.label}
              </button>
            ))}
        </div>
      )}
      {col.mergeReasons && col.mergeReasons.length > 0 && (
        <div className="menu-group" data-testid="merge-reason">
          <span className="muted">Merged by the model because</span>
          {col.mergeReasons.map((r) => (
            <span key={r}>{r}</span>
          ))}
        </div>
      )}
      <div className="menu-group">
        <button type="button" onClick={() => set(splitHost(hosts, col))}>
          {col.keys.length > 1 ? 'Split merged host' : isPortColumn ? 'Join ports of this IP' : 'Split per port'}
        </button>
        <button type="button" disabled={index === 0} onClick={() => set(moveHost(hosts, order, col.id, index - 1))}>
          ◀ Move left
        </button>
        <button type="button" disabled={index === order.length - 1} onClick={() => set(moveHost(hosts, order, col.id, index + 1))}>
          Move right ▶
        </button>
      </div>
    </div>
  );
}

