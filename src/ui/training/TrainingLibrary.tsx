/**
 * The training library page: the lab samples grouped by the pattern they teach, each led by the
 * customer's words (the symptom), with the trainee's progress (walkthrough completed, quiz
 * answers right/wrong) and the two ways in: "Start walkthrough" and "Take the quiz". Also the
 * top bar's "Training library" link and the short list on the empty start page.
 */
import { useEffect, useRef } from 'react';
import { useAppStore } from '../../state/store.tsx';
import { selectReport } from '../../state/selectors.ts';
import { LIBRARY } from './library.ts';
import type { SampleEntry } from './library.ts';
import { navigate, useProgress, useTrainingRoute } from './hooks.ts';
import { quizSummary, sampleProgress } from './progress.ts';
import type { SampleProgress } from './progress.ts';
import './training.css';

function ProgressLine({ p }: { p: SampleProgress }) {
  const q = quizSummary(p);
  return (
    <p className="training-progress" data-testid="sample-progress">
      <span className={p.walkthroughDone ? 'done' : 'todo'}>{p.walkthroughDone ? '✓ Walkthrough completed' : 'Walkthrough not done yet'}</span>
      {' · '}
      {q === null ? (
        <span className="todo">Quiz not taken</span>
      ) : (
        <span className={q.last === 'right' ? 'right' : 'wrong'}>
          Quiz: last answer {q.last} ({q.right} of {q.total} right)
        </span>
      )}
    </p>
  );
}

function SampleCard({ s, p }: { s: SampleEntry; p: SampleProgress }) {
  const titleId = `training-sample-${s.id}`;
  return (
    <li>
      <article className={`training-card${s.goodPath ? ' good' : ''}`} aria-labelledby={titleId} data-testid="training-sample" data-sample={s.id}>
        <blockquote className="symptom">“{s.symptom}”</blockquote>
        <h4 id={titleId}>
          {s.goodPath && <span className="good-path">Good path</span>} {s.title}
        </h4>
        <ProgressLine p={p} />
        <div className="actions">
          <button type="button" className="primary" onClick={() => navigate({ page: 'sample', id: s.id, mode: 'step', step: 1 })}>
            Start walkthrough
          </button>
          <button type="button" onClick={() => navigate({ page: 'sample', id: s.id, mode: 'quiz' })}>
            Take the quiz
          </button>
          <span className="muted sample-id">{s.id}</span>
        </div>
      </article>
    </li>
  );
}

export function TrainingLibrary() {
  const progress = useProgress();
  const report = useAppStore(selectReport);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus({ preventScroll: true }), []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      if ((e.target as HTMLElement | null)?.closest('input:not([type=radio]):not([type=checkbox]), textarea, select, [contenteditable]')) return;
      navigate({ page: 'off' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const done = LIBRARY.samples.filter((s) => sampleProgress(progress, s.id).walkthroughDone).length;
  const right = LIBRARY.samples.filter((s) => quizSummary(sampleProgress(progress, s.id))?.last === 'right').length;
  return (
    <main className="training-library" aria-labelledby="training-library-title">
      <div className="training-library-head">
        <h2 id="training-library-title" ref={headingRef} tabIndex={-1}>
          Training library
        </h2>
        {report && (
          <button type="button" onClick={() => navigate({ page: 'off' })}>
            Back to the capture
          </button>
        )}
      </div>
      <p className="lede">
        Real captures of calls that broke, made in a lab with SIPp, Kamailio and baresip through a real NAT. Each one starts from what the customer said. Walk through the ladder step by step, or test yourself: the quiz hides the diagnosis until you answer.
      </p>
      <p className="training-total" data-testid="training-total">
        {done} of {LIBRARY.samples.length} walkthroughs completed · {right} {right === 1 ? 'quiz' : 'quizzes'} answered right
      </p>
      {LIBRARY.groups.map((g) => (
        <section key={g.pattern} className="training-group" aria-labelledby={`training-pattern-${g.pattern}`}>
          <h3 id={`training-pattern-${g.pattern}`}>
            {g.label} <code className="kind">{g.pattern}</code>
          </h3>
          <ul className="training-cards">
            {g.samples.map((s) => (
              <SampleCard key={s.id} s={s} p={sampleProgress(progress, s.id)} />
            ))}
          </ul>
        </section>
      ))}
      {LIBRARY.samples.length === 0 && <p className="muted">No lab samples in this build.</p>}
      {LIBRARY.problems.length > 0 && (
        <details className="training-problems">
          <summary>
            {LIBRARY.problems.length} {LIBRARY.problems.length === 1 ? 'sample is' : 'samples are'} not listed
          </summary>
          <ul>
            {LIBRARY.problems.map((p) => (
              <li key={p.path}>
                <code>{p.path}</code>: {p.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </main>
  );
}

/** The top bar's way in. */
export function TrainingLink() {
  const route = useTrainingRoute();
  return (
    <a className="training-link" href="#/training" aria-current={route.page === 'library' ? 'page' : undefined}>
      Training library
    </a>
  );
}

/** The empty start page's list of samples. */
export function TrainingStartList() {
  if (LIBRARY.samples.length === 0) return null;
  return (
    <nav className="training-start" aria-label="Training samples">
      <p>
        New to SIP troubleshooting? Learn on real broken calls in the <a href="#/training">training library</a>:
      </p>
      <ul>
        {LIBRARY.samples.map((s) => (
          <li key={s.id}>
            <a href={`#/training/${encodeURIComponent(s.id)}/step/1`}>“{s.symptom}”</a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
