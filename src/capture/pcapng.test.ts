import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { pcapngBytes, readAll } from './testing/containers.ts';
import type { NgSection } from './testing/containers.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');

const P1 = Uint8Array.from([0x01, 0x02, 0x03, 0x04, 0x05]); // 5 bytes: padding needed
const P2 = Uint8Array.from([0x45, 0x00, 0x00, 0x14, 0, 0, 0, 0]);
const P3 = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22]);
const P4 = Uint8Array.from([0x00, 0x08, 0x00, 0x00, 0xca, 0xfe, 0xba, 0xbe]);
const SECRETS = new TextEncoder().encode('CLIENT_RANDOM 00 11\n');

/** Section 1, little-endian: Ethernet (µs, snaplen 6) and raw IPv4 (ns, offset +10 s). */
const section1: NgSection = {
  littleEndian: true,
  interfaces: [
    { linkType: 1, snaplen: 6 },
    { linkType: 228, tsresol: 9, tsoffset: 10 },
  ],
  blocks: [
    { kind: 'epb', iface: 0, ts: 1700000000_123456n, data: P1, origLen: 64 },
    { kind: 'raw', type: 4, body: Uint8Array.from([0, 0, 0, 0]) }, // name resolution block: skipped
    { kind: 'dsb', secretsType: 0x544c534b, data: SECRETS },
    { kind: 'epb', iface: 1, ts: 1700000000_987654321n, data: P2 },
    { kind: 'spb', data: P3 }, // interface 0: snaplen 6 cuts 7 bytes to 6
    { kind: 'raw', type: 0x40000bad, body: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }, // custom block: skipped
  ],
};

/** Section 2, big-endian: Linux SLL2 with 2^-20 s resolution, an OPB then an EPB. */
const section2: NgSection = {
  littleEndian: false,
  interfaces: [{ linkType: 276, tsresol: 0x80 | 20 }],
  blocks: [
    { kind: 'opb', iface: 0, ts: 1700000001n * 1048576n + 524288n, data: P4 }, // +0.5 s
    { kind: 'epb', iface: 0, ts: 1700000002n * 1048576n + 1n, data: P1 }, // +~0.95 µs: floored
  ],
};

describe('pcapng reader', () => {
  const bytes = pcapngBytes([section1, section2]);

  it('reads two sections of different byte order, several interfaces, EPB/SPB/OPB and a DSB', () => {
    const r = readAll(bytes);
    expect(r.format).toBe('pcapng');
    expect(r.warnings).toEqual([]);
    expect(r.linkTypes).toEqual([1, 228, 276]);
    expect(r.records.map((x) => [x.frame, x.linkType, x.interfaceId, x.timeUs, Array.from(x.data), x.origLen])).toEqual([
      [1, 1, 0, 1700000000_123456, Array.from(P1), 64],
      [2, 228, 1, 1700000010_987654, Array.from(P2), 8],
      [3, 1, 0, 1700000010_987654, Array.from(P3.subarray(0, 6)), 7], // SPB: time of the previous packet
      [4, 276, 0, 1700000001_500000, Array.from(P4), 8],
      [5, 276, 0, 1700000002_000000, Array.from(P1), 5],
    ]);
    expect(r.secrets).toEqual([{ type: 0x544c534b, data: SECRETS }]);
    // first EPB follows the SHB (28 bytes) and two IDBs (20, and 20 + options 8 + 12 + 4)
    expect(r.records[0]?.fileOffset).toBe(28 + 20 + 44);
  });

  it('gives identical results when pushed one byte at a time or in odd chunks', () => {
    const whole = readAll(bytes);
    for (const chunk of [1, 3, 13, 64]) expect(readAll(bytes, chunk)).toEqual(whole);
  });

  it('stops with a warning at a block whose length is impossible', () => {
    for (const claim of [13, 8, 0x7ffffff0]) {
      const bad = pcapngBytes([{
        littleEndian: true,
        interfaces: [{ linkType: 1 }],
        blocks: [
          { kind: 'epb', iface: 0, ts: 1n, data: P1 },
          { kind: 'raw', type: 0x99, body: new Uint8Array(4), claimLength: claim },
          { kind: 'epb', iface: 0, ts: 2n, data: P1 },
        ],
      }]);
      for (const chunk of [bad.length, 1]) {
        const r = readAll(bad, chunk);
        expect(r.records.map((x) => x.frame)).toEqual([1]);
        expect(r.warnings).toHaveLength(1);
        expect(r.warnings[0]?.message).toBe(`block type 0x99 at offset 88 claims a length of ${claim} bytes; the rest of the file cannot be read reliably`);
      }
    }
  });

  it('stops when the trailing block length does not match', () => {
    const bad = pcapngBytes([{
      littleEndian: false,
      interfaces: [{ linkType: 1 }],
      blocks: [
        { kind: 'raw', type: 0x99, body: new Uint8Array(4), trailerLength: 20 },
        { kind: 'epb', iface: 0, ts: 2n, data: P1 },
      ],
    }]);
    const r = readAll(bad);
    expect(r.records).toEqual([]);
    expect(r.warnings[0]?.message).toContain('trailing length 20 does not match its leading length 16');
  });

  it('reports a block cut short at the end of the file', () => {
    const full = pcapngBytes([section1]);
    const cut = full.subarray(0, full.length - 30);
    for (const chunk of [cut.length, 1]) {
      const r = readAll(cut, chunk);
      expect(r.records.map((x) => x.frame)).toEqual([1, 2]);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]?.message).toBe('the block at offset 228 is cut short: the file ends after 14 of its 24 bytes');
    }
  });

  it('clamps a packet claiming more bytes than its block holds, and skips packets of undeclared interfaces', () => {
    const r = readAll(pcapngBytes([{
      littleEndian: true,
      interfaces: [{ linkType: 1 }],
      blocks: [
        { kind: 'epb', iface: 0, ts: 1n, data: P2, claimCaplen: 1000 },
        { kind: 'epb', iface: 3, ts: 2n, data: P1 },
        { kind: 'epb', iface: 0, ts: 3n, data: P1 },
      ],
    }]));
    expect(r.records.map((x) => [x.frame, x.data.length])).toEqual([[1, 8], [3, 5]]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'packet block of frame 1 at offset 48 claims 1000 captured bytes but holds at most 8; reading 8',
      'frame 2 at offset 88 refers to interface 3, which the section never described; such packets are skipped',
    ]);
  });

  it('counts the packets of the public pcapng files as Wireshark does', () => {
    for (const [file, packets, linkTypes] of [
      ['heplify/erspan_sip_ipv4_udp.pcapng', 140, [1]],
      ['ndpi/gre.pcapng', 1, [1]],
      ['ndpi/sip_hello.pcapng', 30, [1]],
      ['ndpi/http_on_sip_port.pcap', 4, [1]],
      ['hep-wireshark/hep3_compressed.pcap.pcapng', 21, [113]],
    ] as const) {
      const r = readAll(new Uint8Array(fs.readFileSync(path.join(PUBLIC, file))), 1000);
      expect(r.format).toBe('pcapng');
      expect(r.warnings).toEqual([]);
      expect(r.records.length).toBe(packets);
      expect(r.linkTypes).toEqual(linkTypes);
      // frames are 1..n and time never goes before 2000-01-01
      expect(r.records.map((x) => x.frame)).toEqual(Array.from({ length: packets }, (_, i) => i + 1));
      expect(r.records.every((x) => x.timeUs > 946684800e6)).toBe(true);
    }
  });
});
