/**
 * SDP on the hot path: the hand-written summary (src/sip/sdp.ts, what the analysis runs per SDP
 * body) against `sdp-transform`'s full `parse` (what it ran before, and what the message detail
 * still uses on demand), on every SDP body of the signalling-dense capture, warm, best of five.
 */
import { parse } from 'sdp-transform';
import { analyzeChunks } from '../src/engine/analyze.ts';
import { fileChunks } from '../src/cli/main.ts';
import { summariseSdp } from '../src/sip/sdp.ts';
import { statSync } from 'node:fs';

const file = process.argv[2]!;
const bytes = statSync(file).size;
const { messages } = await analyzeChunks(fileChunks(file), bytes, { keepParse: true });
const bodies: string[] = [];
for (const m of messages) if (m.sip?.sdp) bodies.push(m.sip.body);
const count = messages.length;
messages.length = 0;

function best(run: (b: string) => number): number {
  let ms = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    let media = 0;
    for (const b of bodies) media += run(b);
    ms = Math.min(ms, performance.now() - t0);
    if (media === 0) throw new Error('no media read');
  }
  return ms;
}
const library = best((b) => parse(b).media.length);
const ours = best((b) => summariseSdp(b)?.media.length ?? 0);
const per = (ms: number) => ((ms * 1000) / bodies.length).toFixed(1);
process.stdout.write(
  `SDP, ${bodies.length.toLocaleString('en')} bodies of ${count.toLocaleString('en')} messages: hot-path summary ${ours.toFixed(0)} ms (${per(ours)} µs per body), ` +
    `sdp-transform parse ${library.toFixed(0)} ms (${per(library)} µs per body), ${(library / ours).toFixed(1)}× the time\n`,
);
