/**
 * Training progress remembered in the browser (localStorage, one JSON value under
 * `sipladder.training.v1`): per sample, whether its walkthrough was completed and the quiz
 * answers given (right or wrong, latest last, at most MAX_ANSWERS kept). Reading tolerates
 * anything — no storage (private mode, a worker), a value another version wrote, hand-edited
 * JSON — by keeping only the fields it can read. Writing never throws (a full or blocked storage
 * just forgets). A tiny observable store on top lets React components follow changes, including
 * ones made in another tab (the `storage` event).
 */

export const PROGRESS_KEY = 'sipladder.training.v1';
export const MAX_ANSWERS = 20;

export interface QuizAnswer {
  choice: string;
  right: boolean;
  /** ms since epoch. */
  at: number;
}

export interface SampleProgress {
  walkthroughDone: boolean;
  answers: QuizAnswer[];
}

export interface Progress {
  samples: Record<string, SampleProgress>;
}

/** The subset of the Web Storage API used here (a fake one in tests). */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem'>;

export const emptyProgress = (): Progress => ({ samples: {} });
const emptySample = (): SampleProgress => ({ walkthroughDone: false, answers: [] });

function readSample(v: unknown): SampleProgress | null {
  if (v === null || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const answers: QuizAnswer[] = [];
  if (Array.isArray(o.answers)) {
    for (const a of o.answers as unknown[]) {
      if (a === null || typeof a !== 'object') continue;
      const x = a as Record<string, unknown>;
      if (typeof x.choice === 'string' && typeof x.right === 'boolean') answers.push({ choice: x.choice, right: x.right, at: typeof x.at === 'number' && Number.isFinite(x.at) ? x.at : 0 });
    }
  }
  return { walkthroughDone: o.walkthroughDone === true, answers: answers.slice(-MAX_ANSWERS) };
}

/** Progress from stored text (null or unreadable → empty). */
export function parseProgress(text: string | null): Progress {
  if (!text) return emptyProgress();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return emptyProgress();
  }
  const out = emptyProgress();
  const samples = v !== null && typeof v === 'object' ? (v as Record<string, unknown>).samples : null;
  if (samples === null || typeof samples !== 'object' || Array.isArray(samples)) return out;
  for (const [id, s] of Object.entries(samples as Record<string, unknown>)) {
    if (id === '__proto__') continue;
    const p = readSample(s);
    if (p) out.samples[id] = p;
  }
  return out;
}

export function readProgress(storage: StorageLike | null): Progress {
  try {
    return parseProgress(storage?.getItem(PROGRESS_KEY) ?? null);
  } catch {
    return emptyProgress();
  }
}

/** Stores progress; false when the storage refused (or there is none). */
export function writeProgress(storage: StorageLike | null, p: Progress): boolean {
  if (!storage) return false;
  try {
    storage.setItem(PROGRESS_KEY, JSON.stringify(p));
    return true;
  } catch {
    return false;
  }
}

export function sampleProgress(p: Progress, id: string): SampleProgress {
  return Object.hasOwn(p.samples, id) ? p.samples[id]! : emptySample();
}

export function withWalkthroughDone(p: Progress, id: string): Progress {
  const s = sampleProgress(p, id);
  return { samples: { ...p.samples, [id]: { ...s, walkthroughDone: true } } };
}

export function withQuizAnswer(p: Progress, id: string, choice: string, right: boolean, at: number): Progress {
  const s = sampleProgress(p, id);
  return { samples: { ...p.samples, [id]: { ...s, answers: [...s.answers, { choice, right, at }].slice(-MAX_ANSWERS) } } };
}

/** A one-line summary of a sample's quiz record, or null when never answered. */
export function quizSummary(s: SampleProgress): { last: 'right' | 'wrong'; right: number; total: number } | null {
  const last = s.answers.at(-1);
  if (!last) return null;
  return { last: last.right ? 'right' : 'wrong', right: s.answers.filter((a) => a.right).length, total: s.answers.length };
}

export interface ProgressStore {
  get(): Progress;
  subscribe(listener: () => void): () => void;
  markWalkthroughDone(id: string): void;
  recordAnswer(id: string, choice: string, right: boolean): void;
}

/** An observable progress store over a storage (re-read when another tab writes the key). */
export function createProgressStore(storage: StorageLike | null, now: () => number = Date.now, events: Pick<Window, 'addEventListener' | 'removeEventListener'> | null = null): ProgressStore {
  let current = readProgress(storage);
  const listeners = new Set<() => void>();
  const emit = () => {
    for (const l of listeners) l();
  };
  const update = (next: Progress) => {
    current = next;
    writeProgress(storage, next);
    emit();
  };
  const onStorage = (e: Event) => {
    if ((e as StorageEvent).key !== null && (e as StorageEvent).key !== PROGRESS_KEY) return;
    current = readProgress(storage);
    emit();
  };
  return {
    get: () => current,
    subscribe(listener) {
      if (listeners.size === 0) events?.addEventListener('storage', onStorage);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) events?.removeEventListener('storage', onStorage);
      };
    },
    markWalkthroughDone(id) {
      update(withWalkthroughDone(current, id));
    },
    recordAnswer(id, choice, right) {
      update(withQuizAnswer(current, id, choice, right, now()));
    },
  };
}
