import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { NetworkDecoder } from './network.ts';
import { FragmentReassembler } from './fragments.ts';
import type { CaptureWarning, IpPacket, PacketRecord } from './types.ts';
import { readAll } from './testing/containers.ts';
import { ethernet, hex, ipv4, ipv6, ipv6FragmentExt, udp } from './testing/packets.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');

interface Seen { frame: number; firstFrame: number; protocol: number; src: string; dst: string; payload: Uint8Array }

function run(frames: Array<{ data: Uint8Array; timeUs?: number; linkType?: number }>): { ips: Seen[]; warnings: CaptureWarning[] } {
  const ips: Seen[] = [];
  const warnings: CaptureWarning[] = [];
  const net = new NetworkDecoder({
    ip: (p: IpPacket) => ips.push({ frame: p.frame, firstFrame: p.firstFrame, protocol: p.protocol, src: p.src, dst: p.dst, payload: p.payload.slice() }),
    warning: (w) => warnings.push(w),
  });
  frames.forEach((f, i) => {
    const rec: PacketRecord = { frame: i + 1, timeUs: f.timeUs ?? 1_000 * i, linkType: f.linkType ?? 1, data: f.data, origLen: f.data.length, fileOffset: 0, interfaceId: 0 };
    net.packet(rec);
  });
  net.end();
  return { ips, warnings };
}

// A 3000-byte UDP datagram: 8-byte header + 2992 bytes of data.
const DATA = Uint8Array.from({ length: 2992 }, (_, i) => (i * 31 + 7) & 255);
const DGRAM = udp({ sport: 5060, dport: 5060, payload: DATA });

/** IPv4 fragment of DGRAM covering [start, end) (start a multiple of 8). */
function frag4(start: number, end: number, id = 0x1234): Uint8Array {
  const more = end < DGRAM.length;
  return ethernet({
    type: 0x0800,
    payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id, flags: more ? 1 : 0, fragOffset: start / 8, payload: DGRAM.subarray(start, end) }),
  });
}

/** IPv6 fragment of DGRAM covering [start, end). */
function frag6(start: number, end: number, id = 0xabcdef): Uint8Array {
  return ethernet({
    type: 0x86dd,
    payload: ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17, ext: [ipv6FragmentExt(start / 8, end < DGRAM.length, id)], payload: DGRAM.subarray(start, end) }),
  });
}

describe('IP fragment reassembly', () => {
  it('IPv4: out of order and duplicated fragments give one datagram, at the completing frame', () => {
    const { ips, warnings } = run([
      { data: frag4(2960, 3000) }, // frame 1: last fragment
      { data: frag4(0, 1480) }, // frame 2: first
      { data: frag4(2960, 3000) }, // frame 3: duplicate of the last
      { data: frag4(1480, 2960) }, // frame 4: middle, completes it
      { data: frag4(0, 1480) }, // frame 5: a late duplicate starts a new, never completed set
    ]);
    expect(ips).toHaveLength(1);
    expect(ips[0]).toMatchObject({ frame: 4, firstFrame: 1, protocol: 17, src: '10.0.0.1', dst: '10.0.0.2' });
    expect(ips[0]!.payload).toEqual(DGRAM);
    expect(warnings.map((w) => w.message)).toEqual([
      'IPv4 datagram id 0x1234 from 10.0.0.1 to 10.0.0.2: fragments at frame 5 never completed (missing bytes from 1480 to the end (the last fragment was never seen))',
    ]);
  });

  it('IPv6: out of order and duplicated fragments, with a destination-options header in the fragmentable part', () => {
    const { ips, warnings } = run([
      { data: frag6(1448, 3000) },
      { data: frag6(1448, 3000) },
      { data: frag6(0, 1448) },
    ]);
    expect(warnings).toEqual([]);
    expect(ips).toHaveLength(1);
    expect(ips[0]).toMatchObject({ frame: 3, firstFrame: 1, protocol: 17, src: '2001:db8::1', dst: '2001:db8::2' });
    expect(ips[0]!.payload).toEqual(DGRAM);

    // Destination options (60) after the fragment header travel inside the fragments.
    const withOpts = new Uint8Array([17, 0, 1, 4, 0, 0, 0, 0, ...DGRAM]); // next header UDP, len 0, PadN(4)
    const f = (start: number, end: number) =>
      ethernet({ type: 0x86dd, payload: ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 60, ext: [ipv6FragmentExt(start / 8, end < withOpts.length, 7)], payload: withOpts.subarray(start, end) }) });
    const r = run([{ data: f(1000, withOpts.length) }, { data: f(0, 1000) }]);
    expect(r.ips).toHaveLength(1);
    expect(r.ips[0]!.protocol).toBe(17);
    expect(r.ips[0]!.payload).toEqual(DGRAM);
  });

  it('overlapping fragments: the bytes seen first win, and a differing overlap is reported', () => {
    const same = run([{ data: frag4(0, 1600) }, { data: frag4(1480, 3000) }]);
    expect(same.warnings).toEqual([]);
    expect(same.ips[0]!.payload).toEqual(DGRAM);

    const forged = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id: 0x1234, flags: 1, fragOffset: 1480 / 8, payload: new Uint8Array(1480).fill(0xee) }) });
    const r = run([{ data: frag4(0, 2000) }, { data: forged }, { data: frag4(2960, 3000) }]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'IPv4 datagram id 0x1234 from 10.0.0.1 to 10.0.0.2: fragment at frame 2 overlaps earlier fragments with different bytes; the earlier bytes are kept',
    ]);
    expect(Array.from(r.ips[0]!.payload.subarray(0, 2000))).toEqual(Array.from(DGRAM.subarray(0, 2000)));
    expect(r.ips[0]!.payload.subarray(2000, 2960).every((b) => b === 0xee)).toBe(true);
  });

  it('reports an incomplete set with its frames and missing bytes at the end', () => {
    const { ips, warnings } = run([
      { data: ethernet({ type: 0x0800, payload: hex('') }) }, // frame 1: a bare Ethernet header, ignored
      { data: frag4(0, 1480) }, // frame 2
      { data: frag4(2960, 3000) }, // frame 3
    ]);
    expect(ips).toEqual([]);
    expect(warnings).toEqual([
      { frame: 1, offset: 0, message: 'IPv4 header cut short (0 of 20 bytes captured)' },
      { frame: 2, message: 'IPv4 datagram id 0x1234 from 10.0.0.1 to 10.0.0.2: fragments at frames 2, 3 never completed (missing bytes 1480–2959)' },
    ]);
  });

  it('gives up a set after 30 s of capture time', () => {
    const other = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.9', dst: '10.0.0.2', protocol: 17, payload: udp({ sport: 1, dport: 2, payload: hex('00') }) }) });
    const { ips, warnings } = run([
      { data: frag4(0, 1480), timeUs: 0 },
      { data: other, timeUs: 29_000_000 },
      { data: other, timeUs: 31_000_000 },
      { data: frag4(1480, 3000), timeUs: 31_500_000 }, // too late: starts a new set
    ]);
    expect(ips.map((p) => p.frame)).toEqual([2, 3]);
    expect(warnings.map((w) => w.message)).toEqual([
      'IPv4 datagram id 0x1234 from 10.0.0.1 to 10.0.0.2: fragments at frame 1 never completed within 30 s (missing bytes from 1480 to the end (the last fragment was never seen))',
      'IPv4 datagram id 0x1234 from 10.0.0.1 to 10.0.0.2: fragments at frame 4 never completed (missing bytes 0–1479)',
    ]);
  });

  it('bounds memory: the oldest set is dropped when too many are open or too many bytes are held', () => {
    const warnings: string[] = [];
    const r = new FragmentReassembler((w) => warnings.push(w.message), { maxDatagrams: 2, maxBytes: 1 << 20 });
    const part = new Uint8Array(16);
    for (let id = 1; id <= 3; id++) expect(r.add(4, '1.1.1.1', '2.2.2.2', 17, id, 0, true, part, id, 0)).toBeNull();
    expect(r.pending).toBe(2);
    expect(warnings).toEqual(['IPv4 datagram id 0x1 from 1.1.1.1 to 2.2.2.2: fragments at frame 1 dropped at frame 3 because 2 datagrams were being reassembled at once (missing bytes from 16 to the end (the last fragment was never seen))']);

    const w2: string[] = [];
    const small = new FragmentReassembler((w) => w2.push(w.message), { maxBytes: 40 });
    small.add(6, '::1', '::2', 17, 9, 0, true, new Uint8Array(32), 1, 0);
    small.add(6, '::1', '::3', 17, 9, 0, true, new Uint8Array(32), 2, 0);
    expect(small.pending).toBe(1);
    expect(w2[0]).toContain('dropped at frame 2 because fragments held more than 40 bytes');
    // The survivor still completes.
    const done = small.add(6, '::1', '::3', 17, 9, 32, false, new Uint8Array(8).fill(1), 3, 0);
    expect(done?.payload.length).toBe(40);
    expect(done?.firstFrame).toBe(2);
  });

  it('reassembles the real IPv6 fragments of sngrep/ipv6frag.pcap as Wireshark does', () => {
    const r = readAll(new Uint8Array(fs.readFileSync(path.join(PUBLIC, 'sngrep/ipv6frag.pcap'))));
    const { ips, warnings } = run(r.records);
    expect(warnings).toEqual([]);
    const reassembled = ips.filter((p) => p.firstFrame !== p.frame);
    // tshark: frames 1+2 → UDP length 1699 (in frame 2); frames 4+5 → 1879 (in frame 5)
    expect(reassembled.map((p) => [p.firstFrame, p.frame, p.payload.length, (p.payload[4]! << 8) | p.payload[5]!])).toEqual([
      [1, 2, 1699, 1699],
      [4, 5, 1879, 1879],
    ]);
    expect(new TextDecoder().decode(reassembled[0]!.payload.subarray(8, 20))).toMatch(/^[A-Z]+ |^SIP\/2\.0/);
    expect(ips).toHaveLength(32);
  });

  it('reassembles the real IPv4 fragments of snort3-demo/digium.pcap (12 fragments, frames 20–31)', () => {
    const r = readAll(new Uint8Array(fs.readFileSync(path.join(PUBLIC, 'snort3-demo/digium.pcap'))));
    const { ips, warnings } = run(r.records);
    expect(warnings).toEqual([]);
    const reassembled = ips.filter((p) => p.firstFrame !== p.frame);
    expect(reassembled.map((p) => [p.firstFrame, p.frame, p.protocol])).toEqual([[20, 31, 17]]);
    const udpLen = (reassembled[0]!.payload[4]! << 8) | reassembled[0]!.payload[5]!;
    expect(reassembled[0]!.payload.length).toBe(udpLen);
    expect(udpLen).toBeGreaterThan(2035 * 8);
  });
});
