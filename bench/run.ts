/**
 * `npm run bench [-- --sizes 10MB,100MB,1GB] [--rtp-only] [--runs N]`: generates the synthetic captures (once) and runs
 * `analyze` on each in a fresh Node process, N times (2 unless `--runs` says), printing throughput
 * (MB/s, packets/s) from the fastest run and the highest peak RSS of the runs: this VM's timings
 * swing by ±20–30% from one run to the next (a 1 GB file read right after the others were written
 * took 2.9 s once and 1.5 s the next time), the memory much less.
 * Then, in the same run, the whole CLI process against sngrep and tshark on the same files
 * (bench/compare.ts), as ratios (`--no-compare` skips it); with `--browser`, the app in Chromium on
 * the production build (bench/browser.ts). For sip-dense it also prints the time per engine
 * stage with the collector's pauses (bench/where.ts). The README quotes the tables.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { ensureBenchFiles, ensureBrowserSignallingFile } from './generate.ts';
import { compareTools, comparisonRows } from './compare.ts';
import { stageShares, stageTable } from './where.ts';

const arg = process.argv.indexOf('--sizes');
const sizes = arg > 0 ? process.argv[arg + 1]!.split(',') : ['10MB', '100MB', '1GB'];
const files = await ensureBenchFiles(sizes);
const root = path.resolve(import.meta.dirname, '..');
const rows: string[] = [];
rows.push('| capture | size (MB) | packets | SIP msgs | time (s) | CPU (s) | MB/s | packets/s | peak RSS (MB) | µs/SIP msg | RSS KB/SIP msg | live heap KB/SIP msg |');
rows.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const runsArg = process.argv.indexOf('--runs');
const runs = Math.max(1, runsArg > 0 ? Number(process.argv[runsArg + 1]) || 1 : 2);
interface ChildResult {
  ms: number;
  cpuMs: number;
  maxRssKiB: number;
  packets: number;
  messages: number;
  liveBytes: number | null;
}
for (const f of files) {
  let r: ChildResult | null = null;
  for (let k = 0; k < runs; k++) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(root, 'bench/child.ts'), f.file], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 });
    const run = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
    // The fastest run's time, the highest run's memory.
    if (r === null) r = run;
    else r = { ...(run.ms < r.ms ? run : r), maxRssKiB: Math.max(r.maxRssKiB, run.maxRssKiB) };
  }
  if (r === null) continue;
  const s = r.ms / 1000;
  const mb = f.bytes / 1e6;
  const row = `| ${f.name} | ${mb.toFixed(1)} | ${r.packets.toLocaleString('en')} | ${r.messages.toLocaleString('en')} | ${s.toFixed(2)} | ${(r.cpuMs / 1000).toFixed(2)} | ${(mb / s).toFixed(0)} | ${Math.round(r.packets / s).toLocaleString('en')} | ${(r.maxRssKiB / 1024).toFixed(0)} | ${r.messages > 1000 ? ((r.ms * 1000) / r.messages).toFixed(1) : '—'} | ${r.messages > 1000 ? ((r.maxRssKiB * 1.024) / r.messages).toFixed(2) : '—'} | ${r.messages > 1000 && r.liveBytes !== null ? (r.liveBytes / 1000 / r.messages).toFixed(2) : '—'} |`;
  rows.push(row);
  process.stdout.write(row + '\n');
}
process.stdout.write('\n' + rows.join('\n') + '\n');
const dense = files.find((f) => f.name.startsWith('sip-dense'));
if (dense) {
  const floor = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/floor.ts'), dense.file, '150'], { cwd: root, encoding: 'utf8' });
  process.stdout.write('\n' + floor);
  // Where its time goes: each engine stage's wall time and the collector's pauses in it.
  const where = execFileSync(process.execPath, ['--trace-gc', '--import', 'tsx', path.join(root, 'bench/where.ts'), dense.file], { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 });
  process.stdout.write(`\n${dense.name}, by stage (one run, analysis only; pauses on the main thread, --trace-gc):\n\n${stageTable(stageShares(where))}\n`);
}
if (!process.argv.includes('--no-compare')) {
  // Whole processes, back to back on the same file: the ratios are what to read.
  const cmp = ['| capture | tool | whole process (s) | peak RSS (MB) | time vs sipladder | RSS vs sipladder |', '|---|---|---:|---:|---:|---:|'];
  for (const f of files.filter((x) => x.kind !== 'rtp' || x.bytes < 2e8)) cmp.push(...comparisonRows(f.name, compareTools(f.file)));
  process.stdout.write('\n' + cmp.join('\n') + '\n');
}
// In Chromium, on the production build (npx vite build first): drop to first call-list row, the
// page's heap and the renderer's RSS (page and worker). --browser, when dist/ and chromium exist.
if (process.argv.includes('--browser') && existsSync(path.join(root, 'dist/index.html')) && existsSync(process.env.SIPLADDER_CHROMIUM ?? '/usr/bin/chromium')) {
  const { browserRows, BROWSER_HEADER, BROWSER_RULE } = await import('./browser.ts');
  const picks = files.filter((f) => f.kind === 'sip-dense' || f.name === 'sip-udp-100MB' || f.name === 'rtp-1GB').map((f) => f.file);
  if (!process.argv.includes('--rtp-only')) picks.push(await ensureBrowserSignallingFile());
  const rows = await browserRows(picks);
  process.stdout.write(['', BROWSER_HEADER.replace('| capture |', '| capture (Chromium) |'), BROWSER_RULE, ...rows].join('\n') + '\n');
}
process.stdout.write(`\nnode ${process.version}, ${(await import('node:os')).cpus()[0]?.model ?? 'cpu'}; analysis time only (process start and TypeScript loading excluded)\n`);
