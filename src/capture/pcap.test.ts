import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pcapBytes, readAll } from './testing/containers.ts';
import { PcapReader } from './pcap.ts';
import type { PacketRecord } from './types.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const manifest = JSON.parse(fs.readFileSync(path.join(PUBLIC, 'manifest.json'), 'utf8')) as Array<{ file: string; format: string; packets: number }>;

const A = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
const B = Uint8Array.from([0xaa, 0xbb, 0xcc]);
const C = Uint8Array.from([0x10, 0x20, 0x30, 0x40, 0x50]);

function threeRecords(littleEndian: boolean, nanos: boolean): Uint8Array {
  return pcapBytes({ littleEndian, nanos, linkType: 113, snaplen: 65535 }, [
    { sec: 1700000000, frac: nanos ? 123456789 : 123456, data: A, origLen: 60 },
    { sec: 1700000001, frac: nanos ? 999 : 0, data: B },
    { sec: 1700000002, frac: nanos ? 999999999 : 999999, data: C },
  ]);
}

describe('classic pcap reader', () => {
  for (const le of [true, false]) {
    for (const nanos of [false, true]) {
      it(`reads ${le ? 'little' : 'big'}-endian ${nanos ? 'ns' : 'µs'} files`, () => {
        const r = readAll(threeRecords(le, nanos));
        expect(r.format).toBe('pcap');
        expect(r.warnings).toEqual([]);
        expect(r.linkTypes).toEqual([113]);
        expect(r.records.map((x) => x.frame)).toEqual([1, 2, 3]);
        expect(r.records.map((x) => x.timeUs)).toEqual([
          1700000000_000000 + 123456,
          1700000001_000000 + (nanos ? 0 : 0),
          1700000002_000000 + 999999,
        ]);
        expect(r.records.map((x) => Array.from(x.data))).toEqual([Array.from(A), Array.from(B), Array.from(C)]);
        expect(r.records.map((x) => x.origLen)).toEqual([60, 3, 5]);
        // 24-byte file header, then 16-byte record headers
        expect(r.records.map((x) => x.fileOffset)).toEqual([24, 24 + 16 + 10, 24 + 16 + 10 + 16 + 3]);
        expect(r.records.every((x) => x.linkType === 113 && x.interfaceId === 0)).toBe(true);
      });
    }
  }

  it('gives identical results when pushed one byte at a time or in odd chunks', () => {
    const bytes = threeRecords(true, false);
    const whole = readAll(bytes);
    for (const chunk of [1, 2, 3, 7, 17, 25]) expect(readAll(bytes, chunk)).toEqual(whole);
  });

  it('reports a truncated final record with its frame and offset', () => {
    const full = threeRecords(true, false);
    const cut = full.subarray(0, full.length - 2); // the third record loses 2 of its 5 data bytes
    for (const chunk of [cut.length, 1]) {
      const r = readAll(cut, chunk);
      expect(r.records).toHaveLength(2);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toMatchObject({ frame: 3, offset: 24 + 26 + 19 });
      expect(r.warnings[0]?.message).toBe('record 3 at offset 69 is cut short: the file ends inside its data (3 of 5 bytes)');
    }
    const headerCut = readAll(full.subarray(0, 24 + 26 + 5));
    expect(headerCut.warnings[0]?.message).toBe('record 2 at offset 50 is cut short: the file ends inside its header (5 of 16 bytes)');
    expect(readAll(full.subarray(0, 10)).warnings[0]?.message).toContain('ends inside the pcap file header (10 of 24 bytes)');
  });

  it('stops at a record claiming 4 GB without allocating it', () => {
    const bytes = pcapBytes({ littleEndian: true, snaplen: 65535 }, [
      { sec: 1, frac: 0, data: A },
      { sec: 2, frac: 0, data: B, claimCaplen: 0xffffffff }, // corrupt length
      { sec: 3, frac: 0, data: C },
    ]);
    for (const chunk of [bytes.length, 1, 5]) {
      const r = readAll(bytes, chunk);
      expect(r.records.map((x) => x.frame)).toEqual([1]);
      expect(r.warnings.map((w) => w.message)).toEqual([
        'record 2 at offset 50 claims 4294967295 bytes; the rest of the file cannot be read reliably',
      ]);
      expect(r.warnings[0]).toMatchObject({ frame: 2, offset: 50 });
    }
  });

  it('stops at a record longer than a sane snaplen, and at one beyond 256 KiB when snaplen is not sane', () => {
    const small = pcapBytes({ snaplen: 8 }, [{ sec: 1, frac: 0, data: A }]);
    expect(readAll(small).warnings[0]?.message).toBe('record 1 at offset 24 claims 10 bytes; the rest of the file cannot be read reliably');
    const insane = pcapBytes({ snaplen: 0 }, [
      { sec: 1, frac: 0, data: A },
      { sec: 1, frac: 0, data: B, claimCaplen: 300000 },
    ]);
    const r = readAll(insane);
    expect(r.records).toHaveLength(1);
    expect(r.warnings[0]?.message).toBe('record 2 at offset 50 claims 300000 bytes; the rest of the file cannot be read reliably');
  });

  it('keeps the link type from the header (low 16 bits) and reads an empty capture', () => {
    const r = readAll(pcapBytes({ linkType: 0x04000001, littleEndian: false }, []));
    expect(r.linkTypes).toEqual([1]);
    expect(r.records).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('walks large chunks fast (record walk alone)', () => {
    // 16 MiB of 200-byte records (a typical RTP-sized packet).
    const rec = new Uint8Array(200);
    const n = Math.floor((16 << 20) / 216);
    const records = [];
    for (let i = 0; i < n; i++) records.push({ sec: 1700000000 + (i >> 10), frac: i & 1023, data: rec });
    const bytes = pcapBytes({}, records);
    let count = 0;
    let sum = 0;
    const runs: number[] = [];
    for (let run = 0; run < 8; run++) {
      const reader = new PcapReader({ packet: (p: PacketRecord) => { count++; sum += p.data.length; }, warning: () => {} });
      // CPU time of this thread, so that other processes on a loaded machine do not count.
      const t0 = process.cpuUsage().user;
      reader.push(bytes);
      reader.end();
      runs.push((process.cpuUsage().user - t0) / 1000);
    }
    expect(count).toBe(8 * n);
    expect(sum).toBe(8 * n * 200);
    const best = Math.min(...runs);
    const gbps = bytes.length / (best / 1000) / 1e9;
    console.log(`pcap record walk: ${gbps.toFixed(2)} GB/s (${n} records of 200 bytes, best of 8)`);
    expect(gbps).toBeGreaterThan(0.3); // loose bound for slow CI; the measured figure is logged
  });
});

/** pcap-parser reads only the µs magic (either byte order). */
function isMicrosecondPcap(b: Buffer): boolean {
  return b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b2c3d4;
}

interface OracleRecord { sec: number; usec: number; caplen: number; origlen: number; data: number[] }

/** pcap-parser (an independent implementation) → the record headers and bytes it yields. */
function oracle(file: string): Promise<OracleRecord[]> {
  const require = createRequire(import.meta.url);
  const pcapParser = require('pcap-parser') as { parse(p: string): NodeJS.EventEmitter };
  return new Promise((resolve, reject) => {
    const out: OracleRecord[] = [];
    const parser = pcapParser.parse(file);
    parser.on('packet', (p: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      out.push({ sec: p.header.timestampSeconds, usec: p.header.timestampMicroseconds, caplen: p.header.capturedLength, origlen: p.header.originalLength, data: Array.from(p.data) });
    });
    parser.on('end', () => resolve(out));
    parser.on('error', reject);
  });
}

describe('classic pcap reader against pcap-parser (oracle) on the public captures', () => {
  const files = manifest.filter((e) => e.format === 'pcap' && isMicrosecondPcap(fs.readFileSync(path.join(PUBLIC, e.file))));
  it('has classic µs pcap files to compare', () => {
    expect(files.length).toBeGreaterThan(40);
  });
  for (const e of files) {
    it(e.file, async () => {
      const file = path.join(PUBLIC, e.file);
      const expected = await oracle(file);
      const ours = readAll(new Uint8Array(fs.readFileSync(file)), 4096);
      expect(ours.warnings).toEqual([]);
      expect(ours.records.length).toBe(expected.length);
      expect(ours.records.length).toBe(e.packets);
      const mine = ours.records.map((r) => ({
        sec: Math.floor(r.timeUs / 1e6),
        usec: r.timeUs % 1e6,
        caplen: r.data.length,
        origlen: r.origLen,
        data: Array.from(r.data),
      }));
      expect(mine).toEqual(expected);
    });
  }
});
