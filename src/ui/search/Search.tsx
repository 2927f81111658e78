/**
 * Search the capture's text: a box in the list head (f focuses it), the matching messages listed
 * in the list area (frame, time, call, start line, where the match is, a snippet with the match
 * marked), and n / N walk them — each match opens its call's ladder with the message selected and
 * its detail shown. The search itself runs in the worker, where the message text is kept
 * (engine/search.ts); the page gets only the matches. Capture text is rendered as text.
 */
import { useEffect, useRef, useState } from 'react';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import { selectReport } from '../../state/selectors.ts';
import type { AppState } from '../../state/store.tsx';
import { clockUs } from '../../view/format.ts';

const selectSearch = (s: AppState) => s.search;

/** After a match was chosen, hand the keyboard to its arrow in the ladder (so ↓/↑ and n/N go on from it). */
export function focusCurrentArrow(attempt = 0): void {
  requestAnimationFrame(() => {
    const el = document.querySelector<HTMLElement>('.ladder g.arrow.selected');
    if (el) el.focus({ preventScroll: true });
    else if (attempt < 8) focusCurrentArrow(attempt + 1);
  });
}

export function SearchBox() {
  const api = useAppStoreApi();
  const search = useAppStore(selectSearch);
  const [text, setText] = useState(search.query);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => setText(search.query), [search.query]);
  const r = search.result;
  const status = search.running
    ? 'searching…'
    : r?.error
      ? r.error
      : r
        ? (r.messages === 0
            ? 'no match'
            : `${search.pos >= 0 ? `${search.pos + 1} / ` : ''}${r.messages.toLocaleString('en-US')} message${r.messages === 1 ? '' : 's'}`) +
          (r.unreadable > 0 ? ` · ${r.unreadable.toLocaleString('en-US')} not searched: the file changed since it was opened` : '')
        : '';
  return (
    <div className="search-box" role="search" aria-label="Search the capture text">
      <input
        ref={ref}
        type="search"
        className="search-input"
        data-search-input=""
        placeholder="Find in text…"
        title="Search the headers and bodies of every SIP message (smartcase; /regex/). Enter: first match, n / N: next / previous. Key: f"
        aria-label="Search the capture text"
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            const s = api.getState();
            const back = e.shiftKey ? -1 : 1;
            if (s.search.result && s.search.query === text && !s.search.running) {
              s.stepSearch(back);
              focusCurrentArrow();
              return;
            }
            void s.runSearch(text).then(() => {
              const st = api.getState();
              if (st.search.result?.matches.length) {
                st.stepSearch(back);
                focusCurrentArrow();
              }
            });
          } else if (e.key === 'Escape') {
            e.stopPropagation();
            if (text) {
              setText('');
              void api.getState().runSearch('');
            } else e.currentTarget.blur();
          }
        }}
      />
      <span className={`search-status${r?.error ? ' error-inline' : ''}`} data-testid="search-status" aria-live="polite">
        {status}
      </span>
    </div>
  );
}

export function SearchResults() {
  const api = useAppStoreApi();
  const report = useAppStore(selectReport);
  const search = useAppStore(selectSearch);
  const body = useRef<HTMLTableSectionElement>(null);
  // Keep the current match in view in the list.
  useEffect(() => {
    body.current?.querySelector(`tr[data-pos="${search.pos}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [search.pos]);
  const r = search.result;
  if (!report) return null;
  if (!r || r.matches.length === 0) {
    return <p className="empty pad">{r?.error ? `The search could not run: ${r.error}` : r ? `No message contains “${r.query}”.` : 'Type in “Find in text…” and press Enter to search every message’s headers and body.'}</p>;
  }
  const go = (pos: number) => {
    api.getState().goToMatch(pos);
    focusCurrentArrow();
  };
  return (
    <section className="search-results" aria-label="Search results">
      <div className="conn-scroll">
        <table className="conn-table search-table" aria-label={`Messages matching ${r.query}`}>
          <thead>
            <tr>
              <th className="s-frame num">Frame</th>
              <th className="s-time">Time</th>
              <th className="s-msg">Message</th>
              <th className="s-where">Where</th>
              <th className="s-text">Text</th>
            </tr>
          </thead>
          <tbody
            ref={body}
            onKeyDown={(e) => {
              const pos = Number((e.target as HTMLElement).closest('tr')?.getAttribute('data-pos'));
              if (!Number.isInteger(pos)) return;
              if (e.key === 'Enter') go(pos);
              else if (e.key === 'ArrowDown' || e.key === 'j') body.current?.querySelector<HTMLElement>(`tr[data-pos="${pos + 1}"]`)?.focus();
              else if (e.key === 'ArrowUp' || e.key === 'k') body.current?.querySelector<HTMLElement>(`tr[data-pos="${pos - 1}"]`)?.focus();
              else return;
              e.preventDefault();
              e.stopPropagation();
            }}
          >
            {r.matches.map((m, pos) => {
              const msg = report.messages[m.index]!;
              return (
                <tr key={m.index} data-pos={pos} data-testid="search-match" data-frame={msg.frame} className={pos === search.pos ? 'cursor' : ''} tabIndex={pos === Math.max(0, search.pos) ? 0 : -1} onClick={() => go(pos)}>
                  <td className="s-frame num">{msg.frame}</td>
                  <td className="s-time">{clockUs(msg.timeUs).slice(0, 12)}</td>
                  <td className="s-msg" title={`${msg.startLine}\nCall-ID ${msg.callId ?? '—'}`}>
                    {msg.method ?? `${msg.status ?? ''} ${msg.reason ?? ''}`}
                  </td>
                  <td className="s-where">{m.where === 'header' ? (m.header ?? 'header') : m.where === 'body' ? 'body' : 'start line'}{m.count > 1 ? ` (×${m.count})` : ''}</td>
                  <td className="s-text" title={m.before + m.match + m.after}>
                    {m.before}
                    <mark>{m.match}</mark>
                    {m.after}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {r.truncated && <p className="muted pad">The first {r.matches.length.toLocaleString('en-US')} of {r.messages.toLocaleString('en-US')} matching messages are listed; n / N walk these.</p>}
      </div>
    </section>
  );
}
