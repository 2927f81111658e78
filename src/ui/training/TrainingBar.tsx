/**
 * The training bar above the viewer while a lab sample is open for training: it loads the
 * sample's capture through the store's open path, then either walks through the story step by
 * step (each step selects and highlights its frames in the ladder, opens the detail on the first
 * message and marks the connection lanes involved), or runs the quiz (diagnosis overlays hidden
 * until the trainee checks an answer, then revealed with the root cause, the fix and the engine's
 * findings). Progress is remembered in the browser. Esc (outside the ladder, which uses Esc for
 * itself) goes back to the library.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { StoreApi } from 'zustand';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import type { AppState } from '../../state/store.tsx';
import { selectReport } from '../../state/selectors.ts';
import type { Finding, Report } from '../../report/report.ts';
import { findSample } from './library.ts';
import type { SampleEntry } from './library.ts';
import { navigate, progressStore, useProgress, useTrainingRoute } from './hooks.ts';
import type { TrainingRoute } from './route.ts';
import { forgetSample, hideDiagnosis, openSample, restoreOverlays, revealDiagnosis, sampleFileName, showStep, trainingStoreFor } from './session.ts';
import type { TrainingState } from './session.ts';
import { focusCalls, stepTarget, storySteps } from './walkthrough.ts';
import { isRight, quizOptions } from './quiz.ts';
import { kindWords } from './kinds.ts';
import { quizSummary, sampleProgress } from './progress.ts';
import './training.css';

type SampleRoute = Extract<TrainingRoute, { page: 'sample' }>;

function useTraining(app: StoreApi<AppState>): [StoreApi<TrainingState>, TrainingState] {
  const t = trainingStoreFor(app);
  const state = useSyncExternalStore(t.subscribe, t.getState, t.getState);
  return [t, state];
}

/** Esc outside text fields and outside the ladder (which handles its own Esc) runs `onEsc`. */
function useEscape(onEsc: () => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const t = e.target as HTMLElement | null;
      if (t?.closest('input:not([type=radio]):not([type=checkbox]), textarea, select, [contenteditable], dialog')) return;
      onEsc();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onEsc]);
}

const toLibrary = () => navigate({ page: 'library' });

/**
 * Always mounted: keeps training consistent with the viewer (a capture the user opens
 * themselves ends training) and shows the bar when a sample route is active.
 */
export function TrainingBar() {
  const api = useAppStoreApi();
  const route = useTrainingRoute();
  const [training, t] = useTraining(api);
  const routeRef = useRef(route);
  routeRef.current = route;

  // Another capture opened by the user (file picker, drop, ?url=) leaves training.
  useEffect(
    () =>
      api.subscribe((a, prev) => {
        if (a.status.kind !== 'loading' || prev.status.kind === 'loading') return;
        const ts = training.getState().sample;
        if (ts?.phase === 'loading') return; // that is us
        if (ts) forgetSample(training);
        if (routeRef.current.page !== 'off') navigate({ page: 'off' }, true);
      }),
    [api, training],
  );

  if (route.page !== 'sample') return null;
  const sample = findSample(route.id);
  if (!sample) {
    return (
      <section className="training-bar" aria-label="Training">
        <p role="alert">
          There is no lab sample called “{route.id}” in this build. <a href="#/training">Back to the training library</a>
        </p>
      </section>
    );
  }
  return <SampleSession key={sample.id} sample={sample} route={route} training={training} t={t} />;
}

function SampleSession({ sample, route, training, t }: { sample: SampleEntry; route: SampleRoute; training: StoreApi<TrainingState>; t: TrainingState }) {
  const api = useAppStoreApi();
  const report = useAppStore(selectReport);

  // Load the sample's capture unless the viewer already shows it (or is reading it).
  const ts = t.sample;
  const current = ts !== null && ts.id === sample.id && (ts.phase === 'loading' || ts.phase === 'error' || (ts.phase === 'ready' && ts.report === report));
  useEffect(() => {
    if (!current) void openSample(api, training, sample);
  }, [current, api, training, sample]);
  useEscape(toLibrary);

  const ready = ts !== null && ts.id === sample.id && ts.phase === 'ready' && ts.report === report && report !== null;
  return (
    <section className="training-bar" aria-label="Training" data-testid="training-bar">
      <header className="training-bar-head">
        <span className="badge-training">Training</span>
        {/* The title names the cause: during the quiz the bar shows only the symptom, the question's context. */}
        <strong className="training-title" title={route.mode === 'quiz' ? sample.symptom : sample.title} data-testid="training-title">
          {route.mode === 'quiz' ? `Symptom: ${sample.symptom}` : sample.title}
        </strong>
        <span className="spacer" />
        <button type="button" onClick={toLibrary}>
          Library
        </button>
        <button type="button" aria-label="Leave training (keep the capture open)" title="Leave training; the capture stays open" onClick={() => navigate({ page: 'off' })}>
          ✕
        </button>
      </header>
      {ts?.id === sample.id && ts.phase === 'error' ? (
        <p role="alert" className="error-inline">
          Could not open the sample’s capture: {ts.error}.{' '}
          <button type="button" onClick={() => void openSample(api, training, sample)}>
            Try again
          </button>
        </p>
      ) : !ready ? (
        <p className="muted" aria-live="polite">
          Opening {sampleFileName(sample)}…
        </p>
      ) : route.mode === 'step' ? (
        <Walkthrough sample={sample} report={report} step={route.step} />
      ) : route.mode === 'quiz' ? (
        <Quiz sample={sample} report={report} />
      ) : (
        <Intro sample={sample} report={report} />
      )}
    </section>
  );
}

function Intro({ sample, report }: { sample: SampleEntry; report: Report }) {
  const api = useAppStoreApi();
  const p = sampleProgress(useProgress(), sample.id);
  const q = quizSummary(p);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    showStep(api, [], stepTarget(report, [], focusCalls(report, sample)));
    headingRef.current?.focus({ preventScroll: true });
  }, [api, report, sample]);
  return (
    <div className="training-body">
      <h2 ref={headingRef} tabIndex={-1}>
        {p.walkthroughDone ? 'Walkthrough completed' : 'The customer says'}
      </h2>
      <blockquote className="symptom">“{sample.symptom}”</blockquote>
      {q && (
        <p className={q.last === 'right' ? 'right' : 'wrong'}>
          Quiz: last answer {q.last} ({q.right} of {q.total} right)
        </p>
      )}
      <div className="actions">
        <button type="button" className={p.walkthroughDone ? undefined : 'primary'} onClick={() => navigate({ page: 'sample', id: sample.id, mode: 'step', step: 1 })}>
          {p.walkthroughDone ? 'Walk through again' : 'Start walkthrough'}
        </button>
        <button type="button" className={p.walkthroughDone ? 'primary' : undefined} onClick={() => navigate({ page: 'sample', id: sample.id, mode: 'quiz' })}>
          Take the quiz
        </button>
        <button type="button" onClick={toLibrary}>
          Back to the library
        </button>
      </div>
    </div>
  );
}

function Walkthrough({ sample, report, step }: { sample: SampleEntry; report: Report; step: number }) {
  const api = useAppStoreApi();
  const steps = useMemo(() => storySteps(sample), [sample]);
  const i = Math.min(Math.max(1, step), steps.length) - 1;
  const s = steps[i]!;
  const focus = useMemo(() => focusCalls(report, sample), [report, sample]);
  const target = useMemo(() => stepTarget(report, s.frames, focus), [report, s, focus]);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const mounted = useRef(false);

  useEffect(() => {
    showStep(api, s.frames, target);
  }, [api, s, target]);
  // Entering the walkthrough puts the keyboard on the step; moving between steps leaves it on
  // the button used (the live region reads the new step).
  useEffect(() => {
    if (!mounted.current) headingRef.current?.focus({ preventScroll: true });
    mounted.current = true;
  }, []);

  const last = i === steps.length - 1;
  const go = (n: number) => navigate({ page: 'sample', id: sample.id, mode: 'step', step: n }, false);
  const finish = () => {
    progressStore.markWalkthroughDone(sample.id);
    navigate({ page: 'sample', id: sample.id, mode: 'intro' });
  };
  const select = (index: number) => {
    const st = api.getState();
    st.selectMessage(index);
    st.setDetailOpen(true);
  };
  const laneStyle = target.connections.map((c) => `.ladder-svg .lane[data-connection="${c}"] .track{stroke-width:7;opacity:1}`).join('\n');
  const withMessage = target.facts.filter((f) => f.message !== null);
  const other = target.facts.filter((f) => f.message === null);

  return (
    <div className="training-body walkthrough" data-testid="walkthrough" data-step={i + 1}>
      {laneStyle && <style>{laneStyle}</style>}
      <div className="step-nav">
        <span className="step-counter" data-testid="step-counter">
          Step {i + 1} of {steps.length}
        </span>
        <button type="button" disabled={i === 0} onClick={() => go(i)}>
          Back
        </button>
        {last ? (
          <button type="button" className="primary" onClick={finish}>
            Finish walkthrough
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => go(i + 2)}>
            Next step
          </button>
        )}
      </div>
      <p className="sr-only" aria-live="polite">
        Step {i + 1} of {steps.length}: {s.title}
      </p>
      <h2 ref={headingRef} tabIndex={-1}>
        {s.title}
      </h2>
      <p className={i === 0 ? 'symptom-text' : undefined}>{i === 0 ? `“${s.text}”` : s.text}</p>
      {s.notes.map((n) => (
        <p key={n.label}>
          <strong>{n.label}:</strong> {n.text}
        </p>
      ))}
      {s.frames.length > 0 && (
        <div className="step-frames" data-testid="step-frames">
          <span className="muted">
            {withMessage.length === 0
              ? `${s.frames.length === 1 ? 'This frame is' : 'These frames are'} not SIP messages the ladder can draw:`
              : `${withMessage.length === 1 ? 'Message' : `${withMessage.length} messages`} highlighted in the ladder:`}
          </span>
          {withMessage.map((f) => (
            <button key={f.frame} type="button" className="frame-chip" aria-label={`Show frame ${f.frame}: ${f.text}`} title={f.text} onClick={() => select(f.message!)}>
              #{f.frame} {f.text.split(',')[0]}
            </button>
          ))}
          {other.length > 0 && withMessage.length > 0 && <span className="muted frame-facts-label">Other frames of this step:</span>}
          {other.length > 0 && (
            <ul className="frame-facts">
              {other.map((f) => (
                <li key={f.frame}>
                  <strong>#{f.frame}</strong> {f.text}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

function FindingLine({ f, i, answer }: { f: Finding; i: number; answer: string }) {
  const api = useAppStoreApi();
  return (
    <li className={`sev-${f.severity}${f.kind === answer ? ' is-answer' : ''}`}>
      <button type="button" className="link" onClick={() => api.getState().showEvidence(i)}>
        {f.severity}: {f.title}
      </button>{' '}
      <code className="kind">{f.kind}</code>
    </li>
  );
}

function Quiz({ sample, report }: { sample: SampleEntry; report: Report }) {
  const api = useAppStoreApi();
  const options = useMemo(() => quizOptions(sample.quiz, sample.id), [sample]);
  const focus = useMemo(() => focusCalls(report, sample), [report, sample]);
  const [choice, setChoice] = useState<string | null>(null);
  const [checked, setChecked] = useState<string | null>(null);
  const [nudge, setNudge] = useState(false);
  const saved = useRef<AppState['view']['overlays'] | null>(null);
  const questionRef = useRef<HTMLHeadingElement>(null);
  const feedbackRef = useRef<HTMLDivElement>(null);

  const hide = useCallback(() => {
    showStep(api, [], stepTarget(report, [], focus));
    const s = hideDiagnosis(api);
    saved.current ??= s;
    document.documentElement.classList.add('training-quiz');
  }, [api, report, focus]);

  useEffect(() => {
    hide();
    questionRef.current?.focus({ preventScroll: true });
    return () => {
      document.documentElement.classList.remove('training-quiz');
      if (saved.current) restoreOverlays(api, saved.current);
      saved.current = null;
    };
  }, [api, hide]);

  const check = () => {
    if (choice === null) {
      setNudge(true);
      return;
    }
    setNudge(false);
    progressStore.recordAnswer(sample.id, choice, isRight(sample.quiz, choice));
    setChecked(choice);
    revealDiagnosis(api);
    document.documentElement.classList.remove('training-quiz');
    requestAnimationFrame(() => feedbackRef.current?.focus({ preventScroll: true }));
  };
  const retry = () => {
    setChecked(null);
    setChoice(null);
    hide();
    requestAnimationFrame(() => questionRef.current?.focus({ preventScroll: true }));
  };

  const findings = report.findings.map((f, i) => [f, i] as const).filter(([f]) => f.callId === null || focus.includes(f.callId));
  findings.sort(([a], [b]) => Number(b.kind === sample.quiz.answer) - Number(a.kind === sample.quiz.answer));
  const right = checked !== null && isRight(sample.quiz, checked);
  const engineHasAnswer = report.findings.some((f) => f.kind === sample.quiz.answer);

  return (
    <div className="training-body quiz" data-testid="quiz">
      <h2 id="training-quiz-question" ref={questionRef} tabIndex={-1}>
        Quiz: {sample.quiz.question}
      </h2>
      <p className="muted">
        The customer says: “{sample.symptom}” The diagnosis overlays are hidden until you answer; read the ladder and the messages.
      </p>
      <div role="radiogroup" aria-labelledby="training-quiz-question" className="quiz-options">
        {options.map((o) => (
          <label key={o.kind} className={checked !== null ? (o.kind === sample.quiz.answer ? 'is-answer' : o.kind === checked ? 'is-wrong' : '') : ''}>
            <input type="radio" name={`quiz-${sample.id}`} value={o.kind} checked={choice === o.kind} disabled={checked !== null} onChange={() => setChoice(o.kind)} />
            {o.label}
          </label>
        ))}
      </div>
      {checked === null ? (
        <div className="actions">
          <button type="button" className="primary" onClick={check}>
            Check answer
          </button>
          {nudge && (
            <span role="alert" className="wrong">
              Pick one answer first.
            </span>
          )}
        </div>
      ) : (
        <div className="quiz-feedback" ref={feedbackRef} tabIndex={-1} data-testid="quiz-feedback" data-result={right ? 'right' : 'wrong'}>
          <p role="status" className={`verdict ${right ? 'right' : 'wrong'}`}>
            {right ? `Right: ${kindWords(sample.quiz.answer)}.` : `Not quite: you chose “${kindWords(checked)}”. The answer is: ${kindWords(sample.quiz.answer)}.`}
          </p>
          <p>
            <strong>Root cause:</strong> {sample.rootCause}
          </p>
          <p>
            <strong>Fix:</strong> {sample.fix}
          </p>
          <h3>What the engine found in this call</h3>
          {!engineHasAnswer && (
            <p className="muted">
              No <code className="kind">{sample.quiz.answer}</code> finding in this capture{findings.length ? '' : ', and nothing else either'}.
            </p>
          )}
          {findings.length > 0 && (
            <ul className="quiz-findings">
              {findings.map(([f, i]) => (
                <FindingLine key={i} f={f} i={i} answer={sample.quiz.answer} />
              ))}
            </ul>
          )}
          <div className="actions">
            <button type="button" onClick={retry}>
              Try again
            </button>
            <button type="button" onClick={() => navigate({ page: 'sample', id: sample.id, mode: 'step', step: 1 })}>
              Start walkthrough
            </button>
            <button type="button" onClick={toLibrary}>
              Back to the library
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
