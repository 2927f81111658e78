/**
 * What was read, as one compact strip in the top bar: file name, format, packet / SIP message /
 * call / connection / RTP counts, read time, and the warnings in one line (expandable).
 */
import type { Report } from '../report/report.ts';

export function CaptureSummary({ report, name, elapsedMs }: { report: Report; name: string; elapsedMs: number }) {
  const c = report.capture;
  const w = report.warnings;
  return (
    <section className="summary" aria-label="Capture summary">
      <h2>{name}</h2>
      <dl className="counts">
        <dt>Format</dt>
        <dd data-testid="format">{c.format}{c.compressed ? ' (gzip)' : ''}</dd>
        <dt>Packets</dt>
        <dd data-testid="packet-count">{c.packets}</dd>
        <dt>SIP messages</dt>
        <dd data-testid="sip-count">{report.messages.length}</dd>
        <dt>Calls</dt>
        <dd data-testid="call-count">{report.calls.length}</dd>
        <dt>Connections</dt>
        <dd data-testid="connection-count">{report.connections.length}</dd>
        <dt>RTP/RTCP streams</dt>
        <dd data-testid="rtp-count">{report.rtpStreams.length}</dd>
        <dt>Read in</dt>
        <dd>{(elapsedMs / 1000).toFixed(2)} s</dd>
        <dt>Findings</dt>
        <dd data-testid="finding-count" className={report.findings.some((f) => f.severity === 'error') ? 'has-errors' : undefined}>
          {report.findings.length}
        </dd>
      </dl>
      {w.length > 0 && (
        <details className="warnings">
          <summary data-testid="warning-line">
            {w.length} warning{w.length === 1 ? '' : 's'}: {w[0]!.frame !== undefined && !w[0]!.message.startsWith(`frame ${w[0]!.frame}`) ? `frame ${w[0]!.frame}: ` : ''}
            {w[0]!.message}
          </summary>
          <ul>
            {w.map((x, i) => (
              <li key={i}>
                {x.frame !== undefined ? (x.message.startsWith(`frame ${x.frame}`) ? '' : `frame ${x.frame}: `) : x.offset !== undefined ? `offset ${x.offset}: ` : ''}
                {x.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
