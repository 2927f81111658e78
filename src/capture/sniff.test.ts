import { describe, expect, it } from 'vitest';
import { DETECTORS, openContainer, sniffContainer } from './sniff.ts';
import { pcapBytes, pcapngBytes } from './testing/containers.ts';

const sink = { packet: () => {}, warning: () => {} };

describe('sniffContainer', () => {
  it('recognises pcap by its four magics, in both byte orders', () => {
    for (const magic of [
      [0xa1, 0xb2, 0xc3, 0xd4], // µs big-endian
      [0xd4, 0xc3, 0xb2, 0xa1], // µs little-endian
      [0xa1, 0xb2, 0x3c, 0x4d], // ns big-endian
      [0x4d, 0x3c, 0xb2, 0xa1], // ns little-endian
    ]) {
      expect(sniffContainer(Uint8Array.from([...magic, 0, 2, 0, 4]))).toEqual({ kind: 'pcap' });
    }
    expect(sniffContainer(pcapBytes({ nanos: true, littleEndian: false }, []))).toEqual({ kind: 'pcap' });
  });

  it('recognises pcapng and gzip', () => {
    expect(sniffContainer(pcapngBytes([{ littleEndian: false, interfaces: [], blocks: [] }]))).toEqual({ kind: 'pcapng' });
    expect(sniffContainer(Uint8Array.from([0x1f, 0x8b, 0x08, 0x00]))).toEqual({ kind: 'gzip' });
  });

  it('is a registry of detectors', () => {
    expect(DETECTORS.map((d) => d.name)).toEqual(['pcap', 'pcapng', 'gzip']);
  });

  it('explains what else the file is, in one line', () => {
    expect(sniffContainer(new Uint8Array(0))).toEqual({ kind: 'unknown', reason: 'empty file' });
    expect(sniffContainer(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0]))).toEqual({
      kind: 'unknown',
      reason: 'not a capture file: starts with 50 4b 03 04 (a ZIP archive?)',
    });
    expect(sniffContainer(new TextEncoder().encode('INVITE sip:bob@example.com SIP/2.0\r\n'))).toEqual({
      kind: 'unknown',
      reason: 'not a capture file: starts with 49 4e 56 49 (text: "INVITE sip:bob@e")',
    });
    expect(sniffContainer(Uint8Array.from([0x47, 0x4d, 0x42, 0x55, 0, 2]))).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('Network Monitor') });
    expect(sniffContainer(Uint8Array.from([0xa1, 0xb2]))).toEqual({ kind: 'unknown', reason: 'not a capture file: only 2 bytes long (a1 b2)' });
    expect(sniffContainer(Uint8Array.from([0x00, 0x01, 0x02, 0x03, 0xff]))).toEqual({
      kind: 'unknown',
      reason: 'not a capture file: starts with 00 01 02 03, which is neither pcap, pcapng nor gzip',
    });
  });
});

describe('openContainer', () => {
  it('opens the matching reader', () => {
    const a = openContainer(pcapBytes({}, []), sink);
    const b = openContainer(pcapngBytes([{ littleEndian: true, interfaces: [], blocks: [] }]), sink);
    expect('format' in a && a.format).toBe('pcap');
    expect('format' in b && b.format).toBe('pcapng');
  });

  it('returns a one-line error for anything else', () => {
    expect(openContainer(new Uint8Array(0), sink)).toEqual({ error: 'empty file' });
    expect(openContainer(Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), sink)).toEqual({ error: 'not a capture file: starts with 50 4b 03 04 (a ZIP archive?)' });
    const gz = openContainer(Uint8Array.from([0x1f, 0x8b, 8, 0]), sink);
    expect('error' in gz && gz.error).toBe('gzip-compressed data: decompress it first');
  });
});
