/**
 * The ladder's SVG layers, drawn in ladder space (see layout.ts): lifelines, RTP bands,
 * connection lanes, message arrows with their badges and ghost arrows, the time gutter and (for
 * the export) the host header. Shared by the interactive ladder (which draws only the visible row
 * range) and the export (which draws everything), so an export shows exactly what the screen does.
 *
 * All capture-derived text goes through React text nodes (never innerHTML): SIP content is
 * untrusted. Colours come from CSS classes; the export inlines the computed styles.
 */
import { memo } from 'react';
import type { Finding } from '../../report/report.ts';
import { fullEndpoint, shortEndpoint } from '../../view/format.ts';
import type { ConnectionLane, LadderLayout, LadderRow, MessageRow, RtpRow } from './layout.ts';

/** Where the arrow line sits inside its row (the label goes above it). */
export const ARROW_DY = 22;
export const HEADER_HEIGHT = 46;
const CHAR_W = 7.2; // ≈ width of one 12px semibold character, when no canvas can measure

const measured = new Map<string, number>();
let measureCtx: CanvasRenderingContext2D | null | undefined;

/**
 * Width of a label in px (12px semibold UI font), measured once per distinct text on a canvas and
 * cached — labels repeat a lot (INVITE, 100 Trying, 200 OK). Without a DOM it estimates.
 */
export function measureLabel(s: string, font = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'): number {
  const key = `${font}|${s}`;
  const hit = measured.get(key);
  if (hit !== undefined) return hit;
  if (measureCtx === undefined) measureCtx = typeof document !== 'undefined' ? document.createElement('canvas').getContext('2d') : null;
  let w = s.length * CHAR_W;
  if (measureCtx) {
    measureCtx.font = font;
    w = Math.ceil(measureCtx.measureText(s).width) + 1;
  }
  measured.set(key, w);
  return w;
}

export function estimateTextWidth(s: string, charW = CHAR_W): number {
  return charW === CHAR_W ? measureLabel(s) : measureLabel(s, 'italic 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif');
}

export interface RowRenderState {
  selected: number | null;
  hoveredTransaction: number | null;
  evidenceFrames: ReadonlySet<number>;
  findings: readonly Finding[];
  /** Lane colour slot by connection id. */
  laneColor: ReadonlyMap<number, number>;
  showConnections: boolean;
  /** Several captures: their file names (report.captures), for the crossing markers. */
  captureNames: readonly string[];
}

/** The accessible name of an arrow: "frame 12, INVITE, 203.0.113.5:5060 to 198.51.100.7:5060". */
export function arrowName(row: MessageRow, findings: readonly Finding[]): string {
  const m = row.message;
  const parts = [`frame ${m.frame}`, row.label, `${fullEndpoint(m.src)} to ${fullEndpoint(m.dst)}`];
  if (m.hasSdp) parts.push('with SDP');
  if (row.count > 1) parts.push(`sent ${row.count} times`);
  if (row.crossings.length > 1) parts.push(`seen at ${row.crossings.length} capture points`);
  if (row.lostIn.length > 0) parts.push(`never seen at ${row.lostIn.length === 1 ? 'the other capture point' : `${row.lostIn.length} other capture points`}`);
  if (row.isRetransmission) parts.push('retransmission');
  if (m.transport !== 'udp') parts.push(m.transport.toUpperCase());
  for (const fi of row.findings) {
    const f = findings[fi];
    if (f) parts.push(`${f.severity}: ${f.title}`);
  }
  if (row.ghost) parts.push(row.ghost.label);
  return parts.join(', ');
}

function worstSeverity(row: MessageRow, findings: readonly Finding[]): 'error' | 'warning' | 'info' | null {
  let w: 'error' | 'warning' | 'info' | null = null;
  for (const fi of row.findings) {
    const s = findings[fi]?.severity;
    if (s === 'error') return 'error';
    if (s === 'warning') w = 'warning';
    else if (s === 'info' && w === null) w = 'info';
  }
  return w;
}

interface ArrowProps {
  row: MessageRow;
  layout: LadderLayout;
  rowIndex: number;
  state: RowRenderState;
  interactive: boolean;
}

function ArrowRowImpl({ row, layout, rowIndex, state, interactive }: ArrowProps) {
  const m = row.message;
  const a = layout.columns[row.from]!.x;
  const b = layout.columns[row.to]!.x;
  const y = row.y + ARROW_DY;
  const self = row.from === row.to;
  const dir = b >= a ? 1 : -1;
  const dialogClass = m.dialog !== null && m.dialog !== undefined ? ` dlg-${m.dialog % 8}` : ' dlg-none';
  const isResponse = m.status !== undefined;
  const evidence = m.frames.some((f) => state.evidenceFrames.has(f)) || state.evidenceFrames.has(m.frame);
  const cls = [
    'arrow',
    isResponse ? 'response' : 'request',
    m.malformed ? 'malformed' : '',
    row.isRetransmission ? 'rtx' : '',
    state.selected !== null && (row.index === state.selected || row.folded.includes(state.selected) || row.crossings.some((c) => c.index === state.selected)) ? 'selected' : '',
    state.hoveredTransaction !== null && m.transaction === state.hoveredTransaction ? 'tx-hl' : '',
    evidence ? 'evidence' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const sev = worstSeverity(row, state.findings);
  const label = row.label;
  const labelW = estimateTextWidth(row.shown);
  const mid = self ? a + 14 : (a + b) / 2;
  // Label block: text, then SDP badge, ×N badge, finding badges, laid left to right.
  const badgeW = (m.hasSdp ? 30 : 0) + (row.count > 1 ? 28 : 0) + (row.findings.length ? 22 : 0) + (m.connection !== null && state.showConnections ? 28 : 0);
  const blockW = labelW + badgeW;
  let lx = self ? a + 26 : mid - blockW / 2;
  const textX = lx;
  lx += labelW + 4;
  const sdpX = m.hasSdp ? lx : 0;
  if (m.hasSdp) lx += 30;
  const countX = row.count > 1 ? lx : 0;
  if (row.count > 1) lx += 28;
  const findX = row.findings.length ? lx : 0;
  if (row.findings.length) lx += 22;
  const connX = lx;
  const laneSlot = m.connection !== null ? state.laneColor.get(m.connection) : undefined;
  const labelY = self ? y - 2 : y - 6;

  let path: string;
  let head: string;
  if (self) {
    path = `M${a},${y - 8} h20 v14 h-18`;
    head = `M${a + 1},${y + 6} l7,-4 v8 z`;
  } else {
    const end = b - dir * 1;
    path = `M${a},${y} L${end},${y}`;
    head = `M${end},${y} l${-dir * 9},-4.5 v9 z`;
  }

  return (
    <g
      className={cls}
      data-testid="arrow"
      data-row={rowIndex}
      data-index={row.index}
      data-frame={m.frame}
      data-label={label}
      data-from={layout.columns[row.from]?.id}
      data-to={layout.columns[row.to]?.id}
      {...(interactive ? { role: 'button', tabIndex: 0, 'aria-label': arrowName(row, state.findings) } : {})}
    >
      {interactive && <rect className="hit" x={Math.min(a, b) - 4} y={row.y + 2} width={Math.abs(b - a) + (self ? 120 : 8)} height={ARROW_DY + 6} />}
      <rect className="sel-bg" x={Math.min(a, b, textX) - 6} y={row.y + 2} width={Math.max(Math.abs(b - a), blockW + (self ? 26 : 0)) + 12} height={ARROW_DY + 6} rx={3} />
      <path className={`line${dialogClass}`} d={path} />
      <path className={`head${dialogClass}`} d={head} />
      <text className={`label${isResponse && (m.status ?? 0) >= 400 ? ' fail' : ''}${isResponse && (m.status ?? 0) >= 200 && (m.status ?? 0) < 300 ? ' ok' : ''}`} x={textX} y={labelY}>
        {row.shown}
        {row.shown !== label && <title>{label}</title>}
      </text>
      {m.hasSdp && (
        <g className="badge sdp">
          <rect x={sdpX} y={labelY - 10} width={26} height={13} rx={3} />
          <text x={sdpX + 13} y={labelY} textAnchor="middle">SDP</text>
        </g>
      )}
      {row.count > 1 && (
        <g className="badge count" data-unfold={row.index}>
          <rect x={countX} y={labelY - 10} width={24} height={13} rx={3} />
          <text x={countX + 12} y={labelY} textAnchor="middle">×{row.count}</text>
          <title>Sent {row.count} times (retransmissions folded); click to unfold</title>
        </g>
      )}
      {row.isRetransmission && (
        <text className="rtx-tag" x={self ? a + 26 : mid} y={y + 11} textAnchor={self ? 'start' : 'middle'}>retransmission</text>
      )}
      {row.findings.length > 0 && sev && (
        <g className={`badge finding sev-${sev}`} data-testid="finding-badge">
          <circle cx={findX + 8} cy={labelY - 4} r={8} />
          <text x={findX + 8} y={labelY} textAnchor="middle">{row.findings.length > 1 ? row.findings.length : '!'}</text>
          <title>{row.findings.map((fi) => `${state.findings[fi]?.severity}: ${state.findings[fi]?.title}`).join('\n')}</title>
        </g>
      )}
      {m.connection !== null && state.showConnections && (
        <text className={`conn-tag lane-${(laneSlot ?? 0) % 6}`} x={connX} y={labelY}>#{m.connection}</text>
      )}
      {!self && row.crossings.length > 1 && <Crossings row={row} a={a} b={b} y={y} names={state.captureNames} />}
      {row.lostIn.length > 0 && (
        <g className="lost-between" data-testid="lost-marker">
          <text x={self ? a + 24 : b - dir * 22} y={y + 5} textAnchor="middle">
            ✕
          </text>
          <title>{`Never seen in ${row.lostIn.map((c) => state.captureNames[c] ?? `capture ${c + 1}`).join(', ')}: lost between the capture points`}</title>
        </g>
      )}
      {row.ghost && <GhostArrow row={row} layout={layout} />}
    </g>
  );
}
export const ArrowRow = memo(ArrowRowImpl);

/**
 * Several captures: one marker on the arrow per capture point that saw this message, in the
 * order it passed them, each saying where, when and as what (a NAT changes the addresses).
 */
function Crossings({ row, a, b, y, names }: { row: MessageRow; a: number; b: number; y: number; names: readonly string[] }) {
  const n = row.crossings.length;
  const t0 = row.crossings[0]!.timeUs;
  return (
    <g className="crossings">
      {row.crossings.map((c, k) => {
        const x = a + ((b - a) * (k + 1)) / (n + 1);
        const name = names[c.capture ?? 0] ?? `capture ${(c.capture ?? 0) + 1}`;
        return (
          <g key={`${c.capture}:${c.frame}`} className={`crossing cap-${(c.capture ?? 0) % 4}`} data-testid="crossing" data-capture={c.capture} data-frame={c.frame}>
            <path d={`M${x},${y - 5} l5,5 l-5,5 l-5,-5 z`} />
            <title>{`Seen in ${name}, frame ${c.frame}, ${k === 0 ? 'first' : `+${((c.timeUs - t0) / 1000).toFixed(3)} ms later`}: ${c.src} → ${c.dst}`}</title>
          </g>
        );
      })}
    </g>
  );
}

function GhostArrow({ row, layout }: { row: MessageRow; layout: LadderLayout }) {
  const g = row.ghost!;
  const a = layout.columns[g.from]!.x;
  const b = layout.columns[g.to]!.x;
  const y = row.y + ARROW_DY + layout.metrics.ghostHeight - 2;
  const dir = b >= a ? 1 : -1;
  const self = a === b;
  const path = self ? `M${a},${y - 6} h20 v10 h-18` : `M${a},${y} L${b - dir},${y}`;
  const head = self ? `M${a + 1},${y + 4} l7,-4 v8 z` : `M${b - dir},${y} l${-dir * 9},-4.5 v9 z`;
  const text = `${g.label}`;
  const tx = self ? a + 26 : (a + b) / 2 - estimateTextWidth(text, 6.2) / 2;
  return (
    <g className="ghost" data-testid="ghost-arrow">
      <path className="line" d={path} />
      <path className="head" d={head} />
      <text x={tx} y={y - 4}>{text}</text>
      <title>{`${g.label}: ${g.reason}`}</title>
    </g>
  );
}

export function RtpBand({ row, layout }: { row: RtpRow; layout: LadderLayout }) {
  const a = layout.columns[row.from]!.x;
  const b = layout.columns[row.to]!.x;
  const y = row.y + ARROW_DY;
  const dir = b >= a ? 1 : -1;
  const s = row.data;
  const mid = (a + b) / 2;
  return (
    <g className={`rtp${row.bad ? ' bad' : ''}`} data-testid="rtp-band" aria-label={`RTP ${s.src} to ${s.dst}, ${s.packets} packets, ${s.lost} lost`} role="img">
      <path className="band" d={`M${a},${y} L${b - dir * 10},${y}`} />
      <path className="head" d={`M${b - dir},${y} l${-dir * 11},-6 v12 z`} />
      <text x={mid} y={y - 8} textAnchor="middle">{row.label}</text>
      <title>{`RTP SSRC 0x${s.ssrc.toString(16).padStart(8, '0')} ${s.src} → ${s.dst}, payload type ${s.payloadType}, ${s.packets} packets (frames ${s.firstFrame}–${s.lastFrame}), ${s.lost} lost${s.sourceChanges.length ? `, source changed: ${s.sourceChanges.map((c) => `${c.from} → ${c.to} at frame ${c.frame}`).join('; ')}` : ''}`}</title>
    </g>
  );
}

/** Faint strips along both lifelines for as long as each RTP stream flows. */
export function RtpStrips({ layout }: { layout: LadderLayout }) {
  return (
    <g className="rtp-strips">
      {layout.rows.map((r) =>
        r.kind === 'rtp' ? (
          <g key={r.key} className={`rtp-strip${r.bad ? ' bad' : ''}`}>
            <rect x={layout.columns[r.from]!.x - 3} y={r.y + ARROW_DY} width={6} height={Math.max(0, r.endY - r.y - ARROW_DY)} />
            <rect x={layout.columns[r.to]!.x - 3} y={r.y + ARROW_DY} width={6} height={Math.max(0, r.endY - r.y - ARROW_DY)} />
          </g>
        ) : null,
      )}
    </g>
  );
}

export function Lifelines({ layout, y0, y1 }: { layout: LadderLayout; y0: number; y1: number }) {
  return (
    <g className="lifelines">
      {layout.columns.map((c) => (
        <line key={c.id} x1={c.x} x2={c.x} y1={y0} y2={y1} />
      ))}
    </g>
  );
}

export function Lanes({ layout, y0, y1 }: { layout: LadderLayout; y0: number; y1: number }) {
  return (
    <g className="lanes">
      {layout.lanes.map((l) => (
        <Lane key={l.id} lane={l} y0={y0} y1={y1} />
      ))}
    </g>
  );
}

function Lane({ lane, y0, y1 }: { lane: ConnectionLane; y0: number; y1: number }) {
  const bad = lane.problems.length > 0;
  return (
    <g className={`lane lane-${lane.color % 6}${bad ? ' bad' : ''}`} data-testid="connection-lane" data-connection={lane.id} role="img" aria-label={lane.summary}>
      <title>{lane.summary}</title>
      <line className="track" x1={lane.x} x2={lane.x} y1={lane.y0} y2={lane.y1} />
      {lane.events
        .filter((e) => e.y >= y0 - 40 && e.y <= y1 + 40)
        .map((e, i) => (
          <g key={i} className={`ev ev-${e.kind}${e.bad ? ' bad' : ''}`}>
            {e.kind === 'open' ? (
              <path d={`M${lane.x - 6},${e.y - 5} h12 l-6,8 z`} />
            ) : e.kind === 'close' ? (
              <rect x={lane.x - 6} y={e.y - 2} width={12} height={4} />
            ) : e.kind === 'tls' ? (
              <rect x={lane.x - 5} y={e.y - 5} width={10} height={10} transform={`rotate(45 ${lane.x} ${e.y})`} />
            ) : (
              <circle cx={lane.x} cy={e.y} r={e.kind === 'gap' ? 4 : 3} />
            )}
            <title>{e.label}</title>
          </g>
        ))}
    </g>
  );
}

/** Lane captions (drawn in the header band). */
export function laneCaption(lane: ConnectionLane): string {
  const c = lane.conn;
  if (c.tls) return `${lane.label}${c.tls.sni ? '' : ' no SNI'}`;
  return lane.label;
}

export interface LayersProps {
  layout: LadderLayout;
  from: number;
  to: number;
  y0: number;
  y1: number;
  state: RowRenderState;
  interactive: boolean;
}

/** Everything in ladder space for rows [from, to). */
export function BodyLayers({ layout, from, to, y0, y1, state, interactive }: LayersProps) {
  const rows: LadderRow[] = layout.rows.slice(from, to);
  return (
    <>
      <Lifelines layout={layout} y0={y0} y1={y1} />
      <RtpStrips layout={layout} />
      {state.showConnections && <Lanes layout={layout} y0={y0} y1={y1} />}
      <g className="rows">
        {rows.map((r, i) =>
          r.kind === 'message' ? (
            <ArrowRow key={r.key} row={r} layout={layout} rowIndex={from + i} state={state} interactive={interactive} />
          ) : (
            <RtpBand key={r.key} row={r} layout={layout} />
          ),
        )}
      </g>
    </>
  );
}

/** The time gutter's texts for rows [from, to) (ladder space, x from 0). */
export function GutterTexts({ layout, from, to, selected }: { layout: LadderLayout; from: number; to: number; selected: number | null }) {
  return (
    <g className="gutter-texts">
      {layout.rows.slice(from, to).map((r) => (
        <text key={r.key} x={8} y={r.y + ARROW_DY + 4} className={r.kind === 'message' && r.index === selected ? 'selected' : undefined}>
          {r.time}
        </text>
      ))}
    </g>
  );
}

/** Frame numbers under the time (small, for matching with Wireshark). */
export function GutterFrames({ layout, from, to }: { layout: LadderLayout; from: number; to: number }) {
  return (
    <g className="gutter-frames">
      {layout.rows.slice(from, to).map((r) =>
        r.kind === 'message' ? (
          <text key={r.key} x={8} y={r.y + ARROW_DY + 15}>
            {/* Several captures: frames are per file, so the capture's number comes first ("2:#3"). */}
            {r.message.capture !== undefined ? `${r.message.capture + 1}:` : ''}#{r.message.frame}
          </text>
        ) : null,
      )}
    </g>
  );
}

/** The host header as SVG (export only; the screen uses the interactive HTML header). */
export function SvgHeader({ layout }: { layout: LadderLayout }) {
  const w = layout.metrics.colWidth - 14;
  return (
    <g className="svg-header">
      {layout.columns.map((c) => (
        <g key={c.id} className="host">
          <rect x={c.x - w / 2} y={6} width={w} height={HEADER_HEIGHT - 12} rx={4} />
          <text x={c.x} y={22} textAnchor="middle" className="host-name">{c.label}</text>
          <text x={c.x} y={35} textAnchor="middle" className="host-addr">
            {c.renamed || c.label !== shortEndpoint(c.keys[0] ?? '') ? shortEndpoint(c.endpoints[0] ?? c.keys[0] ?? '', 26) : c.endpoints.length > 1 ? `${c.endpoints.length} ports` : ''}
          </text>
        </g>
      ))}
      {layout.lanes.map((l) => (
        <text key={l.id} className={`lane-cap lane-${l.color % 6}${l.problems.length ? ' bad' : ''}`} x={l.x} y={HEADER_HEIGHT - 8} textAnchor="middle">
          #{l.id}
        </text>
      ))}
    </g>
  );
}
