import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chunkBytes, gunzipChunks, readChunks, readContainer } from './source.ts';
import { pcapBytes, pcapngBytes, readAll } from './testing/containers.ts';
import type { PacketRecord } from './types.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const manifest = JSON.parse(fs.readFileSync(path.join(PUBLIC, 'manifest.json'), 'utf8')) as Array<{ file: string; format: string; packets: number }>;

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}

const SAMPLE = pcapBytes({ linkType: 1 }, [
  { sec: 1700000000, frac: 1, data: Uint8Array.from({ length: 300 }, (_, i) => i & 255) },
  { sec: 1700000000, frac: 2, data: Uint8Array.from({ length: 70 }, (_, i) => (i * 7) & 255) },
]);

describe('readChunks', () => {
  it('reads a Blob in slices with offsets and the total', async () => {
    const blob = new Blob([new Uint8Array(SAMPLE)]);
    const seen: Array<[number, number, number]> = [];
    const parts: Uint8Array[] = [];
    for await (const c of readChunks(blob, 100)) {
      seen.push([c.offset, c.bytes.length, c.total]);
      parts.push(c.bytes);
    }
    expect(seen[0]).toEqual([0, 100, SAMPLE.length]);
    expect(seen.at(-1)).toEqual([400, SAMPLE.length - 400, SAMPLE.length]);
    expect(new Uint8Array(Buffer.concat(parts))).toEqual(SAMPLE);
  });

  it('stops when aborted', async () => {
    const ctl = new AbortController();
    const got: number[] = [];
    await expect(async () => {
      for await (const c of readChunks(new Blob([new Uint8Array(SAMPLE)]), 50, ctl.signal)) {
        got.push(c.offset);
        if (got.length === 2) ctl.abort();
      }
    }).rejects.toThrow();
    expect(got).toEqual([0, 50]);
  });
});

describe('gunzipChunks', () => {
  it('decompresses what node:zlib compressed, whatever the chunking', async () => {
    const gz = new Uint8Array(zlib.gzipSync(SAMPLE));
    for (const size of [1, 7, gz.length]) expect(await collect(gunzipChunks(pieces(gz, size)))).toEqual(SAMPLE);
  });

  it('rejects data that is not gzip', async () => {
    await expect(collect(gunzipChunks(pieces(Uint8Array.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 4)))).rejects.toThrow();
  });
});

describe('readContainer', () => {
  it('reads a gzipped pcap and a gzipped pcapng through the decompressor', async () => {
    const ng = pcapngBytes([{ littleEndian: false, interfaces: [{ linkType: 101 }], blocks: [{ kind: 'epb', iface: 0, ts: 5n, data: Uint8Array.of(0x45, 0, 0, 20) }] }]);
    for (const [plain, format] of [[SAMPLE, 'pcap'], [ng, 'pcapng']] as const) {
      const gz = new Uint8Array(zlib.gzipSync(plain));
      const frames: Array<{ frame: number; data: number[] }> = [];
      const res = await readContainer(pieces(gz, 5), { packet: (r: PacketRecord) => frames.push({ frame: r.frame, data: Array.from(r.data) }), warning: (w) => frames.push({ frame: -1, data: [...w.message].map((c) => c.charCodeAt(0)) }) });
      expect(res).toMatchObject({ format, gzip: true, bytes: plain.length });
      expect(frames).toEqual(readAll(plain).records.map((r) => ({ frame: r.frame, data: Array.from(r.data) })));
    }
  });

  it('says what a non-capture file is, also inside gzip', async () => {
    expect(await readContainer(pieces(new Uint8Array(0), 1), { packet: () => {}, warning: () => {} })).toEqual({ error: 'empty file' });
    const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0]);
    expect(await readContainer(pieces(zip, 3), { packet: () => {}, warning: () => {} })).toEqual({ error: 'not a capture file: starts with 50 4b 03 04 (a ZIP archive?)' });
    expect(await readContainer(pieces(new Uint8Array(zlib.gzipSync(zip)), 3), { packet: () => {}, warning: () => {} })).toEqual({
      error: 'inside the gzip file: not a capture file: starts with 50 4b 03 04 (a ZIP archive?)',
    });
  });
});

describe('every public capture', () => {
  for (const e of manifest) {
    it(`${e.file}: opens and has ${e.packets} packet records`, async () => {
      const blob = new Blob([new Uint8Array(fs.readFileSync(path.join(PUBLIC, e.file)))]);
      let n = 0;
      const res = await readContainer(chunkBytes(readChunks(blob, 64 << 10)), { packet: () => void n++, warning: () => {} });
      if (e.format === 'netmon2') {
        // Microsoft Network Monitor is not read: the error says so in one line.
        expect(res).toEqual({ error: 'not a capture file: starts with 47 4d 42 55 (a Microsoft Network Monitor capture, which is not supported; save it as pcapng)' });
        return;
      }
      expect(res).toMatchObject({ format: e.format });
      expect(n).toBe(e.packets);
    });
  }
});
