/**
 * What was read, as one compact strip in the top bar: file name, format, packet / SIP message /
 * call / connection / RTP counts, read time, and the warnings in one line (expandable).
 */
import type { Report } from '../report/report.ts';

/** `listedMs`: when a large capture's calls were listed, before its diagnosis ended. */
export function CaptureSummary({ report, name, elapsedMs, listedMs }: { report: Report; name: string; elapsedMs: number; listedMs?: number }) {
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
        <dd data-testid="read-in">
          {(elapsedMs / 1000).toFixed(2)} s{listedMs !== undefined ? ` (calls listed after ${(listedMs / 1000).toFixed(2)} s)` : ''}
        </dd>
        <dt>Findings</dt>
        <dd data-testid="finding-count" className={report.findings.some((f) => f.severity === 'error') ? 'has-errors' : undefined}>
          {report.findings.length}
        </dd>
      </dl>
      {report.captures && report.alignment && <AlignmentSummary report={report} />}
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

const ms = (us: number | null): string => (us === null ? 'n/a' : `${(us / 1000).toFixed(3)} ms`);
const sec = (us: number): string => `${(us / 1e6).toFixed(1)} s`;

/**
 * Several captures lined up: each file's clock offset (and how sure), what matched, what was seen
 * at one point only, and the NAT mappings both sides show, as a table.
 */
function AlignmentSummary({ report }: { report: Report }) {
  const caps = report.captures!;
  const a = report.alignment!;
  return (
    <details className="alignment-panel" data-testid="alignment">
      <summary data-testid="alignment-line">
        {caps.length} captures aligned: {a.matched.length} messages matched between points, {a.onlyIn.length} seen at one point only
        {a.lost.length > 0 ? `, ${a.lost.length} lost between them` : ''}, {a.natMappings.length} NAT mapping{a.natMappings.length === 1 ? '' : 's'}
      </summary>
      <div className="alignment-body">
      <table>
        <thead>
          <tr>
            <th>Capture</th>
            <th>SIP messages</th>
            <th>Clock offset</th>
            <th>Spread</th>
          </tr>
        </thead>
        <tbody>
          {caps.map((c, i) => (
            <tr key={i}>
              <td>
                <svg width="12" height="12" aria-hidden="true" className={`crossing cap-${i % 4}`}>
                  <path d="M6,1 l5,5 l-5,5 l-5,-5 z" />
                </svg>{' '}
                {i + 1}: {c.file}
              </td>
              <td>{c.messages}</td>
              <td>{i === 0 ? 'reference' : `${ms(c.clockOffsetUs)} ahead`}</td>
              <td>{i === 0 ? '' : `${ms(c.offsetSpreadUs)} (${c.matchedForOffset} messages)`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {a.natMappings.length > 0 && (
        <table data-testid="nat-mappings">
          <thead>
            <tr>
              <th>Inside</th>
              <th>Outside</th>
              <th>Shown by</th>
              <th>Frames</th>
              <th>Messages / packets</th>
              <th>Longest idle survived</th>
              <th>Dropped after idle</th>
            </tr>
          </thead>
          <tbody>
            {a.natMappings.map((m, i) => (
              <tr key={i}>
                <td>{m.inside}</td>
                <td>{m.outside}</td>
                <td>{m.carries && m.carries !== 'sip' ? m.carries.toUpperCase() : `SIP/${m.transport.toUpperCase()}`}</td>
                <td>
                  {m.firstFrame}–{m.lastFrame} of {caps[m.capture]?.file}
                </td>
                <td>{m.messages}</td>
                <td>{sec(m.longestIdleUs)}</td>
                <td>{m.droppedAfterIdleUs === null ? '—' : sec(m.droppedAfterIdleUs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      </div>
    </details>
  );
}
