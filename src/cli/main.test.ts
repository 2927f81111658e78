/**
 * The command line as a user runs it: `node bin/sipladder.mjs analyze FILE [--json]`, in a child
 * process, on real captures and on files that are not captures.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/sipladder.mjs');
const PUBLIC = path.resolve(ROOT, 'test/captures/public');
const tmp = mkdtempSync(path.join(tmpdir(), 'sipladder-cli-'));

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
}

describe('sipladder analyze', () => {
  it('prints the JSON report of a real capture with the contract fields', () => {
    const out = execFileSync(process.execPath, [BIN, 'analyze', path.join(PUBLIC, 'heplify/sip_ipv6_udp.pcap'), '--json'], { encoding: 'utf8' });
    const r = JSON.parse(out);
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['capture', 'messages', 'calls', 'connections', 'rtpStreams', 'findings', 'warnings']));
    expect(r.capture).toMatchObject({ format: 'pcap', compressed: false, linkTypes: [1], packets: 6 });
    expect(r.capture.firstTime).toBe('2012-02-07T04:36:02.251758Z');
    expect(r.messages.map((m: { frame: number; method?: string; status?: number }) => `${m.frame} ${m.method ?? m.status}`)).toEqual(['1 INVITE', '2 100', '3 200', '4 ACK', '5 BYE', '6 200']);
    const m0 = r.messages[0];
    expect(m0).toMatchObject({ transport: 'udp', connection: null, retransmission: false, encapsulation: null, cseq: '1 INVITE' });
    expect(m0.src).toMatch(/^\[[0-9a-f:]+\]:\d+$/); // IPv6 as [addr]:port
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]).toMatchObject({ callId: m0.callId, startFrame: 1, endFrame: 6, messageCount: 6 });
  });

  it('reads a gzip-compressed capture the same way', () => {
    const gz = path.join(tmp, 'capture.bin');
    execFileSync('sh', ['-c', `gzip -c '${path.join(PUBLIC, 'sngrep/aaa.pcap')}' > '${gz}'`]);
    const plain = JSON.parse(run('analyze', path.join(PUBLIC, 'sngrep/aaa.pcap'), '--json').stdout);
    const zipped = JSON.parse(run('analyze', gz, '--json').stdout);
    expect(zipped.capture.compressed).toBe(true);
    expect(zipped.messages).toEqual(plain.messages);
    expect(zipped.calls).toEqual(plain.calls);
  });

  it('exits 2 with one line on stderr for a file that is not a capture', () => {
    const junk = path.join(tmp, 'notes.txt');
    writeFileSync(junk, 'Just some text, not a capture\n');
    const r = run('analyze', junk, '--json');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a capture/);
  });

  it('exits 2 with one line for an empty file and for a missing file', () => {
    const empty = path.join(tmp, 'empty.pcap');
    writeFileSync(empty, '');
    for (const f of [empty, path.join(tmp, 'missing.pcap')]) {
      const r = run('analyze', f, '--json');
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('exits 0 with the partial report and a warning for a capture cut mid-record', () => {
    const bytes = readFileSync(path.join(PUBLIC, 'sngrep/aaa.pcap'));
    const cut = path.join(tmp, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2) + 7));
    const r = run('analyze', cut, '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.capture.packets).toBeGreaterThan(100);
    expect(report.capture.packets).toBeLessThan(691);
    expect(report.warnings.some((w: { message: string }) => /truncat|cut|short/i.test(w.message))).toBe(true);
  });

  /**
   * The CLI on a generated capture too big for a 128 MB heap: it must end normally with the first
   * part kept and the budget's warning (not run out of memory). Returns the report and how many
   * SIP messages the capture has.
   */
  async function analyzeInSmallHeap(name: string, write: (file: string, bytes: number) => Promise<{ messages: number }>) {
    const file = path.join(tmp, name);
    const { messages } = await write(file, 16_000_000);
    const r = spawnSync(process.execPath, ['--max-old-space-size=128', BIN, 'analyze', file, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    const kept = report.messages.length;
    expect(kept).toBeGreaterThan(1000);
    expect(kept + report.capture.messagesNotKept).toBe(messages);
    expect(report.warnings[0].message).toMatch(new RegExp(`^memory budget reached after ${kept} SIP messages`));
    return { report, kept, messages };
  }

  it('gives the first part of a signalling capture too big for the heap, with a warning, instead of running out of memory', async () => {
    // About 40,000 SIP messages: kept whole they need ~300 MB of heap; Node gets 128 MB here.
    const { writeSipUdpCapture } = await import('../../bench/generate.ts');
    const { report, kept, messages } = await analyzeInSmallHeap('big-sip.pcap', writeSipUdpCapture);
    expect(kept).toBeLessThan(messages);
    const w = report.warnings[0];
    expect(w.frame).toBe(report.capture.messagesNotKeptFromFrame);
    expect(w.frame).toBeGreaterThan(report.messages[kept - 1].frame);
  }, 120_000);

  it('does the same for a scanner\'s trace, one INVITE per Call-ID, the costliest shape per message', async () => {
    // ~40,000 INVITEs, each a call of its own: ~5 KB of heap each kept, where a message of a
    // seven-message call needs ~3 KB. An estimate fitted to the latter alone ran out of memory here.
    const { writeSipScanCapture } = await import('../../bench/generate.ts');
    const { report, kept } = await analyzeInSmallHeap('scan.pcap', writeSipScanCapture);
    expect(report.calls).toHaveLength(kept);
  }, 120_000);
});

describe('the capture read again by offset (fileReadAt)', () => {
  it('keeps at most 32 captures open, opens one again when read, and refuses a file put in its place', async () => {
    const { fileReadAt } = await import('./main.ts');
    const dir = mkdtempSync(path.join(tmpdir(), 'sipladder-reread-'));
    const bytes = new Uint8Array(4096).map((_, i) => i & 0xff);
    const paths = Array.from({ length: 40 }, (_, k) => path.join(dir, `c${k}.pcap`));
    for (const p of paths) writeFileSync(p, bytes);
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const readers = paths.map((p) => fileReadAt(p));
    expect(fds() - before).toBeLessThanOrEqual(32);
    // The first was closed by the 33rd; read, it is opened again and gives the same bytes.
    expect([...readers[0]!(100, 4)]).toEqual([100, 101, 102, 103]);
    expect(fds() - before).toBeLessThanOrEqual(32);
    // Another file renamed into the place of one that was closed: not read as if it were it.
    const other = path.join(dir, 'other.pcap');
    writeFileSync(other, new Uint8Array(4096));
    renameSync(other, paths[1]!);
    expect(() => readers[1]!(0, 4)).toThrow(/no longer the file that was analysed/);
    expect(readers.length).toBe(40);
  });
});
