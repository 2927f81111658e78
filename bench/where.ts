/**
 * Where one analysis spends its time, by engine stage, with the collector's share: run by
 * `npm run bench` as `node --trace-gc --import tsx bench/where.ts FILE` in a process of its own.
 * Prints a STAGE line at each stage change (time, heap used) among V8's --trace-gc lines, which go
 * to the same stdout in order; `stageTable` reads both.
 */
import { analyzeFileFull } from '../src/cli/main.ts';

/** One stage's share of the analysis. */
export interface StageShare {
  stage: string;
  ms: number;
  gcMs: number;
  scavenges: number;
  fullCollections: number;
  heapUsedMB: number;
}

const STAGE = /^STAGE (\S+) ([\d.]+) ([\d.]+)$/;
/** A --trace-gc line: "[pid:0x…]  123 ms: Scavenge 49.9 (67.2) -> 39.5 (70.2) MB, 11.55 / 0.00 ms  (…)". */
const GC = /: (Scavenge|Mark-Compact|Mark-sweep)\b.*?MB, ([\d.]+) \/ [\d.]+ ms/;

/** The stages (from the first STAGE line on), their wall time and the collector's pauses in each. */
export function stageShares(output: string): StageShare[] {
  const out: StageShare[] = [];
  let cur: StageShare | null = null;
  let at = 0;
  for (const line of output.split('\n')) {
    const s = STAGE.exec(line);
    if (s) {
      const t = Number(s[2]);
      if (cur) cur.ms = t - at;
      at = t;
      if (s[1] === 'end' || s[1] === 'done') {
        if (cur) cur.heapUsedMB = Number(s[3]);
        break;
      }
      if (cur) cur.heapUsedMB = Number(s[3]);
      cur = { stage: s[1]!, ms: 0, gcMs: 0, scavenges: 0, fullCollections: 0, heapUsedMB: 0 };
      out.push(cur);
      continue;
    }
    const g = cur ? GC.exec(line) : null;
    if (g && cur) {
      cur.gcMs += Number(g[2]);
      if (g[1] === 'Scavenge') cur.scavenges++;
      else cur.fullCollections++;
    }
  }
  return out;
}

/** The shares as a Markdown table. */
export function stageTable(shares: readonly StageShare[]): string {
  const rows = ['| stage | wall (s) | collector pauses (s) | scavenges | full collections | heap used as it ends (MB) |', '|---|---:|---:|---:|---:|---:|'];
  for (const s of shares) if (s.ms > 0 || s.gcMs > 0) rows.push(`| ${s.stage} | ${(s.ms / 1000).toFixed(2)} | ${(s.gcMs / 1000).toFixed(2)} | ${s.scavenges} | ${s.fullCollections} | ${s.heapUsedMB.toFixed(0)} |`);
  const sum = (k: 'ms' | 'gcMs' | 'scavenges' | 'fullCollections'): number => shares.reduce((a, s) => a + s[k], 0);
  rows.push(`| all | ${(sum('ms') / 1000).toFixed(2)} | ${(sum('gcMs') / 1000).toFixed(2)} | ${sum('scavenges')} | ${sum('fullCollections')} | |`);
  return rows.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const mark = (stage: string): void => {
    process.stdout.write(`STAGE ${stage} ${performance.now().toFixed(1)} ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)}\n`);
  };
  let last = '';
  await analyzeFileFull(process.argv[2]!, {
    onProgress: (p) => {
      if (p.stage !== last) {
        last = p.stage;
        mark(p.stage);
      }
    },
  });
  mark('end');
}
