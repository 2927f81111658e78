/**
 * Page-wide keyboard plumbing, so the sngrep keys work without a click first:
 *   - when a capture has been read, the keyboard goes to the call list's cursor row (or to the
 *     connections view when the capture has no SIP calls);
 *   - a navigation key pressed while nothing has focus (the page body) goes to the pane that has
 *     the keyboard (call list row, ladder arrow, connection row) as if it had been pressed there;
 *   - an arrow of the ladder that gets focus (Tab, a click) becomes the current message, so ↓/↑
 *     continue from it;
 *   - f focuses the text search; n / N go to the next / previous match (anywhere but in a field).
 */
import { useEffect, useRef } from 'react';
import type { StoreApi } from 'zustand';
import type { AppState } from '../state/store.tsx';
import { selectCursorCall } from '../state/selectors.ts';
import { focusCurrentArrow } from './search/Search.tsx';

const NAV_KEYS = new Set(['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight', 'j', 'k', 'l', 'Enter', ' ', 'Home', 'End', 'PageUp', 'PageDown']);

/** The element that should have the keyboard for the current pane, if it is on the page. */
export function paneTarget(s: AppState): HTMLElement | null {
  if (s.pane === 'ladder') {
    return document.querySelector<HTMLElement>('.ladder g.arrow.selected') ?? document.querySelector<HTMLElement>('.ladder g.arrow');
  }
  const id = selectCursorCall(s);
  const row = id ? document.querySelector<HTMLElement>(`.call-table tr[data-callid="${CSS.escape(id)}"]`) : null;
  return row ?? document.querySelector<HTMLElement>('.call-table tbody tr.data') ?? document.querySelector<HTMLElement>('.conn-table tbody tr[tabindex="0"]');
}

/** Focus is "nowhere": on the body, or on an element that left the page. */
function nothingFocused(): boolean {
  const a = document.activeElement;
  return !a || a === document.body || a === document.documentElement || !a.isConnected;
}

export function useKeyboardPlumbing(api: StoreApi<AppState>): void {
  // A new report: give the keyboard to the list once it has rendered, unless the user is typing.
  const lastReport = useRef<AppState['report']>(null);
  useEffect(() => {
    return api.subscribe((s, prev) => {
      if (s.report === lastReport.current || (s.status.kind !== 'loaded' && s.status.kind !== 'diagnosing' && s.status.kind !== 'modelling' && s.status.kind !== 'reading')) return;
      lastReport.current = s.report;
      // A large capture's model or diagnosis ending: the list had the keyboard since its calls were listed.
      if (prev.status.kind === 'reading' || prev.status.kind === 'modelling' || prev.status.kind === 'diagnosing') return;
      const tryFocus = (attempt: number) => {
        // Only take the keyboard from nowhere or from the control that opened the file; a heading
        // that training focused, a field the user typed in, a dialog keep it.
        const a = document.activeElement;
        if (!nothingFocused() && !a?.closest('.topbar button, input[type=file], .dropzone')) return;
        const el = paneTarget(api.getState());
        if (el) el.focus({ preventScroll: true });
        else if (attempt < 10) requestAnimationFrame(() => tryFocus(attempt + 1));
      };
      requestAnimationFrame(() => tryFocus(0));
    });
  }, [api]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing = !!t?.closest?.('input, textarea, select, [contenteditable], [role=dialog]');
      if (!typing && !e.ctrlKey && !e.metaKey && !e.altKey && api.getState().report) {
        if (e.key === 'f') {
          const box = document.querySelector<HTMLInputElement>('[data-search-input]');
          if (box) {
            e.preventDefault();
            box.focus();
            box.select();
          }
          return;
        }
        if ((e.key === 'n' || e.key === 'N') && api.getState().search.result?.matches.length) {
          e.preventDefault();
          api.getState().stepSearch(e.key === 'n' ? 1 : -1);
          focusCurrentArrow();
          return;
        }
      }
      if (e.ctrlKey || e.metaKey || e.altKey || !NAV_KEYS.has(e.key) || !nothingFocused()) return;
      const s = api.getState();
      if (!s.report) return;
      const el = paneTarget(s);
      if (!el) return;
      e.preventDefault();
      el.focus({ preventScroll: true });
      // Replay the key where it belongs (React handles it through its root listener).
      el.dispatchEvent(new KeyboardEvent('keydown', { key: e.key, code: e.code, shiftKey: e.shiftKey, bubbles: true, cancelable: true }));
    };
    const onFocusIn = (e: FocusEvent) => {
      const g = (e.target as Element | null)?.closest?.('.ladder g.arrow');
      if (!g) return;
      const index = Number(g.getAttribute('data-index'));
      const s = api.getState();
      if (Number.isInteger(index) && s.view.selectedMessage !== index) s.selectMessage(index);
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('focusin', onFocusIn);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('focusin', onFocusIn);
    };
  }, [api]);
}
