/**
 * The player's position as capture time (µs since the epoch), shared by the media tab's player
 * and the ladder's media chart, which draws it as a line across the ladder. null: nothing played.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export const playheadStore = createStore<{ us: number | null }>(() => ({ us: null }));

export function usePlayheadUs(): number | null {
  return useStore(playheadStore, (s) => s.us);
}
