/**
 * Ladder layout: a pure function from the report (the selected calls' messages, their findings,
 * connections and RTP streams) + the view state (host layout, folded chains, time mode, selected
 * message) to columns, rows, connection lanes and RTP bands. No DOM: unit-tested under Node, and
 * the same layout feeds the SVG renderer, the SVG/PNG export, the text ladder and Mermaid.
 *
 * Coordinate spaces (the renderer maps between them):
 *   1. Report space   — message indices, frame numbers, µs timestamps.
 *   2. Ladder space   — px at zoom 1, origin at the top-left of the first row, to the left of the
 *                       time gutter. x: the time gutter spans [0, timeWidth); column i's lifeline
 *                       is at `columns[i].x`; connection lanes follow the last column. y: row r
 *                       occupies [rows[r].y, rows[r].y + rows[r].height); the host header is NOT in
 *                       ladder space (it is drawn separately, sticky, sharing only the x mapping).
 *   3. Screen space   — px in the ladder viewport: screen = translate(tx, ty) · scale(k) · ladder,
 *                       the d3-zoom transform kept by `pan-zoom.ts` (x and y pan, uniform zoom).
 *                       The sticky header uses (tx, k) only; the time gutter uses (ty, k) only.
 * Rows have variable heights (a row with a ghost arrow is taller), so y → row is a binary search
 * (`rowAtY`), and frame → y interpolates between message rows (`frameY`) for connection events
 * that fall between SIP messages.
 */
import type { Finding, ReportConnection, ReportMessage, ReportRtpStream } from '../../report/report.ts';
import type { HostLayout, Overlays, TimeMode } from '../../state/view-state.ts';
import { clockUs, endpointIp, offsetUs } from '../../view/format.ts';
import { createColumns } from '../../view/hosts.ts';
import type { HostColumn, HostProposal } from '../../view/hosts.ts';

export interface LayoutMetrics {
  rowHeight: number;
  colWidth: number;
  timeWidth: number;
  /** Extra height of a row that carries a ghost arrow. */
  ghostHeight: number;
  laneGap: number;
  laneWidth: number;
  /** Extra margin right of the last column/lane. */
  rightPad: number;
}

export const defaultMetrics: LayoutMetrics = {
  rowHeight: 34,
  colWidth: 150,
  timeWidth: 124,
  ghostHeight: 22,
  laneGap: 24,
  laneWidth: 30,
  rightPad: 24,
};

export interface LadderColumnLayout extends HostColumn {
  x: number;
}

export interface GhostArrow {
  from: number;
  to: number;
  /** "should have gone to 198.51.100.7:5060". */
  label: string;
  reason: string;
  finding: number;
  /** The expected destination endpoint. */
  target: string;
}

export interface MessageRow {
  kind: 'message';
  key: string;
  /** Message index (the chain head when folded). */
  index: number;
  message: ReportMessage;
  y: number;
  height: number;
  from: number;
  to: number;
  /** "INVITE", "200 OK", "malformed". */
  label: string;
  /** The label as drawn: `label`, abbreviated with "…" when it does not fit its column. */
  shown: string;
  /** Indices of the retransmissions folded into this row (empty when unfolded or none). */
  folded: number[];
  /** True when the chain of this head has retransmissions (folded or not). */
  hasChain: boolean;
  /** This row is an unfolded retransmission of `message.retransmissionOf`. */
  isRetransmission: boolean;
  /** Retransmission count shown as ×N (1 + folded), 1 when nothing is folded. */
  count: number;
  time: string;
  /** Indices into the report's findings whose evidence frames touch this row. */
  findings: number[];
  ghost: GhostArrow | null;
  /** Position of the message's call in the selected calls. */
  call: number;
  /**
   * Several captures: the copies of this message seen at other capture points and drawn as this
   * one arrow (same columns), this message first; empty with one capture.
   */
  crossings: ReportMessage[];
  /** Several captures: the captures that should have seen this message and did not (alignment.lost). */
  lostIn: number[];
}

export interface RtpRow {
  kind: 'rtp';
  key: string;
  /** Index into report.rtpStreams. */
  stream: number;
  data: ReportRtpStream;
  y: number;
  height: number;
  from: number;
  to: number;
  /** y where the stream ends (its last packet's time mapped onto the rows). */
  endY: number;
  label: string;
  time: string;
  /** True when it lost packets or changed source: drawn in the warning colour. */
  bad: boolean;
  call: number;
}

export type LadderRow = MessageRow | RtpRow;

export interface LaneEvent {
  y: number;
  frame: number;
  kind: 'open' | 'tls' | 'message' | 'close' | 'gap';
  label: string;
  bad: boolean;
}

export interface ConnectionLane {
  id: number;
  conn: ReportConnection;
  x: number;
  y0: number;
  y1: number;
  /** "TCP #3", "TLS #4". */
  label: string;
  /** One-line summary for the tooltip and accessible name. */
  summary: string;
  events: LaneEvent[];
  /** Why it stands out (empty = healthy): "opened mid-dialog", "TLS handshake failed" … */
  problems: string[];
  /** Palette slot for the lane (and the arrows it carried). */
  color: number;
}

export interface LadderLayout {
  columns: LadderColumnLayout[];
  rows: LadderRow[];
  lanes: ConnectionLane[];
  /** Ladder-space size. */
  width: number;
  height: number;
  metrics: LayoutMetrics;
  /** Row index of a message index (folded retransmissions map to their head's row). */
  rowOfMessage: Map<number, number>;
  /** Connection id → lane index. */
  laneOfConnection: Map<number, number>;
}

export interface LayoutInput {
  /** The selected calls' messages, in capture order. */
  messages: readonly ReportMessage[];
  /** Selected Call-IDs, in selection order (row.call indexes this). */
  callIds: readonly string[];
  hosts: HostLayout;
  proposals?: readonly HostProposal[];
  /** Chain heads the user unfolded. */
  unfolded: readonly number[];
  timeMode: TimeMode;
  selectedMessage: number | null;
  findings?: readonly Finding[];
  connections?: readonly ReportConnection[];
  rtpStreams?: readonly ReportRtpStream[];
  overlays?: Overlays;
  metrics?: Partial<LayoutMetrics>;
  /** Width of an arrow label in px; columns widen to fit the longest (default: an estimate). */
  measure?: (label: string) => number;
  /** Width of the viewport (px at zoom 1): columns narrow (down to MIN_COL_WIDTH) so every host
   * fits it when they can, abbreviating labels that no longer fit. */
  availableWidth?: number;
  /**
   * Several captures (report.alignment.groups): copies of one message at different capture
   * points. A copy that falls on the same two columns as the first is drawn as that one arrow.
   */
  copies?: ReadonlyArray<readonly number[]>;
  /** Several captures (report.alignment.lost): messages another capture point never saw. */
  lost?: ReadonlyArray<{ message: number; missingFrom: number }>;
}

/** Frames are per capture when several are open: a finding's frame names a message of its own capture. */
const frameKey = (capture: number | undefined, frame: number): number => (capture ?? 0) * 2 ** 32 + frame;

/** Room an arrow needs beside its label: badges (SDP, ×N, finding, connection) and margins. */
const LABEL_EXTRA = 110;
/** Columns stay between these widths (px at zoom 1): wide enough for a label, narrow enough that
 * three to five hosts fit a laptop screen. Longer labels are clipped with an ellipsis. */
export const MIN_COL_WIDTH = 150;
export const MAX_COL_WIDTH = 250;

/** "INVITE" / "200 OK" / "malformed": what an arrow says. */
export function messageLabel(m: Pick<ReportMessage, 'method' | 'status' | 'reason' | 'malformed' | 'startLine'>): string {
  if (m.method) return m.method;
  if (m.status !== undefined) return m.reason ? `${m.status} ${m.reason}` : String(m.status);
  return m.malformed ? 'malformed' : m.startLine.slice(0, 24);
}

/** µs since epoch from an ISO 8601 time with up to µs ("…T12:00:00.123456Z"). */
export function isoToUs(iso: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return Date.parse(iso) * 1000;
  const base = Date.parse(`${m[1]}Z`);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}

const overlaysAll: Overlays = { findings: true, ghosts: true, connections: true, rtp: true };

/**
 * The chain head a retransmission belongs to: the model's `retransmissionOf`, else (when only
 * the contract's `retransmission` flag is set) the latest earlier message with the same
 * direction, CSeq and method/status.
 */
function chainHeads(messages: readonly ReportMessage[]): Map<number, number> {
  const head = new Map<number, number>();
  const lastSame = new Map<string, number>();
  for (const m of messages) {
    const sig = `${m.src}|${m.dst}|${m.cseq ?? ''}|${m.method ?? m.status ?? ''}`;
    if (m.retransmission || (m.retransmissionOf !== undefined && m.retransmissionOf !== null)) {
      let h = m.retransmissionOf ?? lastSame.get(sig);
      if (h !== undefined && h !== null) {
        h = head.get(h) ?? h; // chains point at the first transmission
        head.set(m.index, h);
      }
    }
    if (!head.has(m.index)) lastSame.set(sig, m.index);
  }
  return head;
}

/** Lay out the ladder. See the header comment for the coordinate spaces. */
export function layoutLadder(input: LayoutInput): LadderLayout {
  const metrics: LayoutMetrics = { ...defaultMetrics, ...input.metrics };
  const overlays = input.overlays ?? overlaysAll;
  const { columns: rawCols, columnOf, finish } = createColumns(input.hosts, input.proposals ?? []);
  const callIndex = new Map(input.callIds.map((c, i) => [c, i]));
  const unfolded = new Set(input.unfolded);
  const findings = input.findings ?? [];
  const selectedSet = new Set(input.callIds);

  // Findings by frame (only those about these calls, or capture-wide ones); with several
  // captures a frame is keyed with its capture.
  const findingsByFrame = new Map<number, number[]>();
  const ghostByFrame = new Map<number, number>();
  const addFinding = (key: number, fi: number): void => {
    let l = findingsByFrame.get(key);
    if (!l) findingsByFrame.set(key, (l = []));
    if (!l.includes(fi)) l.push(fi);
  };
  findings.forEach((f, fi) => {
    if (f.callId !== null && !selectedSet.has(f.callId)) return;
    for (const fr of f.frames) addFinding(frameKey(f.capture, fr), fi);
    for (const x of f.alsoFrames ?? []) addFinding(frameKey(x.capture, x.frame), fi);
    if (f.expected) ghostByFrame.set(frameKey(f.capture, f.expected.messageFrame), fi);
  });

  // Retransmission chains.
  const heads = chainHeads(input.messages);
  const chains = new Map<number, number[]>();
  for (const [rtx, h] of heads) {
    let l = chains.get(h);
    if (!l) chains.set(h, (l = []));
    l.push(rtx);
  }
  const byIndex = new Map(input.messages.map((m) => [m.index, m]));

  const lostIn = new Map<number, number[]>();
  for (const l of input.lost ?? []) lostIn.set(l.message, [...(lostIn.get(l.message) ?? []), l.missingFrom]);
  // Copies of one message at several capture points: those on the first copy's columns fold into it.
  const copyHead = new Map<number, number>();
  const crossingsOf = new Map<number, ReportMessage[]>();
  for (const g of input.copies ?? []) {
    // A message forwarded by a proxy is a new arrow; its copies on the same two columns (the same
    // packet at another point, a NAT's inside and outside) fold into the first of them.
    const firstOn = new Map<string, ReportMessage[]>();
    for (const i of g) {
      const c = byIndex.get(i);
      if (!c) continue;
      const key = `${columnOf(c.src)} ${columnOf(c.dst)}`;
      const list = firstOn.get(key);
      if (!list) firstOn.set(key, [c]);
      else {
        copyHead.set(i, list[0]!.index);
        list.push(c);
      }
    }
    for (const list of firstOn.values()) if (list.length > 1) crossingsOf.set(list[0]!.index, list);
  }

  // Message rows (y filled in later, once RTP rows are merged in by time).
  interface Pending {
    timeUs: number;
    row: LadderRow;
  }
  const pending: Pending[] = [];
  const callStart = new Map<string, number>();
  // One time axis for the whole ladder: with several calls selected, "+0" is the first message
  // of the earliest call, not each call's own start.
  let axisStart = Infinity;
  for (const m of input.messages) if (m.timeUs < axisStart) axisStart = m.timeUs;
  for (const m of input.messages) {
    if (m.callId !== null && !callStart.has(m.callId)) callStart.set(m.callId, axisStart);
  }

  for (const m of input.messages) {
    if (copyHead.has(m.index)) continue; // drawn as its first copy's arrow
    const h = heads.get(m.index);
    const isRtx = h !== undefined && byIndex.has(h);
    if (isRtx && !unfolded.has(h)) continue; // folded into its head
    const chain = chains.get(m.index) ?? [];
    const foldedHere = !isRtx && chain.length > 0 && !unfolded.has(m.index) ? chain : [];
    const from = columnOf(m.src);
    const to = columnOf(m.dst);
    const crossings = crossingsOf.get(m.index) ?? [];
    const keyOf = (x: ReportMessage): number[] => [frameKey(x.capture, x.frame), ...x.frames.map((f) => frameKey(x.capture, f))];
    const frames = [...keyOf(m), ...foldedHere.flatMap((i) => keyOf(byIndex.get(i)!)), ...crossings.slice(1).flatMap(keyOf)];
    const fl: number[] = [];
    if (overlays.findings) {
      for (const fr of frames) for (const fi of findingsByFrame.get(fr) ?? []) if (!fl.includes(fi)) fl.push(fi);
    }
    let ghost: GhostArrow | null = null;
    if (overlays.ghosts) {
      const gi = ghostByFrame.get(frameKey(m.capture, m.frame)) ?? foldedHere.map((i) => ghostByFrame.get(frameKey(byIndex.get(i)!.capture, byIndex.get(i)!.frame))).find((x) => x !== undefined);
      const exp = gi === undefined ? null : findings[gi]!.expected;
      if (gi !== undefined && exp) {
        ghost = { from: columnOf(exp.from), to: columnOf(exp.to), label: `should have gone to ${exp.to}`, reason: exp.reason, finding: gi, target: exp.to };
      }
    }
    pending.push({
      timeUs: m.timeUs,
      row: {
        kind: 'message',
        key: `m${m.index}`,
        index: m.index,
        message: m,
        y: 0,
        height: metrics.rowHeight + (ghost ? metrics.ghostHeight : 0),
        from,
        to,
        label: messageLabel(m),
        shown: messageLabel(m),
        folded: foldedHere,
        hasChain: chain.length > 0 || isRtx,
        isRetransmission: isRtx,
        count: 1 + foldedHere.length,
        time: '',
        findings: fl,
        ghost,
        call: m.callId !== null ? (callIndex.get(m.callId) ?? 0) : 0,
        crossings,
        lostIn: lostIn.get(m.index) ?? foldedHere.flatMap((i) => lostIn.get(i) ?? []).filter((c, k, a) => a.indexOf(c) === k),
      },
    });
  }

  // RTP streams of the selected calls, merged in by their first packet's time.
  const rtp: Array<{ i: number; s: ReportRtpStream; startUs: number; endUs: number }> = [];
  if (overlays.rtp) {
    (input.rtpStreams ?? []).forEach((s, i) => {
      if (s.callId === null || !selectedSet.has(s.callId) || s.kind === 'rtcp') return;
      const startUs = isoToUs(s.firstTime);
      rtp.push({ i, s, startUs, endUs: isoToUs(s.lastTime) });
      const from = columnOf(s.src);
      const to = columnOf(s.dst);
      const lossy = s.lost > 0 || s.sourceChanges.length > 0;
      const pt = s.payloadType;
      pending.push({
        timeUs: startUs,
        row: {
          kind: 'rtp',
          key: `r${i}`,
          stream: i,
          data: s,
          y: 0,
          height: metrics.rowHeight,
          from,
          to,
          endY: 0,
          label: `RTP PT ${pt} · ${s.packets.toLocaleString('en-US')} pkts${s.lost > 0 ? ` · ${s.lost.toLocaleString('en-US')} lost` : ''}${s.sourceChanges.length ? ` · source changed ×${s.sourceChanges.length}` : ''}`,
          time: '',
          bad: lossy,
          call: callIndex.get(s.callId) ?? 0,
        },
      });
    });
  }
  // Stable sort: messages keep capture order; an RTP row goes after messages of the same µs.
  pending.sort((a, b) => a.timeUs - b.timeUs || (a.row.kind === b.row.kind ? 0 : a.row.kind === 'rtp' ? 1 : -1));

  // Columns are final once every row placed its endpoints; apply the user's order.
  const remap = finish();
  const rows: LadderRow[] = [];
  let y = 0;
  for (const p of pending) {
    const r = p.row;
    r.from = remap[r.from]!;
    r.to = remap[r.to]!;
    if (r.kind === 'message' && r.ghost) {
      r.ghost.from = remap[r.ghost.from]!;
      r.ghost.to = remap[r.ghost.to]!;
      // The expected destination shares the real arrow's column (another port of the same host):
      // say which port, or the ghost reads as the very arrow it corrects.
      if (r.ghost.to === r.to && r.ghost.target !== r.message.dst) {
        const port = (e: string): string => e.slice(e.lastIndexOf(':') + 1);
        r.ghost.label = `should have gone to port ${port(r.ghost.target)} (${r.ghost.target}), not ${port(r.message.dst)}`;
      }
    }
    r.y = y;
    y += r.height;
    rows.push(r);
  }

  // Time column.
  const selectedTime = input.selectedMessage !== null ? byIndex.get(input.selectedMessage)?.timeUs : undefined;
  let prevUs: number | null = null;
  for (const r of rows) {
    const t = r.kind === 'message' ? r.message.timeUs : isoToUs(r.data.firstTime);
    const cid = r.kind === 'message' ? r.message.callId : r.data.callId;
    const start = (cid !== null ? callStart.get(cid) : undefined) ?? t;
    switch (input.timeMode) {
      case 'absolute':
        r.time = clockUs(t);
        break;
      case 'call':
        r.time = offsetUs(t - start);
        break;
      case 'delta':
        r.time = prevUs === null ? offsetUs(0) : offsetUs(t - prevUs);
        break;
      case 'selected':
        r.time = offsetUs(t - (selectedTime ?? start));
        break;
    }
    prevUs = t;
  }

  const rowOfMessage = new Map<number, number>();
  rows.forEach((r, i) => {
    if (r.kind !== 'message') return;
    rowOfMessage.set(r.index, i);
    for (const f of r.folded) rowOfMessage.set(f, i);
    for (const c of r.crossings) rowOfMessage.set(c.index, i);
  });

  // Columns are as wide as the longest label needs (within bounds), so labels never cross lifelines.
  if (!input.metrics?.colWidth) {
    const measure = input.measure ?? ((s: string) => s.length * 7.2);
    let widest = 0;
    const seen = new Set<string>();
    for (const r of rows) {
      // RTP labels are centred across however many columns the stream spans: they do not count.
      if (r.kind !== 'message' || seen.has(r.label)) continue;
      seen.add(r.label);
      widest = Math.max(widest, measure(r.label));
      if (r.kind === 'message' && r.ghost) widest = Math.max(widest, measure(r.ghost.label) * 0.9 - 40);
    }
    let w = Math.min(MAX_COL_WIDTH, Math.max(MIN_COL_WIDTH, Math.ceil(widest + LABEL_EXTRA)));
    if (input.availableWidth !== undefined && rawCols.length > 0) {
      const fit = Math.floor((input.availableWidth - metrics.timeWidth - metrics.rightPad) / rawCols.length);
      w = Math.max(MIN_COL_WIDTH, Math.min(w, fit));
    }
    metrics.colWidth = w;
    // Abbreviate what no longer fits between two neighbouring lifelines (the full text stays in
    // the arrow's accessible name, tooltip and detail).
    const room = metrics.colWidth - LABEL_EXTRA + 30;
    for (const r of rows) {
      if (r.kind !== 'message' || measure(r.label) <= room) continue;
      let n = r.label.length - 1;
      while (n > 3 && measure(`${r.label.slice(0, n)}…`) > room) n--;
      r.shown = `${r.label.slice(0, n).trimEnd()}…`;
    }
  }
  const columns: LadderColumnLayout[] = rawCols.map((c, i) => ({ ...c, x: metrics.timeWidth + metrics.colWidth / 2 + i * metrics.colWidth }));
  const colsRight = metrics.timeWidth + columns.length * metrics.colWidth;

  // frame → y, through the message rows sorted by frame.
  const anchors: Array<[number, number]> = [];
  for (const r of rows) {
    if (r.kind !== 'message') continue;
    anchors.push([frameKey(r.message.capture, r.message.frame), r.y + r.height / 2]);
    for (const f of [...r.folded.map((i) => byIndex.get(i)), ...r.crossings.slice(1)]) {
      if (f) anchors.push([frameKey(f.capture, f.frame), r.y + r.height / 2]);
    }
  }
  anchors.sort((a, b) => a[0] - b[0]);
  const fy = (frame: number): number => frameToY(anchors, frame, metrics.rowHeight);

  // RTP end positions: the last message row at or before the stream's last packet.
  const times: Array<[number, number]> = rows.filter((r) => r.kind === 'message').map((r) => [(r as MessageRow).message.timeUs, r.y + r.height]);
  for (const r of rows) {
    if (r.kind !== 'rtp') continue;
    const end = isoToUs(r.data.lastTime);
    let endY = r.y + r.height;
    for (const [t, yy] of times) if (t <= end && yy > endY) endY = yy;
    r.endY = endY;
  }

  // Connection lanes.
  const lanes: ConnectionLane[] = [];
  const laneOfConnection = new Map<number, number>();
  if (overlays.connections && input.connections && input.connections.length > 0 && anchors.length > 0) {
    const wanted = new Set<number>();
    for (const m of input.messages) if (m.connection !== null) wanted.add(m.connection);
    findings.forEach((f) => {
      if (f.callId !== null && !selectedSet.has(f.callId)) return;
      if (f.callId === null && !f.frames.some((fr) => findingsByFrame.has(fr))) {
        // capture-wide finding: only if its connections touch our hosts (checked below)
      }
      for (const c of f.connections ?? []) wanted.add(c);
    });
    const firstFrame = anchors[0]![0];
    const lastFrame = anchors[anchors.length - 1]![0];
    const ips = new Set(input.messages.flatMap((m) => [endpointIp(m.src), endpointIp(m.dst)]));
    for (const c of input.connections) {
      if (wanted.has(c.id)) continue;
      // A connection between two of our hosts during the call (e.g. a ClientHello answered by
      // RST carries no SIP, but explains why the next request never arrived).
      if (ips.has(endpointIp(c.client)) && ips.has(endpointIp(c.server)) && frameKey(c.capture, c.openedFrame) <= lastFrame && frameKey(c.capture, c.closedFrame ?? c.lastFrame) >= firstFrame) wanted.add(c.id);
    }
    const problemsOf = connectionProblems(findings, selectedSet, input.connections);
    const chosen = input.connections.filter((c) => wanted.has(c.id)).sort((a, b) => a.openedFrame - b.openedFrame);
    chosen.forEach((c, li) => {
      const fyc = (frame: number): number => fy(frameKey(c.capture, frame));
      const x = colsRight + metrics.laneGap + li * metrics.laneWidth;
      const problems = [...(problemsOf.get(c.id) ?? [])];
      if (c.tls && (c.tls.handshake === 'failed' || c.tls.alert) && !problems.includes('TLS handshake failed')) problems.push('TLS handshake failed');
      const events: LaneEvent[] = [];
      const proto = c.transport.toUpperCase();
      events.push({
        y: fyc(c.openedFrame),
        frame: c.openedFrame,
        kind: 'open',
        label: `${c.sawSyn ? 'SYN' : 'first seen'} from ${c.client} to ${c.server} (frame ${c.openedFrame})`,
        bad: problems.includes('opened mid-dialog'),
      });
      if (c.tls) {
        const t = c.tls;
        const fr = t.clientHelloFrame ?? c.openedFrame;
        const parts = [`ClientHello ${t.sni ? `SNI ${t.sni}` : 'no SNI'}`, t.version ?? (t.offeredVersions.length ? `offers ${t.offeredVersions.join('/')}` : 'version unknown'), `handshake ${t.handshake}`];
        if (t.alert) parts.push(`alert: ${t.alert}`);
        events.push({ y: fyc(fr), frame: fr, kind: 'tls', label: `${parts.join(', ')} (frame ${fr})`, bad: t.handshake === 'failed' || t.alert !== null });
      }
      for (const fr of c.messageFrames) events.push({ y: fyc(fr), frame: fr, kind: 'message', label: `carried frame ${fr}`, bad: false });
      for (const g of c.gaps) events.push({ y: fyc(g.frame), frame: g.frame, kind: 'gap', label: `${g.bytes} bytes missing from the ${g.side} (frame ${g.frame})`, bad: true });
      const closeBad = problems.includes('closed under a live dialog');
      for (const e of c.closeEvents) {
        events.push({ y: fyc(e.frame), frame: e.frame, kind: 'close', label: `${e.flag.toUpperCase()} from the ${e.side} (${e.side === 'client' ? c.client : c.server}, frame ${e.frame})`, bad: closeBad || (e.flag === 'rst' && c.tls?.handshake === 'failed') });
      }
      if (c.closeEvents.length === 0 && c.closedFrame !== null) {
        events.push({ y: fyc(c.closedFrame), frame: c.closedFrame, kind: 'close', label: `${c.closedBy?.toUpperCase() ?? 'closed'}${c.closedBySide ? ` from the ${c.closedBySide}` : ''} (frame ${c.closedFrame})`, bad: closeBad });
      }
      const ys = events.map((e) => e.y);
      const y0 = ys.reduce((m, v) => Math.min(m, v), Infinity);
      const y1 = Math.max(ys.reduce((m, v) => Math.max(m, v), -Infinity), c.closedFrame === null ? y : y0);
      const summary = `${proto} connection #${c.id}: ${c.client} → ${c.server}, opened frame ${c.openedFrame}${c.tls ? `, TLS ${c.tls.sni ? `SNI ${c.tls.sni}` : 'no SNI'} ${c.tls.handshake}` : ''}, ${c.closedFrame === null ? 'still open at capture end' : `closed by ${c.closedBy ?? '?'}${c.closedBySide ? ` from the ${c.closedBySide}` : ''} at frame ${c.closedFrame}`}${problems.length ? ` — ${problems.join('; ')}` : ''}`;
      laneOfConnection.set(c.id, lanes.length);
      lanes.push({ id: c.id, conn: c, x, y0, y1, label: `${proto} #${c.id}`, summary, events, problems, color: li });
    });
  }

  const width = (lanes.length ? colsRight + metrics.laneGap + lanes.length * metrics.laneWidth : colsRight) + metrics.rightPad;
  return { columns, rows, lanes, width, height: y, metrics, rowOfMessage, laneOfConnection };
}

/**
 * Which connections the findings say are in trouble, and how. A "new connection mid-dialog"
 * finding names both the new connection and the one that was already open: only the new one
 * (opened at one of its evidence frames; else the first named) is marked.
 */
function connectionProblems(findings: readonly Finding[], calls: Set<string>, connections: readonly ReportConnection[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const byId = new Map(connections.map((c) => [c.id, c]));
  const add = (id: number, p: string): void => {
    const l = out.get(id) ?? [];
    if (!l.includes(p)) l.push(p);
    out.set(id, l);
  };
  for (const f of findings) {
    if (f.callId !== null && !calls.has(f.callId)) continue;
    const ids = f.connections ?? [];
    if (f.kind === 'new-connection-mid-dialog') {
      const frames = new Set(f.frames);
      const opened = ids.filter((id) => frames.has(byId.get(id)?.openedFrame ?? -1));
      for (const id of opened.length ? opened : ids.slice(0, 1)) add(id, 'opened mid-dialog');
    } else if (f.kind === 'tls-handshake-failed') {
      for (const id of ids) add(id, 'TLS handshake failed');
    } else if (f.kind === 'connection-closed-mid-dialog') {
      for (const id of ids) add(id, 'closed under a live dialog');
    }
  }
  return out;
}

/** y of a frame: exact for message frames, interpolated between them, clamped half a row out. */
export function frameToY(anchors: ReadonlyArray<readonly [number, number]>, frame: number, rowHeight: number): number {
  if (anchors.length === 0) return 0;
  let lo = 0;
  let hi = anchors.length - 1;
  const first = anchors[0]!;
  const last = anchors[hi]!;
  if (frame <= first[0]) return frame === first[0] ? first[1] : first[1] - rowHeight / 2;
  if (frame >= last[0]) return frame === last[0] ? last[1] : last[1] + rowHeight / 2;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (anchors[mid]![0] <= frame) lo = mid;
    else hi = mid;
  }
  const a = anchors[lo]!;
  const b = anchors[hi]!;
  if (a[0] === frame) return a[1];
  return a[1] + ((frame - a[0]) / (b[0] - a[0])) * (b[1] - a[1]);
}

/** Index of the row containing ladder-space y (clamped to the rows). */
export function rowAtY(rows: readonly LadderRow[], y: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (rows[mid]!.y <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The rows to draw for a ladder-space y window, with overscan rows on both sides. */
export function visibleRows(rows: readonly LadderRow[], top: number, bottom: number, overscan = 8): [number, number] {
  if (rows.length === 0) return [0, 0];
  const a = Math.max(0, rowAtY(rows, top) - overscan);
  const b = Math.min(rows.length, rowAtY(rows, bottom) + 1 + overscan);
  return [a, b];
}
