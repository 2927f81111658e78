/**
 * Several captures of one problem analysed together (issue 17): each file goes through the
 * single-capture engine (analyze.ts) on its own, then
 *
 *   per-capture reports ─▶ clock offsets (analysis/alignment.ts estimateOffset, against the first)
 *     ─▶ one timeline: every message, its time corrected, tagged with its capture
 *     ─▶ alignment (copies of one message, NAT mappings, rewrites, messages lost between points)
 *     ─▶ findings that only two points can prove (analysis/alignment-findings.ts)
 *     ─▶ one report: `captures[]`, `alignment`, and everything else merged with a `capture` index.
 *
 * Frame numbers stay those of each message's own file (Wireshark's numbers there); anything that
 * names frames carries `capture` to say which file. Ids that were per capture (connections,
 * transactions, dialogs) are renumbered to stay unique.
 */
import type { Analysis, AnalyzeOptions, Progress } from './analyze.ts';
import { analyzeBlob, analyzeBytes, NotACaptureError } from './analyze.ts';
import { parsedAgain } from './kept.ts';
import type { AlignMessage } from '../analysis/alignment.ts';
import { alignMessages, alignStreams, estimateOffset } from '../analysis/alignment.ts';
import type { AlignStream } from '../analysis/alignment.ts';
import { alignmentFindings, mediaLostFindings } from '../analysis/alignment-findings.ts';
import { verdicts } from '../analysis/verdict.ts';
import type { CapturedMessage } from '../sip/types.ts';
import type { Finding, Report, ReportAlignment, ReportCall, ReportCaptureRef, ReportMessage } from '../report/report.ts';
import { isoMicros } from '../report/report.ts';

export interface CaptureInput {
  name: string;
  /** A File/Blob (worker, CLI) or bytes (tests). */
  data: Blob | Uint8Array;
}

export interface MultiAnalysis {
  report: Report;
  /** Each capture's own analysis (its report and its messages' text), in the order given. */
  parts: Analysis[];
  /** The merged messages (CapturedMessage objects of the parts, not copies), in merged order. */
  messages: CapturedMessage[];
}

export interface MultiOptions extends Omit<AnalyzeOptions, 'onProgress'> {
  /** Progress of the capture being read (0-based `capture` of `captures`). */
  onProgress?: (p: Progress & { capture: number; captures: number }) => void;
}

/** Analyse captures taken at different points and line them up on one timeline. */
export async function analyzeMany(inputs: readonly CaptureInput[], options: MultiOptions = {}): Promise<MultiAnalysis> {
  if (inputs.length === 0) throw new Error('no capture given');
  const parts: Analysis[] = [];
  // Each capture gets its share of the memory budget.
  const budget = options.memoryBudgetBytes === undefined ? undefined : Math.floor(options.memoryBudgetBytes / inputs.length);
  for (let c = 0; c < inputs.length; c++) {
    const input = inputs[c]!;
    const opts: AnalyzeOptions = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.keyLog !== undefined ? { keyLog: options.keyLog } : {}),
      ...(budget !== undefined ? { memoryBudgetBytes: budget } : {}),
      onProgress: (p) => options.onProgress?.({ ...p, capture: c, captures: inputs.length }),
    };
    try {
      parts.push(input.data instanceof Uint8Array ? await analyzeBytes(input.data, opts) : await analyzeBlob(input.data, opts));
    } catch (e) {
      // Say which of the files it was.
      if (e instanceof NotACaptureError) throw new NotACaptureError(`${input.name}: ${e.message}`);
      throw e;
    }
  }
  return mergeAnalyses(inputs.map((i) => i.name), parts);
}

/** Put analysed captures on one timeline and align them (exported for tests that already hold analyses). */
export function mergeAnalyses(names: readonly string[], parts: readonly Analysis[]): MultiAnalysis {
  // The alignment compares the messages' parses: an analysis lets them go, so they are parsed again.
  const parsed = parts.map((p) => p.messages.map((m) => ({ timeUs: m.timeUs, sip: parsedAgain(m) })));
  // 1. Clock offsets against the first capture.
  const offsets = parts.map((_, c) => (c === 0 ? { offsetUs: 0, spreadUs: 0, pairs: 0 } : estimateOffset(parsed[0]!, parsed[c]!)));

  // 2. One timeline.
  // A merge, not a sort: each capture keeps its own (capture) order — a clock that steps back
  // inside one file must not reorder its frames — and the captures interleave by corrected time.
  const order: Array<{ capture: number; index: number; t: number }> = [];
  const next = parts.map(() => 0);
  for (;;) {
    let best = -1;
    let bestT = Infinity;
    for (let c = 0; c < parts.length; c++) {
      const m = parts[c]!.messages[next[c]!];
      if (!m) continue;
      const t = m.timeUs - offsets[c]!.offsetUs;
      if (best < 0 || t < bestT) {
        best = c;
        bestT = t;
      }
    }
    if (best < 0) break;
    order.push({ capture: best, index: next[best]!, t: bestT });
    next[best]!++;
  }
  const mergedIndex: number[][] = parts.map((p) => new Array<number>(p.messages.length));
  order.forEach((o, k) => (mergedIndex[o.capture]![o.index] = k));

  // Ids that were per capture become unique: connection, transaction and dialog ids move up.
  const connBase: number[] = [];
  const txBase: number[] = [];
  const dialogBase: number[] = [];
  let nc = 0;
  let nt = 0;
  let nd = 0;
  for (const p of parts) {
    connBase.push(nc);
    txBase.push(nt);
    dialogBase.push(nd);
    nc += p.report.connections.reduce((mx, x) => Math.max(mx, x.id + 1), 0);
    nt += p.report.messages.reduce((mx, x) => Math.max(mx, (x.transaction ?? -1) + 1), 0);
    nd += p.report.messages.reduce((mx, x) => Math.max(mx, (x.dialog ?? -1) + 1), 0);
  }
  const conn = (c: number, id: number | null): number | null => (id === null ? null : id + connBase[c]!);

  const messages: ReportMessage[] = order.map((o, k) => {
    const rm = parts[o.capture]!.report.messages[o.index]!;
    const out: ReportMessage = {
      ...rm,
      index: k,
      time: isoMicros(o.t),
      timeUs: o.t,
      connection: conn(o.capture, rm.connection),
      capture: o.capture,
    };
    if (rm.transaction != null) out.transaction = rm.transaction + txBase[o.capture]!;
    if (rm.dialog != null) out.dialog = rm.dialog + dialogBase[o.capture]!;
    if (rm.retransmissionOf != null) out.retransmissionOf = mergedIndex[o.capture]![rm.retransmissionOf] ?? null;
    return out;
  });
  const captured = order.map((o) => parts[o.capture]!.messages[o.index]!);

  // 3. Alignment.
  const ranges = parts.map((p, c) => ({ firstUs: (p.report.capture.firstTimeUs ?? 0) - offsets[c]!.offsetUs, lastUs: (p.report.capture.lastTimeUs ?? 0) - offsets[c]!.offsetUs }));
  const alignInput: AlignMessage[] = order.map((o, k) => {
    const m = captured[k]!;
    return { capture: o.capture, frame: m.frame, timeUs: o.t, src: m.src, dst: m.dst, transport: m.transport, sip: parsed[o.capture]![o.index]!.sip };
  });
  const aligned = alignMessages(alignInput, ranges);
  // The media: the same RTP stream on both sides names the NAT's media mappings; a stream one side
  // saw toward the other and the other never did is media lost between the points.
  const streamInput: AlignStream[] = parts.flatMap((p, c) =>
    p.report.rtpStreams.map((s) => {
      const [src, dst] = [endpointOf(s.src), endpointOf(s.dst)];
      return { capture: c, ssrc: s.ssrc, payloadType: s.payloadType, kind: s.kind, src, dst, packets: s.packets, firstFrame: s.firstFrame, lastFrame: s.lastFrame, firstTimeUs: (isoToUs(s.firstTime) ?? 0) - offsets[c]!.offsetUs, lastTimeUs: (isoToUs(s.lastTime) ?? 0) - offsets[c]!.offsetUs };
    }),
  );
  const media = alignStreams(streamInput, ranges, aligned.hostPairs, aligned.natMappings);

  // 4. Findings: each capture's own (their frames are in that file), then what the alignment proves.
  const findings: Finding[] = [];
  parts.forEach((p, c) => {
    for (const f of p.report.findings) {
      const g: Finding = { ...f, capture: c };
      if (f.connections) g.connections = f.connections.map((id) => id + connBase[c]!);
      findings.push(g);
    }
  });
  for (const f of alignmentFindings({ names, messages: alignInput, report: messages, alignment: aligned })) findings.push(f);
  const mergedStreams = parts.flatMap((p) => p.report.rtpStreams);
  for (const f of mediaLostFindings(names, streamInput, mergedStreams, media.lost)) findings.push(f);

  // 5. Calls: one per Call-ID over all captures.
  const calls = mergeCalls(parts, messages);
  const byCall = verdicts(findings);
  for (const call of calls) call.verdict = byCall.get(call.callId) ?? null;

  const captures: ReportCaptureRef[] = parts.map((p, c) => ({
    file: names[c] ?? `capture ${c + 1}`,
    clockOffsetUs: offsets[c]!.offsetUs,
    offsetSpreadUs: c === 0 ? 0 : offsets[c]!.spreadUs,
    matchedForOffset: offsets[c]!.pairs,
    format: p.report.capture.format,
    packets: p.report.capture.packets,
    bytes: p.report.capture.bytes,
    firstTime: p.report.capture.firstTime,
    lastTime: p.report.capture.lastTime,
    messages: p.report.messages.length,
  }));
  const alignment: ReportAlignment = {
    matched: aligned.matched,
    onlyIn: aligned.onlyIn,
    natMappings: [...aligned.natMappings.map((m) => ({ ...m, carries: 'sip' as const })), ...media.mappings],
    rewrites: aligned.rewrites,
    lost: aligned.lost,
    groups: aligned.groups,
    lostStreams: media.lost,
  };

  const first = parts[0]!.report;
  const firstUs = Math.min(...ranges.map((r) => r.firstUs));
  const lastUs = Math.max(...ranges.map((r) => r.lastUs));
  const shift = (c: number, iso: string): string => {
    const us = isoToUs(iso);
    return us === null ? iso : isoMicros(us - offsets[c]!.offsetUs);
  };
  const report: Report = {
    ...first,
    capture: {
      ...first.capture,
      packets: parts.reduce((s, p) => s + p.report.capture.packets, 0),
      bytes: parts.reduce((s, p) => s + p.report.capture.bytes, 0),
      decompressedBytes: parts.reduce((s, p) => s + p.report.capture.decompressedBytes, 0),
      firstTime: isoMicros(firstUs),
      lastTime: isoMicros(lastUs),
      firstTimeUs: firstUs,
      lastTimeUs: lastUs,
      messagesNotKept: parts.reduce((s, p) => s + p.report.capture.messagesNotKept, 0),
    },
    captures,
    alignment,
    messages,
    calls,
    legGroups: parts.flatMap((p) => p.report.legGroups ?? []),
    connections: parts.flatMap((p, c) =>
      p.report.connections.map((x) => ({ ...x, id: x.id + connBase[c]!, capture: c, openedTime: shift(c, x.openedTime), closedTime: x.closedTime === null ? null : shift(c, x.closedTime) })),
    ),
    rtpStreams: parts.flatMap((p, c) =>
      p.report.rtpStreams.map((s) => ({
        ...s,
        capture: c,
        firstTime: shift(c, s.firstTime),
        lastTime: shift(c, s.lastTime),
        ...(s.perSecond ? { perSecond: { ...s.perSecond, startUs: s.perSecond.startUs - offsets[c]!.offsetUs } } : {}),
      })),
    ),
    findings,
    warnings: parts.flatMap((p, c) => p.report.warnings.map((w) => ({ ...w, capture: c, message: `${names[c]}: ${w.message}` }))),
    hosts: [...parts.flatMap((p) => p.report.hosts), ...natHosts(aligned.natMappings, captures)],
    hostsRefused: parts.flatMap((p) => p.report.hostsRefused ?? []),
    icmp: parts.flatMap((p, c) => p.report.icmp.map((i) => ({ ...i, capture: c, time: shift(c, i.time) }))),
  };
  return { report, parts: [...parts], messages: captured };
}

/** "ip:port" or "[v6]:port" back to an endpoint. */
function endpointOf(key: string): { ip: string; port: number } {
  const colon = key.lastIndexOf(':');
  return { ip: key.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(key.slice(colon + 1)) };
}

/** µs since the epoch of an ISO time the report wrote ("…T12:00:00.123456Z"), or null. */
function isoToUs(iso: string): number | null {
  const ms = Date.parse(`${iso.slice(0, 19)}Z`);
  const frac = /\.(\d{1,6})Z$/.exec(iso);
  if (!Number.isFinite(ms)) return null;
  return ms * 1000 + (frac ? Number(frac[1]!.padEnd(6, '0')) : 0);
}

/** One call per Call-ID: the capture that saw most of it gives the call's fields; counts are over all. */
function mergeCalls(parts: readonly Analysis[], messages: readonly ReportMessage[]): ReportCall[] {
  const counts = new Map<string, number>();
  for (const m of messages) if (m.callId !== null) counts.set(m.callId, (counts.get(m.callId) ?? 0) + 1);
  const best = new Map<string, { call: ReportCall; capture: number; captures: number[] }>();
  parts.forEach((p, c) => {
    for (const call of p.report.calls) {
      const b = best.get(call.callId);
      if (!b) best.set(call.callId, { call, capture: c, captures: [c] });
      else {
        b.captures.push(c);
        if (call.messageCount > b.call.messageCount) {
          b.call = call;
          b.capture = c;
        }
      }
    }
  });
  const firstIndex = new Map<string, number>();
  for (const m of messages) if (m.callId !== null && !firstIndex.has(m.callId)) firstIndex.set(m.callId, m.index);
  return [...best.entries()]
    .sort((a, b) => (firstIndex.get(a[0]) ?? 0) - (firstIndex.get(b[0]) ?? 0))
    .map(([callId, b]) => ({ ...b.call, messageCount: counts.get(callId) ?? b.call.messageCount, capture: b.capture, captures: b.captures }));
}

/** Each NAT mapping seen from both sides proposes its inside and outside address as one host column. */
function natHosts(mappings: ReadonlyArray<{ inside: string; outside: string; transport: string }>, captures: readonly ReportCaptureRef[]): Report['hosts'] {
  const ipOf = (ep: string): string => ep.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const outsideToInside = new Map<string, Set<string>>();
  for (const mp of mappings) {
    const o = ipOf(mp.outside);
    const s = outsideToInside.get(o) ?? new Set<string>();
    s.add(ipOf(mp.inside));
    outsideToInside.set(o, s);
  }
  const out: Report['hosts'] = [];
  for (const [outside, insides] of outsideToInside) {
    if (insides.size !== 1) continue; // a NAT in front of several hosts stays its own column
    const inside = [...insides][0]!;
    if (inside === outside) continue;
    const examples = mappings.filter((m) => ipOf(m.outside) === outside).map((m) => `${m.inside} ↔ ${m.outside} (${m.transport.toUpperCase()})`);
    out.push({ ips: [inside, outside], kind: 'nat-aligned', reasons: [`One host behind a NAT, proven by the same messages seen on both sides (${captures.map((c) => c.file).join(' and ')}): ${examples.slice(0, 3).join(', ')}${examples.length > 3 ? ` and ${examples.length - 3} more` : ''}. A message sent to the private address from outside that never crossed carries a lost-between-captures finding; split the column to see the two addresses apart.`], frames: [] });
  }
  return out;
}
