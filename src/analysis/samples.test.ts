/**
 * The lab samples (public/samples/NN-name/{capture.pcap,manifest.json}), each a real capture of
 * one failure pattern made through a real NAT: the whole engine runs on capture.pcap and every
 * finding the manifest expects must be there (same kind, same call when given, the manifest's
 * evidence frames contained in the finding's frames). Good-path samples (no expected error or
 * warning) must get no error or warning at all. TLS samples are read twice: without their
 * keylog.txt (only the TLS layer is provable) and with it (the SIP-level findings too).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import type { Finding } from '../engine/report.ts';

interface Expected {
  kind: string;
  callId?: string;
  frames?: number[];
  severity?: string;
}
interface Manifest {
  id?: string;
  expectedFindings?: Expected[];
  /** TLS samples: what becomes provable once the SIP inside is decrypted with keylog.txt. */
  expectedFindingsWithKeylog?: Expected[];
  goodPath?: boolean;
}

const root = path.resolve(import.meta.dirname, '../../public/samples');
const samples = existsSync(root)
  ? readdirSync(root).filter((d) => existsSync(path.join(root, d, 'manifest.json')) && existsSync(path.join(root, d, 'capture.pcap'))).sort()
  : [];

function matches(f: Finding, e: Expected): boolean {
  if (f.kind !== e.kind) return false;
  if (e.callId !== undefined && f.callId !== e.callId) return false;
  if (e.severity !== undefined && f.severity !== e.severity) return false;
  return (e.frames ?? []).every((fr) => f.frames.includes(fr));
}

describe('lab samples', () => {
  it('there is at least one sample', () => {
    expect(samples.length).toBeGreaterThan(0);
  });
  for (const name of samples) {
    it(`${name}: the expected findings, and no false alarm`, async () => {
      const manifest = JSON.parse(readFileSync(path.join(root, name, 'manifest.json'), 'utf8')) as Manifest;
      const bytes = new Uint8Array(readFileSync(path.join(root, name, 'capture.pcap')));
      const keyLogFile = path.join(root, name, 'keylog.txt');
      const keyLog = existsSync(keyLogFile) ? readFileSync(keyLogFile, 'utf8') : undefined;
      // Without the key log only the TLS layer is provable; the SIP-level findings need it.
      const plain = keyLog ? (await analyzeBytes(bytes)).report : null;
      const { report } = await analyzeBytes(bytes, keyLog ? { keyLog } : {});
      if (plain) {
        const missingPlain = (manifest.expectedFindings ?? []).filter((e) => !plain.findings.some((f) => matches(f, e)));
        expect(missingPlain, `missing in ${name} without its key log`).toEqual([]);
        expect(plain.messages, `${name}: no SIP is readable without the key log`).toEqual([]);
      }
      const expected = [...(manifest.expectedFindings ?? []), ...(keyLog ? (manifest.expectedFindingsWithKeylog ?? []) : [])];
      const missing = expected.filter((e) => !report.findings.some((f) => matches(f, e)));
      const summary = report.findings.map((f) => `${f.severity} ${f.kind} ${f.callId ?? '-'} [${f.frames.join(',')}]`);
      expect(missing, `missing in ${name}; found:\n${summary.join('\n')}`).toEqual([]);
      if (manifest.goodPath === true) {
        const alarms = report.findings.filter((f) => f.severity !== 'info');
        expect(alarms.map((f) => `${f.kind}: ${f.title}`), `false alarms in good-path sample ${name}`).toEqual([]);
      }
    });
  }
});
