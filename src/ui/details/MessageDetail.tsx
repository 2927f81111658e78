/**
 * The selected message in full, fetched lazily from the worker (`detail(index)`): the raw text —
 * rendered as React text nodes only, never innerHTML, because capture content is untrusted —
 * with header names highlighted and the values that decide routing emphasised (Request-URI, Via,
 * Route, Record-Route, Contact; and SDP c=/m=); the parsed fields; an SDP summary; the Wireshark
 * frame number with ready display filters to copy; previous/next message of the same
 * transaction; the findings on it; and a note field (exported as a pcapng comment).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import { selectAnnotations, selectLadderMessages, selectReport, selectSelectedMessage } from '../../state/selectors.ts';
import { codecName } from '../../sip/sdp.ts';
import type { MessageDetail as Detail } from '../../worker/client.ts';
import type { SipMessage } from '../../sip/types.ts';
import { clockUs, dateTimeUs, fullEndpoint } from '../../view/format.ts';
import { messageLabel } from '../ladder/layout.ts';

const ROUTING = new Set(['via', 'v', 'contact', 'm', 'record-route', 'route']);

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="copy"
      aria-label={label}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setDone(true);
          setTimeout(() => setDone(false), 1200);
        } catch {
          setDone(false);
        }
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** The raw message with highlighted header names and emphasised routing values; `hitLine` (1-based) marks a search match's line. */
export function RawMessage({ raw, hitLine }: { raw: string; hitLine?: number }) {
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (hitLine !== undefined) pre.current?.querySelector('.search-hit')?.scrollIntoView({ block: 'nearest' });
  }, [hitLine, raw]);
  const lines = raw.split(/\r?\n/);
  let inBody = false;
  const out: ReactNode[] = [];
  lines.forEach((line, i) => {
    let node: ReactNode;
    if (i === 0) {
      const m = /^([A-Z]+) (\S+) (SIP\/2\.0)$/.exec(line);
      node = m ? (
        <>
          <span className="method">{m[1]}</span> <span className="route-value" title="Request-URI">{m[2]}</span> {m[3]}
        </>
      ) : (
        <span className="start-line">{line}</span>
      );
    } else if (!inBody && line === '') {
      inBody = true;
      node = '';
    } else if (!inBody) {
      const c = line.indexOf(':');
      if (c > 0 && !/^\s/.test(line)) {
        const name = line.slice(0, c);
        const routing = ROUTING.has(name.trim().toLowerCase());
        node = (
          <>
            <span className="hname">{name}</span>:<span className={routing ? 'route-value' : undefined}>{line.slice(c + 1)}</span>
          </>
        );
      } else node = line;
    } else {
      const sdp = /^([a-z])=(.*)$/.exec(line);
      node = sdp ? (
        <>
          <span className="hname">{sdp[1]}</span>=<span className={sdp[1] === 'c' || sdp[1] === 'm' ? 'route-value' : undefined}>{sdp[2]}</span>
        </>
      ) : (
        line
      );
    }
    out.push(
      <span key={i} className={i + 1 === hitLine ? 'raw-line search-hit' : 'raw-line'}>
        {node}
        {'\n'}
      </span>,
    );
  });
  return (
    <pre ref={pre} className="raw" data-testid="raw-message" aria-label="Raw message">
      {out}
    </pre>
  );
}

function Parsed({ sip }: { sip: SipMessage }) {
  const rows: Array<[string, ReactNode]> = [];
  if (sip.kind === 'request') rows.push(['Request-URI', <span className="route-value">{sip.requestUriRaw}</span>]);
  rows.push(['From', sip.from?.raw ?? '—'], ['To', sip.to?.raw ?? '—'], ['Call-ID', sip.callId ?? '—'], ['CSeq', sip.cseq ? `${sip.cseq.seq} ${sip.cseq.method}` : '—']);
  sip.via.forEach((v, i) =>
    rows.push([
      i === 0 ? 'Via (top)' : `Via ${i + 1}`,
      <span className="route-value">
        {v.transport} {v.host}
        {v.port !== null ? `:${v.port}` : ' (no port)'}
        {v.received ? ` received=${v.received}` : ''}
        {v.rport === undefined ? ' · no rport' : v.rport === null ? ' · rport (empty)' : ` · rport=${v.rport}`}
        {v.branch ? ` · branch ${v.branch}` : ''}
      </span>,
    ]),
  );
  sip.contact.forEach((c) => rows.push(['Contact', <span className="route-value">{c.raw}</span>]));
  if (sip.contactStar) rows.push(['Contact', '*']);
  sip.recordRoute.forEach((c) => rows.push(['Record-Route', <span className="route-value">{c.raw}</span>]));
  sip.route.forEach((c) => rows.push(['Route', <span className="route-value">{c.raw}</span>]));
  if (sip.contentType) rows.push(['Content-Type', sip.contentType]);
  if (sip.contentLength !== null) rows.push(['Content-Length', String(sip.contentLength)]);
  return (
    <>
      <dl className="parsed">
        {rows.map(([k, v], i) => (
          <div key={i}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {sip.notes.length > 0 && (
        <ul className="notes">
          {sip.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {sip.sdp && (
        <div className="sdp-summary">
          <h4>SDP</h4>
          <p>
            {sip.sdp.origin ? `o= ${sip.sdp.origin.username} ${sip.sdp.origin.address} (v${sip.sdp.origin.sessionVersion})` : 'no o= line'}
            {sip.sdp.connection ? ` · c= ${sip.sdp.connection}` : ''}
          </p>
          <ul>
            {sip.sdp.media.map((m, i) => (
              <li key={i}>
                <strong>{m.type}</strong> {m.connection ?? '?'}:{m.port} {m.protocol} · {m.direction} ·{' '}
                {m.payloads.map((p) => codecName(m, p) ?? `PT ${p}`).join(', ')}
                {m.rtcpPort !== null ? ` · RTCP ${m.rtcpPort}` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

export function MessageDetailPane() {
  const api = useAppStoreApi();
  const report = useAppStore(selectReport);
  const index = useAppStore(selectSelectedMessage);
  const ladder = useAppStore(selectLadderMessages);
  const annotations = useAppStore(selectAnnotations);
  const [detail, setDetail] = useState<{ index: number; d: Detail | null; error: string | null } | null>(null);
  const m = index !== null ? report?.messages[index] : undefined;
  // The line of the text-search match n / N went to, when that is this message.
  const hitLine = useAppStore((s) => {
    const hit = s.search.result?.matches[s.search.pos];
    return hit && hit.index === index ? hit.line : undefined;
  });

  // While a large capture is read, a message's position may still move: its text comes once read.
  const reading = useAppStore((s) => s.status.kind === 'reading');
  useEffect(() => {
    if (index === null || reading) return;
    let live = true;
    api
      .getState()
      .detail(index)
      .then(
        (d) => live && setDetail({ index, d, error: null }),
        (e: unknown) => live && setDetail({ index, d: null, error: e instanceof Error ? e.message : String(e) }),
      );
    return () => {
      live = false;
    };
  }, [api, index, reading]);

  const tx = useMemo(() => {
    if (!m || m.transaction === null || m.transaction === undefined) return [];
    return ladder.filter((x) => x.transaction === m.transaction);
  }, [ladder, m]);
  const findings = useMemo(() => {
    if (!m || !report) return [];
    const frames = new Set([m.frame, ...m.frames]);
    const cap = m.capture ?? 0;
    return report.findings
      .map((f, i) => [f, i] as const)
      .filter(([f]) => ((f.capture ?? 0) === cap && f.frames.some((x) => frames.has(x))) || (f.alsoFrames ?? []).some((x) => x.capture === cap && frames.has(x.frame)));
  }, [m, report]);
  // Several captures: the copies of this message seen at the other capture points.
  const copies = useMemo(() => {
    if (!m || !report?.alignment) return [];
    const g = report.alignment.groups.find((x) => x.includes(m.index));
    return g ? g.filter((i) => i !== m.index).map((i) => report.messages[i]!) : [];
  }, [m, report]);
  const [compareWith, setCompareWith] = useState<number | null>(null);
  const captureName = (c: number | undefined): string => report?.captures?.[c ?? 0]?.file ?? '';

  if (!m || index === null) return <p className="muted pad">Select an arrow to see its message.</p>;
  if (reading)
    return (
      <p className="muted pad" data-testid="detail-pending">
        The message text is shown once the capture is read.
      </p>
    );
  const pos = tx.findIndex((x) => x.index === m.index);
  const prev = pos > 0 ? tx[pos - 1] : undefined;
  const next = pos >= 0 && pos < tx.length - 1 ? tx[pos + 1] : undefined;
  const d = detail?.index === index ? detail : null;
  const callFilter = m.callId !== null ? `sip.Call-ID == "${m.callId.replace(/["\\]/g, '\\$&')}"` : null;

  return (
    <div className="message-detail" data-testid="message-detail">
      <h3>
        {messageLabel(m)} {report?.captures && <span className="capture-tag">{captureName(m.capture)}</span>}
        <span className="muted">frame {m.frame}</span>
      </h3>
      <p className="meta">
        {dateTimeUs(m.timeUs).slice(0, 10)} {clockUs(m.timeUs)} UTC · {fullEndpoint(m.src)} → {fullEndpoint(m.dst)} · {m.transport.toUpperCase()}
        {m.connection !== null ? ` · connection #${m.connection}` : ''}
        {m.encapsulation ? ` · inside ${m.encapsulation.toUpperCase()}` : ''}
        {m.frames.length > 1 ? ` · reassembled from frames ${m.frames.join(', ')}` : ''}
        {m.retransmission ? ' · retransmission' : ''}
      </p>
      <div className="wireshark">
        <code>frame.number == {m.frame}</code> <CopyButton text={`frame.number == ${m.frame}`} label="Copy frame filter" />
        {callFilter && (
          <>
            <br />
            <code data-testid="wireshark-filter">{callFilter}</code> <CopyButton text={callFilter} label="Copy Call-ID filter" />
          </>
        )}
      </div>
      {tx.length > 1 && (
        <div className="tx-nav" role="group" aria-label="Same transaction">
          <button type="button" disabled={!prev} onClick={() => prev && api.getState().selectMessage(prev.index)}>
            ◀ previous in transaction
          </button>
          <span className="muted">
            {pos + 1} of {tx.length} ({m.cseq})
          </span>
          <button type="button" disabled={!next} onClick={() => next && api.getState().selectMessage(next.index)}>
            next in transaction ▶
          </button>
        </div>
      )}
      {findings.length > 0 && (
        <ul className="detail-findings">
          {findings.map(([f, i]) => (
            <li key={i} className={`sev-${f.severity}`}>
              <button type="button" className="link" onClick={() => api.getState().showEvidence(i)}>
                {f.severity}: {f.title}
              </button>
            </li>
          ))}
        </ul>
      )}
      {copies.length > 0 && (
        <div className="copies" data-testid="copies">
          <span className="muted">Also seen at {copies.length === 1 ? 'another capture point' : `${copies.length} other points`}: </span>
          {copies.map((c) => (
            <button key={c.index} type="button" className="link" aria-pressed={compareWith === c.index} onClick={() => setCompareWith(compareWith === c.index ? null : c.index)}>
              {captureName(c.capture)} frame {c.frame} ({fullEndpoint(c.src)} → {fullEndpoint(c.dst)}) — compare
            </button>
          ))}
        </div>
      )}
      {compareWith !== null && d?.d && copies.some((c) => c.index === compareWith) && report && (
        <CopyDiff a={{ m, raw: d.d.raw, name: captureName(m.capture) }} otherIndex={compareWith} report={report} name={captureName(report.messages[compareWith]?.capture)} />
      )}
      {d === null ? (
        <p className="muted">Loading the message…</p>
      ) : d.error ? (
        <p role="alert" className="error-inline">
          Could not load frame {m.frame}: {d.error}
        </p>
      ) : (
        <>
          {d.d?.unreadable && <p className="error-inline" data-testid="text-unreadable">{d.d.unreadable}</p>}
          {d.d?.parseError && <p className="error-inline">Not fully parsed: {d.d.parseError}</p>}
          <RawMessage raw={d.d?.raw ?? ''} hitLine={hitLine} />
          {d.d?.sip && <Parsed sip={d.d.sip} />}
        </>
      )}
      <label className="note">
        Note (exported as a packet comment)
        <textarea value={annotations[index] ?? ''} rows={2} onChange={(e) => api.getState().setAnnotation(index, e.currentTarget.value)} />
      </label>
    </div>
  );
}

/**
 * Two copies of one message seen at two capture points, side by side: every line the other copy
 * does not have word for word is highlighted (what a NAT's ALG, an SBC or a proxy changed on the
 * way), with the rewrites the alignment named above. Text only, never HTML.
 */
function CopyDiff({ a, otherIndex, report, name }: { a: { m: { index: number; frame: number; timeUs: number }; raw: string; name: string }; otherIndex: number; report: NonNullable<ReturnType<typeof selectReport>>; name: string }) {
  const api = useAppStoreApi();
  const [other, setOther] = useState<{ index: number; raw: string | null; error: string | null } | null>(null);
  useEffect(() => {
    let live = true;
    api
      .getState()
      .detail(otherIndex)
      .then(
        (d) => live && setOther({ index: otherIndex, raw: d.raw, error: null }),
        (e: unknown) => live && setOther({ index: otherIndex, raw: null, error: e instanceof Error ? e.message : String(e) }),
      );
    return () => {
      live = false;
    };
  }, [api, otherIndex]);
  const b = report.messages[otherIndex]!;
  const earlierFirst = a.m.timeUs <= b.timeUs;
  // The rewrites along the path between the two copies (each is named between consecutive copies).
  const group = report.alignment?.groups.find((g) => g.includes(a.m.index) && g.includes(otherIndex)) ?? [];
  const [lo, hi] = [group.indexOf(a.m.index), group.indexOf(otherIndex)].sort((x, y) => x - y) as [number, number];
  const between = new Set(group.slice(lo, hi + 1));
  const rewrites = (report.alignment?.rewrites ?? []).filter((r) => between.has(r.message) && between.has(r.from));
  if (!other || other.index !== otherIndex) return <p className="muted">Loading the other copy…</p>;
  if (other.raw === null) return <p className="error-inline">Could not load the other copy: {other.error}</p>;
  const left = earlierFirst ? { raw: a.raw, name: a.name, frame: a.m.frame } : { raw: other.raw, name, frame: b.frame };
  const right = earlierFirst ? { raw: other.raw, name, frame: b.frame } : { raw: a.raw, name: a.name, frame: a.m.frame };
  const linesL = left.raw.split(/\r?\n/);
  const linesR = right.raw.split(/\r?\n/);
  const setL = new Set(linesL);
  const setR = new Set(linesR);
  const side = (lines: string[], otherSet: Set<string>, label: string) => (
    <div>
      <h4>{label}</h4>
      <pre>
        {lines.map((l, i) => (
          <div key={i} className={otherSet.has(l) ? undefined : 'changed'} data-changed={otherSet.has(l) ? undefined : 'true'}>
            {l === '' ? '\u00a0' : l}
          </div>
        ))}
      </pre>
    </div>
  );
  return (
    <section className="copy-diff-wrap" data-testid="copy-diff" aria-label="Both copies side by side">
      <p className="meta">
        {rewrites.length > 0 ? `Changed on the way: ${[...new Set(rewrites.map((r) => r.header))].join(', ')}.` : 'No header the alignment compares changed between these copies.'}
        {rewrites.length > 0 && rewrites.every((r) => r.noSipHop) ? ' No SIP hop lies between them (same Vias): something on the path rewrote the SIP text.' : ''}
      </p>
      <div className="copy-diff">
        {side(linesL, setR, `${left.name} frame ${left.frame} (earlier)`)}
        {side(linesR, setL, `${right.name} frame ${right.frame} (later)`)}
      </div>
    </section>
  );
}
