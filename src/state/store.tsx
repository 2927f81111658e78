/**
 * The app store: a factory (not a singleton) passed down by a provider. It holds the loaded
 * report (immutable per load), the load status and the engine client; components call its actions.
 */
import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import { createStore, useStore } from 'zustand';
import type { StoreApi } from 'zustand';
import type { Progress } from '../engine/analyze.ts';
import type { Report } from '../engine/report.ts';
import { EngineClient, EngineError } from '../worker/client.ts';

export type LoadStatus =
  | { kind: 'idle' }
  | { kind: 'loading'; name: string; progress: Progress | null }
  | { kind: 'loaded'; name: string; elapsedMs: number }
  | { kind: 'error'; name: string; message: string }
  | { kind: 'cancelled'; name: string };

export interface AppState {
  status: LoadStatus;
  report: Report | null;
  openFile(file: Blob, name: string): Promise<void>;
  cancel(): void;
  client(): EngineClient;
}

export function createAppStore(makeClient: () => EngineClient = () => new EngineClient()): StoreApi<AppState> {
  let client: EngineClient | null = null;
  const getClient = (): EngineClient => (client ??= makeClient());
  return createStore<AppState>()((set) => ({
    status: { kind: 'idle' },
    report: null,
    client: getClient,
    async openFile(file, name) {
      set({ status: { kind: 'loading', name, progress: null }, report: null });
      try {
        const result = await getClient().open(file, name, (progress) => set({ status: { kind: 'loading', name, progress } }));
        set({ status: { kind: 'loaded', name, elapsedMs: result.elapsedMs }, report: result.report });
      } catch (e) {
        if (e instanceof EngineError && e.code === 'cancelled') {
          // A newer open replaced this one, or the user cancelled: only the latter changes status.
          set((s) => (s.status.kind === 'loading' && s.status.name === name ? { status: { kind: 'cancelled', name } } : s));
          return;
        }
        set({ status: { kind: 'error', name, message: e instanceof Error ? e.message : String(e) } });
      }
    },
    cancel() {
      getClient().cancel();
    },
  }));
}

const StoreContext = createContext<StoreApi<AppState> | null>(null);

export function StoreProvider({ store, children }: { store: StoreApi<AppState>; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useAppStoreApi(): StoreApi<AppState> {
  const store = useContext(StoreContext);
  if (!store) throw new Error('[sipladder:E001] useAppStore used outside <StoreProvider>');
  return store;
}

export function useAppStore<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStoreApi(), selector);
}
