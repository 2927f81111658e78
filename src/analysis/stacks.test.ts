/**
 * Other SIP stacks through the lab's NAT (issue 12): real captures in test/captures/stacks/, each
 * with an expect.json. A healthy one raises no error or warning on either side of the NAT; an
 * expected failure is named (kind, call, evidence frames) and nothing else is loud. sipsak's
 * registrations (a loopback Via sent-by, rport;alias) and Twinkle's calls (rport, a PUBLISH of its
 * presence the proxy loops back to it) with and without a proxy that fixes NAT.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';

const dir = path.resolve(import.meta.dirname, '../../test/captures/stacks');
const stacks = existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(path.join(dir, d, 'expect.json'))) : [];

interface Want {
  kind: string;
  callId?: string;
  /** Frames the finding must cite (a subset of its frames). */
  frames?: number[];
}
interface Expectation {
  healthy?: boolean;
  expected?: Want[];
  expectedLan?: Want[];
  /** Calls as the report must state them (both sides). */
  calls?: Array<{ callId: string; outcome: string; teardown: string | null }>;
}

describe('other SIP stacks through the NAT', () => {
  it('has captures to judge', () => {
    expect(stacks.length).toBeGreaterThanOrEqual(4);
  });
  for (const id of stacks) {
    const expectation = JSON.parse(readFileSync(path.join(dir, id, 'expect.json'), 'utf8')) as Expectation;
    for (const [side, file] of [
      ['WAN', 'capture.pcap'],
      ['LAN', 'capture-lan.pcap'],
    ] as const) {
      it(`${id} (${side}): ${expectation.healthy ? 'no error or warning' : 'its failure is named, with its call and frames, and nothing else is loud'}`, async () => {
        const { report } = await analyzeBytes(new Uint8Array(readFileSync(path.join(dir, id, file))));
        expect(report.messages.length).toBeGreaterThan(0);
        const loud = report.findings.filter((f) => f.severity !== 'info');
        if (expectation.healthy) {
          expect(loud.map((f) => `${f.kind}: ${f.title}`)).toEqual([]);
          // sipsak's registrations end registered, whatever the proxy does with the Contact.
          if (id.startsWith('sipsak-register')) expect(report.calls.map((c) => [c['kind'], c.state])).toEqual([['registration', 'registered']]);
        } else {
          const want = (side === 'LAN' ? (expectation.expectedLan ?? expectation.expected) : expectation.expected) ?? [];
          for (const w of want) {
            const hit = loud.find((f) => f.kind === w.kind && (w.callId === undefined || f.callId === w.callId) && (w.frames ?? []).every((n) => f.frames.includes(n)));
            expect(hit, `${w.kind} ${w.callId ?? ''} citing ${JSON.stringify(w.frames ?? [])}; found:\n${loud.map((f) => `${f.kind} ${f.callId} ${JSON.stringify(f.frames)}`).join('\n')}`).toBeDefined();
          }
          // No false alarm: every error or warning is one of the expected kinds.
          expect(loud.map((f) => f.kind).filter((k) => !want.some((w) => w.kind === k))).toEqual([]);
        }
        for (const c of expectation.calls ?? []) {
          const call = report.calls.find((x) => x.callId === c.callId);
          expect(call && { outcome: call['outcome'], teardown: call['teardown'] }).toEqual({ outcome: c.outcome, teardown: c.teardown });
        }
      });
    }
  }
});
