/**
 * Whole-process comparison on the same files, in the same run: the sipladder CLI
 * (`node bin/sipladder.mjs analyze FILE --json`, output to /dev/null) against the tools an
 * engineer would pick instead, when installed: `sngrep -N -I FILE -q` (loads every SIP dialog,
 * no interface) and tshark extracting SIP fields (`tshark -r FILE -Y sip -T fields …`). Each
 * runs under GNU time for wall time and peak RSS. This machine is noisy (±20–30% run to run),
 * so the ratios, measured back to back, are what to read.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export interface Measured { tool: string; seconds: number; maxRssMB: number; ok: boolean }

const which = (cmd: string) => ['/usr/bin', '/usr/local/bin', '/bin'].map((d) => path.join(d, cmd)).find((p) => existsSync(p)) ?? null;

function timed(tool: string, argv: string[]): Measured {
  // GNU time writes "<elapsed s> <max RSS KiB>" as the last line of stderr.
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  const last = (r.stderr ?? '').trim().split('\n').pop() ?? '';
  const [e, m] = last.split(' ').map(Number);
  return { tool, seconds: e ?? NaN, maxRssMB: (m ?? NaN) / 1024, ok: r.status === 0 };
}

export function compareTools(file: string): Measured[] {
  if (!existsSync('/usr/bin/time')) return [];
  const out: Measured[] = [timed('sipladder', [process.execPath, path.join(root, 'bin/sipladder.mjs'), 'analyze', file, '--json'])];
  const sngrep = which('sngrep');
  if (sngrep) out.push(timed('sngrep -N -I', [sngrep, '-N', '-I', file, '-q']));
  const tshark = which('tshark');
  if (tshark) out.push(timed('tshark (SIP fields)', [tshark, '-r', file, '-Y', 'sip', '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'sip.Method', '-e', 'sip.Status-Code', '-e', 'sip.Call-ID', '-e', 'sip.CSeq', '-e', 'sip.Via.branch']));
  return out;
}

/** One markdown row per tool, with the ratio of its time and memory to sipladder's. */
export function comparisonRows(name: string, rows: Measured[]): string[] {
  const ours = rows.find((r) => r.tool === 'sipladder');
  return rows.map((r) => {
    const vsTime = ours && r !== ours ? `${(r.seconds / ours.seconds).toFixed(2)}×` : '—';
    const vsRss = ours && r !== ours ? `${(r.maxRssMB / ours.maxRssMB).toFixed(2)}×` : '—';
    return `| ${name} | ${r.tool}${r.ok ? '' : ' (failed)'} | ${r.seconds.toFixed(2)} | ${r.maxRssMB.toFixed(0)} | ${vsTime} | ${vsRss} |`;
  });
}

// Run directly: `node --import tsx bench/compare.ts FILE…`
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  for (const f of process.argv.slice(2)) for (const row of comparisonRows(path.basename(f), compareTools(f))) process.stdout.write(row + '\n');
}
