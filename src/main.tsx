/**
 * Entry: build the store, render the app, open `?url=` (same-origin captures only), and expose
 * `window.__sipladderIdle()` — a promise that resolves once no analysis is running — and
 * `window.__sipladderBusy()`, the same question answered at once, so tests (and scripts driving the
 * page) can wait for a capture to be read.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import { createAppStore, StoreProvider } from './state/store.tsx';
import './ui/styles.css';

declare global {
  interface Window {
    __sipladderIdle?: () => Promise<void>;
    __sipladderBusy?: () => boolean;
  }
}

const store = createAppStore();

const busy = (kind: string): boolean => kind === 'loading' || kind === 'reading' || kind === 'modelling' || kind === 'diagnosing';
window.__sipladderBusy = () => busy(store.getState().status.kind);
window.__sipladderIdle = () =>
  new Promise<void>((resolve) => {
    // Let a just-dispatched open (input change, drop) reach the store first.
    setTimeout(() => {
      if (!busy(store.getState().status.kind)) return resolve();
      const unsubscribe = store.subscribe((s) => {
        if (!busy(s.status.kind)) {
          unsubscribe();
          resolve();
        }
      });
    }, 0);
  });

// Start the engine's worker once the page is idle, so that its code is loaded and compiled before
// a capture arrives rather than after (the first analysis then starts at once).
const warmEngine = (): void => void store.getState().client();
if (typeof requestIdleCallback === 'function') requestIdleCallback(warmEngine, { timeout: 2000 });
else setTimeout(warmEngine, 200);

const url = new URLSearchParams(location.search).get('url');
if (url) void store.getState().openUrl(url);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
