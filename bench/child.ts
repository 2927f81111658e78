// One benchmark measurement in its own process, so peak RSS belongs to this analysis alone. Run
// with --expose-gc: after the timing, the heap the finished analysis keeps alive (its messages
// with their text, and the report), measured after a full collection, which unlike the
// peak RSS does not depend on when V8 chose to collect (`analysis`, a module binding, is alive).
import { analyzeFileFull } from '../src/cli/main.ts';

const file = process.argv[2]!;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const analysis = await analyzeFileFull(file);
const report = analysis.report;
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const ru = process.resourceUsage();
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const liveBytes = gc ? process.memoryUsage().heapUsed : null;
process.stdout.write(
  JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKiB: ru.maxRSS, packets: report.capture.packets, messages: report.messages.length, calls: report.calls.length, rtpStreams: report.rtpStreams.length, warnings: report.warnings.length, liveBytes }) + '\n',
);
