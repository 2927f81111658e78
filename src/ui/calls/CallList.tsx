/**
 * The call list: one filter box with quick filters and a finding-kind filter above a real
 * <table role="grid">, one row per call, sortable by every column, virtualised with
 * @tanstack/react-virtual (spacer rows above and below the rendered window) so 100,000 calls
 * scroll smoothly. SIP headers the user names become extra columns; their values come lazily
 * from the worker (the first INVITE of each *visible* call), cached in the store.
 *
 * Columns as sngrep's: Method (the dialog's first request), From, To, Source, Destination, and a
 * State that shows the diagnosis' outcome and teardown words (call-rows.ts `stateWords`).
 *
 * Keyboard (sngrep): ↑/↓ or j/k move the cursor (with nothing marked the ladder follows it),
 * Space marks/unmarks the call under the cursor, Enter opens the marked calls together in one
 * ladder (or the cursor's call), Home/End, PageUp/PageDown. Click selects one call;
 * Ctrl/⌘-click or a click on the mark box marks, Shift-click marks a range.
 */
import { memo, useEffect, useMemo, useReducer, useRef } from 'react';
import type { RefObject } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import {
  selectCallCount,
  selectFilter,
  selectFindingKindCounts,
  selectHeaderColumns,
  selectHeaderValues,
  selectCursorCall,
  selectMarked,
  selectPane,
  selectReport,
  selectSelectedCalls,
  selectSort,
  selectVisibleCalls,
  selectVisibleCount,
} from '../../state/selectors.ts';
import type { FindingKind } from '../../report/report.ts';
import { dateTimeUs, durationUs, clockUs } from '../../view/format.ts';
import type { CallRow, SortKey } from '../../view/call-rows.ts';
import { stateTitleOf } from '../../view/call-rows.ts';

const ROW_H = 28;

interface Col {
  key: SortKey;
  label: string;
  className: string;
}
const BASE_COLS: Col[] = [
  { key: 'start', label: 'Start', className: 'c-start' },
  { key: 'method', label: 'Method', className: 'c-method' },
  { key: 'from', label: 'From', className: 'c-from' },
  { key: 'to', label: 'To', className: 'c-to' },
  { key: 'src', label: 'Source', className: 'c-src' },
  { key: 'dst', label: 'Destination', className: 'c-dst' },
  { key: 'state', label: 'State', className: 'c-state' },
  { key: 'duration', label: 'Duration', className: 'c-dur num' },
  { key: 'messages', label: 'Msgs', className: 'c-msgs num' },
  { key: 'findings', label: 'Findings', className: 'c-find num' },
  { key: 'transport', label: 'Transport', className: 'c-tr' },
];

export function CallFilterBar({ filterRef }: { filterRef: React.RefObject<HTMLInputElement | null> }) {
  const api = useAppStoreApi();
  const filter = useAppStore(selectFilter);
  // Counts, not the index or its rows: held here, the previous render's copy kept them alive.
  const total = useAppStore(selectCallCount);
  const shown = useAppStore(selectVisibleCount);
  const headerColumns = useAppStore(selectHeaderColumns);
  const kinds = useAppStore(selectFindingKindCounts);
  const quick: Array<[keyof typeof filter.quick, string, string]> = [
    ['failed', 'Failed', 'Calls rejected, cancelled or timed out'],
    ['withFindings', 'With findings', 'Calls with an error or warning finding'],
    ['unanswered', 'Unanswered', 'INVITE without a 2xx'],
    ['long', `Long ≥ ${filter.longSeconds} s`, 'Calls longer than the threshold'],
  ];
  return (
    <div className="filter-bar" role="search">
      <input
        ref={filterRef}
        type="search"
        className="filter-input"
        placeholder="Filter: number, IP, method:BYE…"
        title="Filter the calls (key /): space-separated terms, all must match — a number, Call-ID, IP or word anywhere; method:BYE status:4xx ip:10.0.0.1 from:alice to:1002 callid:abc state:busy kind:ack-missing; -word excludes"
        aria-label="Filter calls"
        value={filter.text}
        onChange={(e) => api.getState().setFilter({ text: e.currentTarget.value })}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            if (filter.text) api.getState().setFilter({ text: '' });
            else (e.currentTarget as HTMLInputElement).blur();
            e.stopPropagation();
          } else if (e.key === 'ArrowDown' || e.key === 'Enter') {
            e.preventDefault();
            document.querySelector<HTMLElement>('.call-table tbody tr[aria-selected="true"], .call-table tbody tr.data')?.focus();
          }
        }}
      />
      {quick.map(([k, label, hint]) => (
        <button key={k} type="button" className="chip" aria-pressed={filter.quick[k]} title={hint} onClick={() => api.getState().setFilter({ quick: { ...filter.quick, [k]: !filter.quick[k] } })}>
          {label}
        </button>
      ))}
      {filter.quick.long && (
        <input
          type="number"
          min={1}
          className="long-input"
          aria-label="Long call threshold, seconds"
          value={filter.longSeconds}
          onChange={(e) => api.getState().setFilter({ longSeconds: Math.max(1, Number(e.currentTarget.value) || 1) })}
        />
      )}
      <select aria-label="Finding kind" value={filter.kind} onChange={(e) => api.getState().setFilter({ kind: e.currentTarget.value as FindingKind | '' })}>
        <option value="">Any finding kind</option>
        {kinds.map(([k, n]) => (
          <option key={k} value={k}>
            {k} ({n})
          </option>
        ))}
      </select>
      <form
        className="add-column"
        onSubmit={(e) => {
          e.preventDefault();
          const input = e.currentTarget.elements.namedItem('header') as HTMLInputElement;
          api.getState().addHeaderColumn(input.value);
          input.value = '';
        }}
      >
        <input name="header" placeholder="+ column" title="Add a SIP header as a column (its value in each call's first INVITE)" aria-label="Add a SIP header as a column" list="header-suggestions" />
        <datalist id="header-suggestions">
          {['User-Agent', 'Server', 'Contact', 'P-Asserted-Identity', 'Diversion', 'Reason', 'Allow', 'Supported', 'Session-Expires', 'X-Call-ID', 'Via', 'Record-Route']
            .filter((h) => !headerColumns.includes(h))
            .map((h) => (
              <option key={h} value={h} />
            ))}
        </datalist>
      </form>
      <span className="count" data-testid="call-count-visible" aria-live="polite">
        {shown.toLocaleString('en-US')} of {total.toLocaleString('en-US')} calls
      </span>
    </div>
  );
}

const CallTr = memo(function CallTr({ row, stateTitle, selected, marked, cursor, headerColumns, headers }: { row: CallRow; stateTitle: string; selected: boolean; marked: boolean; cursor: boolean; headerColumns: string[]; headers: Record<string, string> | undefined }) {
  return (
    <tr
      className={`data${row.failed ? ' failed' : ''}${row.worst ? ` sev-${row.worst}` : ''}${cursor ? ' cursor' : ''}${marked ? ' marked' : ''}`}
      aria-selected={selected}
      tabIndex={cursor ? 0 : -1}
      data-callid={row.callId}
      data-marked={marked ? 'true' : undefined}
      data-testid="call-row"
      style={{ height: ROW_H }}
    >
      <td className="c-mark">
        <span className="mark" data-mark={row.callId} role="checkbox" aria-checked={marked} aria-label={`Mark call ${row.callId}`} title="Mark (Space): marked calls open together">
          {marked ? '☑' : '☐'}
        </span>
      </td>
      <td className="c-start" title={dateTimeUs(row.startUs) + ' UTC'}>
        {clockUs(row.startUs).slice(0, 12)}
      </td>
      <td className="c-method" title={row.kind ?? undefined}>
        {row.method}
      </td>
      <td className="c-from" title={row.from}>
        {row.from}
      </td>
      <td className="c-to" title={row.to}>
        {row.to}
      </td>
      <td className="c-src" title={row.src}>
        {row.src}
      </td>
      <td className="c-dst" title={row.dst}>
        {row.dst}
      </td>
      <td className="c-state" title={stateTitle}>
        <span className={`state${row.failed ? ' bad' : row.answered ? ' good' : ''}`}>{row.stateLabel}</span>
        {row.finalStatus !== null && <span className="final"> {row.finalStatus}</span>}
      </td>
      <td className="c-dur num">{durationUs(row.durationUs)}</td>
      <td className="c-msgs num">{row.messages}</td>
      <td className="c-find num" title={row.kinds.join(', ')}>
        {row.findings > 0 ? <span className={`count-badge sev-${row.worst}`}>{row.findings}</span> : row.infos > 0 ? <span className="muted">{row.infos} info</span> : ''}
      </td>
      <td className="c-tr">{row.transports.toUpperCase()}</td>
      {headerColumns.map((h) => {
        const v = headers?.[h.toLowerCase()];
        return (
          <td key={h} className="c-hdr" title={v}>
            {headers ? (v ?? '—') : '…'}
          </td>
        );
      })}
    </tr>
  );
});

/**
 * Callbacks kept across renders (the virtualizer's, the row focuser) are made outside the
 * component's render: a closure made inside it shares the render's scope with the render's other
 * closures, which hold that render's rows, so a callback kept from the first render kept the
 * first rows alive for as long as the list was shown (a heap snapshot of the page after
 * sip-dense held 45,772 rows for its 20,000 calls: the rows shown while it was read, and the
 * previous render's, which React keeps until the list renders again).
 */
const rowHeight = (): number => ROW_H;
function scrollElementOf(ref: RefObject<HTMLDivElement | null>): () => HTMLDivElement | null {
  return () => ref.current;
}
/** Focuses a call's row (the next frame, once it is drawn); made once, outside the render (above). */
function rowFocuserOf(ref: RefObject<HTMLDivElement | null>): (callId: string) => void {
  return (callId) => {
    requestAnimationFrame(() => ref.current?.querySelector<HTMLElement>(`tr[data-callid="${CSS.escape(callId)}"]`)?.focus({ preventScroll: true }));
  };
}

export function CallList() {
  const api = useAppStoreApi();
  const report = useAppStore(selectReport);
  const rows = useAppStore(selectVisibleCalls);
  const selectedCalls = useAppStore(selectSelectedCalls);
  const marked = useAppStore(selectMarked);
  const cursorCall = useAppStore(selectCursorCall);
  const sort = useAppStore(selectSort);
  const headerColumns = useAppStore(selectHeaderColumns);
  const headerValues = useAppStore(selectHeaderValues);
  const pane = useAppStore(selectPane);
  const scrollRef = useRef<HTMLDivElement>(null);
  const anchor = useRef<string | null>(null);
  const selectedSet = useMemo(() => new Set(selectedCalls), [selectedCalls]);
  const markedSet = useMemo(() => new Set(marked), [marked]);
  const cursorId = cursorCall ?? rows[0]?.callId;
  const cursorPos = useMemo(() => rows.findIndex((r) => r.callId === cursorId), [rows, cursorId]);
  // React keeps the previous render's hooks on the other copy of this component's fiber until it
  // renders again: rendered once more when the calls change, the previous rows and report (a whole
  // capture's calls when they are listed, then diagnosed) are let go instead of kept alive.
  const [, settle] = useReducer((n: number) => n + 1, 0);
  useEffect(settle, [settle, rows, report]);

  const virt = useVirtualizer({ count: rows.length, getScrollElement: scrollElementOf(scrollRef), estimateSize: rowHeight, overscan: 12 });
  const items = virt.getVirtualItems();

  // Header columns: fetch the headers of the visible calls' first INVITE.
  const firstVisible = items[0]?.index ?? 0;
  const lastVisible = items.at(-1)?.index ?? -1;
  useEffect(() => {
    if (headerColumns.length === 0) return;
    const idx: number[] = [];
    for (let i = firstVisible; i <= lastVisible; i++) {
      const r = rows[i];
      if (r && r.firstMessage >= 0) idx.push(r.firstMessage);
    }
    api.getState().loadHeaders(idx);
  }, [api, rows, firstVisible, lastVisible, headerColumns]);

  // Keep the cursor row in view (keyboard moves, ←/→ in the ladder, a finding picked elsewhere).
  useEffect(() => {
    if (cursorPos >= 0) virt.scrollToIndex(cursorPos, { align: 'auto' });
  }, [cursorPos, virt]);

  const focusRow = useMemo(() => rowFocuserOf(scrollRef), []);

  const onKeyDown = (e: React.KeyboardEvent) => {
    if ((e.target as HTMLElement).closest('input, select, button')) return;
    const s = api.getState();
    const move = (pos: number) => {
      const r = rows[Math.max(0, Math.min(rows.length - 1, pos))];
      if (!r) return;
      s.moveCursor(r.callId);
      anchor.current = r.callId;
      focusRow(r.callId);
    };
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 300) / ROW_H) - 1);
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        move(cursorPos + 1);
        break;
      case 'ArrowUp':
      case 'k':
        move(cursorPos - 1);
        break;
      case 'PageDown':
        move(cursorPos + page);
        break;
      case 'PageUp':
        move(cursorPos - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case ' ': {
        // sngrep: Space marks the call under the cursor; the marked calls open together.
        const r = rows[cursorPos];
        if (r) s.markCall(r.callId);
        break;
      }
      case 'Enter':
      case 'ArrowRight':
      case 'l': {
        if (s.marked.length > 0) {
          if (s.view.selectedCalls.join('\n') !== s.marked.join('\n')) s.setView({ ...s.view, selectedCalls: s.marked, selectedMessage: null, unfolded: [] });
        } else if (rows[cursorPos] && (s.view.selectedCalls.length !== 1 || s.view.selectedCalls[0] !== rows[cursorPos]!.callId)) s.moveCursor(rows[cursorPos]!.callId);
        s.setPane('ladder');
        requestAnimationFrame(() => {
          const sel = document.querySelector<SVGGElement>('.ladder g.arrow.selected') ?? document.querySelector<SVGGElement>('.ladder g.arrow');
          if (sel) {
            const idx = Number(sel.getAttribute('data-index'));
            if (api.getState().view.selectedMessage === null) api.getState().selectMessage(idx);
            sel.focus({ preventScroll: true });
          }
        });
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  const onClick = (e: React.MouseEvent) => {
    const tr = (e.target as Element).closest('tr.data');
    if (!tr) return;
    const id = tr.getAttribute('data-callid')!;
    const s = api.getState();
    if ((e.target as Element).closest('[data-mark]')) s.markCall(id);
    else if (e.ctrlKey || e.metaKey) s.toggleCall(id);
    else if (e.shiftKey && anchor.current) {
      const a = rows.findIndex((r) => r.callId === anchor.current);
      const b = rows.findIndex((r) => r.callId === id);
      if (a >= 0 && b >= 0) s.selectCalls(rows.slice(Math.min(a, b), Math.max(a, b) + 1).map((r) => r.callId));
    } else {
      s.selectCalls([id]);
      anchor.current = id;
    }
    s.setPane('list');
  };

  const sortBy = (key: SortKey) => {
    api.getState().setSort({ key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' });
  };

  if (!report) return null;
  const cols: Col[] = [...BASE_COLS, ...headerColumns.map((h) => ({ key: `header:${h}` as SortKey, label: h, className: 'c-hdr' }))];
  const padTop = items[0]?.start ?? 0;
  const padBottom = virt.getTotalSize() - (items.at(-1)?.end ?? 0);
  const nCols = cols.length + 1;

  return (
    <section className={`call-list${pane === 'list' ? ' active' : ''}`} aria-label="Calls">
      <div className="call-scroll" ref={scrollRef} onKeyDown={onKeyDown} onClick={onClick}>
        <table className="call-table" role="grid" aria-label="Calls" aria-rowcount={rows.length + 1} aria-multiselectable="true">
          <thead>
            <tr>
              <th className="c-mark" scope="col" title="Marked calls (Space) open together with Enter">
                <span className="sr-only">Marked</span>
              </th>
              {cols.map((c) => (
                <th key={c.key} className={c.className} aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'} scope="col">
                  <button type="button" className="sort" onClick={() => sortBy(c.key)}>
                    {c.label}
                    {sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                  {c.key.startsWith('header:') && (
                    <button type="button" className="remove-col" aria-label={`Remove column ${c.label}`} onClick={() => api.getState().removeHeaderColumn(c.label)}>
                      ×
                    </button>
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {padTop > 0 && (
              <tr aria-hidden="true" className="spacer">
                <td colSpan={nCols} style={{ height: padTop }} />
              </tr>
            )}
            {items.map((it) => {
              const r = rows[it.index]!;
              return (
                <CallTr
                  key={r.callId}
                  row={r}
                  stateTitle={stateTitleOf(r, report?.calls[r.index])}
                  selected={selectedSet.has(r.callId)}
                  marked={markedSet.has(r.callId)}
                  cursor={it.index === (cursorPos < 0 ? 0 : cursorPos)}
                  headerColumns={headerColumns}
                  headers={headerColumns.length ? headerValues.get(r.firstMessage) : undefined}
                />
              );
            })}
            {padBottom > 0 && (
              <tr aria-hidden="true" className="spacer">
                <td colSpan={nCols} style={{ height: padBottom }} />
              </tr>
            )}
          </tbody>
        </table>
        {rows.length === 0 && <p className="empty">{report.calls.length === 0 ? 'No SIP calls in this capture.' : 'No call matches the filter.'}</p>}
      </div>
    </section>
  );
}
