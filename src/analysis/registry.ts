/**
 * The detector registry: one entry per finding kind. `runDetectors` runs them all over one
 * analysed capture; a detector that throws is a bug, reported as a warning rather than losing the
 * rest of the analysis.
 */
import type { Finding } from '../engine/report.ts';
import type { Detector, DetectorContext } from './detector.ts';
import { detectMalformedSip } from './detectors/malformed-sip.ts';

export const detectors: readonly Detector[] = [detectMalformedSip];

export function runDetectors(ctx: DetectorContext): { findings: Finding[]; errors: string[] } {
  const findings: Finding[] = [];
  const errors: string[] = [];
  for (const d of detectors) {
    try {
      findings.push(...d.detect(ctx));
    } catch (e) {
      errors.push(`detector ${d.kind} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const severityRank = { error: 0, warning: 1, info: 2 } as const;
  findings.sort((a, b) => (a.frames[0] ?? 0) - (b.frames[0] ?? 0) || severityRank[a.severity] - severityRank[b.severity]);
  return { findings, errors };
}
