/**
 * Regression tests for the fuzzing campaign's reproducers (issue 15). The small ones are kept in
 * test/repro/ (README.md there says where each comes from); the big ones (a B2BUA load test, a
 * gzip bomb, a share-link bomb) are generated here, smaller and just as telling. Each must give a
 * report that keeps the contract (engine/contract.ts) quickly and in bounded memory, or one
 * clear line when it is not a capture.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ethUdp4, pcapFile } from '../capture/testing/packets.ts';
import { pcapngBytes } from '../capture/testing/containers.ts';
import { encodeBase64url } from '../share/base64url.ts';
import { decompress } from '../share/compress.ts';
import { decodeShareFragment } from '../share/fragment.ts';
import { analyzeBytes } from './analyze.ts';
import { checkReport } from './contract.ts';
import { isoMicros, MAX_TIME_US, MIN_TIME_US } from '../report/report.ts';
import type { Report } from '../report/report.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const REPRO = path.join(ROOT, 'test/repro');
const BIN = path.join(ROOT, 'bin/sipladder.mjs');
const tmp = mkdtempSync(path.join(tmpdir(), 'sipladder-repro-'));
const load = (f: string) => new Uint8Array(readFileSync(path.join(REPRO, f)));
const T0 = Date.UTC(2024, 4, 1, 12) * 1000;

async function report(bytes: Uint8Array): Promise<Report> {
  const r = (await analyzeBytes(bytes)).report;
  expect(checkReport(r)).toEqual([]);
  return r;
}

/** The CLI as a user runs it: exit code, wall time, the JSON it printed. */
function cli(file: string): { status: number | null; ms: number; json: Report | null; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', BIN, 'analyze', file, '--json'], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 30_000 });
  const ms = performance.now() - t0;
  return { status: r.status, ms, json: r.status === 0 ? (JSON.parse(r.stdout) as Report) : null, stderr: r.stderr };
}

describe('times beyond what a JS Date holds', () => {
  it('isoMicros never throws and always writes a four-digit year', () => {
    expect(isoMicros(T0 + 123_456)).toBe('2024-05-01T12:00:00.123456Z');
    expect(isoMicros(MIN_TIME_US)).toBe('0000-01-01T00:00:00.000000Z');
    expect(isoMicros(MAX_TIME_US)).toBe('9999-12-31T23:59:59.999000Z');
    expect(isoMicros(253_402_300_800_000_000)).toBe('9999-12-31T23:59:59.999000Z'); // year 10000: clamped
    expect(isoMicros(2 ** 80)).toBe('9999-12-31T23:59:59.999000Z');
    expect(isoMicros(-(2 ** 80))).toBe('0000-01-01T00:00:00.000000Z');
    expect(isoMicros(NaN)).toBe('1970-01-01T00:00:00.000000Z');
    expect(isoMicros(-1)).toBe('1969-12-31T23:59:59.999999Z');
  });

  for (const f of ['pcapng-huge-timestamp.pcapng', 'invalid-time-value.bin']) {
    it(`${f}: a report with a warning for the record, not a RangeError`, async () => {
      const r = await report(load(f));
      expect(r.capture.packets).toBeGreaterThan(0);
      expect(r.warnings.some((w) => w.frame !== undefined && /outside the years 0000–9999/.test(w.message))).toBe(true);
    });
  }

  it('an if_tsoffset pushing one interface past year 9999: its packets take the previous time, the others keep theirs', async () => {
    const sip = (n: number) => ethUdp4({ src: '192.0.2.1', dst: '192.0.2.2', sport: 5060, dport: 5060, payload: `OPTIONS sip:b@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK${n}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c${n}\r\nCSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n` });
    const bytes = pcapngBytes([
      {
        littleEndian: true,
        interfaces: [{ linkType: 1 }, { linkType: 1, tsoffset: 300_000_000_000 }], // if_tsoffset: 3e11 s, beyond year 9999
        blocks: [
          { kind: 'epb', iface: 0, ts: BigInt(T0), data: sip(1) },
          { kind: 'epb', iface: 1, ts: BigInt(T0 + 1000), data: sip(2) },
          { kind: 'epb', iface: 0, ts: BigInt(T0 + 2000), data: sip(3) },
        ],
      },
    ]);
    const r = await report(bytes);
    expect(r.messages.map((m) => m.time)).toEqual([isoMicros(T0), isoMicros(T0), isoMicros(T0 + 2000)]);
    expect(r.warnings.map((w) => w.frame)).toEqual([2]);
  });
});

describe('capture order after a lost TCP segment', () => {
  for (const f of ['tcp-gap-order.pcap', 'tcp-gap-order-acked.pcap', 'messages-not-in-capture-order.pcap', 'frames-after-completion.pcap']) {
    it(`${f}: messages by completion frame, none listing a later frame`, async () => {
      const r = await report(load(f));
      expect(r.messages.length).toBeGreaterThan(0);
      expect(r.warnings.some((w) => /never captured \(lost segment\)/.test(w.message))).toBe(true);
      const frames = r.messages.map((m) => m.frame);
      expect(frames).toEqual([...frames].sort((a, b) => a - b));
      for (const m of r.messages) expect(Math.max(...m.frames)).toBeLessThanOrEqual(m.frame);
      for (const c of r.connections) expect(c.messageFrames).toEqual([...c.messageFrames].sort((a, b) => a - b));
    });
  }
});

describe('bounded inflation', () => {
  it('hep-bomb-1.pcap: a HEP3 payload inflating past 256 KiB is a warning, not 60 MB', async () => {
    const before = process.memoryUsage();
    const t0 = performance.now();
    const r = await report(load('hep-bomb-1.pcap'));
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.warnings.some((w) => w.frame === 1 && /HEP3 compressed payload .* inflates to more than 262144 bytes/.test(w.message))).toBe(true);
    expect(process.memoryUsage().arrayBuffers - before.arrayBuffers).toBeLessThan(32e6);
  });

  it('a gzip capture expanding 650:1 streams through: memory stays flat, not the size of the expansion', async () => {
    const pkt = ethUdp4({ src: '10.0.0.1', dst: '10.0.0.2', sport: 4000, dport: 4002, payload: new Uint8Array(60_000) });
    const raw = pcapFile(1, Array.from({ length: 3000 }, (_, i) => ({ timeUs: T0 + i, data: pkt })));
    const gz = gzipSync(raw, { level: 9 });
    expect(raw.length / gz.length).toBeGreaterThan(500);
    const base = process.memoryUsage();
    let peak = 0;
    const { report: r } = await analyzeBytes(gz, {
      onProgress: () => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers);
      },
    });
    expect(r.capture).toMatchObject({ compressed: true, packets: 3000, decompressedBytes: raw.length });
    expect(peak).toBeLessThan(96e6); // the expansion is 180 MB
  });

  it('a share link inflating past 64 MiB is refused quickly, and says so', async () => {
    const bomb = deflateRawSync(new Uint8Array(200 << 20), { level: 9 }); // 200 MiB of zeros in ~200 KB
    const t0 = performance.now();
    const d = await decodeShareFragment(`#sl=1&caplen=${bomb.length}&cap=d.${encodeBase64url(bomb)}`);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.capture).toMatchObject({ complete: false, tooLarge: true });
    expect(d.value.capture!.bytes.length).toBe(0);
    expect(d.value.capture!.problem).toMatch(/inflates to more than 64 MiB/);
  });

  it('decompress stops at its limit, and keeps what fits under it', async () => {
    const data = new Uint8Array(3 << 20).map((_, i) => i % 251);
    const packed = deflateRawSync(data);
    expect((await decompress(packed, 'deflate-raw', 1 << 20)).tooLarge).toBe(true);
    const whole = await decompress(packed, 'deflate-raw', 4 << 20);
    expect(whole.problem).toBeNull();
    expect(Buffer.compare(whole.bytes, data)).toBe(0);
  });
});

/** A SIPp-like INVITE over UDP. */
function invite(i: number, o: { src: string; dst: string; sport?: number; from?: string; to?: string; extra?: string }): Uint8Array {
  const msg =
    `INVITE sip:${o.to ?? '4930123'}@${o.dst} SIP/2.0\r\nVia: SIP/2.0/UDP ${o.src}:${o.sport ?? 5060};branch=z9hG4bK-${i}\r\n` +
    `From: <sip:${o.from ?? '4415550100'}@${o.src}>;tag=${i}\r\nTo: <sip:${o.to ?? '4930123'}@${o.dst}>\r\nCall-ID: ${i}-load@${o.src}\r\nCSeq: 1 INVITE\r\n` +
    `Contact: <sip:sipp@${o.src}:${o.sport ?? 5060}>\r\n${o.extra ?? ''}Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  return ethUdp4({ src: o.src, dst: o.dst, sport: o.sport ?? 5060, dport: 5060, payload: msg });
}

describe('B2BUA legs (b2bua-legs-quadratic, generated)', () => {
  it('8,000 INVITEs with the same From/To in one burst, through a B2BUA: the CLI prints the report within 10 s', () => {
    const frames: Array<{ timeUs: number; data: Uint8Array }> = [];
    for (let i = 0; i < 4000; i++) {
      frames.push({ timeUs: T0 + i * 100, data: invite(2 * i, { src: '192.0.2.10', dst: '192.0.2.20' }) });
      frames.push({ timeUs: T0 + i * 100 + 50, data: invite(2 * i + 1, { src: '192.0.2.20', dst: '198.51.100.30' }) });
    }
    const file = path.join(tmp, 'b2bua-load.pcap');
    writeFileSync(file, pcapFile(1, frames));
    const r = cli(file);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
    expect(r.json!.calls).toHaveLength(8000);
    expect(checkReport(r.json!)).toEqual([]);
  });

  it('3,000 calls joined by one correlation header: the group is listed once, not copied into every call', async () => {
    const frames: Array<{ timeUs: number; data: Uint8Array }> = [];
    for (let i = 0; i < 3000; i++) frames.push({ timeUs: T0 + i * 10_000, data: invite(i, { src: '192.0.2.10', dst: '192.0.2.20', from: `u${i}`, to: `v${i}`, extra: i > 0 ? 'X-Call-ID: 0-load@192.0.2.10\r\n' : '' }) });
    const r = await report(pcapFile(1, frames));
    expect(r.legGroups).toHaveLength(1);
    expect(r.legGroups![0]).toMatchObject({ id: 0, joinedBy: 'X-Call-ID' });
    expect(r.legGroups![0]!.callIds).toHaveLength(3000);
    expect(r.calls.every((c) => c['legGroup'] === 0 && c['legs'] === null)).toBe(true);
    // Linear: the JSON holds each Call-ID a bounded number of times, not 3,000 times.
    expect(JSON.stringify(r).length).toBeLessThan(3000 * 2000);
  });
});

describe('warnings name frames of the capture', () => {
  it('a file ending inside a record: the warning keeps its offset but names no frame past capture.packets', async () => {
    const whole = pcapFile(1, [0, 1, 2].map((i) => ({ timeUs: T0 + i, data: invite(i, { src: '192.0.2.1', dst: '192.0.2.2' }) })));
    const r = await report(whole.subarray(0, whole.length - 40));
    expect(r.capture.packets).toBe(2);
    const cut = r.warnings.find((w) => /cut short/.test(w.message));
    expect(cut).toBeDefined();
    expect(cut!.frame).toBeUndefined();
    expect(cut!.offset).toBeGreaterThan(0);
  });
});
