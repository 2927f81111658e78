/**
 * Per-second loss and jitter of the selected calls' RTP streams, drawn in ladder space beside the
 * time gutter (between it and the first lifeline), one narrow strip per direction: a red bar for
 * the share of packets lost in that second, an orange tick for its jitter. A second is placed by
 * mapping its start and end times onto the ladder's rows (interpolated between the rows' times),
 * so a gap or a burst lines up with the SIP message that caused it.
 */
import type { ReportRtpStream } from '../../engine/report.ts';
import type { LadderLayout } from '../ladder/layout.ts';
import { isoToUs } from '../ladder/layout.ts';
import { usePlayheadUs } from './playhead.ts';

const STRIP = 18;

/** Ladder-space y of a capture time: interpolated between the rows' times (middle of each row). */
export function timeToY(layout: LadderLayout): (us: number) => number {
  const anchors: Array<[number, number]> = layout.rows.map((r) => [r.kind === 'message' ? r.message.timeUs : isoToUs(r.data.firstTime), r.y + r.height / 2]);
  anchors.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return (us) => {
    if (anchors.length === 0) return 0;
    const first = anchors[0]!;
    const last = anchors[anchors.length - 1]!;
    if (us <= first[0]) return first[1];
    if (us >= last[0]) return last[1] + layout.metrics.rowHeight / 2;
    let lo = 0;
    let hi = anchors.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (anchors[mid]![0] <= us) lo = mid;
      else hi = mid;
    }
    const a = anchors[lo]!;
    const b = anchors[hi]!;
    return b[0] === a[0] ? a[1] : a[1] + ((us - a[0]) / (b[0] - a[0])) * (b[1] - a[1]);
  };
}

export function MediaChart({ layout, streams, callIds }: { layout: LadderLayout; streams: readonly ReportRtpStream[]; callIds: readonly string[] }) {
  const playUs = usePlayheadUs();
  const set = new Set(callIds);
  const mine = streams.filter((s) => s.kind === 'rtp' && s.callId !== null && set.has(s.callId) && s.perSecond && s.perSecond.packets.length > 0).slice(0, 4);
  if (mine.length === 0) return null;
  const y = timeToY(layout);
  const maxJ = Math.max(1, ...mine.flatMap((s) => s.perSecond!.jitterMs));
  const jx = (ms: number): number => (ms / maxJ) * STRIP;
  const first = Math.min(...mine.map((s) => s.perSecond!.startUs));
  const lastUs = Math.max(...mine.map((s) => s.perSecond!.startUs + s.perSecond!.packets.length * 1e6));
  const showHead = playUs !== null && playUs >= first && playUs <= lastUs;
  return (
    <g className="media-chart" data-testid="media-chart">
      {showHead && <line className="media-chart-playhead" data-testid="ladder-playhead" x1={layout.metrics.timeWidth} x2={layout.width} y1={y(playUs)} y2={y(playUs)} />}
      {mine.map((s, k) => {
        const ps = s.perSecond!;
        const x0 = layout.metrics.timeWidth + 4 + k * (STRIP + 4);
        return (
          <g key={`${s.ssrc}-${s.dst}`} transform={`translate(${x0},0)`}>
            <title>{`${s.src} → ${s.dst}: per second, lost share (red) and jitter (orange, up to ${maxJ.toFixed(1)} ms)`}</title>
            {ps.packets.map((p, i) => {
              const t0 = ps.startUs + i * 1e6;
              const y0 = y(t0);
              const y1 = Math.max(y0 + 0.5, y(t0 + 1e6));
              const lost = ps.lost[i] ?? 0;
              const share = p + lost > 0 ? lost / (p + lost) : 0;
              const j = ps.jitterMs[i] ?? 0;
              return (
                <g key={i}>
                  <rect className="media-chart-bg" x={0} y={y0} width={STRIP} height={y1 - y0} />
                  {share > 0 && <rect className="media-chart-lost" x={0} y={y0} width={Math.max(1, share * STRIP)} height={y1 - y0} />}
                  <rect className="media-chart-jitter" x={Math.min(STRIP - 1.5, jx(j))} y={y0} width={1.5} height={y1 - y0} />
                </g>
              );
            })}
          </g>
        );
      })}
    </g>
  );
}
