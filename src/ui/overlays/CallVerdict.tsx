/**
 * The verdict of a call at the top of the findings panel: what happened to it (outcome and
 * teardown) and, when something broke, the root cause first with the symptoms it explains
 * (`calls[].verdict` of the report, see src/analysis/verdict.ts). Clicking the root cause or a
 * symptom selects its evidence in the ladder. Capture text is rendered as text only.
 */
import type { Report, ReportCall, ReportVerdict } from '../../engine/report.ts';
import { useAppStoreApi } from '../../state/store.tsx';

/** The verdict of a report call, when the report has one (older reports do not). */
export function verdictOf(c: ReportCall | undefined): ReportVerdict | null {
  const v = c?.verdict;
  return v && typeof v === 'object' && typeof v.text === 'string' && typeof v.rootCause === 'number' ? v : null;
}

/** Finding indices in verdict order: root cause, then its symptoms, then the unrelated ones. */
export function verdictRank(c: ReportCall | undefined): Map<number, number> {
  const v = verdictOf(c);
  const m = new Map<number, number>();
  if (!v) return m;
  [v.rootCause, ...v.symptoms, ...(v.unrelated ?? [])].forEach((i, k) => m.set(i, k));
  return m;
}

export function CallVerdict({ report, call }: { report: Report; call: ReportCall }) {
  const api = useAppStoreApi();
  const v = verdictOf(call);
  const summary = typeof call.outcomeSummary === 'string' ? call.outcomeSummary : null;
  if (!v && !summary) return null;
  const root = v ? report.findings[v.rootCause] : undefined;
  return (
    <div className={`call-verdict${v ? ` sev-${root?.severity ?? 'info'}` : ''}`} data-testid="call-verdict" data-call={call.callId}>
      {summary && <p className="verdict-outcome">{summary}</p>}
      {v && (
        <>
          <p className="verdict-text" data-testid="verdict-text">
            {v.text}
          </p>
          {root && (
            <p className="verdict-root">
              <span className="muted">Root cause: </span>
              <button type="button" className="link" onClick={() => api.getState().showEvidence(v.rootCause)}>
                {root.title}
              </button>
            </p>
          )}
          {v.symptoms.length > 0 && (
            <p className="verdict-symptoms">
              <span className="muted">Explains: </span>
              {v.symptoms.map((i, k) => (
                <span key={i}>
                  {k > 0 ? ', ' : ''}
                  <button type="button" className="link" onClick={() => api.getState().showEvidence(i)}>
                    {report.findings[i]?.kind ?? `finding ${i}`}
                  </button>
                </span>
              ))}
            </p>
          )}
        </>
      )}
    </div>
  );
}
