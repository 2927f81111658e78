/**
 * `npm run fuzz -- --seconds N [--seed S] [--jobs J]`: mutation fuzzing of the whole engine.
 *
 * Seeds: every capture of the public corpus (test/captures/public), the lab samples
 * (public/samples) and the TLS fixtures, cut to their first 200 packets, plus share-link
 * fragments made from the small ones. Each input is one seed mutated in one layer (see
 * mutate.ts: container, timestamps, link, IP, fragments, TCP, TLS, WebSocket, HEP, SCTP,
 * ICMP/RTP, SIP text, SDP, whole packets, gzip, share links, havoc), run in a child process
 * (child.ts) under a time limit (default 10 s: longer is a hang) and a heap limit (default
 * 384 MB: a crash is a blow-up). Every report is checked against the contract
 * (src/engine/contract.ts). A failure (escape, hang, blow-up, contract violation) is minimised
 * (bytes removed while it still fails the same way) and saved with its stack under fuzz/findings/.
 * Exit 1 when anything failed. The same seed gives the same inputs.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openContainer } from '../../src/capture/sniff.ts';
import { writePcapng } from '../../src/capture/write.ts';
import { encodeShareFragment } from '../../src/share/fragment.ts';
import { defaultSharedView } from '../../src/share/view.ts';
import type { Job, Result } from './child.ts';
import type { Pkt } from './layers.ts';
import { dissect } from './layers.ts';
import type { Category, Input, Seed } from './mutate.ts';
import { CATEGORIES, mutate } from './mutate.ts';
import { Rng } from './rng.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHILD = path.join(import.meta.dirname, 'child.ts');

interface Options {
  seconds: number;
  seed: number;
  jobs: number;
  timeoutMs: number;
  heapMb: number;
  out: string;
  maxFailures: number;
  quiet: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 60, seed: Date.now() % 2 ** 31, jobs: 1, timeoutMs: 10_000, heapMb: 384, out: path.join(ROOT, 'fuzz/findings'), maxFailures: 10, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => argv[++i] ?? '';
    if (a === '--seconds') o.seconds = Number(v());
    else if (a === '--seed') o.seed = Number(v());
    else if (a === '--jobs') o.jobs = Math.max(1, Number(v()));
    else if (a === '--timeout-ms') o.timeoutMs = Number(v());
    else if (a === '--heap-mb') o.heapMb = Number(v());
    else if (a === '--out') o.out = path.resolve(v());
    else if (a === '--max-failures') o.maxFailures = Number(v());
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`unknown option ${a} (use --seconds N --seed S --jobs J --timeout-ms T --heap-mb M --out DIR --max-failures K --quiet)`);
  }
  if (!Number.isFinite(o.seconds) || o.seconds <= 0 || !Number.isFinite(o.seed)) throw new Error('--seconds and --seed take numbers');
  return o;
}

// ——— seeds ———

function files(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(pcap|pcapng|cap)$/i.test(n)) out.push(p);
  }
  return out;
}

const SEED_PACKETS = 200;

function readPackets(bytes: Uint8Array): { format: 'pcap' | 'pcapng'; packets: Pkt[] } | null {
  const packets: Pkt[] = [];
  const reader = openContainer(bytes, {
    packet: (rec) => {
      if (packets.length < SEED_PACKETS) packets.push({ timeUs: rec.timeUs, linkType: rec.linkType, data: rec.data.slice() });
    },
    warning: () => undefined,
  });
  if ('error' in reader) return null;
  reader.push(bytes);
  reader.end();
  return packets.length > 0 ? { format: reader.format, packets } : null;
}

async function loadSeeds(): Promise<Seed[]> {
  const paths = [...files(path.join(ROOT, 'test/captures/public')), ...files(path.join(ROOT, 'public/samples')), ...files(path.join(ROOT, 'src/capture/fixtures'))];
  const seeds: Seed[] = [];
  for (const p of paths) {
    const got = readPackets(new Uint8Array(readFileSync(p)));
    if (!got) continue;
    seeds.push({ name: path.relative(ROOT, p), format: got.format, packets: got.packets, layers: got.packets.map(dissect), fragments: [] });
  }
  // Share links from the small seeds (as the app makes them: a pcapng, deflate-raw).
  for (const s of seeds.filter((x) => x.packets.length <= 40).slice(0, 12)) {
    const view = { ...defaultSharedView(), name: path.basename(s.name) };
    s.fragments.push(await encodeShareFragment(view, writePcapng(s.packets.slice(0, 30))));
  }
  return seeds;
}

/** Seeds that carry the layer a category mutates (all seeds when none does). */
function seedsFor(seeds: Seed[], c: Category): Seed[] {
  const has = (f: (s: Seed) => boolean) => {
    const xs = seeds.filter(f);
    return xs.length > 0 ? xs : seeds;
  };
  const any = (s: Seed, f: (l: Seed['layers'][number]) => boolean) => s.layers.some(f);
  switch (c) {
    case 'share':
      return has((s) => s.fragments.length > 0);
    case 'tcp':
      return has((s) => any(s, (l) => l.proto === 6 && l.payload > 0));
    case 'tls':
      return has((s) => any(s, (l) => l.app === 'tls'));
    case 'websocket':
      return has((s) => any(s, (l) => l.app === 'ws'));
    case 'hep':
      return has((s) => any(s, (l) => l.app === 'hep'));
    case 'sctp':
      return has((s) => any(s, (l) => l.proto === 132));
    case 'icmp-rtp':
      return has((s) => any(s, (l) => l.app === 'rtp' || l.proto === 1 || l.proto === 58));
    case 'sip':
    case 'packets':
      return has((s) => any(s, (l) => l.app === 'sip' || l.app === 'sdp'));
    case 'sdp':
      return has((s) => any(s, (l) => l.app === 'sdp'));
    case 'fragments':
    case 'ip':
      return has((s) => any(s, (l) => l.ipVersion !== 0));
    default:
      return seeds;
  }
}

// ——— children ———

class Runner {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private served = 0;
  private stderr = '';
  private nextId = 1;

  constructor(private readonly o: Options) {}

  private spawn(): Promise<void> {
    this.stderr = '';
    const child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${this.o.heapMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr?.on('data', (b: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += b.toString();
    });
    this.child = child;
    this.served = 0;
    return new Promise((resolve, reject) => {
      const onMsg = (m: unknown) => {
        if ((m as { ready?: boolean }).ready) {
          child.off('message', onMsg);
          resolve();
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new Error(`fuzz child exited during start-up (${code}): ${this.stderr}`)));
    });
  }

  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
    this.ready = null;
  }

  /** Runs one input; a hang or a crash comes back as an outcome too. */
  async run(input: Input): Promise<Result & { crash?: boolean }> {
    if (this.child === null || this.served >= 500) {
      this.kill();
      this.ready = this.spawn();
    }
    await this.ready;
    const child = this.child!;
    this.served++;
    const id = this.nextId++;
    const job: Job = input.kind === 'capture' ? { id, kind: 'capture', bytes: input.bytes } : { id, kind: 'share', text: input.text };
    const t0 = performance.now();
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Result & { crash?: boolean }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.off('message', onMsg);
        child.off('exit', onExit);
        resolve(r);
      };
      const onMsg = (m: unknown) => {
        const r = m as Result;
        if (r.id === id) finish(r);
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.child = null;
        this.ready = null;
        const oom = /heap out of memory|Allocation failed/i.test(this.stderr);
        finish({ id, outcome: oom ? 'blowup' : 'escape', detail: oom ? `the child ran out of its ${this.o.heapMb} MB heap` : `the child died (code ${code}, signal ${signal})`, stack: this.stderr.slice(-2000), ms: performance.now() - t0, retainedMB: 0, crash: true });
      };
      const timer = setTimeout(() => {
        this.kill();
        finish({ id, outcome: 'hang', detail: `no answer within ${this.o.timeoutMs} ms`, stack: '', ms: performance.now() - t0, retainedMB: 0 });
      }, this.o.timeoutMs);
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send(job);
    });
  }
}

const FAILURES = new Set<string>(['escape', 'contract', 'blowup', 'hang']);

/** Two failures are the same when their outcome and the first line of their detail (digits aside) agree. */
function signature(r: Result): string {
  return `${r.outcome}:${(r.detail.split('\n')[0] ?? '').replace(/\d+/g, '#').slice(0, 80)}`;
}

/** Removes chunks of the input while it still fails the same way (ddmin-style; bounded). */
async function minimise(runner: Runner, input: Input, sig: string, budgetMs: number): Promise<Input> {
  const t0 = performance.now();
  const asBytes = input.kind === 'capture' ? input.bytes : new TextEncoder().encode(input.text);
  const make = (b: Uint8Array): Input => (input.kind === 'capture' ? { kind: 'capture', bytes: b } : { kind: 'share', text: new TextDecoder().decode(b) });
  let cur = asBytes;
  let chunk = Math.max(1, Math.floor(cur.length / 2));
  let trials = 0;
  while (chunk >= 1 && trials < 300 && performance.now() - t0 < budgetMs) {
    let progressed = false;
    for (let off = 0; off < cur.length && trials < 300 && performance.now() - t0 < budgetMs; ) {
      const cand = new Uint8Array(cur.length - Math.min(chunk, cur.length - off));
      cand.set(cur.subarray(0, off), 0);
      cand.set(cur.subarray(off + chunk), off);
      trials++;
      const r = await runner.run(make(cand));
      if (FAILURES.has(r.outcome) && signature(r) === sig) {
        cur = cand;
        progressed = true;
      } else off += chunk;
    }
    if (!progressed) chunk = Math.floor(chunk / 2);
  }
  return make(cur);
}

interface Stat {
  inputs: number;
  report: number;
  notCapture: number;
  shareRefused: number;
  failures: number;
  maxMs: number;
  maxRetainedMB: number;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const seeds = await loadSeeds();
  const rng = new Rng(o.seed);
  const bySeedList = new Map<Category, Seed[]>(CATEGORIES.map((c) => [c, seedsFor(seeds, c)]));
  const stats = new Map<Category, Stat>(CATEGORIES.map((c) => [c, { inputs: 0, report: 0, notCapture: 0, shareRefused: 0, failures: 0, maxMs: 0, maxRetainedMB: 0 }]));
  const seen = new Set<string>();
  const failures: Array<{ sig: string; file: string }> = [];
  const log = (s: string) => {
    if (!o.quiet) process.stderr.write(s + '\n');
  };
  log(`fuzz: ${seeds.length} seeds, seed ${o.seed}, ${o.seconds} s, ${o.jobs} child process(es)`);
  const deadline = performance.now() + o.seconds * 1000;
  const runners = Array.from({ length: o.jobs }, () => new Runner(o));
  let iteration = 0;

  const worker = async (runner: Runner): Promise<void> => {
    while (performance.now() < deadline && failures.length < o.maxFailures) {
      const it = iteration++;
      const category = CATEGORIES[it % CATEGORIES.length]!;
      const seed = rng.pick(bySeedList.get(category)!);
      const input = mutate(rng, seed, category);
      const r = await runner.run(input);
      const st = stats.get(category)!;
      st.inputs++;
      st.maxMs = Math.max(st.maxMs, r.ms);
      st.maxRetainedMB = Math.max(st.maxRetainedMB, r.retainedMB);
      if (r.outcome === 'report') st.report++;
      else if (r.outcome === 'not-a-capture') st.notCapture++;
      else if (r.outcome === 'share-refused') st.shareRefused++;
      if (!FAILURES.has(r.outcome)) continue;
      st.failures++;
      const sig = signature(r);
      if (seen.has(sig)) continue;
      seen.add(sig);
      log(`fuzz: ${r.outcome} on ${category} of ${seed.name} (input ${it}): ${r.detail.split('\n')[0]}`);
      const small = await minimise(runner, input, sig, 60_000);
      const again = await runner.run(small);
      const data = small.kind === 'capture' ? small.bytes : new TextEncoder().encode(small.text);
      const hash = createHash('sha256').update(data).digest('hex').slice(0, 10);
      mkdirSync(o.out, { recursive: true });
      const base = path.join(o.out, `${r.outcome}-${category}-${hash}`);
      writeFileSync(base + (small.kind === 'capture' ? '.pcap' : '.txt'), data);
      writeFileSync(
        base + '.json',
        JSON.stringify({ outcome: r.outcome, category, seed: seed.name, fuzzSeed: o.seed, input: it, detail: r.detail, stack: r.stack || again.stack, minimisedBytes: data.length, originalBytes: input.kind === 'capture' ? input.bytes.length : input.text.length, reproducesAfterMinimising: signature(again) === sig }, null, 2) + '\n',
      );
      failures.push({ sig, file: base });
      log(`fuzz: saved ${path.relative(ROOT, base)}.* (${data.length} bytes)`);
    }
  };
  await Promise.all(runners.map((r) => worker(r)));
  for (const r of runners) r.kill();

  const rows = [...stats.entries()].map(([c, s]) => ({ category: c, ...s, maxMs: Math.round(s.maxMs), maxRetainedMB: Math.round(s.maxRetainedMB) }));
  const total = rows.reduce((a, s) => a + s.inputs, 0);
  const failed = rows.reduce((a, s) => a + s.failures, 0);
  process.stdout.write(`fuzz: seed ${o.seed}, ${o.seconds} s, ${total} inputs, ${failed} failing (${failures.length} distinct)\n`);
  process.stdout.write('category      inputs  report  not-capture  share-refused  failures  max-ms  max-retained-MB\n');
  for (const s of rows) process.stdout.write(`${s.category.padEnd(12)} ${String(s.inputs).padStart(7)} ${String(s.report).padStart(7)} ${String(s.notCapture).padStart(12)} ${String(s.shareRefused).padStart(14)} ${String(s.failures).padStart(9)} ${String(s.maxMs).padStart(7)} ${String(s.maxRetainedMB).padStart(16)}\n`);
  process.stdout.write(`fuzz-summary ${JSON.stringify({ seed: o.seed, seconds: o.seconds, inputs: total, failing: failed, distinct: failures.map((f) => f.sig), categories: rows })}\n`);
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
