/**
 * Other SIP stacks through the lab's NAT (issue 12): real captures in test/captures/stacks/, each
 * with an expect.json. A healthy one raises no error or warning on either side of the NAT; an
 * expected failure is named. Today: sipsak's registrations (a loopback Via sent-by, rport;alias).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';

const dir = path.resolve(import.meta.dirname, '../../test/captures/stacks');
const stacks = existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(path.join(dir, d, 'expect.json'))) : [];

describe('other SIP stacks through the NAT', () => {
  it('has captures to judge', () => {
    expect(stacks.length).toBeGreaterThanOrEqual(2);
  });
  for (const id of stacks) {
    const expectation = JSON.parse(readFileSync(path.join(dir, id, 'expect.json'), 'utf8')) as { healthy?: boolean; expected?: Array<{ kind: string }>; expectedLan?: Array<{ kind: string }> };
    for (const [side, file] of [
      ['WAN', 'capture.pcap'],
      ['LAN', 'capture-lan.pcap'],
    ] as const) {
      it(`${id} (${side}): ${expectation.healthy ? 'no error or warning' : 'its failure is named'}`, async () => {
        const { report } = await analyzeBytes(new Uint8Array(readFileSync(path.join(dir, id, file))));
        expect(report.messages.length).toBeGreaterThan(0);
        const loud = report.findings.filter((f) => f.severity !== 'info');
        if (expectation.healthy) {
          expect(loud.map((f) => `${f.kind}: ${f.title}`)).toEqual([]);
          // sipsak's registrations end registered, whatever the proxy does with the Contact.
          if (id.startsWith('sipsak-register')) expect(report.calls.map((c) => [c['kind'], c.state])).toEqual([['registration', 'registered']]);
        } else {
          const want = (side === 'LAN' ? (expectation.expectedLan ?? expectation.expected) : expectation.expected) ?? [];
          for (const w of want) expect(loud.map((f) => f.kind)).toContain(w.kind);
        }
      });
    }
  }
});
