/**
 * `npm run bench [-- --sizes 10MB,100MB,1GB] [--rtp-only]`: generates the synthetic captures (once) and runs
 * `analyze` on each in a fresh Node process, printing throughput (MB/s, packets/s) and peak RSS.
 * The README quotes this table.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ensureBenchFiles } from './generate.ts';

const arg = process.argv.indexOf('--sizes');
const sizes = arg > 0 ? process.argv[arg + 1]!.split(',') : ['10MB', '100MB', '1GB'];
const files = await ensureBenchFiles(sizes);
const root = path.resolve(import.meta.dirname, '..');
const rows: string[] = [];
rows.push('| capture | size (MB) | packets | SIP msgs | time (s) | CPU (s) | MB/s | packets/s | peak RSS (MB) |');
rows.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const f of files) {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/child.ts'), f.file], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { ms: number; cpuMs: number; maxRssKiB: number; packets: number; messages: number };
  const s = r.ms / 1000;
  const mb = f.bytes / 1e6;
  const row = `| ${f.name} | ${mb.toFixed(1)} | ${r.packets.toLocaleString('en')} | ${r.messages.toLocaleString('en')} | ${s.toFixed(2)} | ${(r.cpuMs / 1000).toFixed(2)} | ${(mb / s).toFixed(0)} | ${Math.round(r.packets / s).toLocaleString('en')} | ${(r.maxRssKiB / 1024).toFixed(0)} |`;
  rows.push(row);
  process.stdout.write(row + '\n');
}
process.stdout.write('\n' + rows.join('\n') + '\n');
const dense = files.find((f) => f.name.startsWith('sip-dense'));
if (dense) {
  const floor = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/floor.ts'), dense.file, '150'], { cwd: root, encoding: 'utf8' });
  process.stdout.write('\n' + floor);
}
process.stdout.write(`\nnode ${process.version}, ${(await import('node:os')).cpus()[0]?.model ?? 'cpu'}; analysis time only (process start and TypeScript loading excluded)\n`);
