/**
 * The verdict of a call at the top of the findings panel: what happened to it (outcome and
 * teardown) and, when something broke, the root cause first with the symptoms it explains
 * (`calls[].verdict` of the report, see src/analysis/verdict.ts). Clicking the root cause or a
 * symptom selects its evidence in the ladder. Capture text is rendered as text only.
 */
import type { Verdict } from '../../analysis/verdict.ts';
import type { Report, ReportCall } from '../../report/report.ts';
import { useAppStoreApi } from '../../state/store.tsx';
import { stateWords } from '../../view/call-rows.ts';

/** The verdict of a report call, when the report has one (older reports do not). */
export function verdictOf(c: ReportCall | undefined): Verdict | null {
  const v = c?.verdict as Partial<Verdict> | null | undefined;
  return v && typeof v === 'object' && typeof v.text === 'string' && typeof v.rootCause === 'number' && Array.isArray(v.symptoms) ? (v as Verdict) : null;
}

/** "answered · teardown failed (BYE answered 408)", "rejected 403": outcome and teardown in words. */
function outcomeWords(c: ReportCall): string | null {
  const w = stateWords(c);
  if (!w) return null;
  const outcome = String(c.outcome).replace('-', ' ');
  let text = w.code !== null && c.outcome !== 'answered' ? `${outcome} ${w.code}` : outcome;
  const by = typeof c.endedBy === 'string' && c.endedBy ? c.endedBy : null;
  if (c.teardown === 'normal') text += by ? ` · ended by the ${by}` : ' · ended';
  else if (c.teardown === 'failed') text += ` · teardown failed (${by ? `the ${by}'s ` : ''}BYE ${typeof c.teardownCode === 'number' ? `answered ${c.teardownCode}` : 'not answered'})`;
  else if (c.teardown === 'still-up') text += ' · still up at capture end';
  else if (c.teardown === 'not-analysed') text += ' · not analysed to the end';
  return text;
}

/** Finding indices in verdict order: root cause, then its symptoms, then the unrelated ones. */
export function verdictRank(c: ReportCall | undefined): Map<number, number> {
  const v = verdictOf(c);
  const m = new Map<number, number>();
  if (!v) return m;
  [v.rootCause, ...v.symptoms].forEach((i, k) => m.set(i, k));
  return m;
}

/**
 * The symptoms by kind, in the verdict's order, each with its first finding and how many: a call
 * whose BYE was tried on ten new connections explains "new-connection-mid-dialog ×10", not the
 * name ten times.
 */
export function symptomKinds(report: Report, symptoms: readonly number[]): Array<{ kind: string; first: number; count: number }> {
  const out: Array<{ kind: string; first: number; count: number }> = [];
  const at = new Map<string, number>();
  for (const i of symptoms) {
    const kind = report.findings[i]?.kind ?? `finding ${i}`;
    const k = at.get(kind);
    if (k === undefined) {
      at.set(kind, out.length);
      out.push({ kind, first: i, count: 1 });
    } else out[k]!.count++;
  }
  return out;
}

export function CallVerdict({ report, call }: { report: Report; call: ReportCall }) {
  const api = useAppStoreApi();
  const v = verdictOf(call);
  const summary = outcomeWords(call);
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
            <p className="verdict-symptoms" data-testid="verdict-symptoms">
              <span className="muted">Explains: </span>
              {symptomKinds(report, v.symptoms).map((g, k) => (
                <span key={g.first}>
                  {k > 0 ? ', ' : ''}
                  <button type="button" className="link" title={g.count > 1 ? `${g.count} findings of this kind; shows the first` : undefined} onClick={() => api.getState().showEvidence(g.first)}>
                    {g.kind}
                  </button>
                  {g.count > 1 ? ` ×${g.count}` : ''}
                </span>
              ))}
            </p>
          )}
        </>
      )}
    </div>
  );
}
