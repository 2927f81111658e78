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
import type { Finding } from '../report/report.ts';

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
  /** What the LAN side of the NAT (capture-lan.pcap) must name, at error or warning. */
  expectedFindingsLan?: Expected[];
}

/**
 * Expected LAN findings that the LAN capture cannot prove, with the reason. What is left of the
 * sample's expectedFindingsLan must be found; a sample left with nothing must then report no
 * error there (a finding would be an unproven guess).
 */
const LAN_UNPROVABLE: Record<string, { kinds: string[]; why: string }> = {
  // The rewrite happens at proxy A, two hops away: on the LAN the 200 OK leaves with the phone's
  // own Contact and the INVITE arrives from proxy B; only the missing ACK is visible here.
  '02-excessive-nat-fixup': { kinds: ['excessive-nat-fixup'], why: 'the Contact is rewritten at proxy A, out of the LAN\'s sight' },
};

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

  for (const name of samples.filter((n) => existsSync(path.join(root, n, 'capture-lan.pcap')))) {
    it(`${name}: the LAN side (capture-lan.pcap) names the failure at error or warning, or stays quiet on a good path`, async () => {
      const manifest = JSON.parse(readFileSync(path.join(root, name, 'manifest.json'), 'utf8')) as Manifest;
      const keyLogFile = path.join(root, name, 'keylog.txt');
      const keyLog = existsSync(keyLogFile) ? readFileSync(keyLogFile, 'utf8') : undefined;
      const bytes = new Uint8Array(readFileSync(path.join(root, name, 'capture-lan.pcap')));
      const { report } = await analyzeBytes(bytes, keyLog ? { keyLog } : {});
      const alarms = report.findings.filter((f) => f.severity !== 'info');
      const summary = report.findings.map((f) => `${f.severity} ${f.kind} ${f.callId ?? '-'} [${f.frames.join(',')}]`);
      if (manifest.goodPath === true) {
        expect(alarms.map((f) => `${f.kind}: ${f.title}`), `false alarms on the LAN side of good-path sample ${name}`).toEqual([]);
        return;
      }
      const unprovable = LAN_UNPROVABLE[name];
      const expected = (manifest.expectedFindingsLan ?? []).filter((e) => !unprovable?.kinds.includes(e.kind));
      if (expected.length === 0 && unprovable) {
        expect(alarms.filter((f) => f.severity === 'error').map((f) => f.kind), `${name}: ${unprovable.why}`).toEqual([]);
        return;
      }
      expect(expected.length, `${name}: a failure sample's manifest says what its LAN side shows`).toBeGreaterThan(0);
      const missing = expected.filter((e) => !alarms.some((f) => matches(f, e)));
      expect(missing, `missing on the LAN side of ${name}; found:\n${summary.join('\n')}`).toEqual([]);
    });
  }
});
