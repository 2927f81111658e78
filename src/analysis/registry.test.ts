import { describe, expect, it } from 'vitest';
import { runDetectors } from './registry.ts';
import type { Detector } from './detector.ts';
import type { Finding } from '../report/report.ts';
import { buildModel } from '../sip/model.ts';

const finding = (i: number): Finding => ({
  kind: 'via-missing-rport',
  severity: 'info',
  callId: `call-${i}`,
  frames: [i + 1],
  title: `request ${i}`,
  explanation: 'x',
  references: [],
  fix: 'y',
});

describe('runDetectors', () => {
  it("keeps every finding of a detector that returns a million (a 200 MB capture gave one per call), instead of losing them all to a stack overflow", () => {
    // One finding object, many times: what matters is the length of the list handed back.
    const many: Detector = { kind: 'via-missing-rport', title: 't', severity: 'info', detect: () => new Array<Finding>(1_000_000).fill(finding(7)) };
    const model = buildModel({ messages: [], connections: [], rtpStreams: [], icmp: [] });
    const { findings, errors } = runDetectors({ messages: [], model, connections: [], rtpStreams: [], icmp: [], captureEndUs: 0 }, [many]);
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(1_000_000);
    expect(findings[999_999]?.callId).toBe('call-7');
  });

  it('a detector that throws is reported by name and the others still run', () => {
    const bad: Detector = { kind: 'ack-missing', title: 't', severity: 'error', detect: () => { throw new Error('boom'); } };
    const good: Detector = { kind: 'via-missing-rport', title: 't', severity: 'info', detect: () => [finding(0)] };
    const model = buildModel({ messages: [], connections: [], rtpStreams: [], icmp: [] });
    const r = runDetectors({ messages: [], model, connections: [], rtpStreams: [], icmp: [], captureEndUs: 0 }, [bad, good]);
    expect(r.errors).toEqual(['detector ack-missing failed: boom']);
    expect(r.findings.map((f) => f.callId)).toEqual(['call-0']);
  });
});
