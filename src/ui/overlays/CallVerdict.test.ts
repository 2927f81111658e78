import { describe, expect, it } from 'vitest';
import type { Report } from '../../report/report.ts';
import { symptomKinds } from './CallVerdict.tsx';

describe('a verdict names each kind of symptom once', () => {
  it('groups the symptoms by kind in their order, with the first finding of each and the count', () => {
    const kinds = ['bye-not-delivered', 'new-connection-mid-dialog', 'new-connection-mid-dialog', 'connection-closed-mid-dialog', 'new-connection-mid-dialog', 'dialog-not-terminated'];
    const report = { findings: kinds.map((kind) => ({ kind })) } as unknown as Report;
    expect(symptomKinds(report, [1, 2, 3, 4, 5])).toEqual([
      { kind: 'new-connection-mid-dialog', first: 1, count: 3 },
      { kind: 'connection-closed-mid-dialog', first: 3, count: 1 },
      { kind: 'dialog-not-terminated', first: 5, count: 1 },
    ]);
    expect(symptomKinds(report, [9])).toEqual([{ kind: 'finding 9', first: 9, count: 1 }]);
  });
});
