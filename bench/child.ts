// One benchmark measurement in its own process, so peak RSS belongs to this analysis alone.
import { analyzeFile } from '../src/cli/main.ts';

const file = process.argv[2]!;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const report = await analyzeFile(file);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const ru = process.resourceUsage();
process.stdout.write(
  JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKiB: ru.maxRSS, packets: report.capture.packets, messages: report.messages.length, calls: report.calls.length, rtpStreams: report.rtpStreams.length, warnings: report.warnings.length }) + '\n',
);
