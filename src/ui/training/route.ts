/**
 * Training routes live in the URL fragment so that Back/Forward and reloads keep the trainee's
 * place, and so that they never collide with share links (`#sl=…`):
 *   #/training                       the library
 *   #/training/<id>                  a sample (loaded, with its intro)
 *   #/training/<id>/step/<n>         walkthrough step n (1-based)
 *   #/training/<id>/quiz             the sample's quiz
 * `?training` in the query opens the library too (when the fragment says nothing else).
 */

export type TrainingRoute =
  | { page: 'off' }
  | { page: 'library' }
  | { page: 'sample'; id: string; mode: 'intro' }
  | { page: 'sample'; id: string; mode: 'step'; step: number }
  | { page: 'sample'; id: string; mode: 'quiz' };

export function parseRoute(hash: string, search: string): TrainingRoute {
  const h = hash.replace(/^#/, '');
  const m = /^\/training(?:\/([^/?#]+)(?:\/(step)\/(\d{1,4})|\/(quiz))?)?\/?$/.exec(h);
  if (m) {
    if (!m[1]) return { page: 'library' };
    let id: string;
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      return { page: 'library' };
    }
    if (m[2]) return { page: 'sample', id, mode: 'step', step: Math.max(1, Number(m[3])) };
    if (m[4]) return { page: 'sample', id, mode: 'quiz' };
    return { page: 'sample', id, mode: 'intro' };
  }
  if (h === '' && new URLSearchParams(search).has('training')) return { page: 'library' };
  return { page: 'off' };
}

export function routeHash(r: TrainingRoute): string {
  switch (r.page) {
    case 'off':
      return '';
    case 'library':
      return '#/training';
    case 'sample': {
      const base = `#/training/${encodeURIComponent(r.id)}`;
      return r.mode === 'step' ? `${base}/step/${r.step}` : r.mode === 'quiz' ? `${base}/quiz` : base;
    }
  }
}

/** The query without the `training` flag (so leaving training really leaves it). */
export function searchWithoutTraining(search: string): string {
  const p = new URLSearchParams(search);
  p.delete('training');
  const s = p.toString();
  return s ? `?${s}` : '';
}
