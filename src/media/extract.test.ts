import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBlob } from '../engine/analyze.ts';
import { chunkBytes, readChunks } from '../capture/source.ts';
import { decodeStream, scanStream } from './extract.ts';
import { selectorOf } from './select.ts';
import { writeWav } from './wav.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');
const SAMPLES = path.resolve(import.meta.dirname, '../../public/samples');
const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');

async function load(file: string) {
  const blob = new Blob([readFileSync(file)]);
  const { report } = await analyzeBlob(blob);
  // Small slices: the reader must not depend on chunk boundaries.
  const chunks = () => chunkBytes(readChunks(blob, 4093));
  return { report, chunks };
}

function sha256(pcm: Int16Array): string {
  return createHash('sha256').update(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength)).digest('hex');
}

describe('G.711 stream decoding against tshark + sox (sip-rtp-g711.pcap)', () => {
  // fixtures/make.sh: tshark's rtp.payload bytes of each stream, decoded by sox -t ul / -t al.
  for (const [ssrc, codec] of [
    [0x343da99b, 'pcmu'],
    [0x343ffa34, 'pcma'],
  ] as const) {
    it(`0x${ssrc.toString(16).toUpperCase()} (${codec}) equals the independent decode sample for sample`, async () => {
      const { report, chunks } = await load(path.join(PUBLIC, 'wireshark-wiki/sip-rtp-g711.pcap'));
      const stream = report.rtpStreams.find((s) => s.ssrc === ssrc && s.kind === 'rtp');
      expect(stream).toBeDefined();
      const audio = await decodeStream(chunks(), selectorOf(stream!));
      expect(audio.codec).toBe(codec);
      expect(audio.sampleRate).toBe(8000);
      expect(audio.placed).toBe(stream!.packets);
      const tag = `0x${ssrc.toString(16).toUpperCase()}`;
      const head = readFileSync(path.join(FIXTURES, `sip-rtp-g711.${tag}.head.s16`));
      const want = new Int16Array(head.buffer.slice(head.byteOffset, head.byteOffset + head.byteLength));
      expect([...audio.pcm.subarray(0, want.length)]).toEqual([...want]);
      const [hash, bytes] = readFileSync(path.join(FIXTURES, `sip-rtp-g711.${tag}.sha256`), 'utf8').trim().split(' ');
      expect(audio.pcm.length * 2).toBe(Number(bytes));
      expect(sha256(audio.pcm)).toBe(hash);
    });
  }
});

/** Frequency by counting rising zero crossings (interpolated) over the signal; level as RMS in dBFS. */
function measureTone(pcm: Int16Array, rate: number): { hz: number; rmsDbfs: number } {
  let first = -1;
  let last = -1;
  let crossings = 0;
  let sum = 0;
  for (let i = 1; i < pcm.length; i++) {
    const a = pcm[i - 1]!;
    const b = pcm[i]!;
    sum += b * b;
    if (a < 0 && b >= 0) {
      const t = i - 1 + -a / (b - a);
      if (first < 0) first = t;
      else crossings++;
      last = t;
    }
  }
  return { hz: (crossings / (last - first)) * rate, rmsDbfs: 20 * Math.log10(Math.sqrt(sum / pcm.length) / 32768) };
}

describe('a lab tone measured back (public/samples/08-one-way-audio)', () => {
  it('the caller\'s stream is a steady 440 Hz sine at about −10 dBFS', async () => {
    const { report, chunks } = await load(path.join(SAMPLES, '08-one-way-audio/capture.pcap'));
    const stream = report.rtpStreams.find((s) => s.kind === 'rtp' && s.src.startsWith('203.0.113.1:'));
    expect(stream).toBeDefined();
    const audio = await decodeStream(chunks(), selectorOf(stream!));
    expect(audio.codec).toBe('pcmu');
    // 315 packets of 20 ms each, whatever their arrival jitter: 6.3 s on the timeline.
    expect(audio.pcm.length).toBe(315 * 160);
    const { hz, rmsDbfs } = measureTone(audio.pcm, audio.sampleRate);
    expect(hz).toBeGreaterThan(438);
    expect(hz).toBeLessThan(442);
    expect(rmsDbfs).toBeGreaterThan(-11);
    expect(rmsDbfs).toBeLessThan(-9);
  });
});

describe('the timeline', () => {
  it('re-anchors after a source change restarts the timestamps and keeps the audio in order (09-rtp-source-port-changed)', async () => {
    const { report, chunks } = await load(path.join(SAMPLES, '09-rtp-source-port-changed/capture.pcap'));
    const stream = report.rtpStreams.find((s) => s.kind === 'rtp' && s.sourceChanges.length > 0);
    expect(stream).toBeDefined();
    const positions: number[] = [];
    const frames: number[] = [];
    const scan = await scanStream(chunks(), selectorOf(stream!), (p) => {
      positions.push(p.position);
      frames.push(p.frame);
    });
    expect(scan.placed).toBe(positions.length);
    expect(scan.packets).toBeGreaterThanOrEqual(stream!.packets);
    // Capture order and timeline order agree apart from reordering inside one packet time.
    for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]! - 160);
    // The timeline spans the stream's wall-clock duration (±1 s), not a timestamp jump.
    const spanS = (positions.at(-1)! - positions[0]!) / 8000;
    const wallS = (Date.parse(stream!.lastTime) - Date.parse(stream!.firstTime)) / 1000;
    expect(Math.abs(spanS - wallS)).toBeLessThan(1);
  });

  it('scans nothing from a file that is not a capture, with a warning', async () => {
    async function* text() {
      yield new TextEncoder().encode('hello, this is not a pcap');
    }
    const audio = await decodeStream(text(), { ssrc: 1, src: '10.0.0.1:4000', dst: '10.0.0.2:4000', payloadType: 0 });
    expect(audio.pcm.length).toBe(0);
    expect(audio.warnings[0]?.message).toMatch(/not a capture/);
  });
});

describe('writeWav', () => {
  it('writes the canonical 44-byte PCM header and little-endian samples', () => {
    const wav = writeWav(Int16Array.of(1, -2, 0x1234), 8000);
    const v = new DataView(wav.buffer);
    expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe('RIFF');
    expect(v.getUint32(4, true)).toBe(36 + 6);
    expect(new TextDecoder().decode(wav.subarray(8, 16))).toBe('WAVEfmt ');
    expect(v.getUint16(20, true)).toBe(1);
    expect(v.getUint16(22, true)).toBe(1);
    expect(v.getUint32(24, true)).toBe(8000);
    expect(v.getUint32(28, true)).toBe(16000);
    expect(v.getUint16(34, true)).toBe(16);
    expect(v.getUint32(40, true)).toBe(6);
    expect([v.getInt16(44, true), v.getInt16(46, true), v.getInt16(48, true)]).toEqual([1, -2, 0x1234]);
  });
});
