/**
 * `npm run accuracy [-- --json] [-- --dump]`: runs the detectors over every lab sample (WAN side
 * capture.pcap and LAN side capture-lan.pcap) and every public capture that has expectations, and
 * prints, per capture, what was expected and found, what was missed, and the false alarms.
 *
 * Expectations:
 * - stacks: test/captures/stacks/<id>/expect.json (other SIP software through the lab's NAT).
 * - samples: public/samples/<id>/manifest.json: `expectedFindings` (WAN), `expectedFindingsLan`
 *   (LAN), `expectedFindingsWithKeylog` (WAN decrypted with keylog.txt, when present), `goodPath`.
 * - public captures: test/captures/public/expectations.json: per file the failures it really shows
 *   (`expected`: kind and, where it matters, callId) or `healthy: true` (no error or warning).
 *
 * Matching is per (kind, callId): an expected failure is found when a finding of that kind, at
 * any severity, names the same call (any call when the expectation gives no callId). Every
 * other error/warning (kind, call) pair is a false alarm. Info findings never count.
 * Exit code is 0 whatever the score; non-zero only when an analysis crashed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeBytes } from '../src/engine/analyze.ts';
import type { Finding } from '../src/report/report.ts';

interface Expectation {
  kind: string;
  callId?: string | null;
}

interface Case {
  name: string;
  file: string;
  expected: Expectation[];
  healthy: boolean;
  keyLog?: string;
}

interface Row {
  name: string;
  expected: number;
  found: string[];
  missed: string[];
  falseAlarms: string[];
  crashed: string | null;
}

const root = path.resolve(import.meta.dirname, '..');
const samplesDir = path.join(root, 'public/samples');
const publicDir = path.join(root, 'test/captures/public');

function readJson<T>(p: string): T {
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

function dedupe(list: Expectation[]): Expectation[] {
  const seen = new Set<string>();
  const out: Expectation[] = [];
  for (const e of list) {
    const k = `${e.kind}\u0000${e.callId ?? ''}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ kind: e.kind, callId: e.callId ?? null });
  }
  return out;
}

function sampleCases(): Case[] {
  const cases: Case[] = [];
  for (const id of readdirSync(samplesDir).sort()) {
    const mp = path.join(samplesDir, id, 'manifest.json');
    if (!existsSync(mp)) continue;
    const m = readJson<{ goodPath?: boolean; expectedFindings?: Expectation[]; expectedFindingsLan?: Expectation[]; expectedFindingsWithKeylog?: Expectation[] }>(mp);
    const healthy = m.goodPath === true;
    const wan = path.join(samplesDir, id, 'capture.pcap');
    const lan = path.join(samplesDir, id, 'capture-lan.pcap');
    const keylog = path.join(samplesDir, id, 'keylog.txt');
    if (existsSync(wan)) cases.push({ name: `samples/${id} (WAN)`, file: wan, expected: dedupe(m.expectedFindings ?? []), healthy });
    if (existsSync(wan) && existsSync(keylog) && m.expectedFindingsWithKeylog) {
      cases.push({ name: `samples/${id} (WAN + keylog)`, file: wan, expected: dedupe(m.expectedFindingsWithKeylog), healthy, keyLog: readFileSync(keylog, 'utf8') });
    }
    if (existsSync(lan)) cases.push({ name: `samples/${id} (LAN)`, file: lan, expected: dedupe(m.expectedFindingsLan ?? []), healthy });
  }
  return cases;
}

function publicCases(): Case[] {
  const ep = path.join(publicDir, 'expectations.json');
  if (!existsSync(ep)) return [];
  const e = readJson<{ captures: Record<string, { healthy?: boolean; expected?: Expectation[] }> }>(ep);
  return Object.entries(e.captures).map(([file, x]) => ({
    name: `public/${file}`,
    file: path.join(publicDir, file),
    expected: dedupe(x.expected ?? []),
    healthy: x.healthy === true,
  }));
}

/** Other SIP stacks through the lab's NAT (test/captures/stacks/<name>/expect.json: `healthy` or `expected`, both sides). */
function stackCases(): Case[] {
  const dir = path.join(root, 'test/captures/stacks');
  if (!existsSync(dir)) return [];
  const cases: Case[] = [];
  for (const id of readdirSync(dir).sort()) {
    const ep = path.join(dir, id, 'expect.json');
    if (!existsSync(ep)) continue;
    const x = readJson<{ healthy?: boolean; expected?: Expectation[]; expectedLan?: Expectation[] }>(ep);
    for (const [side, file, expected] of [
      ['WAN', 'capture.pcap', x.expected],
      ['LAN', 'capture-lan.pcap', x.expectedLan ?? x.expected],
    ] as const) {
      const f = path.join(dir, id, file);
      if (existsSync(f)) cases.push({ name: `stacks/${id} (${side})`, file: f, expected: dedupe(expected ?? []), healthy: x.healthy === true });
    }
  }
  return cases;
}

const label = (kind: string, callId: string | null | undefined): string => (callId ? `${kind} [${callId.length > 24 ? `${callId.slice(0, 24)}…` : callId}]` : kind);

function score(c: Case, findings: Finding[]): Row {
  const serious = findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
  const used = new Set<number>();
  const found: string[] = [];
  const missed: string[] = [];
  for (const e of c.expected) {
    // An expected failure counts as found at any severity (the manifests list info-level facts too);
    // only error/warning findings can be false alarms.
    const hits = findings.filter((f) => f.kind === e.kind && (!e.callId || f.callId === e.callId));
    for (const [f, i] of serious.map((x, k) => [x, k] as const)) if (f.kind === e.kind && (!e.callId || f.callId === e.callId)) used.add(i);
    if (hits.length > 0) {
      found.push(label(e.kind, e.callId));
    } else missed.push(label(e.kind, e.callId));
  }
  const falseAlarms = new Set<string>();
  serious.forEach((f, i) => {
    if (!used.has(i)) falseAlarms.add(label(f.kind, f.callId));
  });
  return { name: c.name, expected: c.expected.length, found, missed, falseAlarms: [...falseAlarms], crashed: null };
}

const cases = [...sampleCases(), ...stackCases(), ...publicCases()];
const rows: Row[] = [];
const dump = process.argv.includes('--dump');
for (const c of cases) {
  try {
    const bytes = new Uint8Array(readFileSync(c.file));
    const { report } = await analyzeBytes(bytes, c.keyLog ? { keyLog: c.keyLog } : {});
    rows.push(score(c, report.findings));
    if (dump) {
      for (const f of report.findings) if (f.severity !== 'info') console.log(`  ${c.name}: ${f.severity} ${f.kind} ${f.callId ?? '-'} frames ${f.frames.slice(0, 6).join(',')}: ${f.title}`);
    }
  } catch (e) {
    rows.push({ name: c.name, expected: c.expected.length, found: [], missed: [], falseAlarms: [], crashed: e instanceof Error ? e.message : String(e) });
  }
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const out: string[] = [];
  out.push('| capture | expected | found | missed | false alarms |');
  out.push('|---|---:|---|---|---|');
  for (const r of rows) {
    if (r.crashed !== null) {
      out.push(`| ${r.name} | ${r.expected} | CRASHED: ${r.crashed} | | |`);
      continue;
    }
    const cell = (l: string[]): string => (l.length === 0 ? '—' : `${l.length}: ${l.join(', ')}`);
    out.push(`| ${r.name} | ${r.expected} | ${cell(r.found)} | ${cell(r.missed)} | ${cell(r.falseAlarms)} |`);
  }
  const sum = (f: (r: Row) => number): number => rows.reduce((a, r) => a + f(r), 0);
  const expected = sum((r) => r.expected);
  const found = sum((r) => r.found.length);
  const missed = sum((r) => r.missed.length);
  const fa = sum((r) => r.falseAlarms.length);
  const healthy = cases.filter((c) => c.healthy);
  const healthyClean = rows.filter((r, i) => cases[i]?.healthy && r.crashed === null && r.falseAlarms.length === 0).length;
  out.push('');
  out.push(
    `Totals over ${rows.length} captures: ${found} of ${expected} expected failures found (${expected > 0 ? Math.round((100 * found) / expected) : 100}%), ` +
      `${missed} missed, ${fa} false alarms; ${healthyClean} of ${healthy.length} healthy captures clean; ${rows.filter((r) => r.crashed !== null).length} crashed.`,
  );
  console.log(out.join('\n'));
}
process.exitCode = rows.some((r) => r.crashed !== null) ? 1 : 0;
