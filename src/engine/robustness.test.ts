/**
 * Bad input is normal input: truncated captures, bit flips, wrong magic, a record claiming 4 GB,
 * binary junk on port 5060, a cut gzip stream. The engine returns what it could read plus
 * warnings, or one NotACaptureError when the bytes are not a capture; it never throws anything
 * else and never hangs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ethUdp4, pcapFile } from '../capture/testing/packets.ts';
import { analyzeBytes, budgetForFirst, NotACaptureError } from './analyze.ts';
import type { Report } from '../report/report.ts';
// A deterministic generator, so that a failure can be replayed.
import { mulberry32 as rng } from '../lib/random.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const load = (f: string) => new Uint8Array(readFileSync(path.join(PUBLIC, f)));
const FILES = ['sngrep/aaa.pcap', 'heplify/sip_ipv4_tcp_fragmented.pcap', 'heplify/sip_tcp_websocket.pcap', 'sngrep/ipv6frag.pcap', 'ndpi/sip_hello.pcapng', 'heplify/erspan_sip_ipv4_udp.pcapng'];

/** A report, or null when the engine said "not a capture"; anything else fails the test. */
async function analyseOrRefuse(bytes: Uint8Array): Promise<Report | null> {
  try {
    return (await analyzeBytes(bytes)).report;
  } catch (e) {
    if (e instanceof NotACaptureError) return null;
    throw e;
  }
}

describe('bad input', () => {
  for (const file of FILES) {
    it(`${file}: cut at 40 points, each gives a partial report with a warning`, async () => {
      const bytes = load(file);
      const full = (await analyzeBytes(bytes)).report;
      for (let k = 1; k <= 40; k++) {
        const cut = Math.floor((bytes.length * k) / 41) + (k % 7);
        const r = await analyseOrRefuse(bytes.subarray(0, cut));
        if (r === null) {
          expect(cut).toBeLessThan(64); // only a cut inside the file header is "not a capture"
          continue;
        }
        expect(r.capture.packets).toBeLessThanOrEqual(full.capture.packets);
        expect(r.messages.length).toBeLessThanOrEqual(full.messages.length + 1);
      }
      const mid = await analyseOrRefuse(bytes.subarray(0, Math.floor(bytes.length / 2) + 3));
      expect(mid?.warnings.length).toBeGreaterThan(0);
    });

    it(`${file}: 40 rounds of random bit flips never throw`, async () => {
      const bytes = load(file);
      const rand = rng(file.length * 7919);
      for (let round = 0; round < 40; round++) {
        const copy = bytes.slice();
        for (let f = 0; f < 30; f++) {
          const at = Math.floor(rand() * copy.length);
          copy[at] = copy[at]! ^ (1 << Math.floor(rand() * 8));
        }
        await analyseOrRefuse(copy);
      }
    });
  }

  it('a record claiming 4 GB stops the read with a warning that says where', async () => {
    const bytes = load('sngrep/aaa.pcap').slice();
    // Record 3's header: walk records from offset 24 (16-byte headers, caplen at +8).
    let off = 24;
    const v = new DataView(bytes.buffer);
    for (let i = 0; i < 2; i++) off += 16 + v.getUint32(off + 8, true);
    v.setUint32(off + 8, 0xfffffff0, true);
    const r = (await analyzeBytes(bytes)).report;
    expect(r.capture.packets).toBe(2);
    expect(r.warnings.some((w) => w.offset === off || w.frame === 3)).toBe(true);
  });

  it('wrong magic and an empty file are refused with one clear message', async () => {
    await expect(analyzeBytes(new Uint8Array(0))).rejects.toThrow(NotACaptureError);
    await expect(analyzeBytes(new TextEncoder().encode('%PDF-1.7 not a capture'))).rejects.toThrow(/not a capture/);
  });

  it('binary junk on UDP 5060 is a warning, and the SIP around it is still read', async () => {
    const rand = rng(42);
    const junk = new Uint8Array(200).map(() => Math.floor(rand() * 256));
    junk[0] = 0x01; // not a printable start
    const invite = new TextEncoder().encode('OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK1\r\nFrom: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>\r\nCall-ID: junk-test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    const cap = pcapFile(1, [
      { timeUs: 1e15, data: ethUdp4({ src: '192.0.2.2', dst: '192.0.2.1', sport: 5060, dport: 5060, payload: junk }) },
      { timeUs: 1e15 + 1000, data: ethUdp4({ src: '192.0.2.2', dst: '192.0.2.1', sport: 5060, dport: 5060, payload: invite }) },
    ]);
    const r = (await analyzeBytes(cap)).report;
    expect(r.messages.map((m) => [m.frame, m.method])).toEqual([[2, 'OPTIONS']]);
    expect(r.warnings).toEqual([expect.objectContaining({ frame: 1, message: expect.stringMatching(/200 bytes on UDP port 5060 are not SIP/) })]);
  });

  it('a gzip stream cut short gives what was decompressed plus a warning', async () => {
    const gz = gzipSync(load('sngrep/aaa.pcap'));
    const r = (await analyzeBytes(gz.subarray(0, Math.floor(gz.length * 0.6)))).report;
    expect(r.capture.compressed).toBe(true);
    expect(r.capture.packets).toBeGreaterThan(50);
    expect(r.warnings.length).toBeGreaterThan(0);
  });

  it('keeps SIP messages up to the memory budget, counts the rest, and still reads every packet', async () => {
    const bytes = load('ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap');
    const whole = await analyzeBytes(bytes);
    const full = whole.report;
    // A budget that keeps the first 80 of its 92 SIP messages, counted as the engine counts them.
    const cut = (await analyzeBytes(bytes, { memoryBudgetBytes: budgetForFirst(whole.messages, 80) })).report;
    expect(cut.messages).toHaveLength(80);
    expect(full.capture.messagesNotKept).toBe(0);
    expect(full.capture.messagesNotKeptFromFrame).toBeNull();
    const kept = cut.messages.length;
    expect(kept).toBeGreaterThan(10);
    expect(kept).toBeLessThan(full.messages.length);
    expect(kept + cut.capture.messagesNotKept).toBe(full.messages.length);
    // The kept ones are the first ones, as they were; the warning names where keeping stopped.
    expect(cut.messages.map((m) => `${m.frame} ${m.startLine}`)).toEqual(full.messages.slice(0, kept).map((m) => `${m.frame} ${m.startLine}`));
    const next = full.messages[kept]!;
    expect(cut.capture.messagesNotKeptFromFrame).toBe(next.frame);
    expect(cut.warnings[0]).toMatchObject({ frame: next.frame });
    expect(cut.warnings[0]!.message).toContain(`${cut.capture.messagesNotKept} later SIP messages (frames ${next.frame}–${full.messages[full.messages.length - 1]!.frame})`);
    expect(cut.capture.packets).toBe(full.capture.packets);
    const rtp = (r: Report) => r.rtpStreams.reduce((n, s) => n + s.packets, 0);
    expect(rtp(cut)).toBe(rtp(full));
  });
});
