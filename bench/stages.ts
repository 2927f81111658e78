// Where the time of one analysis goes, by engine stage (decode+parse, model, diagnosis+report).
import { analyzeFile } from '../src/cli/main.ts';

const file = process.argv[2]!;
const runs = Number(process.argv[3] ?? 1);
for (let r = 0; r < runs; r++) {
  const marks: Array<[string, number]> = [];
  let last = '';
  const t0 = performance.now();
  const report = await analyzeFile(file, {
    onProgress: (p) => {
      if (p.stage !== last) {
        marks.push([p.stage, performance.now() - t0]);
        last = p.stage;
      }
    },
  });
  const total = performance.now() - t0;
  marks.push(['end', total]);
  const parts = marks.slice(1).map(([s, t], i) => `${marks[i]![0]}→${s} ${(t - marks[i]![1]).toFixed(0)}`);
  process.stdout.write(`${total.toFixed(0)} ms (${parts.join(', ')}) msgs=${report.messages.length} rss=${(process.memoryUsage().rss / 1e6).toFixed(0)}MB\n`);
}
