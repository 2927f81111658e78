/**
 * React glue for training mode: the current route (from the URL fragment, see route.ts) and
 * `navigate`, and the browser's progress store (progress.ts over localStorage) with its hook.
 */
import { useMemo, useSyncExternalStore } from 'react';
import { parseRoute, routeHash, searchWithoutTraining } from './route.ts';
import type { TrainingRoute } from './route.ts';
import { createProgressStore } from './progress.ts';
import type { Progress, StorageLike } from './progress.ts';

const ROUTE_EVENT = 'sipladder:training-route';

function subscribeRoute(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  window.addEventListener('popstate', cb);
  window.addEventListener(ROUTE_EVENT, cb);
  return () => {
    window.removeEventListener('hashchange', cb);
    window.removeEventListener('popstate', cb);
    window.removeEventListener(ROUTE_EVENT, cb);
  };
}
const routeKey = () => `${location.hash}\n${location.search}`;

export function useTrainingRoute(): TrainingRoute {
  const key = useSyncExternalStore(subscribeRoute, routeKey, () => '\n');
  return useMemo(() => {
    const [hash = '', search = ''] = key.split('\n');
    return parseRoute(hash, search);
  }, [key]);
}

/** Go to a training route (a new history entry unless `replace`). */
export function navigate(r: TrainingRoute, replace = false): void {
  const url = `${location.pathname}${searchWithoutTraining(location.search)}${routeHash(r)}`;
  if (replace) history.replaceState(history.state, '', url);
  else history.pushState(history.state, '', url);
  window.dispatchEvent(new Event(ROUTE_EVENT));
}

function browserStorage(): StorageLike | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked: progress lasts for this page only
  }
}

export const progressStore = createProgressStore(browserStorage(), Date.now, typeof window === 'undefined' ? null : window);

export function useProgress(): Progress {
  return useSyncExternalStore(progressStore.subscribe, progressStore.get, progressStore.get);
}
