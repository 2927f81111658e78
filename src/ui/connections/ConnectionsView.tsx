/**
 * The list area's two views: the call list (every SIP dialog: calls, registrations, keep-alives,
 * subscriptions) and the connections view (every TCP/TLS/WebSocket connection toward a SIP port:
 * who opened it, SNI and versions, alerts, FIN/RST, what it carried). A capture without calls —
 * TLS without its key log — opens on the connections, so it is never an empty page.
 *
 * Keyboard in the connections table: ↑/↓ or j/k, Home/End move; Enter on a connection that
 * carried SIP shows its calls (call list + ladder).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import { selectReport } from '../../state/selectors.ts';
import type { ListView } from '../../state/store.tsx';
import { CallFilterBar, CallList } from '../calls/CallList.tsx';
import { SearchResults } from '../search/Search.tsx';
import { connectionRows } from './connection-rows.ts';

type ShownView = Exclude<ListView, null>;

function ConnectionsTable({ onShowCalls }: { onShowCalls: (connection: number) => void }) {
  const report = useAppStore(selectReport);
  const rows = useMemo(() => (report ? connectionRows(report) : []), [report]);
  const [cursor, setCursor] = useState(0);
  const body = useRef<HTMLTableSectionElement>(null);
  useEffect(() => setCursor(0), [rows]);

  const focusRow = useCallback((i: number) => {
    requestAnimationFrame(() => body.current?.querySelector<HTMLElement>(`tr[data-conn-pos="${i}"]`)?.focus());
  }, []);

  if (!report) return null;
  const onKeyDown = (e: React.KeyboardEvent) => {
    const move = (i: number) => {
      const n = Math.max(0, Math.min(rows.length - 1, i));
      setCursor(n);
      focusRow(n);
    };
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        move(cursor + 1);
        break;
      case 'ArrowUp':
      case 'k':
        move(cursor - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'Enter': {
        const r = rows[cursor];
        if (r && r.sipMessages > 0) onShowCalls(r.id);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <section className="connections" aria-label="Connections">
      <div className="conn-scroll">
        {rows.length === 0 ? (
          <p className="empty">No TCP, TLS or WebSocket connection toward a SIP port in this capture{report.messages.length ? ': its SIP travelled over UDP or SCTP.' : '.'}</p>
        ) : (
          <table className="conn-table" aria-label="Connections" aria-rowcount={rows.length + 1}>
            <thead>
              <tr>
                <th className="k-id num">#</th>
                <th className="k-tr">Transport</th>
                <th className="k-ends">Client → server</th>
                <th className="k-open">Opened</th>
                <th className="k-tls">TLS</th>
                <th className="k-close">Closed</th>
                <th className="k-carried">Carried</th>
                <th className="k-find num">Findings</th>
              </tr>
            </thead>
            <tbody ref={body} onKeyDown={onKeyDown}>
              {rows.map((r, i) => (
                <tr
                  key={r.id}
                  data-conn={r.id}
                  data-conn-pos={i}
                  data-testid="connection-row"
                  className={`${r.bad ? 'bad' : ''}${i === cursor ? ' cursor' : ''}`}
                  tabIndex={i === cursor ? 0 : -1}
                  onClick={() => setCursor(i)}
                  onDoubleClick={() => r.sipMessages > 0 && onShowCalls(r.id)}
                  title={`Frames ${r.frames.join(', ')} (Wireshark: frame.number in {${r.frames.join(' ')}})`}
                >
                  <td className="k-id num">{r.id}</td>
                  <td className="k-tr">{r.transport.toUpperCase()}</td>
                  <td className="k-ends" title={r.endpoints}>
                    {r.endpoints}
                  </td>
                  <td className="k-open" title={r.opened}>
                    {r.opened}
                  </td>
                  <td className={`k-tls${r.handshake === 'failed' ? ' bad' : r.handshake === 'complete' ? ' good' : ''}`} title={r.tls}>
                    {r.tls}
                  </td>
                  <td className={`k-close${r.closed.startsWith('RST') ? ' bad' : ''}`} title={r.closed}>
                    {r.closed}
                  </td>
                  <td className="k-carried" title={r.carried}>
                    {r.carried}
                  </td>
                  <td className="k-find num" title={r.findings.map((f) => report.findings[f]!.title).join('\n')}>
                    {r.findings.length > 0 && <span className={`count-badge sev-${r.findings.some((f) => report.findings[f]!.severity === 'error') ? 'error' : 'warning'}`}>{r.findings.length}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

/** The list area: a Calls / Connections switch, then the chosen view. */
export function ListArea({ filterRef }: { filterRef: React.RefObject<HTMLInputElement | null> }) {
  const api = useAppStoreApi();
  const report = useAppStore(selectReport);
  const nCalls = report?.calls.length ?? 0;
  const nConns = report?.connections.length ?? 0;
  const chosen = useAppStore((s) => s.listView);
  const matches = useAppStore((s) => s.search.result?.messages ?? null);
  const current: ShownView = chosen ?? (nCalls === 0 && nConns > 0 ? 'connections' : 'calls');
  const setView = (v: ShownView) => api.getState().setListView(v);
  const others = report ? report.calls.filter((c) => typeof c.kind === 'string' && c.kind !== 'call').length : 0;

  const showCalls = useCallback(
    (connection: number) => {
      const s = api.getState();
      const ids: string[] = [];
      for (const m of s.report?.messages ?? []) if (m.connection === connection && m.callId !== null && !ids.includes(m.callId)) ids.push(m.callId);
      s.setListView('calls');
      if (ids.length) {
        s.selectCalls(ids);
        s.setPane('ladder');
        requestAnimationFrame(() => document.querySelector<HTMLElement>('.ladder g.arrow')?.focus());
      }
    },
    [api],
  );

  const tab = (v: ShownView, label: string, title: string) => (
    <button type="button" role="tab" aria-selected={current === v} title={title} onClick={() => setView(v)}>
      {label}
    </button>
  );
  return (
    <>
      <div className="list-head">
        <div className="list-tabs" role="tablist" aria-label="Capture contents">
          {tab('calls', `Calls ${nCalls}`, others ? `${nCalls - others} calls and ${others} other SIP exchanges (registrations, keep-alives, subscriptions): the Method column tells them apart` : 'SIP dialogs, one per Call-ID')}
          {tab('connections', `Connections ${nConns}`, 'TCP, TLS and WebSocket connections toward SIP ports: who opened them, TLS handshake, how they closed, what they carried')}
          {matches !== null && tab('search', `Found ${matches.toLocaleString('en-US')}`, 'Messages whose text matches the search; n / N walk them')}
        </div>
        {current === 'calls' ? <CallFilterBar filterRef={filterRef} /> : <p className="list-caption">{current === 'connections' ? connectionCaption(report) : 'Messages whose headers or body match; Enter or a click shows one, n / N walk them.'}</p>}
      </div>
      {current === 'calls' ? <CallList /> : current === 'connections' ? <ConnectionsTable onShowCalls={showCalls} /> : <SearchResults />}
    </>
  );
}

function connectionCaption(report: ReturnType<typeof selectReport>): string {
  if (!report) return '';
  const tls = report.connections.filter((c) => c.transport === 'tls' || c.transport === 'wss');
  const unread = tls.filter((c) => c.messageFrames.length === 0).length;
  if (report.calls.length === 0 && unread > 0) return `No SIP could be read: ${unread} of ${tls.length} TLS connection${tls.length === 1 ? '' : 's'} carried encrypted data and no key log was given. Drop the capture again together with its TLS key log (SSLKEYLOGFILE) to read the SIP inside.`;
  return `${report.connections.length} connection${report.connections.length === 1 ? '' : 's'}; Enter or double-click shows the calls a connection carried.`;
}
