/**
 * The diagnosis panel: the findings of the calls in the ladder, then the capture-wide ones
 * (findings of no call, and a per-kind tally of all calls). Each finding says what happened, why
 * it breaks the call, the fix and the RFC references; clicking it selects its evidence frames in
 * the ladder (bringing its call in when needed).
 */
import { useEffect, useMemo } from 'react';
import type { Finding } from '../../report/report.ts';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import { selectCalls, selectEvidence, selectReport, selectSelectedCalls } from '../../state/selectors.ts';
import { findingNoteKey } from '../../state/view-state.ts';
import { CallVerdict, verdictRank } from './CallVerdict.tsx';

const order = { error: 0, warning: 1, info: 2 } as const;

function FindingItem({ f, i, active }: { f: Finding; i: number; active: boolean }) {
  const api = useAppStoreApi();
  const key = findingNoteKey(f);
  const note = useAppStore((s) => s.view.findingNotes[key] ?? '');
  // Several captures: frames are per file, so say whose.
  const captureName = useAppStore((s) => (f.capture !== undefined ? s.report?.captures?.[f.capture]?.file : undefined));
  // The explanation stays in the worker until shown (worker/protocol.ts `explain`): the panel asks for it.
  const fetched = useAppStore((s) => (s.explanations.report === s.report ? s.explanations.texts.get(i) : undefined));
  const explanation = f.explanation || fetched;
  return (
    <li className={`finding sev-${f.severity}${active ? ' active' : ''}`} data-testid="finding" data-kind={f.kind}>
      <button type="button" className="finding-title" aria-pressed={active} onClick={() => api.getState().showEvidence(active ? null : i)}>
        <span className={`sev-dot sev-${f.severity}`} aria-hidden="true" />
        <span className="sr-only">{f.severity}: </span>
        {f.title}
      </button>
      <div className="finding-body">
        {explanation !== undefined ? (
          <p>{explanation}</p>
        ) : (
          <p className="muted" aria-busy="true" data-testid="finding-explanation-pending">
            …
          </p>
        )}
        {f.fix && (
          <p>
            <strong>Fix:</strong> {f.fix}
          </p>
        )}
        <p className="muted">
          {f.kind}
          {f.references.length ? ` · ${f.references.join(', ')}` : ''}
          {f.frames.length ? ` · ${captureName ? `${captureName} ` : ''}frames ${f.frames.slice(0, 12).join(', ')}${f.frames.length > 12 ? ` … (+${f.frames.length - 12})` : ''}` : ''}
        </p>
        <label className="finding-note">
          <span className="muted">Note</span>
          <textarea
            rows={note ? 2 : 1}
            value={note}
            placeholder="Add a note to this finding (shared in links, a packet comment in pcapng)"
            aria-label={`Note on finding: ${f.title}`}
            onChange={(e) => api.getState().setFindingNote(key, e.currentTarget.value)}
          />
        </label>
      </div>
    </li>
  );
}

export function FindingsPanel() {
  const api = useAppStoreApi();
  const report = useAppStore(selectReport);
  const calls = useAppStore(selectCalls);
  const selected = useAppStore(selectSelectedCalls);
  const evidence = useAppStore(selectEvidence);
  // A large capture's calls are listed before its detectors have run: say so, not "no findings".
  const diagnosing = useAppStore((s) => s.status.kind === 'diagnosing' || s.status.kind === 'modelling' || s.status.kind === 'reading');

  const mine = useMemo(() => {
    if (!report || !calls) return [];
    const out: Array<[Finding, number]> = [];
    for (const c of selected) for (const i of calls.findingsByCall.get(c) ?? []) out.push([report.findings[i]!, i]);
    // The verdict's order first (root cause, then its symptoms), then by severity.
    const rank = new Map<number, number>();
    for (const c of selected) for (const [i, k] of verdictRank(report.calls.find((x) => x.callId === c))) if (!rank.has(i)) rank.set(i, k);
    const r = (i: number): number => rank.get(i) ?? Infinity;
    return out.sort((a, b) => r(a[1]) - r(b[1]) || order[a[0].severity] - order[b[0].severity] || a[1] - b[1]);
  }, [report, calls, selected]);
  const verdictCalls = useMemo(() => (report ? selected.map((c) => report.calls.find((x) => x.callId === c)).filter((c) => c !== undefined).slice(0, 20) : []), [report, selected]);
  const global = useMemo(() => (report && calls ? calls.captureFindings.map((i) => [report.findings[i]!, i] as [Finding, number]) : []), [report, calls]);
  useEffect(() => {
    if (mine.length > 0 || global.length > 0) api.getState().explain([...mine.map(([, i]) => i), ...global.map(([, i]) => i)]);
  }, [api, mine, global]);
  const tally = useMemo(() => {
    const m = new Map<string, { n: number; severity: Finding['severity'] }>();
    for (const f of report?.findings ?? []) {
      const t = m.get(f.kind) ?? { n: 0, severity: f.severity };
      t.n++;
      if (order[f.severity] < order[t.severity]) t.severity = f.severity;
      m.set(f.kind, t);
    }
    return [...m].sort((a, b) => order[a[1].severity] - order[b[1].severity] || b[1].n - a[1].n);
  }, [report]);

  if (!report) return null;
  return (
    <div className="findings-panel" data-testid="findings-panel">
      <h3>{selected.length === 1 ? 'This call' : `${selected.length} selected calls`}</h3>
      {report && verdictCalls.map((c) => <CallVerdict key={c.callId} report={report} call={c} />)}
      {diagnosing ? (
        <p className="muted" data-testid="findings-pending">
          The findings and the verdict follow when the analysis ends.
        </p>
      ) : mine.length === 0 ? (
        <p className="muted">No findings{selected.length ? ' for the selected call' + (selected.length > 1 ? 's' : '') : ''}.</p>
      ) : (
        <ul className="finding-list">
          {mine.map(([f, i]) => (
            <FindingItem key={i} f={f} i={i} active={evidence?.finding === i} />
          ))}
        </ul>
      )}
      <h3>Whole capture</h3>
      {diagnosing ? null : tally.length === 0 ? (
        <p className="muted">No findings in this capture.</p>
      ) : (
        <ul className="tally">
          {tally.map(([kind, t]) => (
            <li key={kind}>
              <button type="button" className="link" title="Show the calls with this finding" onClick={() => api.getState().setFilter({ kind: kind as Finding['kind'] })}>
                <span className={`sev-dot sev-${t.severity}`} aria-hidden="true" /> {kind} × {t.n}
              </button>
            </li>
          ))}
        </ul>
      )}
      {global.length > 0 && (
        <>
          <h4>Not tied to a call</h4>
          <ul className="finding-list">
            {global.map(([f, i]) => (
              <FindingItem key={i} f={f} i={i} active={evidence?.finding === i} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
