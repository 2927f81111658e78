import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeBytes } from '../engine/analyze.ts';
import { shareReportStrings, StringPool } from './shared-strings.ts';

const samples = path.resolve(import.meta.dirname, '../../public/samples');

describe('shareReportStrings: one copy of the repeated strings of a report the page received', () => {
  it('leaves every value of every sample\'s calls and findings as it was', async () => {
    let findings = 0;
    for (const name of readdirSync(samples)) {
      const file = path.join(samples, name, 'capture.pcap');
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(file));
      } catch {
        continue;
      }
      const { report } = await analyzeBytes(bytes);
      // As the page gets it: a structured clone, its strings copies of the worker's.
      const received = structuredClone({ calls: report.calls, findings: report.findings });
      shareReportStrings(received.calls, received.findings);
      expect(received.calls, name).toEqual(report.calls);
      expect(received.findings, name).toEqual(report.findings);
      findings += report.findings.length;
    }
    expect(findings).toBeGreaterThan(10);
  });

  it('keeps the first copy of a value, leaves long strings and non-strings alone', () => {
    const pool = new StringPool();
    expect(pool.share('udp')).toBe('udp');
    expect(pool.share(null)).toBeNull();
    expect(pool.share(5)).toBe(5);
    const long = 'x'.repeat(600);
    expect(pool.share(long)).toBe(long);
    expect(pool.shareAll(['a', 'b', 'a'])).toEqual(['a', 'b', 'a']);
  });
});
