/**
 * Issue 17 on real captures: every lab sample with a LAN-side capture opened together with its
 * capture.pcap (real baresip/kamailio/SIPp traffic through a real netfilter NAT). The messages
 * that crossed the NAT are matched, the NAT mappings listed, the SIP-ALG sample's rewrites named
 * header by header, the missing-ACK sample's ACKs lost between the proxy and the LAN; and the
 * same pair with the LAN file's clock moved by +3.7 s (what `editcap -t 3.7` does) gives the same
 * matches and the offset back within 5 ms.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeMany } from './analyze-many.ts';
import type { MultiAnalysis } from './analyze-many.ts';
import { checkReport } from './contract.ts';
import { main } from '../cli/main.ts';
import { NotACaptureError } from './analyze.ts';

const root = path.resolve(import.meta.dirname, '../../public/samples');
const pairs = readdirSync(root).filter((d) => existsSync(path.join(root, d, 'capture-lan.pcap')));

function load(sample: string, shiftLanUs = 0): Promise<MultiAnalysis> {
  const wan = new Uint8Array(readFileSync(path.join(root, sample, 'capture.pcap')));
  const lan = new Uint8Array(readFileSync(path.join(root, sample, 'capture-lan.pcap')));
  const keyLogPath = path.join(root, sample, 'keylog.txt');
  return analyzeMany(
    [
      { name: 'capture.pcap', data: wan },
      { name: 'capture-lan.pcap', data: shiftLanUs === 0 ? lan : shiftPcap(lan, shiftLanUs) },
    ],
    existsSync(keyLogPath) ? { keyLog: readFileSync(keyLogPath, 'utf8') } : {},
  );
}

/** `editcap -t`: every record's timestamp moved by `us` (classic pcap, µs or ns resolution). */
function shiftPcap(bytes: Uint8Array, us: number): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  const magic = v.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  expect([0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1]).toContain(magic);
  const unit = nano ? 1e9 : 1e6;
  for (let off = 24; off + 16 <= out.length; ) {
    const sec = v.getUint32(off, le);
    const frac = v.getUint32(off + 4, le);
    const total = sec * unit + frac + (nano ? us * 1000 : us);
    v.setUint32(off, Math.floor(total / unit), le);
    v.setUint32(off + 4, total % unit, le);
    off += 16 + v.getUint32(off + 8, le);
  }
  return out;
}

/** Matched pairs as "capture:frame–capture:frame" strings, independent of merged indices. */
function pairKeys(a: MultiAnalysis): string[] {
  const r = a.report;
  const k = (i: number): string => `${r.messages[i]!.capture}:${r.messages[i]!.frame}`;
  return r.alignment!.matched.map(([x, y]) => [k(x), k(y)].sort().join('–')).sort();
}

describe('two capture points of one NAT, aligned', () => {
  it('finds the lab pairs to test', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(10);
  });

  for (const sample of pairs) {
    it(`${sample}: every LAN message that crossed to the other point is matched, with its NAT mapping`, async () => {
      const a = await load(sample);
      const r = a.report;
      expect(checkReport(r)).toEqual([]);
      expect(r.captures!.map((c) => c.file)).toEqual(['capture.pcap', 'capture-lan.pcap']);
      // Both files were recorded on one machine's clock: the estimate is near zero.
      expect(Math.abs(r.captures![1]!.clockOffsetUs)).toBeLessThan(5_000);
      const crossCapture = new Set<number>();
      for (const [x, y] of r.alignment!.matched) {
        if (r.messages[x]!.capture !== r.messages[y]!.capture) crossCapture.add(x).add(y);
      }
      // Which LAN messages capture.pcap could have seen: SIP between the same hosts, while recording.
      const lan = r.messages.filter((m) => m.capture === 1);
      const unmatched = lan.filter((m) => !crossCapture.has(m.index));
      for (const m of unmatched) expect(r.alignment!.onlyIn).toContain(m.index);
      const nat = r.alignment!.natMappings;
      expect(nat.length).toBeGreaterThan(0);
      expect(nat.some((n) => n.inside.startsWith('192.168.1.10:') && n.outside.startsWith('203.0.113.1:'))).toBe(true);
      // Frames of a merged message are its own file's.
      for (const m of r.messages) expect(m.frame).toBeLessThanOrEqual(r.captures![m.capture!]!.packets);
      // The LAN side's messages all reached the NAT's other side except where capture.pcap was
      // taken off the path (02: the phone registers with a second proxy capture.pcap never sees).
      if (sample !== '02-excessive-nat-fixup') expect(unmatched.map((m) => m.frame)).toEqual([]);
    });
  }

  it('12-sip-alg: the ALG rewrites named header by header, proven by both copies', async () => {
    const r = (await load('12-sip-alg')).report;
    const hopless = r.alignment!.rewrites.filter((w) => w.noSipHop);
    const inviteRewrites = hopless.filter((w) => r.messages[w.message]!.method === 'INVITE');
    const byHeader = new Map(inviteRewrites.map((w) => [w.header, w]));
    expect([...byHeader.keys()].sort()).toEqual(['Contact', 'Content-Length', 'SDP c=', 'SDP o=', 'Via']);
    expect(byHeader.get('Contact')!.before).toContain('192.168.1.10:5060');
    expect(byHeader.get('Contact')!.after).toContain('203.0.113.1:');
    expect(byHeader.get('SDP c=')).toMatchObject({ before: 'c=IN IP4 192.168.1.10', after: 'c=IN IP4 203.0.113.1' });
    expect(Number(byHeader.get('Content-Length')!.before) - Number(byHeader.get('Content-Length')!.after)).toBe(2);
    const proof = r.findings.filter((f) => f.kind === 'sip-alg-suspected' && f.alsoFrames);
    expect(proof).toHaveLength(1);
    expect(proof[0]!.explanation).toContain('c=IN IP4 192.168.1.10');
    // A plain NAT rewrites nothing in SIP: no other sample shows a rewrite without a SIP hop.
  });

  it('a plain NAT (04-rport-good) rewrites no SIP: no hopless rewrite, no ALG finding, nothing lost', async () => {
    const r = (await load('04-rport-good')).report;
    expect(r.alignment!.rewrites.filter((w) => w.noSipHop)).toEqual([]);
    expect(r.findings.filter((f) => f.alsoFrames || f.kind === 'lost-between-captures')).toEqual([]);
    expect(r.alignment!.lost).toEqual([]);
  });

  it('01-missing-ack: the ACKs left the proxy toward the private Contact and never reached the LAN', async () => {
    const r = (await load('01-missing-ack')).report;
    const lost = r.alignment!.lost.map((l) => r.messages[l.message]!);
    expect(lost.length).toBeGreaterThanOrEqual(10);
    for (const m of lost) {
      expect(m).toMatchObject({ capture: 0, method: 'ACK', dst: '192.168.1.10:5060' });
    }
    const f = r.findings.filter((x) => x.kind === 'lost-between-captures');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', capture: 0, frames: lost.map((m) => m.frame) });
    expect(f[0]!.explanation).toContain('private address');
    expect(f[0]!.title).toContain('ACK ×');
  });

  it('a NAT whose UDP mapping expired (recorded with a 20 s timeout): the BYEs it dropped, and the mapping lifetime measured', async () => {
    const dir = path.resolve(import.meta.dirname, '../../test/captures/alignment/binding-expired');
    const r = (
      await analyzeMany([
        { name: 'capture.pcap', data: new Uint8Array(readFileSync(path.join(dir, 'capture.pcap'))) },
        { name: 'capture-lan.pcap', data: new Uint8Array(readFileSync(path.join(dir, 'capture-lan.pcap'))) },
      ])
    ).report;
    expect(checkReport(r)).toEqual([]);
    const [mp] = r.alignment!.natMappings;
    expect(r.alignment!.natMappings).toHaveLength(1);
    expect(mp).toMatchObject({ inside: '192.168.1.10:5060', transport: 'udp' });
    // The NAT's timeout was 20 s: the mapping survived shorter silences and not 35 s of it.
    expect(mp!.longestIdleUs).toBeLessThan(20e6);
    expect(mp!.droppedAfterIdleUs).toBeGreaterThan(20e6);
    expect(r.messages[mp!.droppedMessage!]).toMatchObject({ method: 'BYE', dst: mp!.outside, capture: 0 });
    const lost = r.findings.filter((f) => f.kind === 'lost-between-captures');
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ severity: 'error', capture: 0 });
    // Only the BYEs sent while the LAN capture was still recording (its last RTCP) are named.
    const lanEnd = r.captures![1]!.lastTime!;
    for (const f of lost[0]!.frames) {
      const m = r.messages.find((x) => x.capture === 0 && x.frame === f)!;
      expect(m).toMatchObject({ method: 'BYE', dst: mp!.outside });
      expect(m.time < lanEnd).toBe(true);
    }
    expect(lost[0]!.frames.length).toBeGreaterThanOrEqual(5);
    expect(lost[0]!.explanation).toMatch(/UDP timeout lies between/);
    expect(lost[0]!.references).toContain('RFC 4787 §4.3');
  });

  it('the media too: 13-rtp-unlatched proves the one-way audio (RTP to the private address never reached the LAN); 09 shows the NAT re-mapping the RTP flow', async () => {
    const r13 = (await load('13-rtp-unlatched')).report;
    const lost = r13.findings.filter((f) => f.kind === 'lost-between-captures');
    expect(lost).toHaveLength(1);
    const s = r13.rtpStreams[r13.alignment!.lostStreams[0]!.stream]!;
    expect(s).toMatchObject({ capture: 0, src: '203.0.113.20:40066', dst: '192.168.1.10:40060', kind: 'rtp' });
    expect(lost[0]).toMatchObject({ severity: 'error', capture: 0, frames: [s.firstFrame, s.lastFrame] });
    expect(lost[0]!.explanation).toContain('private address');
    const rtp13 = r13.alignment!.natMappings.filter((m) => m.carries === 'rtp');
    expect(rtp13.map((m) => m.inside)).toEqual(['192.168.1.10:40060']);

    const r09 = (await load('09-rtp-source-port-changed')).report;
    const rtp09 = r09.alignment!.natMappings.filter((m) => m.carries === 'rtp');
    // One inside port, three outside ports one after another: the NAT re-mapped the flow twice.
    expect(new Set(rtp09.map((m) => m.inside))).toEqual(new Set(['192.168.1.10:40000']));
    expect(new Set(rtp09.map((m) => m.outside)).size).toBe(3);
    expect(r09.alignment!.lostStreams).toEqual([]);

    // A relay's probe to a port it abandons is not a mapping; healthy media loses nothing.
    for (const sample of ['14-rtpengine-relay', '04-rport-good']) {
      const r = (await load(sample)).report;
      expect(r.alignment!.lostStreams).toEqual([]);
      expect(r.alignment!.natMappings.filter((m) => m.carries === 'rtp').map((m) => m.inside)).toHaveLength(1);
    }
  });

  it('the LAN file shifted by +3.7 s: the same matches, the offset within 5 ms', async () => {
    for (const sample of ['01-missing-ack', '12-sip-alg', '08-one-way-audio']) {
      const plain = await load(sample);
      const shifted = await load(sample, 3_700_000);
      expect(Math.abs(shifted.report.captures![1]!.clockOffsetUs - 3_700_000)).toBeLessThan(5_000);
      expect(pairKeys(shifted)).toEqual(pairKeys(plain));
      expect(shifted.report.alignment!.lost.length).toBe(plain.report.alignment!.lost.length);
      // On the common timeline the LAN copy sits next to its WAN copy again.
      const r = shifted.report;
      for (const [x, y] of r.alignment!.matched) expect(Math.abs(r.messages[x]!.timeUs - r.messages[y]!.timeUs)).toBeLessThan(50_000);
    }
  });

  it('a file that is not a capture among several is named', async () => {
    const wan = new Uint8Array(readFileSync(path.join(root, '12-sip-alg/capture.pcap')));
    await expect(analyzeMany([{ name: 'capture.pcap', data: wan }, { name: 'notes.txt', data: new TextEncoder().encode('not a capture at all') }])).rejects.toThrow(/^notes\.txt: /);
  });

  it('CLI: sipladder analyze a b --json prints captures[] and alignment', async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    // The JSON comes as UTF-8 chunks (cli/json-stream.ts), the rest as text.
    const decoder = new TextDecoder();
    process.stdout.write = ((s: string | Uint8Array, cb?: () => void) => {
      chunks.push(typeof s === 'string' ? s : decoder.decode(s, { stream: true }));
      cb?.();
      return true;
    }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['analyze', path.join(root, '12-sip-alg/capture.pcap'), path.join(root, '12-sip-alg/capture-lan.pcap'), '--json']);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    const report = JSON.parse(chunks.join('')) as MultiAnalysis['report'];
    expect(report.captures).toHaveLength(2);
    expect(report.alignment!.natMappings[0]).toMatchObject({ inside: '192.168.1.10:5060', transport: 'udp' });
    expect(report.messages.filter((m) => m.capture === 1)).toHaveLength(6);
  });

  it('bad input in one of the files: every damaged pair still gives a report that keeps the contract', async () => {
    // Deterministic damage (mulberry32): bytes flipped in the records, sometimes the file cut.
    let a = 20261203;
    const rnd = (): number => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let reports = 0;
    for (const sample of ['01-missing-ack', '12-sip-alg', '06-tcp-closed-mid-call']) {
      const wan = new Uint8Array(readFileSync(path.join(root, sample, 'capture.pcap')));
      const lan = new Uint8Array(readFileSync(path.join(root, sample, 'capture-lan.pcap')));
      for (let k = 0; k < 25; k++) {
        const bad = lan.slice(0, rnd() < 0.3 ? 24 + Math.floor(rnd() * (lan.length - 24)) : lan.length);
        const flips = 1 + Math.floor(rnd() * 40);
        for (let f = 0; f < flips && bad.length > 24; f++) bad[24 + Math.floor(rnd() * (bad.length - 24))] = Math.floor(rnd() * 256);
        const order = rnd() < 0.5 ? [bad, wan] : [wan, bad];
        try {
          const r = await analyzeMany(order.map((d, i) => ({ name: `f${i}`, data: d })));
          expect(checkReport(r.report)).toEqual([]);
          JSON.stringify(r.report);
          reports++;
        } catch (e) {
          if (!(e instanceof NotACaptureError)) throw e;
        }
      }
    }
    expect(reports).toBeGreaterThan(60);
  });
});

