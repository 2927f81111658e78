/**
 * Quiz options: FNV-1a against published vectors, a seeded shuffle that is a permutation and
 * repeatable, and the options of every real lab sample (answer + distractors once each, in plain
 * words, the same order every time, the answer not always in the same place).
 */
import { describe, expect, test } from 'vitest';
import type { FindingKind } from '../../report/report.ts';
import { KIND_WORDS, kindWords } from './kinds.ts';
import { LIBRARY } from './library.ts';
import { fnv1a, isRight, mulberry32, quizOptions, seededShuffle } from './quiz.ts';

describe('fnv1a / mulberry32', () => {
  test('FNV-1a 32-bit test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  test('mulberry32 is repeatable and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });
});

describe('seededShuffle', () => {
  const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

  test('is a permutation, repeatable per seed, and leaves its input alone', () => {
    const copy = items.slice();
    const x = seededShuffle(items, 'seed-1');
    expect(items).toEqual(copy);
    expect([...x].sort()).toEqual(items);
    expect(seededShuffle(items, 'seed-1')).toEqual(x);
  });

  test('different seeds give different orders, and every position is reachable', () => {
    const orders = new Set<string>();
    const firstSeen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const o = seededShuffle(items, `s${i}`);
      orders.add(o.join(''));
      firstSeen.add(o[0]!);
    }
    expect(orders.size).toBeGreaterThan(190);
    expect(firstSeen.size).toBe(items.length);
  });

  test('empty and single-item lists', () => {
    expect(seededShuffle([], 'x')).toEqual([]);
    expect(seededShuffle(['only'], 'x')).toEqual(['only']);
  });
});

describe('quizOptions', () => {
  test('every lab sample: answer and distractors once each, in plain words, same order each time', () => {
    expect(LIBRARY.samples.length).toBeGreaterThan(0);
    const answerAt = new Set<number>();
    for (const s of LIBRARY.samples) {
      const o = quizOptions(s.quiz, s.id);
      const kinds = o.map((x) => x.kind);
      expect(new Set(kinds).size).toBe(kinds.length);
      expect([...kinds].sort()).toEqual([...new Set([s.quiz.answer, ...s.quiz.distractors])].sort());
      expect(quizOptions(s.quiz, s.id)).toEqual(o);
      for (const x of o) {
        expect(x.label).toBe(kindWords(x.kind));
        // The lab uses the engine's kinds, so every option has real words, not the identifier.
        expect(Object.hasOwn(KIND_WORDS, x.kind)).toBe(true);
        expect(x.label).not.toContain('-');
      }
      answerAt.add(kinds.indexOf(s.quiz.answer));
    }
    if (LIBRARY.samples.length >= 4) expect(answerAt.size).toBeGreaterThan(1);
  });

  test('an answer repeated among the distractors appears once', () => {
    const o = quizOptions({ answer: 'ack-missing', distractors: ['rtp-one-way', 'ack-missing', 'rtp-one-way'] }, 'x');
    expect(o.map((x) => x.kind).sort()).toEqual(['ack-missing', 'rtp-one-way']);
  });

  test('isRight and words for unknown kinds', () => {
    expect(isRight({ answer: 'ack-missing' }, 'ack-missing')).toBe(true);
    expect(isRight({ answer: 'ack-missing' }, 'rtp-one-way')).toBe(false);
    expect(kindWords('some-new-kind')).toBe('some new kind');
    expect(kindWords('toString')).toBe('toString');
    expect(kindWords('ack-missing' satisfies FindingKind)).toBe('The ACK never reached the callee');
  });
});
