/** Training routes in the URL fragment: parse ↔ print, `?training`, and what is not ours. */
import { expect, test } from 'vitest';
import { parseRoute, routeHash, searchWithoutTraining } from './route.ts';
import type { TrainingRoute } from './route.ts';

test('each route prints to a fragment that parses back to it', () => {
  const routes: TrainingRoute[] = [
    { page: 'library' },
    { page: 'sample', id: '01-missing-ack', mode: 'intro' },
    { page: 'sample', id: '01-missing-ack', mode: 'step', step: 3 },
    { page: 'sample', id: '05b-bye-new-tcp-connection', mode: 'quiz' },
    { page: 'sample', id: 'odd id/é', mode: 'step', step: 1 },
  ];
  for (const r of routes) expect(parseRoute(routeHash(r), '')).toEqual(r);
  expect(routeHash({ page: 'off' })).toBe('');
});

test('?training opens the library unless the fragment says otherwise; share links are not ours', () => {
  expect(parseRoute('', '?training')).toEqual({ page: 'library' });
  expect(parseRoute('', '?url=/x.pcap&training=1')).toEqual({ page: 'library' });
  expect(parseRoute('#/training/x/quiz', '?training')).toEqual({ page: 'sample', id: 'x', mode: 'quiz' });
  expect(parseRoute('#sl=abc', '')).toEqual({ page: 'off' });
  expect(parseRoute('#sl=abc', '?training')).toEqual({ page: 'off' });
  expect(parseRoute('', '')).toEqual({ page: 'off' });
  expect(parseRoute('#/training/', '')).toEqual({ page: 'library' });
  expect(parseRoute('#/training/x/step/0', '')).toEqual({ page: 'sample', id: 'x', mode: 'step', step: 1 });
  expect(parseRoute('#/training/%E0%A4%A', '')).toEqual({ page: 'library' });
  expect(parseRoute('#/trainingx', '')).toEqual({ page: 'off' });
});

test('leaving training drops ?training and keeps the rest of the query', () => {
  expect(searchWithoutTraining('?training')).toBe('');
  expect(searchWithoutTraining('?url=%2Fa.pcap&training')).toBe('?url=%2Fa.pcap');
  expect(searchWithoutTraining('')).toBe('');
});
