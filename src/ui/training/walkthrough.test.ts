/**
 * Walkthrough steps against the real lab captures, analysed by the engine under Node: the story
 * order, which calls/messages a step's frames select, the chains unfolded so retransmissions get
 * their own arrow, connection lanes for TCP/TLS frames, and plain words for frames that are not
 * SIP messages (TLS handshakes, RTP).
 */
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { analyzeFile } from '../../cli/main.ts';
import type { Report } from '../../report/report.ts';
import { findSample } from './library.ts';
import type { SampleEntry } from './library.ts';
import { focusCalls, patternFrames, stepTarget, storySteps } from './walkthrough.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../../public/samples');
const load = (id: string): Promise<Report> => analyzeFile(path.join(SAMPLES, id, 'capture.pcap'));
const sample = (id: string): SampleEntry => {
  const s = findSample(id);
  if (!s) throw new Error(`lab sample ${id} is missing`);
  return s;
};

describe('01-missing-ack', () => {
  const s = sample('01-missing-ack');
  let r: Report;
  beforeAll(async () => {
    r = await load(s.id);
  });

  test('the story: report → the manifest steps → what it proves → root cause and fix', () => {
    const steps = storySteps(s);
    expect(steps).toHaveLength(s.walkthrough.length + 3);
    expect(steps[0]!.text).toBe(s.symptom);
    expect(steps[0]!.notes[0]!.text).toBe(s.suspectFirst);
    expect(steps.slice(1, -2).map((x) => x.title)).toEqual(s.walkthrough.map((w) => w.title));
    expect(steps.at(-2)!.text).toBe(s.proves);
    expect(steps.at(-2)!.frames).toEqual(patternFrames(s));
    expect(steps.at(-1)!.notes.find((n) => n.label === 'Fix')?.text).toBe(s.fix);
  });

  test('every walkthrough frame is a SIP message; each step selects the calls that carry them', () => {
    const invite = r.messages.find((m) => m.method === 'INVITE')!.callId!;
    const register = r.messages.find((m) => m.method === 'REGISTER')!.callId!;
    const focus = focusCalls(r, s);
    expect(focus).toEqual([invite]);
    for (const w of s.walkthrough) {
      const t = stepTarget(r, w.frames, focus);
      const frames = t.messages.map((i) => r.messages[i]!.frame);
      expect(frames.sort((a, b) => a - b)).toEqual([...w.frames].sort((a, b) => a - b));
      expect(t.facts.every((f) => f.message !== null)).toBe(true);
      const expected = [...new Set(t.messages.map((i) => r.messages[i]!.callId))];
      expect(t.callIds).toEqual(expected);
    }
    expect(stepTarget(r, s.walkthrough[0]!.frames, focus).callIds).toEqual([register]);
    expect(stepTarget(r, [], focus).callIds).toEqual(focus);
  });

  test('retransmitted 200 OKs unfold their chain, so each frame has an arrow', () => {
    const step = s.walkthrough.find((w) => /retransmission/i.test(w.title))!;
    const t = stepTarget(r, step.frames, []);
    const rtx = t.messages.map((i) => r.messages[i]!);
    expect(rtx.every((m) => m.retransmission)).toBe(true);
    const heads = new Set(rtx.map((m) => m.retransmissionOf));
    expect(t.unfold.sort()).toEqual([...heads].sort());
    expect(r.messages[t.unfold[0]!]!.status).toBe(200);
    expect(t.facts[0]!.text).toMatch(/^200 Answering, 203\.0\.113\.1:\d+ → 203\.0\.113\.10:5060 \(retransmission\)$/);
  });
});

describe('frames that are not SIP messages', () => {
  test('05 (TLS): handshake frames name their connection; with no call the fallback is kept', async () => {
    const s = sample('05-bye-new-tls-connection');
    const r = await load(s.id);
    const rst = s.walkthrough.find((w) => /RST|ServerHello/i.test(w.title)) ?? s.walkthrough.at(-2)!;
    const t = stepTarget(r, rst.frames, ['fallback-call']);
    expect(t.connections.length).toBeGreaterThan(0);
    const conn = r.connections.find((c) => c.id === t.connections[0])!;
    expect(conn.transport).toBe('tls');
    const hello = t.facts.find((f) => f.frame === conn.tls?.clientHelloFrame);
    expect(hello?.text).toContain(`TLS ClientHello on TLS connection #${conn.id}`);
    expect(t.messages).toEqual([]);
    expect(t.callIds).toEqual(r.calls.length ? t.callIds : ['fallback-call']);
  });

  test('08 (one-way audio): the first RTP packet is named as such', async () => {
    const s = sample('08-one-way-audio');
    const r = await load(s.id);
    const stream = r.rtpStreams.find((x) => x.packets > 10)!;
    const t = stepTarget(r, [stream.firstFrame], []);
    expect(t.facts).toHaveLength(1);
    expect(t.facts[0]!.text).toMatch(new RegExp(`^first packet of the RTP stream .* \\(${stream.packets} packets\\)$`));
    expect(t.callIds).toEqual(stream.callId ? [stream.callId] : []);
    // A frame inside the stream's span is named as most likely one of its packets.
    const mid = stepTarget(r, [stream.firstFrame + 1], []);
    const spanning = r.rtpStreams.filter((x) => x.firstFrame < stream.firstFrame + 1 && stream.firstFrame + 1 < x.lastFrame);
    expect(mid.facts[0]!.text).toContain(`${stream.src} → ${stream.dst}`);
    expect(mid.facts[0]!.text).toContain(spanning.length > 1 ? 'one of their packets' : 'one of its packets');
  });

  test('an unknown frame still gets a line that says how to find it', async () => {
    const r = await load('01-missing-ack');
    const t = stepTarget(r, [1], []);
    expect(t.facts).toEqual([{ frame: 1, message: null, text: expect.stringContaining('frame.number == 1') as string }]);
  });
});
