/**
 * The guided walkthrough of a lab sample, as pure data: the story steps (the customer's report
 * and the first suspicion → the manifest's walkthrough steps over the capture → what the capture
 * proves → root cause and fix) and, for a step's frames, what to show in the ladder — the calls
 * those frames belong to (directly as SIP messages, or through the TCP/TLS connection that
 * carried a call), the messages to highlight and select, the retransmission chains to unfold so
 * every frame has its own arrow, the connection lanes involved, and one plain line per frame
 * saying what it is (a SIP message, a connection event, the first/last packet of an RTP stream,
 * an ICMP error), so frames that are not SIP messages still mean something to the trainee.
 */
import type { Report, ReportMessage } from '../../report/report.ts';
import { fullEndpoint } from '../../view/format.ts';
import { messageLabel } from '../ladder/layout.ts';
import type { SampleEntry } from './library.ts';

export interface StoryStep {
  title: string;
  text: string;
  /** Secondary paragraphs ("What you would suspect first", "Fix"). */
  notes: Array<{ label: string; text: string }>;
  frames: number[];
}

/** The frames of the sample's own pattern in its expected findings. */
export function patternFrames(s: SampleEntry): number[] {
  const out = new Set<number>();
  for (const f of s.expectedFindings) if (f.kind === s.pattern || f.kind === s.quiz.answer) for (const x of f.frames) out.add(x);
  return [...out].sort((a, b) => a - b);
}

export function storySteps(s: SampleEntry): StoryStep[] {
  return [
    { title: 'The customer’s report', text: s.symptom, notes: [{ label: 'What you would suspect first', text: s.suspectFirst }], frames: [] },
    ...s.walkthrough.map((w) => ({ title: w.title, text: w.text, notes: [], frames: w.frames })),
    { title: 'What the capture proves', text: s.proves, notes: [], frames: patternFrames(s) },
    { title: 'Root cause and fix', text: s.rootCause, notes: [{ label: 'Fix', text: s.fix }], frames: [] },
  ];
}

export interface FrameFact {
  frame: number;
  text: string;
  /** The message index when the frame is (part of) a SIP message. */
  message: number | null;
}

export interface StepTarget {
  /** Calls to show in the ladder (in order of first appearance); empty when none is involved. */
  callIds: string[];
  /** Message indices carried by the step's frames, in capture order. */
  messages: number[];
  /** Retransmission-chain heads to unfold so each of those messages has its own arrow. */
  unfold: number[];
  /** Connection ids the frames belong to (their lanes are highlighted). */
  connections: number[];
  facts: FrameFact[];
}

function describeMessage(m: ReportMessage): string {
  return `${messageLabel(m)}, ${fullEndpoint(m.src)} → ${fullEndpoint(m.dst)}${m.transport !== 'udp' ? ` over ${m.transport.toUpperCase()}` : ''}${m.retransmission ? ' (retransmission)' : ''}`;
}

/** The chain head of a retransmission (following `retransmissionOf` to the first sending). */
function chainHead(report: Report, m: ReportMessage): number | null {
  let h = m.retransmissionOf ?? null;
  for (let guard = 0; h !== null && guard < 64; guard++) {
    const up = report.messages[h]?.retransmissionOf ?? null;
    if (up === null) break;
    h = up;
  }
  return h;
}

/**
 * What the ladder should show for a step's frames. `fallbackCalls` are shown when the frames
 * touch no call (a step of prose, or frames that are only TCP/TLS handshakes of no call).
 */
export function stepTarget(report: Report, frames: readonly number[], fallbackCalls: readonly string[] = []): StepTarget {
  const want = new Set(frames);
  const callIds: string[] = [];
  const addCall = (c: string | null) => {
    if (c !== null && !callIds.includes(c)) callIds.push(c);
  };
  const messages: number[] = [];
  const unfold: number[] = [];
  const byFrame = new Map<number, FrameFact>();
  for (const m of report.messages) {
    const hit = want.has(m.frame) ? m.frame : m.frames.find((f) => want.has(f));
    if (hit === undefined) continue;
    messages.push(m.index);
    addCall(m.callId);
    const h = chainHead(report, m);
    if (h !== null && !unfold.includes(h)) unfold.push(h);
    for (const f of [m.frame, ...m.frames]) {
      if (want.has(f) && !byFrame.has(f)) byFrame.set(f, { frame: f, text: f === m.frame ? describeMessage(m) : `part of ${describeMessage(m)}`, message: m.index });
    }
  }

  const connections: number[] = [];
  for (const c of report.connections) {
    const events: Array<[number | null | undefined, string]> = [
      [c.openedFrame, c.sawSyn ? 'opens' : 'first seen'],
      [c.tls?.clientHelloFrame, 'TLS ClientHello on'],
      [c.tls?.serverHelloFrame, 'TLS ServerHello on'],
      [c.tls?.alertFrame, `TLS alert${c.tls?.alert ? ` (${c.tls.alert})` : ''} on`],
      ...c.closeEvents.map((e): [number, string] => [e.frame, `${e.flag.toUpperCase()} from the ${e.side} closes`]),
      ...c.gaps.map((g): [number, string] => [g.frame, `${g.bytes} bytes missing from the ${g.side} on`]),
    ];
    let involved = c.messageFrames.some((f) => want.has(f));
    const name = `${c.transport.toUpperCase()} connection #${c.id} (${fullEndpoint(c.client)} → ${fullEndpoint(c.server)})`;
    for (const [f, what] of events) {
      if (f === null || f === undefined || !want.has(f)) continue;
      involved = true;
      if (!byFrame.has(f)) byFrame.set(f, { frame: f, text: `${what} ${name}`, message: null });
    }
    if (involved) {
      connections.push(c.id);
      for (const mf of c.messageFrames) {
        const m = report.messages.find((x) => x.frame === mf);
        if (m && (want.has(mf) || callIds.length === 0)) addCall(m.callId);
      }
    }
  }

  for (const s of report.rtpStreams) {
    for (const [f, what] of [
      [s.firstFrame, 'first'],
      [s.lastFrame, 'last'],
    ] as const) {
      if (!want.has(f) || byFrame.has(f)) continue;
      byFrame.set(f, { frame: f, text: `${what} packet of the ${s.kind.toUpperCase()} stream ${fullEndpoint(s.src)} → ${fullEndpoint(s.dst)} (${s.packets} packets)`, message: null });
      if (s.callId !== null && callIds.length === 0) addCall(s.callId);
    }
  }
  for (const i of report.icmp) {
    if (want.has(i.frame) && !byFrame.has(i.frame)) byFrame.set(i.frame, { frame: i.frame, text: `ICMP from ${i.reporter}: ${i.reason} (about ${i.original.src} → ${i.original.dst})`, message: null });
  }

  // A frame inside the span of RTP streams (not its first or last packet): most likely one of them.
  for (const f of want) {
    if (byFrame.has(f)) continue;
    const during = report.rtpStreams.filter((x) => x.firstFrame < f && f < x.lastFrame);
    if (during.length === 0 || during.length > 3) continue;
    const names = during.map((x) => `${fullEndpoint(x.src)} → ${fullEndpoint(x.dst)}`);
    byFrame.set(f, { frame: f, text: `sent while the ${during[0]!.kind.toUpperCase()} stream${during.length > 1 ? 's' : ''} ${names.join(' and ')} flowed: most likely one of ${during.length > 1 ? 'their' : 'its'} packets (frame.number == ${f} in Wireshark)`, message: null });
    if (callIds.length === 0) for (const x of during) addCall(x.callId);
  }

  const facts = [...want]
    .sort((a, b) => a - b)
    .map((f) => byFrame.get(f) ?? { frame: f, text: `not a SIP message the ladder draws (an encrypted TLS record, a TCP or RTP packet); see it in Wireshark with frame.number == ${f}`, message: null });
  if (callIds.length === 0) for (const c of fallbackCalls) addCall(c);
  messages.sort((a, b) => a - b);
  return { callIds, messages, unfold, connections, facts };
}

/** The calls a sample is about: those of its pattern's expected findings, else the first call. */
export function focusCalls(report: Report, s: SampleEntry): string[] {
  const known = new Set(report.calls.map((c) => c.callId));
  const out: string[] = [];
  for (const f of s.expectedFindings) if ((f.kind === s.pattern || f.kind === s.quiz.answer) && f.callId && known.has(f.callId) && !out.includes(f.callId)) out.push(f.callId);
  if (out.length === 0) {
    const t = stepTarget(report, patternFrames(s));
    out.push(...t.callIds);
  }
  if (out.length === 0) {
    // The call with the most messages is the one the sample is about.
    const best = [...report.calls].sort((a, b) => b.messageCount - a.messageCount)[0];
    if (best) out.push(best.callId);
  }
  return out;
}
