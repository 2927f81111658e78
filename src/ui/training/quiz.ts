/**
 * The quiz's answer options: the manifest's answer and distractors (finding kinds), each once,
 * in an order shuffled deterministically from a seed (the sample id) — the same sample always
 * shows the same order, so a trainee can discuss "option 3" with a colleague, yet the answer is
 * not always first. Shuffle: Fisher–Yates driven by mulberry32 seeded with FNV-1a of the seed.
 */
import { kindWords } from './kinds.ts';
import { mulberry32 } from '../../lib/random.ts';

export { mulberry32 };

export interface QuizOption {
  kind: string;
  /** The kind in plain words. */
  label: string;
}

/** FNV-1a, 32 bits, over the string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A copy of `items` in a seed-determined order. */
export function seededShuffle<T>(items: readonly T[], seed: string): T[] {
  const out = items.slice();
  const rnd = mulberry32(fnv1a(seed));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The options for a quiz: answer + distractors without repeats, shuffled by `seed`. */
export function quizOptions(quiz: { answer: string; distractors: readonly string[] }, seed: string): QuizOption[] {
  const kinds = [...new Set([quiz.answer, ...quiz.distractors])];
  return seededShuffle(kinds, seed).map((kind) => ({ kind, label: kindWords(kind) }));
}

export function isRight(quiz: { answer: string }, choice: string): boolean {
  return choice === quiz.answer;
}
