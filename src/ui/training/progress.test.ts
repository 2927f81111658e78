/**
 * Progress storage over a fake Web Storage (a Map behind the Storage interface, able to refuse
 * writes like a full or blocked localStorage): round trips, tolerance of foreign or broken
 * values, the answer cap, notifications and other tabs' writes.
 */
import { describe, expect, test } from 'vitest';
import { createProgressStore, MAX_ANSWERS, parseProgress, PROGRESS_KEY, quizSummary, readProgress, sampleProgress, writeProgress } from './progress.ts';
import type { StorageLike } from './progress.ts';

class FakeStorage implements StorageLike {
  readonly data = new Map<string, string>();
  failWrites = false;
  failReads = false;
  getItem(key: string): string | null {
    if (this.failReads) throw new DOMException('blocked', 'SecurityError');
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.failWrites) throw new DOMException('full', 'QuotaExceededError');
    this.data.set(key, String(value));
  }
}

class FakeEvents {
  readonly listeners = new Map<string, Set<(e: Event) => void>>();
  addEventListener(type: string, l: (e: Event) => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(l);
  }
  removeEventListener(type: string, l: (e: Event) => void) {
    this.listeners.get(type)?.delete(l);
  }
  fire(key: string | null) {
    const e = Object.assign(new Event('storage'), { key });
    for (const l of this.listeners.get('storage') ?? []) l(e);
  }
}

describe('progress store', () => {
  test('walkthroughs and answers survive a reload (a new store on the same storage)', () => {
    const storage = new FakeStorage();
    let t = 1000;
    const a = createProgressStore(storage, () => t++);
    expect(sampleProgress(a.get(), '01-missing-ack')).toEqual({ walkthroughDone: false, answers: [] });
    a.markWalkthroughDone('01-missing-ack');
    a.recordAnswer('01-missing-ack', 'rtp-one-way', false);
    a.recordAnswer('01-missing-ack', 'ack-missing', true);
    a.recordAnswer('08-one-way-audio', 'ack-missing', false);

    const b = createProgressStore(storage);
    expect(b.get()).toEqual({
      samples: {
        '01-missing-ack': {
          walkthroughDone: true,
          answers: [
            { choice: 'rtp-one-way', right: false, at: 1000 },
            { choice: 'ack-missing', right: true, at: 1001 },
          ],
        },
        '08-one-way-audio': { walkthroughDone: false, answers: [{ choice: 'ack-missing', right: false, at: 1002 }] },
      },
    });
    expect(quizSummary(sampleProgress(b.get(), '01-missing-ack'))).toEqual({ last: 'right', right: 1, total: 2 });
    expect(quizSummary(sampleProgress(b.get(), '08-one-way-audio'))).toEqual({ last: 'wrong', right: 0, total: 1 });
    expect(quizSummary(sampleProgress(b.get(), 'never'))).toBeNull();
  });

  test('keeps only the last MAX_ANSWERS answers', () => {
    const storage = new FakeStorage();
    const s = createProgressStore(storage, () => 0);
    for (let i = 0; i < MAX_ANSWERS + 5; i++) s.recordAnswer('x', `k${i}`, i % 2 === 0);
    const answers = readProgress(storage).samples.x!.answers;
    expect(answers).toHaveLength(MAX_ANSWERS);
    expect(answers[0]!.choice).toBe('k5');
    expect(answers.at(-1)!.choice).toBe(`k${MAX_ANSWERS + 4}`);
  });

  test('a storage that refuses writes or reads never throws; the page keeps its progress', () => {
    const storage = new FakeStorage();
    storage.failWrites = true;
    const s = createProgressStore(storage);
    s.markWalkthroughDone('a');
    expect(s.get().samples.a?.walkthroughDone).toBe(true);
    expect(storage.data.size).toBe(0);
    expect(writeProgress(storage, s.get())).toBe(false);
    expect(writeProgress(null, s.get())).toBe(false);
    storage.failReads = true;
    expect(readProgress(storage)).toEqual({ samples: {} });
    expect(createProgressStore(null).get()).toEqual({ samples: {} });
  });

  test('listeners hear changes; another tab writing the key is picked up, other keys ignored', () => {
    const storage = new FakeStorage();
    const events = new FakeEvents();
    const s = createProgressStore(storage, Date.now, events);
    let calls = 0;
    const off = s.subscribe(() => calls++);
    expect(events.listeners.get('storage')?.size).toBe(1);
    s.markWalkthroughDone('a');
    expect(calls).toBe(1);

    storage.data.set(PROGRESS_KEY, JSON.stringify({ samples: { b: { walkthroughDone: true, answers: [] } } }));
    events.fire('sipladder.theme');
    expect(calls).toBe(1);
    events.fire(PROGRESS_KEY);
    expect(calls).toBe(2);
    expect(Object.keys(s.get().samples)).toEqual(['b']);
    off();
    expect(events.listeners.get('storage')?.size).toBe(0);
  });
});

describe('parseProgress', () => {
  test('broken or foreign values read as empty', () => {
    for (const text of [null, '', '{', 'null', '42', '"x"', '[]', '{"samples":[]}', '{"samples":null}', '{"other":1}']) expect(parseProgress(text)).toEqual({ samples: {} });
  });

  test('keeps what it can read, drops the rest field by field', () => {
    const text = JSON.stringify({
      samples: {
        good: { walkthroughDone: true, answers: [{ choice: 'ack-missing', right: true, at: 5 }] },
        partial: { walkthroughDone: 'yes', answers: [{ choice: 'x', right: 'no' }, { choice: 'y', right: false }, null, 3] },
        nonsense: 7,
      },
    });
    expect(parseProgress(text)).toEqual({
      samples: {
        good: { walkthroughDone: true, answers: [{ choice: 'ack-missing', right: true, at: 5 }] },
        partial: { walkthroughDone: false, answers: [{ choice: 'y', right: false, at: 0 }] },
      },
    });
  });

  test('a sample called like an Object.prototype member is not confused with it', () => {
    expect(sampleProgress(parseProgress('{"samples":{}}'), 'constructor')).toEqual({ walkthroughDone: false, answers: [] });
  });
});

test('a "__proto__" sample in stored JSON does not change the object prototype', () => {
  const p = parseProgress('{"samples":{"__proto__":{"walkthroughDone":true,"answers":[]}}}');
  expect(Object.getPrototypeOf(p.samples)).toBe(Object.prototype);
  expect(Object.keys(p.samples)).toEqual([]);
});
